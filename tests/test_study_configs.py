"""The study's configs (study_mnist, study_fashion_mnist, study_cifar10): the protocol as it
was run, expressed as configuration (capozzi-study-as-run.md, section 2)."""

import pytest

from diehl_cook.config import load_config
from diehl_cook.experiment import Experiment
from diehl_cook.model import load_variant
from diehl_cook.model.builder import variant_normalisation_target, variant_rate_per_pixel
from diehl_cook.simulation import input_rates

STUDY_CONFIGS = {
    "study_mnist": ("mnist", 78.4),
    "study_fashion_mnist": ("fashion_mnist", 78.4),
    "study_cifar10": ("cifar10", 102.4),
}


@pytest.mark.parametrize("name", sorted(STUDY_CONFIGS))
def test_study_config_is_the_protocol_as_run(name):
    dataset, target = STUDY_CONFIGS[name]
    config, _ = load_config(name)
    experiment = Experiment.from_config(config)
    assert config["model"]["variant"] == "capozzi_study"
    assert config["model"]["n_exc"] == 100
    assert config["data"]["dataset"] == dataset
    assert config["data"]["n_train"] == config["data"]["n_label"] == 0  # all, labels: train
    assert config["simulation"]["epochs"] == 1
    timing = experiment.protocol.timing
    assert (timing.dt, timing.presentation, timing.rest) == pytest.approx((1e-3, 0.25, 0.0))
    assert timing.steps_per_slot == timing.steps_per_presentation == 250
    settings = experiment.protocol.settings
    assert settings.min_spikes == 0  # every presentation is accepted: no retry
    variant = load_variant(config["model"]["variant"])
    white = input_rates([255], settings.intensity_start, variant_rate_per_pixel(variant))
    assert white[0] == pytest.approx(128.0)  # pixel / 255 x 128 Hz
    effective = settings.normalisation_target or variant_normalisation_target(variant)
    assert effective == pytest.approx(target)
    # the first 5 test images of every class are recorded (the last is test image 134)
    assert config["output"]["record_spike_times"] >= 135
