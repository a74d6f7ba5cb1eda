"""Shared fixtures: Brian2 device/preference reset around every test, and a headless backend."""

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def reset_brian2():
    """Reset Brian2's device, preferences and default clock before and after each test.

    Tests that build networks must not see the state left by another test (a standalone
    device, a changed code generation target or time step).
    """
    import brian2
    from brian2.devices.device import reinit_and_delete, reset_device

    def reset():
        reinit_and_delete()
        reset_device("runtime")
        brian2.prefs.reset_to_defaults()
        brian2.prefs.codegen.target = "numpy"
        brian2.defaultclock.dt = 0.1 * brian2.ms

    reset()
    yield
    reset()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A finished and analysed run folder: 20 neurons, 10 MNIST images per phase (~30 s).

    Runtime engine with numpy code generation (no compiler), spike times recorded for the
    first 4 test images.  Built once per session for the notebook and results tests.
    """
    from diehl_cook.analysis import analyze_run
    from diehl_cook.config import load_config
    from diehl_cook.pipeline import run

    runs_dir = tmp_path_factory.mktemp("tiny_runs")
    config, source = load_config(
        "smoke",
        [
            "data.n_train=10",
            "data.n_label=10",
            "data.n_test=10",
            "simulation.chunk_slots=10",
            "output.record_spike_times=4",
            "output.name=mnist",
            f"output.runs_dir={runs_dir}",
        ],
    )
    run_dir, _ = run(config, source)
    analyze_run(run_dir, n_permutations=20)
    return run_dir


def write_synthetic_mnist(folder, n_train=40, n_test=20, seed=0):
    """Write a tiny MNIST-format dataset (IDX files, 28 x 28 random sparse images).

    For tests that need real files but not real digits: point ``data.folder`` at the folder.
    Returns the folder.
    """
    import struct
    from pathlib import Path

    import numpy as np

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, count in (("train", n_train), ("t10k", n_test)):
        images = np.zeros((count, 28, 28), dtype=np.uint8)
        on = rng.random((count, 28, 28)) < 0.15
        images[on] = rng.integers(128, 256, size=int(on.sum()), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        header = struct.pack(">iiii", 2051, count, 28, 28)
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.tobytes())
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">ii", 2049, count) + labels.tobytes()
        )
    return folder


@pytest.fixture(scope="session")
def synthetic_mnist(tmp_path_factory):
    """A tiny MNIST-format dataset folder (60 training, 60 test images; see above).

    As many images as the ``smoke`` config asks for (50 per phase).
    """
    return write_synthetic_mnist(tmp_path_factory.mktemp("synthetic_mnist"), 60, 60)
