r"""Time-binned information between input and output spikes, from recorded spike times.

The run folder's ``records/test_spike_trains.npz`` (written by ``evaluate`` for the first
``output.record_spike_times`` test images; format in :mod:`diehl_cook.run_folder`) holds
the spike times of the input, excitatory and inhibitory layers.  Here one sample is one
time bin of width :math:`\Delta` inside a presentation (sample definition (a) of
:mod:`diehl_cook.information`):

* :math:`X_i(p, k)` = "input ``i`` spiked in bin ``k`` of presentation ``p``", bins
  :math:`[k\Delta, (k+1)\Delta)` from the presentation onset, covering the presentation
  window;
* :math:`Y_j(p, k)` = "output ``j`` spiked in :math:`[k\Delta + \ell, (k+1)\Delta + \ell)`",
  the same bin shifted by the lag :math:`\ell \ge 0` (input→output delay).

Windows never cross into the next presentation: with a lag the output bins may reach into
the 150 ms rest of the same slot, which is part of the recording.

Per lag, :func:`time_binned_information` gives the plug-in MI of every input-output pair,
exact permutation p-values (hypergeometric, binary variables), and BH-FDR over all pairs.
The permutation null treats bins as exchangeable; bins of one presentation share its image,
so a significant pair means "co-varies at this lag across bins and images", not a direct
synaptic effect.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from ..information import (
    benjamini_hochberg,
    count_spikes_in_windows,
    mutual_information_matrix,
    permutation_pvalues,
)
from ..run_folder import RecordedSpikes, read_spike_trains_file

__all__ = ["RecordedSpikes", "load_recorded_spikes", "time_binned_information"]


def load_recorded_spikes(
    path: str | os.PathLike, n_neurons: Mapping[str, int] | None = None
) -> RecordedSpikes:
    """Read ``test_spike_trains.npz``.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``<run_dir>/records/test_spike_trains.npz``, which is
        :attr:`diehl_cook.run_folder.RunFolder.spike_trains_path`).
    n_neurons : mapping of str to int, optional
        ``{layer: count}``; default: one more than the largest index seen in each layer.

    Returns
    -------
    RecordedSpikes

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a layer's arrays are missing or disagree in length.

    See Also
    --------
    diehl_cook.run_folder.RunFolder.read_spike_trains : the same, given the run folder.
    """
    return read_spike_trains_file(path, n_neurons)


def _binned(spikes, layer, bin_s, n_bins, lag_s):
    """(n_presentations * n_bins, n_neurons) bool: spiked in each (presentation, bin)."""
    trains = spikes.layers[layer]
    slot = spikes.presentation_s + spikes.rest_s
    # lay the presentations end to end on one time axis, one slot each
    absolute = trains.row * slot + trains.time
    starts = (
        np.arange(spikes.n_presentations)[:, None] * slot + np.arange(n_bins)[None, :] * bin_s
    ).ravel() + lag_s
    counts = count_spikes_in_windows(
        trains.neuron, absolute, spikes.n_neurons[layer], starts, bin_s
    )
    return counts > 0


def time_binned_information(spikes, bin_s=0.005, lags_s=(0.0, 0.005, 0.01, 0.02), alpha=0.05):
    """Plug-in MI and its significance between input and excitatory spikes per time bin.

    Parameters
    ----------
    spikes : RecordedSpikes
    bin_s : float, optional
        Bin width (s).  Default: 0.005.
    lags_s : sequence of float, optional
        Input→output lags (s), each >= 0 and at most the rest period.  Default: 0, 5, 10
        and 20 ms.
    alpha : float, optional
        BH-FDR level over all input-output pairs of one lag.  Default: 0.05.

    Returns
    -------
    list of dict
        One row per lag, with ``lag_ms``, ``bin_ms``, ``n_samples`` (bins),
        ``n_outputs_spiking`` (outputs that spiked in at least one bin),
        ``n_outputs_mi_positive`` (outputs with plug-in MI > 0 with at least one input),
        ``n_outputs_significant`` (outputs with at least one BH-significant pair),
        ``n_pairs_significant``, ``mean_mi_bits`` (over all pairs) and
        ``max_mi_bits``.

    Raises
    ------
    ValueError
        For a non-positive bin, a negative lag or one longer than the rest period, or a bin
        longer than the presentation.
    """
    if not bin_s > 0:
        raise ValueError(f"bin width must be positive, got {bin_s!r} s")
    n_bins = int(np.floor(spikes.presentation_s / bin_s + 1e-9))
    if n_bins < 1:
        raise ValueError(
            f"bin width {bin_s} s is longer than the presentation ({spikes.presentation_s} s)"
        )
    rows = []
    inputs = _binned(spikes, "input", bin_s, n_bins, 0.0)
    for lag_s in lags_s:
        if lag_s < 0 or lag_s > spikes.rest_s + 1e-12:
            raise ValueError(
                f"lag {lag_s} s must be between 0 and the rest period ({spikes.rest_s} s)"
            )
        outputs = _binned(spikes, "exc", bin_s, n_bins, float(lag_s))
        information = mutual_information_matrix(inputs, outputs)
        pvalues = permutation_pvalues(inputs, outputs, method="exact")
        significant = benjamini_hochberg(pvalues, alpha=alpha)
        rows.append(
            {
                "lag_ms": 1000 * float(lag_s),
                "bin_ms": 1000 * float(bin_s),
                "n_samples": int(inputs.shape[0]),
                "n_outputs_spiking": int(outputs.any(axis=0).sum()),
                "n_outputs_mi_positive": int((information > 0).any(axis=0).sum()),
                "n_outputs_significant": int(significant.any(axis=0).sum()),
                "n_pairs_significant": int(significant.sum()),
                "mean_mi_bits": float(information.mean()),
                "max_mi_bits": float(information.max()),
            }
        )
    return rows
