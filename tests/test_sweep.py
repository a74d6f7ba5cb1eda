"""Sweeps: expansion of sweep files, and real runs on a Dask LocalCluster."""

import os
import signal
import threading
import time

import pytest

from diehl_cook.errors import ConfigError
from diehl_cook.run_folder import RunFolder
from diehl_cook.sweep import FINISHED_NAME, load_sweep, run_sweep

TINY = """
base = "smoke"
name = "{name}"
runs_dir = "{runs_dir}"

[set]
"data.n_train" = {n_train}
"data.n_label" = 4
"data.n_test" = 4
"simulation.chunk_slots" = {chunk_slots}
"output.record_spike_times" = 0
"""


def _sweep_file(tmp_path, body, name="tiny", n_train=4, chunk_slots=4):
    path = tmp_path / f"{name}.toml"
    header = TINY.format(
        name=name, runs_dir=tmp_path / "runs", n_train=n_train, chunk_slots=chunk_slots
    )
    path.write_text(header + body)
    return path


def test_axes_expand_to_the_cartesian_product_with_short_names(tmp_path):
    sweep = load_sweep(_sweep_file(tmp_path, "[axes]\nn_exc = [4, 6]\nseed = [0, 1, 2]\n"))
    assert len(sweep.points) == 6
    assert sweep.axes == ["model.n_exc", "simulation.seed"]
    assert [p.name for p in sweep.points[:2]] == ["n_exc=4__seed=0", "n_exc=4__seed=1"]
    last = sweep.points[-1]
    assert last.config["model"]["n_exc"] == 6 and last.config["simulation"]["seed"] == 2
    assert last.config["data"]["n_train"] == 4  # from [set]
    assert last.config["output"]["name"] == last.name
    assert sweep.point_dir(last) == tmp_path / "runs" / "tiny" / last.name


def test_explicit_points_and_errors_name_the_file(tmp_path):
    sweep = load_sweep(
        _sweep_file(tmp_path, '[[points]]\nvariant = "capozzi_poster"\n[[points]]\nn_exc = 5\n')
    )
    assert [p.name for p in sweep.points] == ["variant=capozzi_poster", "n_exc=5"]
    # an empty parameter table (the base's values) still names its point
    empty_table = load_sweep(
        _sweep_file(tmp_path, '[[points]]\n"model.parameters" = {}\n', name="empty_table")
    )
    assert [p.name for p in empty_table.points] == ["parameters=none"]
    with pytest.raises(ConfigError, match=r"bad\.toml: give either \[axes\] or \[\[points\]\]"):
        load_sweep(_sweep_file(tmp_path, "", name="bad"))
    with pytest.raises(ConfigError, match="axis 'model.n_exc' must be a non-empty list"):
        load_sweep(_sweep_file(tmp_path, "[axes]\nn_exc = []\n", name="empty"))
    with pytest.raises(ConfigError, match=r"unknown key 'model.n_neurons'"):
        load_sweep(_sweep_file(tmp_path, '[axes]\n"model.n_neurons" = [1]\n', name="unknown"))


@pytest.fixture(scope="module")
def local_client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow
@pytest.mark.data
def test_tiny_sweep_runs_every_point_then_reruns_without_work(tmp_path, local_client):
    sweep = load_sweep(_sweep_file(tmp_path, "[axes]\nn_exc = [4, 6]\nseed = [0, 1]\n"))
    result = run_sweep(sweep, client=local_client, progress=False)
    assert result.failures == {} and sorted(result.ran) == sorted(p.name for p in sweep.points)
    assert len(result.rows) == 4
    lines = (sweep.folder / "summary.csv").read_text().splitlines()
    assert lines[0].startswith(
        "model.n_exc,simulation.seed,accuracy,accuracy_proportion_weighting,"
    )
    assert len(lines) == 5
    assert (sweep.folder / "summary.png").is_file()
    for point in sweep.points:
        folder = RunFolder(sweep.point_dir(point))
        row = folder.read_sweep_point()
        metrics = folder.read_metrics()
        assert row["accuracy"] == metrics["test"]["accuracy"]
        assert (
            row["accuracy_proportion_weighting"]
            == metrics["test"]["accuracy_proportion_weighting"]
        )
        assert metrics["n_exc"] == point.values["model.n_exc"]
    # the same sweep again: every point is finished, no cluster work at all
    again = run_sweep(load_sweep(sweep.path), progress=False)
    assert again.ran == [] and sorted(again.skipped) == sorted(p.name for p in sweep.points)
    assert len(again.rows) == 4


@pytest.mark.slow
@pytest.mark.data
def test_a_failing_point_is_reported_and_the_others_finish(tmp_path, local_client):
    body = '[[points]]\nvariant = "no_such_variant"\n[[points]]\nn_exc = 5\n'
    sweep = load_sweep(_sweep_file(tmp_path, body))
    result = run_sweep(sweep, client=local_client, progress=False)
    assert list(result.failures) == ["variant=no_such_variant"]
    assert "no_such_variant" in result.failures["variant=no_such_variant"]
    assert result.ran == ["n_exc=5"] and len(result.rows) == 1
    assert (sweep.folder / "failures" / "variant=no_such_variant.txt").is_file()
    assert "variant=no_such_variant" in (sweep.folder / "summary.md").read_text()


@pytest.mark.slow
@pytest.mark.data
def test_killing_the_worker_of_a_point_ends_in_a_retry_that_completes(tmp_path, local_client):
    sweep = load_sweep(_sweep_file(tmp_path, "[[points]]\nn_exc = 6\n", n_train=16, chunk_slots=3))
    (point,) = sweep.points
    outcome = {}
    thread = threading.Thread(
        target=lambda: outcome.update(result=run_sweep(sweep, client=local_client, progress=False))
    )
    thread.start()
    work = RunFolder(sweep.point_dir(point)).incomplete
    progress = work.checkpoint_dir("train", epoch=0) / "state_000000.npz"
    deadline = time.monotonic() + 240
    while not progress.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert progress.is_file(), "the point never checkpointed a chunk"
    busy = [address for address, keys in local_client.processing().items() if keys]
    assert len(busy) == 1
    pid = local_client.run(os.getpid, workers=busy)[busy[0]]
    os.kill(pid, signal.SIGKILL)  # a real worker process dies mid-point
    thread.join(timeout=600)
    result = outcome["result"]
    assert result.failures == {} and result.ran == [point.name]
    folder = RunFolder(sweep.point_dir(point))
    row = folder.read_sweep_point()
    assert row["worker_pid"] != pid
    metrics = folder.read_metrics()
    assert metrics["train"]["n_images"] == 16


def test_a_point_is_finished_exactly_when_its_marker_exists(tmp_path):
    from diehl_cook.sweep import _finished_row

    folder = RunFolder(tmp_path / "point")
    assert FINISHED_NAME == folder.sweep_point_path.name == "sweep_point.json"
    assert _finished_row(folder.path) is None
    folder.write_sweep_point({"accuracy": 0.5, "point": "point"})
    assert _finished_row(folder.path) == {"accuracy": 0.5, "point": "point"}
