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
