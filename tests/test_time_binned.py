"""Time-binned information on hand-made spike trains with known answers."""

import math

import numpy as np
import pytest

from diehl_cook.analysis.time_binned import (
    RecordedSpikes,
    load_recorded_spikes,
    time_binned_information,
)
from diehl_cook.simulation import SpikeTrains

BIN_S = 0.005
PRESENTATION_S, REST_S = 0.35, 0.15
N_BINS = 70


def _copy_with_delay(seed=0, n_presentations=30):
    """Input 0 spikes in random bins; output 0 copies it 5 ms later; output 1 is silent.

    Input 1 spikes in every bin (constant).  Spikes sit in the middle of their bins.
    """
    rng = np.random.default_rng(seed)
    bins = rng.random((n_presentations, N_BINS)) < 0.2
    presentation, bin_index = np.nonzero(bins)
    times = (bin_index + 0.5) * BIN_S
    every_p, every_bin = np.nonzero(np.ones((n_presentations, N_BINS), dtype=bool))
    layers = {
        "input": SpikeTrains(
            np.concatenate([presentation, every_p]),
            np.concatenate([np.zeros(len(times), int), np.ones(len(every_p), int)]),
            np.concatenate([times, (every_bin + 0.5) * BIN_S]),
        ),
        "exc": SpikeTrains(presentation, np.zeros(len(times), int), times + BIN_S),
        "inh": SpikeTrains(np.empty(0, int), np.empty(0, int), np.empty(0)),
    }
    spikes = RecordedSpikes(
        image_index=np.arange(n_presentations),
        labels=np.zeros(n_presentations, int),
        presentation_s=PRESENTATION_S,
        rest_s=REST_S,
        layers=layers,
        n_neurons={"input": 2, "exc": 2, "inh": 2},
    )
    return spikes, bins


def _binary_entropy_bits(p):
    return 0.0 if p in (0.0, 1.0) else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def test_a_delayed_copy_carries_its_entropy_at_the_right_lag_only():
    spikes, bins = _copy_with_delay()
    rows = time_binned_information(spikes, bin_s=BIN_S, lags_s=[0.0, BIN_S])
    at_zero, at_lag = rows
    assert at_lag["n_samples"] == at_zero["n_samples"] == 30 * N_BINS
    # at the 5 ms lag, output 0 is input 0: I = H(input 0); the constant input gives 0
    assert at_lag["max_mi_bits"] == pytest.approx(_binary_entropy_bits(bins.mean()), rel=1e-12)
    assert at_lag["n_outputs_significant"] == 1 and at_lag["n_pairs_significant"] == 1
    assert at_lag["n_outputs_spiking"] == 1 and at_lag["n_outputs_mi_positive"] == 1
    # at lag 0 output 0 is input 0 one bin earlier: independent draws, much less information
    assert at_zero["max_mi_bits"] < 0.01 * at_lag["max_mi_bits"]


def test_output_spikes_in_the_rest_count_with_a_lag_but_never_in_the_next_presentation():
    spikes, bins = _copy_with_delay(n_presentations=2)
    # output 1 spikes 2 ms after the presentation window ends, in both presentations
    exc = spikes.layers["exc"]
    spikes.layers["exc"] = SpikeTrains(
        np.append(exc.row, [0, 1]),
        np.append(exc.neuron, [1, 1]),
        np.append(exc.time, [PRESENTATION_S + 0.002] * 2),
    )
    no_lag, with_lag = time_binned_information(spikes, bin_s=BIN_S, lags_s=[0.0, BIN_S])
    assert no_lag["n_outputs_spiking"] == 1  # 352 ms is outside the window without a lag
    assert with_lag["n_outputs_spiking"] == 2  # the last bin, shifted by 5 ms, holds it


def test_bad_bins_and_lags_are_rejected():
    spikes, _ = _copy_with_delay(n_presentations=2)
    with pytest.raises(ValueError, match="positive"):
        time_binned_information(spikes, bin_s=0.0)
    with pytest.raises(ValueError, match="longer than the presentation"):
        time_binned_information(spikes, bin_s=0.5)
    with pytest.raises(ValueError, match="rest period"):
        time_binned_information(spikes, lags_s=[-0.001])
    with pytest.raises(ValueError, match="rest period"):
        time_binned_information(spikes, lags_s=[0.2])


def test_loading_names_the_file_and_the_missing_arrays(tmp_path):
    with pytest.raises(FileNotFoundError, match="record_spike_times"):
        load_recorded_spikes(tmp_path / "none.npz")
    path = tmp_path / "broken.npz"
    np.savez(path, image_index=np.arange(2), labels=np.zeros(2), presentation_s=0.35, rest_s=0.15)
    with pytest.raises(ValueError, match="broken.npz: missing arrays input_presentation"):
        load_recorded_spikes(path)


def test_the_old_module_is_a_deprecated_alias():
    import importlib
    import sys

    sys.modules.pop("diehl_cook.time_binned", None)
    with pytest.warns(DeprecationWarning, match="diehl_cook.analysis.time_binned"):
        old = importlib.import_module("diehl_cook.time_binned")
    assert old.time_binned_information is time_binned_information
    assert old.load_recorded_spikes is load_recorded_spikes
    assert old.RecordedSpikes is RecordedSpikes
