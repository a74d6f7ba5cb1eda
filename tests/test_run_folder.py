"""RunFolder: the paths of a run folder, and write-then-read round trips of its files."""

import json
import os

import numpy as np
import pytest

from diehl_cook.run_folder import (
    INCOMPLETE_SUFFIX,
    PHASE_RECORD_KEYS,
    AnalysisFiles,
    RecordedSpikes,
    RunFolder,
    read_spike_trains_file,
)
from diehl_cook.simulation import SpikeTrains


def test_paths_follow_the_documented_layout(tmp_path):
    folder = RunFolder(tmp_path / "demo")
    root = tmp_path / "demo"
    assert folder.path == root and folder.name == "demo"
    assert folder.config_path == root / "config.toml"
    assert folder.state_path == root / "state.npz"
    assert folder.records_dir == root / "records"
    for phase in ("train", "label", "test"):
        assert folder.records_path(phase) == root / "records" / f"{phase}.npz"
    assert folder.spike_trains_path == root / "records" / "test_spike_trains.npz"
    assert folder.assignments_path == root / "assignments.npz"
    assert folder.predictions_path == root / "predictions.npz"
    assert folder.confusion_matrix_path == root / "confusion_matrix.csv"
    assert folder.metrics_path == root / "metrics.json"
    assert folder.analysis_dir == root / "analysis"
    assert folder.analysis_path(AnalysisFiles.TABLE2_MD) == root / "analysis" / "table2.md"
    assert folder.analysis_summary_path == root / "analysis" / "summary.md"
    assert folder.checkpoints_dir == root / "checkpoints"
    assert folder.checkpoint_dir("label") == root / "checkpoints" / "label"
    assert folder.checkpoint_dir("train", epoch=2) == root / "checkpoints" / "train-epoch2"
    assert folder.sweep_point_path == root / "sweep_point.json"
    with pytest.raises(ValueError, match="unknown phase 'evaluate'"):
        folder.records_path("evaluate")


def test_incomplete_and_complete_folders_are_siblings(tmp_path):
    folder = RunFolder(tmp_path / "demo")
    work = folder.incomplete
    assert INCOMPLETE_SUFFIX == ".incomplete"
    assert work.path == tmp_path / "demo.incomplete"
    assert work.is_incomplete and not folder.is_incomplete
    assert work.incomplete == work and work.complete == folder and folder.complete == folder
    assert work.checkpoint_dir("train", epoch=0) == (
        tmp_path / "demo.incomplete" / "checkpoints" / "train-epoch0"
    )
    assert not folder.exists() and not folder.is_dir()
    assert str(tmp_path / "demo") == os.fspath(folder)


def test_phase_records_round_trip(tmp_path):
    folder = RunFolder(tmp_path / "run")
    arrays = {
        "image_index": np.array([0, 1, 3], dtype=np.int64),
        "labels": np.array([7, 2, 1], dtype=np.int64),
        "exc_counts": np.array([[1, 0], [5, 2], [0, 9]], dtype=np.uint16),
        "input_counts": np.arange(12, dtype=np.uint16).reshape(3, 4),
        "intensity": np.array([2.0, 3.0, 2.0]),
        "retries": np.array([0, 1, 0], dtype=np.int64),
    }
    written = folder.write_phase_records("test", n_slots=4, **arrays)
    assert written == folder.records_path("test") and folder.has_records("test")
    assert not folder.has_records("train")
    saved = folder.read_phase_records("test", required=("labels", "exc_counts"))
    assert set(saved) == set(PHASE_RECORD_KEYS)
    for name, value in arrays.items():
        np.testing.assert_array_equal(saved[name], value)
        assert saved[name].dtype == value.dtype
    assert saved["n_slots"].shape == () and int(saved["n_slots"]) == 4
    with np.load(folder.records_path("test")) as archive:
        assert archive.files == list(PHASE_RECORD_KEYS)


def test_a_missing_array_is_named_with_the_file(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.records_dir.mkdir(parents=True)
    np.savez(folder.records_path("train"), labels=np.zeros(2, int))
    with pytest.raises(ValueError, match=r"train\.npz: missing array\(s\) exc_counts"):
        folder.read_phase_records("train", required=("exc_counts", "labels"))
    with pytest.raises(FileNotFoundError):
        folder.read_phase_records("label")


def test_spike_trains_round_trip(tmp_path):
    folder = RunFolder(tmp_path / "run")
    layers = {
        "input": SpikeTrains(
            np.array([0, 0, 1], dtype=np.int64),
            np.array([3, 700, 5], dtype=np.int32),
            np.array([0.001, 0.2, 0.3499]),
        ),
        "exc": SpikeTrains(
            np.array([1], dtype=np.int64), np.array([9], dtype=np.int32), np.array([0.36])
        ),
        "inh": SpikeTrains(np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0)),
    }
    assert not folder.has_spike_trains()
    path = folder.write_spike_trains(np.array([4, 8]), np.array([1, 0]), 0.35, 0.15, layers)
    assert path == folder.spike_trains_path and folder.has_spike_trains()
    spikes = folder.read_spike_trains(n_neurons={"input": 784})
    assert isinstance(spikes, RecordedSpikes)
    assert spikes.n_presentations == 2
    np.testing.assert_array_equal(spikes.image_index, [4, 8])
    np.testing.assert_array_equal(spikes.labels, [1, 0])
    assert spikes.presentation_s == 0.35 and spikes.rest_s == 0.15
    assert set(spikes.layers) == {"input", "exc", "inh"}
    for layer, trains in layers.items():
        read = spikes.layers[layer]
        assert isinstance(read, SpikeTrains)
        np.testing.assert_array_equal(read.row, trains.row)
        np.testing.assert_array_equal(read.neuron, trains.neuron)
        np.testing.assert_array_equal(read.time, trains.time)
        assert read.row.dtype == read.neuron.dtype == np.int64
    # given counts are kept; the others are one more than the largest index seen
    assert spikes.n_neurons == {"input": 784, "exc": 10, "inh": 0}
    assert read_spike_trains_file(path).n_neurons["input"] == 701
    # the file's arrays, as time_binned and the notebooks have always read them
    with np.load(path) as archive:
        assert set(archive.files) == {
            "image_index",
            "labels",
            "presentation_s",
            "rest_s",
            *(
                f"{layer}_{name}"
                for layer in layers
                for name in ("presentation", "neuron", "time_s")
            ),
        }


def test_learned_state_assignments_and_predictions_round_trip(tmp_path):
    folder = RunFolder(tmp_path / "run")
    state = {"input_to_exc.w": np.arange(6.0).reshape(3, 2), "exc.theta": np.array([0.01, 0.02])}
    folder.write_state(state)
    saved = folder.read_state(required=("input_to_exc.w", "exc.theta"))
    assert set(saved) == set(state)
    for name, value in state.items():
        np.testing.assert_array_equal(saved[name], value)
    with pytest.raises(ValueError, match="missing array"):
        folder.read_state(required=("inh.v",))
    assert not folder.has_assignments()
    folder.write_assignments(np.array([2, -1, 0]))
    assert folder.has_assignments()
    np.testing.assert_array_equal(folder.read_assignments(), [2, -1, 0])
    folder.write_predictions(np.array([1, 2]), np.array([1, 0]))
    predicted, true = folder.read_predictions()
    np.testing.assert_array_equal(predicted, [1, 2])
    np.testing.assert_array_equal(true, [1, 0])


def test_confusion_matrix_round_trip_and_format(tmp_path):
    folder = RunFolder(tmp_path / "run")
    assert folder.read_confusion_matrix() is None
    matrix = np.array([[5, 1, 0], [0, 3, 2], [1, 0, 4]])
    folder.write_confusion_matrix(matrix)
    assert folder.confusion_matrix_path.read_text() == (
        "true\\predicted,0,1,2\n0,5,1,0\n1,0,3,2\n2,1,0,4\n"
    )
    np.testing.assert_array_equal(folder.read_confusion_matrix(), matrix)
    folder.confusion_matrix_path.write_text("true\\predicted,0,1\n0,1,2\n")  # 1 x 2
    assert folder.read_confusion_matrix() is None


def test_metrics_config_and_sweep_point(tmp_path):
    folder = RunFolder(tmp_path / "run")
    assert folder.read_metrics(missing_ok=True) == {}
    assert folder.read_config(missing_ok=True) == {}
    with pytest.raises(FileNotFoundError):
        folder.read_metrics()
    folder.update_metrics({"seed": 3, "train": {"n_images": 10}})
    merged = folder.update_metrics({"train": {"wall_time_s": 1.5}, "test": {"accuracy": 0.5}})
    expected = {
        "seed": 3,
        "train": {"n_images": 10, "wall_time_s": 1.5},
        "test": {"accuracy": 0.5},
    }
    assert merged == expected and folder.read_metrics() == expected
    assert folder.metrics_path.read_text() == json.dumps(expected, indent=2, sort_keys=True)
    folder.write_config('[data]\ndataset = "mnist"\n')
    assert folder.has_config() and folder.read_config() == {"data": {"dataset": "mnist"}}
    assert folder.read_sweep_point() is None and not folder.has_sweep_point()
    folder.write_sweep_point({"accuracy": 0.5})
    assert folder.has_sweep_point() and folder.read_sweep_point() == {"accuracy": 0.5}
    folder.analysis_dir.mkdir()
    folder.analysis_path(AnalysisFiles.NEURONS_JSON).write_text('{"neurons": []}')
    assert folder.read_analysis_json(AnalysisFiles.NEURONS_JSON) == {"neurons": []}
    # nothing half-written is left next to the files
    assert not [path for path in folder.path.rglob(".*")]
