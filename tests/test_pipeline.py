"""The pipeline's wiring of encodings, parameter overrides and learning diagnostics.

Tiny runs: runtime engine with numpy code generation (no compiler), 8 neurons, 6 MNIST images
per phase.  They check what is written and read back, not accuracy.
"""

import json

import numpy as np
import pytest

from diehl_cook.analysis import analyze_run
from diehl_cook.config import load_config
from diehl_cook.encodings import load_encoding
from diehl_cook.errors import ConfigError, ParameterError
from diehl_cook.labelling import (
    accuracy,
    class_proportions,
    interval_assignments,
    predict,
)
from diehl_cook.model import load_parameters, load_variant, shipped_equations_dir
from diehl_cook.pipeline import run
from diehl_cook.run_folder import RunFolder

pytestmark = pytest.mark.data

TINY = [
    "model.n_exc=8",
    "data.n_train=6",
    "data.n_label=6",
    "data.n_test=6",
    "simulation.chunk_slots=8",
    "output.record_spike_times=0",
]


def _tiny_run(tmp_path, name, *extra):
    config, source = load_config(
        "smoke", [*TINY, f"output.runs_dir={tmp_path}", f"output.name={name}", *extra]
    )
    return run(config, source)


@pytest.mark.slow
def test_on_off_run_has_two_inputs_per_pixel_and_one_calibrated_gain(tmp_path):
    run_dir, metrics = _tiny_run(
        tmp_path, "on_off", "data.encoding=on_off", "protocol.normalisation_target=15.6"
    )
    folder = RunFolder(run_dir)
    weights = folder.read_state()["input_to_exc.w"]
    assert weights.shape == (2 * 784, 8)
    saved = folder.read_encoding()
    assert saved["kind"] == "on_off"
    gain = saved["parameters"]["gain"]
    assert isinstance(gain, float) and gain > 0
    # the gain was fixed on the 6 training images: their mean ON+OFF drive equals their
    # mean pixel sum
    assert saved["calibration"]["n_images"] == 6
    assert saved["calibration"]["mean_drive"] == pytest.approx(
        saved["calibration"]["target_mean_drive"], rel=1e-9
    )
    # the test pass used the same 1568 inputs
    assert folder.read_phase_records("test")["input_counts"].shape == (6, 1568)
    assert metrics["test"]["n_images"] == 6


@pytest.mark.slow
def test_plain_run_records_784_inputs_and_learning_counts(tmp_path):
    run_dir, metrics = _tiny_run(
        tmp_path, "plain", "output.study_label_interval=2", "output.study_test_images=4"
    )
    # the study's scoring: labels from the training records at steps 2 and 4, first 4 tests
    folder = RunFolder(run_dir)
    train, test = folder.read_phase_records("train"), folder.read_phase_records("test")
    assignments = interval_assignments(train["exc_counts"], train["labels"], 10, interval=2)
    scored = predict(test["exc_counts"][:4], assignments, 10)
    assert metrics["test"]["study_labelling"]["accuracy"] == accuracy(test["labels"][:4], scored)
    assert metrics["test"]["study_labelling"]["n_images"] == 4
    # the proportion-weighted readout: the labels of assignments.npz, shares of label.npz
    label = folder.read_phase_records("label")
    weighted = predict(
        test["exc_counts"],
        folder.read_assignments(),
        10,
        class_proportions(label["exc_counts"], label["labels"], 10),
    )
    assert metrics["test"]["accuracy_proportion_weighting"] == accuracy(test["labels"], weighted)
    learning = metrics["learning"]
    assert learning["n_exc"] == 8
    assert learning["n_presentations"] == 6
    # with 6 images, at most 6 neurons can have won (ties credit every tied neuron)
    assert 8 - learning["n_never_won"] <= 6 + learning["n_tied_presentations"] * 8
    assert 0 <= learning["n_unlearned"] <= 8
    assert RunFolder(run_dir).read_encoding() is None  # plain needs no calibration file
    outputs = {path.name for path in analyze_run(run_dir, n_permutations=5)}
    assert {"learning.json", "learning.csv", "wins.png"} <= outputs
    document = json.loads((RunFolder(run_dir).analysis_dir / "learning.json").read_text())
    per_neuron = document["neurons"]
    train_counts = RunFolder(run_dir).read_phase_records("train")["exc_counts"]
    assert [row["training_spikes"] for row in per_neuron] == train_counts.sum(axis=0).tolist()


@pytest.mark.slow
def test_a_second_epoch_continues_from_the_first_and_is_counted(tmp_path):
    one_dir, one = _tiny_run(tmp_path, "one_epoch", "data.n_train=3")
    two_dir, two = _tiny_run(tmp_path, "two_epochs", "data.n_train=3", "simulation.epochs=2")
    # the first epoch of both runs is the same phase (same seed, same start), so the
    # second run's extra slots are its second epoch's: at least one per image
    assert two["train"]["n_images"] == 6 and one["train"]["n_images"] == 3
    assert two["train"]["n_slots"] - one["train"]["n_slots"] >= 3
    # the saved training records are the last epoch's, one row per image
    assert RunFolder(two_dir).read_phase_records("train")["exc_counts"].shape == (3, 8)
    one_w = RunFolder(one_dir).read_state()["input_to_exc.w"]
    two_w = RunFolder(two_dir).read_state()["input_to_exc.w"]
    assert one_w.shape == two_w.shape and not np.allclose(one_w, two_w)


def test_parameter_override_reaches_the_network(tmp_path):
    config, _ = load_config("smoke", ["model.parameters.exc.theta_plus=0.2 mV"])
    assert config["model"]["parameters"] == {"exc.theta_plus": "0.2 mV"}
    variant = load_variant("diehl_cook_2015", parameter_overrides=config["model"]["parameters"])
    assert float(variant.parameters()["exc"].namespace["theta_plus"]) == pytest.approx(2e-4)
    # the file itself is unchanged
    original = load_parameters(shipped_equations_dir() / "diehl_cook_2015.params.toml")
    assert float(original["exc"].namespace["theta_plus"]) == pytest.approx(5e-5)


def test_misspelt_parameter_override_names_the_entry():
    with pytest.raises(ParameterError, match="exc.theta_pluss"):
        load_variant("diehl_cook_2015", parameter_overrides={"exc.theta_pluss": "1 mV"})
    with pytest.raises(ParameterError, match="0.1 mV|'<number> <unit>'"):
        load_variant("diehl_cook_2015", parameter_overrides={"exc.theta_plus": True})


@pytest.mark.slow
def test_unknown_encoding_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="data.encoding"):
        _tiny_run(tmp_path, "bad", "data.encoding=no_such_encoding")


def test_shipped_encodings_load():
    assert load_encoding("on_off_contrast").parameters["contrast_normalise"] is True
    assert load_encoding("on_off").parameters["contrast_normalise"] is False
