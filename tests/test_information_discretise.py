"""Tests of diehl_cook.information.discretise: time bins, presentation windows, spiked."""

import numpy as np
import pytest
import scipy.sparse

from diehl_cook.information.discretise import bin_spike_times, count_spikes_in_windows, spiked

# ---------------------------------------------------------------------------
# Discretisation helpers
# ---------------------------------------------------------------------------


def test_bin_spike_times_assignments():
    spike_indices = np.array([0, 1, 1, 2, 0, 0, 2, 1, 2])
    spike_times = np.array([0.0, 0.004, 0.005, 3 * 0.005, 0.0149, 0.0151, 0.02, -0.001, 0.0199])
    counts = bin_spike_times(
        spike_indices, spike_times, 3, t_start=0.0, t_stop=0.02, bin_size=0.005, binary=False
    )
    assert scipy.sparse.issparse(counts) and counts.format == "csr"
    assert counts.shape == (4, 3)
    assert counts.toarray().tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0], [1, 0, 2]]
    binary = bin_spike_times(spike_indices, spike_times, 3, 0.0, 0.02, 0.005)
    assert binary.dtype == bool
    assert binary.toarray().tolist() == (counts.toarray() > 0).tolist()


def test_bin_spike_times_lag_shifts_output_window():
    spike_indices = np.array([0, 0, 0])
    spike_times = np.array([0.001, 0.0035, 0.0095])
    unlagged = bin_spike_times(spike_indices, spike_times, 1, 0.0, 0.01, 0.002, binary=False)
    lagged = bin_spike_times(
        spike_indices, spike_times, 1, 0.0, 0.01, 0.002, lag=0.002, binary=False
    )
    assert unlagged.toarray()[:, 0].tolist() == [1, 1, 0, 0, 1]
    # Bin k of the lagged matrix covers [0.002 + 0.002 k, 0.004 + 0.002 k).
    assert lagged.toarray()[:, 0].tolist() == [1, 0, 0, 1, 0]


def test_count_spikes_in_windows_and_spiked():
    spike_indices = [0, 0, 1, 1, 0, 2]
    spike_times = [0.0, 0.349, 0.35, 0.5, 0.85, 1.2]
    counts = count_spikes_in_windows(spike_indices, spike_times, 3, [0.0, 0.5, 1.0], 0.35)
    assert counts.tolist() == [[2, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert spiked(counts).tolist() == (counts > 0).tolist()
    sparse_spiked = spiked(scipy.sparse.csr_array(counts))
    assert scipy.sparse.issparse(sparse_spiked)
    assert sparse_spiked.toarray().tolist() == (counts > 0).tolist()


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bin_spike_times([0], [0.1], 1, 0.0, 1.0, 0.0), "bin_size must be positive"),
        (lambda: bin_spike_times([0], [0.1], 1, 1.0, 1.0, 0.1), "t_stop must be greater"),
        (lambda: bin_spike_times([0, 1], [0.1], 2, 0.0, 1.0, 0.1), "same number of samples"),
        (lambda: bin_spike_times([3], [0.1], 2, 0.0, 1.0, 0.1), "spike_indices must lie"),
        (lambda: bin_spike_times([0], [0.1], 1, 0.0, 0.05, 0.1), "shorter than one bin"),
        (lambda: count_spikes_in_windows([0], [0.1], 1, [0.0, 0.2], 0.35), "non-overlapping"),
        (lambda: spiked([[1, -1]]), "counts must be non-negative"),
    ],
)
def test_invalid_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()
