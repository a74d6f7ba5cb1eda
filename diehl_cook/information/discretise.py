"""Discretisation of spike records into discrete variables (sample matrices).

* :func:`bin_spike_times`: one sample per time bin, sample definition (a) in
  :mod:`diehl_cook.information`; binary or count entries, optional lag.
* :func:`count_spikes_in_windows`: spike counts per window (stimulus
  presentation), sample definition (b).
* :func:`spiked`: counts to "spiked at least once" variables.

All times are in seconds. Brian2 spike monitors are read through their plain
arrays (``SpikeMonitor.i`` and ``SpikeMonitor.t_``); this module does not
import Brian2.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike

from ._validation import _check_same_length

__all__ = ["spiked", "bin_spike_times", "count_spikes_in_windows"]


#: A spike time closer than this many bin widths below a bin edge is assigned to
#: the bin that starts at that edge (guards against ``0.015 / 0.005 = 2.9999...``).
_EDGE_TOLERANCE = 1e-9


def spiked(counts):
    """Binary "spiked at least once" variables from spike counts.

    Sample definition (b) of the package notes (:mod:`diehl_cook.information`): one
    sample is one presentation (or window), the variable is whether the neuron
    fired during it.

    Parameters
    ----------
    counts : (n_presentations, n_neurons) array_like or scipy.sparse matrix
        Non-negative spike counts.

    Returns
    -------
    numpy.ndarray of bool or scipy.sparse.csr_array of bool
        ``counts > 0``, sparse if ``counts`` is sparse.

    Raises
    ------
    ValueError
        If ``counts`` contains NaN or negative values.

    Examples
    --------
    >>> spiked([[0, 3], [1, 0]]).tolist()
    [[False, True], [True, False]]
    """
    if scipy.sparse.issparse(counts):
        values = np.asarray(counts.data)
    else:
        counts = np.asarray(counts)
        values = counts
    if values.dtype.kind == "f" and np.isnan(values).any():
        raise ValueError("counts contains NaN")
    if values.dtype.kind not in "biuf":
        raise ValueError(f"counts must be numeric, got dtype {values.dtype}")
    if (values < 0).any():
        raise ValueError("counts must be non-negative")
    if scipy.sparse.issparse(counts):
        binary = scipy.sparse.csr_array(counts, copy=True)
        binary.data = np.asarray(binary.data) > 0
        binary.eliminate_zeros()
        return binary
    return counts > 0


def _check_spike_record(
    spike_indices: ArrayLike, spike_times: ArrayLike, n_neurons: int
) -> tuple[np.ndarray, np.ndarray]:
    indices = np.asarray(spike_indices)
    times = np.asarray(spike_times, dtype=np.float64)
    if indices.ndim != 1 or times.ndim != 1:
        raise ValueError("spike_indices and spike_times must be 1-D arrays")
    _check_same_length(indices.size, times.size, "spike_indices", "spike_times")
    if isinstance(n_neurons, bool) or not isinstance(n_neurons, numbers.Integral) or n_neurons < 1:
        raise ValueError(f"n_neurons must be a positive integer, got {n_neurons!r}")
    if indices.size:
        if indices.dtype.kind == "f":
            if not np.isfinite(indices).all() or (indices != np.floor(indices)).any():
                raise ValueError("spike_indices must be integers")
        elif indices.dtype.kind not in "iu":
            raise ValueError(f"spike_indices must be integers, got dtype {indices.dtype}")
        if indices.min() < 0 or indices.max() >= n_neurons:
            raise ValueError(f"spike_indices must lie in [0, n_neurons) = [0, {n_neurons})")
        if not np.isfinite(times).all():
            raise ValueError("spike_times must be finite")
    return indices.astype(np.int64), times


def _check_time(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        value = float(np.asarray(value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def bin_spike_times(
    spike_indices: ArrayLike,
    spike_times: ArrayLike,
    n_neurons: int,
    t_start: float,
    t_stop: float,
    bin_size: float,
    lag: float = 0.0,
    binary: bool = True,
) -> scipy.sparse.csr_array:
    r"""Bin a spike record into an (n_bins, n_neurons) sparse sample matrix.

    Sample definition (a) of the package notes (:mod:`diehl_cook.information`): one
    sample is one time bin.

    Parameters
    ----------
    spike_indices : (n_spikes,) array_like of int
        Neuron index of each spike (e.g. ``SpikeMonitor.i``), in
        ``[0, n_neurons)``.
    spike_times : (n_spikes,) array_like of float
        Time of each spike in seconds (e.g. ``SpikeMonitor.t_``; a Brian2
        quantity is read in its base unit, seconds). Any order.
    n_neurons : int
        Number of neurons (columns).
    t_start, t_stop : float
        Analysis window in seconds, ``t_stop > t_start``.
    bin_size : float
        Bin width in seconds. ``n_bins = floor((t_stop - t_start) / bin_size)``
        (with a 1e-9 tolerance); a trailing partial bin is dropped.
    lag : float, optional
        Shift of the whole window in seconds: bin ``k`` covers
        ``[t_start + lag + k * bin_size, t_start + lag + (k + 1) * bin_size)``.
        To pair input bin ``t`` with output bin ``t + lag``, bin the inputs
        with ``lag=0`` and the outputs with ``lag`` (the same ``t_start``,
        ``t_stop`` and ``bin_size``). Default: 0.0.
    binary : bool, optional
        ``True``: bool entries, "at least one spike in the bin"; ``False``:
        int64 spike counts. Default: True.

    Returns
    -------
    (n_bins, n_neurons) scipy.sparse.csr_array
        Sample matrix; row ``k`` is bin ``k``.

    Raises
    ------
    ValueError
        For mismatched or invalid spike arrays, neuron indices out of range,
        ``bin_size <= 0``, ``t_stop <= t_start``, non-finite times, or a
        window shorter than one bin.

    Notes
    -----
    Bins are half-open, :math:`[t_0 + k \Delta, t_0 + (k + 1) \Delta)` with
    :math:`t_0 = t_{start} + lag`; spikes outside
    :math:`[t_0, t_0 + n_{bins} \Delta)` are dropped. A spike time within
    ``1e-9 * bin_size`` below a bin edge is assigned to the bin that starts at
    that edge, so that floating-point times such as ``3 * 0.005`` land in the
    intended bin. At low rates bins give small entropies: an input at 63.75 Hz
    in 1 ms bins has p = 0.064, H = 0.34 bits (reference notes, section 4.4).

    Examples
    --------
    >>> matrix = bin_spike_times([0, 1, 1], [0.0005, 0.0012, 0.0018], 2, 0.0, 0.003, 0.001)
    >>> matrix.toarray().astype(int).tolist()
    [[1, 0], [0, 1], [0, 0]]
    """
    indices, times = _check_spike_record(spike_indices, spike_times, n_neurons)
    t_start = _check_time(t_start, "t_start")
    t_stop = _check_time(t_stop, "t_stop")
    bin_size = _check_time(bin_size, "bin_size")
    lag = _check_time(lag, "lag")
    if bin_size <= 0.0:
        raise ValueError(f"bin_size must be positive, got {bin_size!r}")
    if t_stop <= t_start:
        raise ValueError(f"t_stop must be greater than t_start, got {t_start!r} and {t_stop!r}")
    n_bins = int(math.floor((t_stop - t_start) / bin_size + _EDGE_TOLERANCE))
    if n_bins < 1:
        raise ValueError("the window [t_start, t_stop) is shorter than one bin_size")
    positions = (times - (t_start + lag)) / bin_size
    bins = np.floor(positions + _EDGE_TOLERANCE).astype(np.int64)
    kept = (bins >= 0) & (bins < n_bins)
    counts = scipy.sparse.csr_array(
        (np.ones(int(kept.sum()), dtype=np.int64), (bins[kept], indices[kept])),
        shape=(n_bins, int(n_neurons)),
    )
    counts.sum_duplicates()
    if binary:
        counts.data = np.asarray(counts.data) > 0
    return counts


def count_spikes_in_windows(
    spike_indices: ArrayLike,
    spike_times: ArrayLike,
    n_neurons: int,
    window_starts: ArrayLike,
    window_duration: float,
) -> np.ndarray:
    """Spike counts of each neuron in each window (e.g. each stimulus presentation).

    Sample definition (b) of the package notes (:mod:`diehl_cook.information`): one
    sample is one window. In Diehl & Cook's protocol a presentation lasts
    350 ms followed by 150 ms of rest; pass the presentation onsets and
    ``window_duration=0.35`` to leave the rest periods out.

    Parameters
    ----------
    spike_indices : (n_spikes,) array_like of int
        Neuron index of each spike, in ``[0, n_neurons)``.
    spike_times : (n_spikes,) array_like of float
        Spike times in seconds, any order.
    n_neurons : int
        Number of neurons (columns).
    window_starts : (n_windows,) array_like of float
        Window onsets in seconds, increasing, windows not overlapping.
    window_duration : float
        Length of every window in seconds; windows are half-open
        ``[start, start + window_duration)``.

    Returns
    -------
    (n_windows, n_neurons) numpy.ndarray of int64
        Spike counts. Use :func:`spiked` for binary variables.

    Raises
    ------
    ValueError
        For invalid spike arrays, ``window_duration <= 0``, or windows that are
        not increasing or that overlap.

    Notes
    -----
    As in :func:`bin_spike_times`, a spike within ``1e-9 * window_duration``
    below a window edge counts as on the edge.

    Examples
    --------
    >>> count_spikes_in_windows([0, 0, 1], [0.1, 0.2, 0.6], 2, [0.0, 0.5], 0.35).tolist()
    [[2, 0], [0, 1]]
    """
    indices, times = _check_spike_record(spike_indices, spike_times, n_neurons)
    starts = np.asarray(window_starts, dtype=np.float64)
    window_duration = _check_time(window_duration, "window_duration")
    if starts.ndim != 1 or starts.size == 0:
        raise ValueError("window_starts must be a non-empty 1-D array")
    if not np.isfinite(starts).all():
        raise ValueError("window_starts must be finite")
    if window_duration <= 0.0:
        raise ValueError(f"window_duration must be positive, got {window_duration!r}")
    if (np.diff(starts) < window_duration * (1.0 - _EDGE_TOLERANCE)).any():
        raise ValueError("window_starts must be increasing with non-overlapping windows")
    tolerance = _EDGE_TOLERANCE * window_duration
    window = np.searchsorted(starts, times + tolerance, side="right") - 1
    valid = window >= 0
    window_clipped = np.where(valid, window, 0)
    offset = (times - starts[window_clipped]) / window_duration
    kept = valid & (np.floor(offset + _EDGE_TOLERANCE) == 0)
    counts = np.zeros((starts.size, int(n_neurons)), dtype=np.int64)
    np.add.at(counts, (window[kept], indices[kept]), 1)
    return counts
