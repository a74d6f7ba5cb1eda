"""results/ regeneration from run folders, and the running accuracy behind its learning curve."""

import json
import shutil

import numpy as np
import pytest

from diehl_cook.errors import MissingRunFileError
from diehl_cook.labelling import running_accuracy
from diehl_cook.results import EXPERIMENTS, write_results
from diehl_cook.run_folder import AnalysisFiles, RunFolder


def test_running_accuracy_scores_each_window_with_the_previous_windows_labels():
    # window 1 labels neuron 0 -> class 0 and neuron 1 -> class 1; window 2 is then right
    # twice; window 3 swaps the responses, so it is wrong twice
    counts = [[2, 0], [0, 3], [1, 0], [0, 1], [0, 2], [4, 0]]
    seen, scores = running_accuracy(counts, [0, 1, 0, 1, 0, 1], n_classes=2, window=2)
    np.testing.assert_array_equal(seen, [4, 6])
    np.testing.assert_array_equal(scores, [1.0, 0.0])
    with pytest.raises(ValueError, match="window"):
        running_accuracy(counts, [0, 1, 0, 1, 0, 1], 2, window=0)
    with pytest.raises(ValueError, match="labels"):
        running_accuracy(counts, [0, 1], 2, window=2)


@pytest.mark.notebook
@pytest.mark.data
def test_results_come_from_the_run_folders_only(tiny_run, tmp_path):
    found = write_results(tiny_run.parent, tmp_path, window=3, n_raster=2)
    assert list(found) == ["mnist"]
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    readme = (tmp_path / "README.md").read_text()
    assert f"**{100 * metrics['test']['accuracy']:.2f} %**" in readme
    for experiment in EXPERIMENTS[1:]:
        assert f"| {experiment.description} | not run" in readme
    produced = {path.name for path in (tmp_path / "mnist").iterdir()}
    assert {"learning_curve.csv", "learning_curve.png", "raster.png", "table2.md"} <= produced
    assert {"receptive_fields.png", "theta.png", "metrics.json"} <= produced
    with np.load(tiny_run / "records" / "train.npz") as saved:
        seen, scores = running_accuracy(saved["exc_counts"], saved["labels"], 10, window=3)
    rows = (tmp_path / "mnist" / "learning_curve.csv").read_text().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == seen.tolist()
    np.testing.assert_allclose([float(row.split(",")[1]) for row in rows], scores, atol=5e-5)


def _synthetic_run(folder, n_train=12, n_exc=4):
    """A finished, analysed run folder written through RunFolder (no simulation, no data)."""
    rng = np.random.default_rng(0)
    folder.write_config('[data]\ndataset = "mnist"\n\n[model]\nn_exc = 4\n')
    labels = rng.integers(0, 10, n_train)
    folder.write_phase_records(
        "train",
        image_index=np.arange(n_train),
        labels=labels,
        exc_counts=rng.integers(0, 3, (n_train, n_exc)).astype(np.uint16),
        input_counts=np.zeros((n_train, 784), np.uint16),
        intensity=np.full(n_train, 2.0),
        retries=np.zeros(n_train, np.int64),
        n_slots=n_train,
    )
    folder.write_metrics(
        {
            "seed": 0,
            "dataset": "mnist",
            "train": {"n_images": n_train, "wall_time_s": 60.0, "chunk_wall_s": [1.0]},
            "label": {"n_images": 5, "wall_time_s": 1.0},
            "test": {"accuracy": 0.25, "n_images": 8, "wall_time_s": 2.0},
        }
    )
    folder.analysis_dir.mkdir()
    folder.analysis_path(AnalysisFiles.TABLE2_MD).write_text("# Table 2\n\nrows\n")
    folder.analysis_path(AnalysisFiles.THETA).write_bytes(b"\x89PNG not really")


def test_results_read_every_file_through_the_run_folder_layout(tmp_path):
    _synthetic_run(RunFolder(tmp_path / "runs" / "mnist"))
    RunFolder(tmp_path / "runs" / "cifar10").analysis_dir.mkdir(parents=True)  # unfinished
    found = write_results(tmp_path / "runs", tmp_path / "results", window=4)
    assert list(found) == ["mnist"]
    out = tmp_path / "results" / "mnist"
    assert (out / "table2.md").read_text() == "# Table 2\n\nrows\n"
    assert (out / "theta.png").read_bytes() == b"\x89PNG not really"
    assert not (out / "raster.png").exists()  # no recorded spike times
    assert (out / "learning_curve.csv").read_text().splitlines()[0] == "images_seen,accuracy"
    summary = json.loads((out / "metrics.json").read_text())
    assert "chunk_wall_s" not in summary["train"] and summary["test"]["accuracy"] == 0.25
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "**25.00 %**" in readme and "## Table 2" in readme  # headings demoted by one
    assert "| CIFAR-10 (32x32 grayscale), diehl_cook_2015, 100 neurons | not run" in readme


def test_an_experiment_without_its_run_folder_keeps_its_earlier_results(tmp_path):
    _synthetic_run(RunFolder(tmp_path / "runs" / "mnist"))
    write_results(tmp_path / "runs", tmp_path / "results", window=4)
    shutil.rmtree(tmp_path / "runs" / "mnist")
    (tmp_path / "runs" / "other").mkdir()
    found = write_results(tmp_path / "runs", tmp_path / "results", window=4)
    assert found == {}
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "| MNIST, diehl_cook_2015, 100 neurons (kept) | **25.00 %** |" in readme
    # the study's scoring, when the run has it, stands beside the package's
    summary_path = tmp_path / "results" / "mnist" / "metrics.json"
    summary = json.loads(summary_path.read_text())
    summary["test"]["study_labelling"] = {"accuracy": 0.125, "n_images": 3300}
    summary_path.write_text(json.dumps(summary))
    write_results(tmp_path / "runs", tmp_path / "results", window=4)
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "**25.00 %**; scored as the study: 12.50 % on the first 3,300 |" in readme
    # and so does the proportion-weighted readout
    summary["test"]["accuracy_proportion_weighting"] = 0.375
    summary_path.write_text(json.dumps(summary))
    write_results(tmp_path / "runs", tmp_path / "results", window=4)
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "**25.00 %**; proportion weighting: 37.50 %; scored as the study: 12.50 %" in readme
    assert "The 1 rows marked (kept)" in readme and "## Table 2" in readme
    assert (tmp_path / "results" / "mnist" / "table2.md").read_text() == "# Table 2\n\nrows\n"
    # a study-form table in the kept folder is shown under its experiment
    (tmp_path / "results" / "mnist" / "table2_study.md").write_text("# Study form\n\nsets\n")
    write_results(tmp_path / "runs", tmp_path / "results", window=4)
    readme = (tmp_path / "results" / "README.md").read_text()
    assert "### Study form" in readme and "sets" in readme
    # an unreadable kept summary is an error that names the file
    (tmp_path / "results" / "mnist" / "metrics.json").write_text("{not json")
    with pytest.raises(MissingRunFileError, match=r"mnist/metrics\.json: unreadable"):
        write_results(tmp_path / "runs", tmp_path / "results", window=4)
