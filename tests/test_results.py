"""results/ regeneration from run folders, and the running accuracy behind its learning curve."""

import json

import numpy as np
import pytest

from diehl_cook.labelling import running_accuracy
from diehl_cook.results import EXPERIMENTS, write_results


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
