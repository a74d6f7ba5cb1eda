"""Every error a user can cause ends in one ``error:`` line and exit status 2, no traceback.

Each case is a bad input as a new user would try it, for every subcommand; the line must
name the file, key or value concerned.  The cases run in-process (``main(argv)``); a few run
again as real processes (``python -m diehl_cook``) in the slow suite.
"""

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diehl_cook.__main__ import main
from diehl_cook.config import dump_config, load_config
from diehl_cook.model import shipped_equations_dir
from diehl_cook.run_folder import RunFolder

EQUATIONS = shipped_equations_dir()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, synthetic_mnist):
    """Files for the bad inputs: broken configs, equation files, datasets and run folders."""
    root = tmp_path_factory.mktemp("cli_errors")
    (root / "bad.toml").write_text("[model\nn_exc = 3\n")
    (root / "unknown_key.toml").write_text("[model]\nbogus = 1\n")
    (root / "wrong_type.toml").write_text('[model]\nn_exc = "many"\n')
    # a component file given by a path relative to its config, that does not exist there
    (root / "configs").mkdir()
    (root / "configs" / "missing_component.toml").write_text(
        '[model.components]\n"exc.threshold" = "my_threshold.eq"\n'
    )
    threshold = (EQUATIONS / "threshold_adaptive.eq").read_text()
    (root / "unit_mismatch.eq").write_text(threshold.replace("theta += theta_plus", "theta += 3"))
    (root / "unknown_variable.eq").write_text(
        threshold.replace("theta += theta_plus", "theta += theta_plus * gain")
    )
    (root / "bad_syntax.eq").write_text(threshold.replace("[reset]", "[reset]\ntheta +="))
    # a variant whose parameter file has a value without a unit it needs
    parameters = (EQUATIONS / "diehl_cook_2015.params.toml").read_text()
    (root / "broken.params.toml").write_text(parameters.replace('"-65', '"-65 parsecs', 1))
    # (its component files are found among the shipped ones)
    variant = (EQUATIONS / "diehl_cook_2015.variant.toml").read_text()
    old_line = 'parameters = "diehl_cook_2015.params.toml"'
    assert old_line in variant
    variant = variant.replace(old_line, 'parameters = "broken.params.toml"')
    (root / "broken.variant.toml").write_text(variant)
    # a dataset folder whose training images are truncated
    truncated = root / "truncated_mnist"
    truncated.mkdir()
    for path in Path(synthetic_mnist).iterdir():
        (truncated / path.name).write_bytes(path.read_bytes())
    images = truncated / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])
    # run folders: only a config; trained but not labelled; a finished test with spike times
    config, _ = load_config("smoke", [f"data.folder={synthetic_mnist}"])
    for name in ("config_only", "unlabelled", "tested"):
        folder = RunFolder(root / "runs" / name)
        folder.path.mkdir(parents=True)
        folder.write_config(dump_config(config))
    rng = np.random.default_rng(0)
    for name in ("unlabelled", "tested"):
        RunFolder(root / "runs" / name).write_state(
            {"input_to_exc.w": rng.random((784, 20)), "exc.theta": np.zeros(20)}
        )
    tested = RunFolder(root / "runs" / "tested")
    tested.write_phase_records(
        "test",
        image_index=np.arange(10),
        labels=np.arange(10),
        exc_counts=rng.integers(0, 5, (10, 20)),
        input_counts=rng.integers(0, 3, (10, 784)),
        intensity=np.full(10, 2.0),
        retries=np.zeros(10, dtype=np.int64),
        n_slots=10,
    )
    from diehl_cook.simulation import SpikeTrains

    empty = SpikeTrains(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0))
    tested.write_spike_trains(
        np.arange(2), np.arange(2), 0.35, 0.15, {"input": empty, "exc": empty, "inh": empty}
    )
    damaged = RunFolder(root / "runs" / "damaged")
    damaged.path.mkdir()
    for path in tested.path.rglob("*"):
        if path.is_file():
            target = damaged.path / path.relative_to(tested.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    damaged.records_path("test").write_bytes(b"PK\x03\x04 half of a zip")
    (root / "sweep_bad_axis.toml").write_text('base = "smoke"\n[axes]\n"model.n_exc" = []\n')
    (root / "a_file").write_text("not a folder")
    return root


def _data(synthetic_mnist):
    return f"data.folder={synthetic_mnist}"


def _cases(root, data):
    """``(name, argv, texts the error line must contain)`` for every bad input."""
    runs = root / "runs"
    smoke = ["smoke", "--set", data, "--set", f"output.runs_dir={root / 'new_runs'}"]
    return [
        # configs (train, run, describe)
        ("unknown config name", ["train", "nosuch"], ["unknown config 'nosuch'"]),
        ("missing config file", ["run", "nosuch.toml"], ["nosuch.toml: config file not found"]),
        ("invalid TOML", ["train", str(root / "bad.toml")], ["bad.toml: invalid TOML"]),
        ("unknown key", ["run", str(root / "unknown_key.toml")], ["unknown key 'model.bogus'"]),
        ("wrong type", ["train", str(root / "wrong_type.toml")], ["'model.n_exc' must be int"]),
        ("--set without =", ["train", "smoke", "--set", "n_exc"], ["--set expects", "'n_exc'"]),
        ("--set bad int", ["run", "smoke", "--set", "model.n_exc=x"], ["'model.n_exc'", "'x'"]),
        ("--set n_exc=0", ["run", "smoke", "--set", "model.n_exc=0"], ["model.n_exc must be"]),
        ("unknown unit", ["train", "smoke", "--set", "protocol.dt=5 parsecs"], ["protocol.dt"]),
        ("not a time", ["train", "smoke", "--set", "protocol.rest=5 mV"], ["protocol.rest must"]),
        ("unknown engine", ["run", "smoke", "--set", "simulation.engine=gpu"], ["engine"]),
        ("unknown variant", ["describe", "smoke", "--set", "model.variant=nosuch"], ["nosuch"]),
        (
            "missing component file, path relative to its config",
            ["describe", str(root / "configs" / "missing_component.toml")],
            [str(root / "configs" / "my_threshold.eq"), "not found"],
        ),
        (
            "component: unit mismatch",
            ["train", *smoke, "--set", f"model.components.exc.threshold={root}/unit_mismatch.eq"],
            ["unit_mismatch.eq:", "unit mismatch"],
        ),
        (
            "component: unknown variable",
            ["run", *smoke, "--set", f"model.components.exc.threshold={root}/unknown_variable.eq"],
            ["unknown_variable.eq:", "unknown variable gain"],
        ),
        (
            "component: bad syntax",
            ["describe", "smoke", "--set", f"model.components.exc.threshold={root}/bad_syntax.eq"],
            ["bad_syntax.eq:", "invalid syntax"],
        ),
        (
            "component: unknown role",
            ["describe", "smoke", "--set", "model.components.exc.bogus=threshold_fixed.eq"],
            ["'exc' has no role 'bogus'"],
        ),
        (
            "parameter file: unknown unit",
            ["train", *smoke, "--set", f"model.variant={root / 'broken.variant.toml'}"],
            ["broken.params.toml", "parsecs"],
        ),
        (
            "parameter override of no entry",
            ["train", *smoke, "--set", 'model.parameters.exc.bogus="1 mV"'],
            ["'exc.bogus'"],
        ),
        # data
        ("unknown dataset", ["run", *smoke, "--set", "data.dataset=foo"], ["dataset 'foo'"]),
        (
            "missing dataset folder",
            ["train", "smoke", "--set", f"data.folder={root / 'nowhere'}"],
            [str(root / "nowhere")],
        ),
        (
            "truncated IDX file",
            ["run", "smoke", "--set", f"data.folder={root / 'truncated_mnist'}"],
            ["train-images-idx3-ubyte: truncated"],
        ),
        ("too many images", ["train", *smoke, "--set", "data.n_train=1000"], ["data.n_train"]),
        # run folders
        (
            "runs dir is a file",
            ["train", "smoke", "--set", data, "--set", f"output.runs_dir={root / 'a_file'}"],
            ["a_file"],
        ),
        ("resume nothing", ["train", *smoke, "--set", "output.name=x", "--resume"], ["x.incompl"]),
        ("resume needs a name", ["run", *smoke, "--resume"], ["set output.name"]),
        ("label: no folder", ["label", str(runs / "nowhere")], ["nowhere: run folder not found"]),
        ("label: not a run", ["label", str(root)], ["not a run folder (no config.toml)"]),
        ("label: no state", ["label", str(runs / "config_only")], ["state.npz: missing"]),
        ("evaluate: no folder", ["evaluate", str(runs / "nowhere")], ["run folder not found"]),
        ("evaluate: unlabelled", ["evaluate", str(runs / "unlabelled")], ["assignments.npz"]),
        # analyze
        ("analyze: no folder", ["analyze", str(runs / "nowhere")], ["run folder not found"]),
        ("analyze: no records", ["analyze", str(runs / "unlabelled")], ["records/test.npz"]),
        ("analyze: damaged records", ["analyze", str(runs / "damaged")], ["test.npz: damaged"]),
        ("analyze: --bin-ms -1", ["analyze", str(runs / "tested"), "--bin-ms", "-1"], ["-1"]),
        (
            "analyze: bin longer than presentation",
            ["analyze", str(runs / "tested"), "--bin-ms", "1000"],
            ["--bin-ms 1000", "longer than the presentation"],
        ),
        ("analyze: --bin-ms abc", ["analyze", "x", "--bin-ms", "abc"], ["--bin-ms", "'abc'"]),
        # sweep, results, data, export, the parser
        ("sweep: no file", ["sweep", str(root / "nosuch.toml")], ["sweep file not found"]),
        ("sweep: invalid TOML", ["sweep", str(root / "bad.toml")], ["invalid TOML"]),
        ("sweep: empty axis", ["sweep", str(root / "sweep_bad_axis.toml")], ["model.n_exc"]),
        ("results: no folder", ["results", str(root / "nowhere"), str(root / "out")], ["nowhere"]),
        (
            "data fetch: no source dir",
            ["data", "fetch", "cifar10", "--data-dir", str(root / "d"), "--source-dir", "/no"],
            ["/no"],
        ),
        ("export: no folder", ["export", str(runs / "nowhere")], ["nowhere"]),
        ("unknown command", ["frobnicate"], ["invalid choice: 'frobnicate'"]),
        ("missing argument", ["label"], ["run_dir"]),
        ("unknown option", ["run", "smoke", "--fast"], ["--fast"]),
    ]


def _run_main(capsys, argv):
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.err


def _assert_one_error_line(status, stderr, texts, what):
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, f"{what}: traceback\n{stderr}"
    assert status == 2, f"{what}: exit status {status}\n{stderr}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{what}:\n{stderr}"
    for text in texts:
        assert text in lines[0], f"{what}: {text!r} not in {lines[0]!r}"


def test_every_bad_input_ends_in_one_error_line(workspace, synthetic_mnist, capsys, monkeypatch):
    monkeypatch.chdir(workspace)
    cases = _cases(workspace, _data(synthetic_mnist))
    commands = set()
    for what, argv, texts in cases:
        status, stderr = _run_main(capsys, argv)
        _assert_one_error_line(status, stderr, texts, what)
        commands.add(argv[0])
    # every subcommand had at least one bad input
    assert commands >= {"train", "run", "label", "evaluate", "describe", "analyze", "sweep"}
    assert commands >= {"results", "data", "export"}
    print(f"\n{len(cases)} bad inputs, each one error line with exit status 2")
    assert not (workspace / "new_runs" / "x.incomplete").exists()


def test_debug_shows_the_traceback_instead(workspace, capsys):
    from diehl_cook.errors import MissingRunFileError

    with pytest.raises(MissingRunFileError, match="run folder not found"):
        main(["--debug", "label", str(workspace / "runs" / "nowhere")])


def test_a_component_error_comes_before_any_progress_bar(
    workspace, synthetic_mnist, capsys, monkeypatch
):
    monkeypatch.chdir(workspace)
    argv = [
        "train",
        "smoke",
        "--set",
        _data(synthetic_mnist),
        "--set",
        "simulation.progress=true",
        "--set",
        f"output.runs_dir={workspace / 'bar_runs'}",
        "--set",
        "model.components.exc.frozen.threshold=" + str(workspace / "unit_mismatch.eq"),
    ]
    status, stderr = _run_main(capsys, argv)
    # the broken file is used only in the frozen phase, and still fails before training
    _assert_one_error_line(status, stderr, ["unit_mismatch.eq:", "unit mismatch"], "bar")
    assert "train:" not in stderr and "img/s" not in stderr


def test_component_paths_are_resolved_from_the_config_file_not_the_working_directory(
    tmp_path, synthetic_mnist, monkeypatch
):
    configs = tmp_path / "experiments"
    configs.mkdir()
    (configs / "frozen_threshold.eq").write_text((EQUATIONS / "threshold_frozen.eq").read_text())
    (configs / "exp.toml").write_text(
        '[model.components]\n"exc.frozen.threshold" = "frozen_threshold.eq"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config, source = load_config(configs / "exp.toml", [_data(synthetic_mnist)])
    resolved = config["model"]["components"]["exc.frozen.threshold"]
    assert resolved == str((configs / "frozen_threshold.eq").resolve())
    # the run folder's copy names it relative to itself, and reads back the same file
    run_dir = tmp_path / "runs" / "r"
    run_dir.mkdir(parents=True)
    (run_dir / "config.toml").write_text(dump_config(config, relative_to=run_dir))
    assert str(tmp_path) not in (run_dir / "config.toml").read_text()
    monkeypatch.chdir(tmp_path)
    again, _ = load_config(run_dir / "config.toml")
    assert again["model"]["components"] == config["model"]["components"]
    # a shipped file name still means the shipped file
    (configs / "shipped.toml").write_text(
        '[model.components]\n"exc.frozen.threshold" = "threshold_frozen.eq"\n'
    )
    shipped, _ = load_config(configs / "shipped.toml")
    assert shipped["model"]["components"]["exc.frozen.threshold"] == "threshold_frozen.eq"


@pytest.mark.slow
def test_bad_inputs_in_a_real_process_end_in_one_error_line(workspace, synthetic_mnist):
    chosen = {
        "invalid TOML",
        "unknown dataset",
        "truncated IDX file",
        "component: unit mismatch",
        "analyze: no records",
        "evaluate: no folder",
        "unknown command",
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith("DIEHL_COOK_F")}
    for what, argv, texts in _cases(workspace, _data(synthetic_mnist)):
        if what not in chosen:
            continue
        process = subprocess.run(
            [sys.executable, "-m", "diehl_cook", *argv],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        _assert_one_error_line(process.returncode, process.stderr, texts, what)


def test_the_reference_is_cited_by_a_relative_name():
    from diehl_cook.analysis.reference import DIEHL_COOK_REFERENCE

    assert DIEHL_COOK_REFERENCE == "shared/reference/diehl-cook-reference.md"
    assert not Path(DIEHL_COOK_REFERENCE).is_absolute()


def test_struct_helper_writes_what_the_reader_reads(synthetic_mnist):
    from diehl_cook.data import load

    images, labels = load("mnist", "train", folder=synthetic_mnist)
    assert images.shape == (60, 28, 28) and labels.shape == (60,)
    header = (Path(synthetic_mnist) / "train-images-idx3-ubyte").read_bytes()[:16]
    assert struct.unpack(">iiii", header) == (2051, 60, 28, 28)


def test_the_package_warnings_are_one_warning_line(capsys):
    from diehl_cook.__main__ import _show_warning
    from diehl_cook.errors import DiehlCookWarning

    _show_warning("state_000002.npz: damaged\ncheckpoint", DiehlCookWarning, "x.py", 1)
    assert capsys.readouterr().err == "warning: state_000002.npz: damaged checkpoint\n"
