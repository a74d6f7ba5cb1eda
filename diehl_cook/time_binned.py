r"""Time-binned information between input and output spikes, from recorded spike times.

The run folder's ``records/test_spike_trains.npz`` (written by ``evaluate`` for the first
``output.record_spike_times`` test images) holds the spike times of the input, excitatory
and inhibitory layers.  Here one sample is one time bin of width :math:`\Delta` inside a
presentation (sample definition (a) of :mod:`diehl_cook.information`):

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

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .information import (
    benjamini_hochberg,
    count_spikes_in_windows,
    mutual_information_matrix,
    permutation_pvalues,
)

__all__ = ["RecordedSpikes", "load_recorded_spikes", "time_binned_information"]


@dataclass
class RecordedSpikes:
    """Spike times of the recorded test presentations (all times in seconds).

    Attributes
    ----------
    image_index : (n_presentations,) int64
        Test image shown in each recorded presentation.
    labels : (n_presentations,) int64
        Its class.
    presentation_s, rest_s : float
        Durations of the presentation window and of the rest that follows it.
    layers : dict
        ``{layer: (presentation, neuron, time_s)}`` arrays for ``input``, ``exc`` and
        ``inh``; ``time_s`` is measured from the presentation onset.
    n_neurons : dict
        ``{layer: number of neurons}``, when known (from the counts of the run).
    """

    image_index: np.ndarray
    labels: np.ndarray
    presentation_s: float
    rest_s: float
    layers: dict
    n_neurons: dict

    @property
    def n_presentations(self):
        """Number of recorded presentations."""
        return len(self.image_index)


def load_recorded_spikes(path, n_neurons=None):
    """Read ``test_spike_trains.npz``.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (``<run_dir>/records/test_spike_trains.npz``).
    n_neurons : dict, optional
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
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no recorded spike times (see output.record_spike_times)")
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    layers = {}
    for layer in ("input", "exc", "inh"):
        names = [f"{layer}_presentation", f"{layer}_neuron", f"{layer}_time_s"]
        missing = [name for name in names if name not in arrays]
        if missing:
            raise ValueError(f"{path}: missing arrays {', '.join(missing)}")
        presentation, neuron, time_s = (arrays[name] for name in names)
        if not len(presentation) == len(neuron) == len(time_s):
            raise ValueError(f"{path}: the {layer} arrays differ in length")
        layers[layer] = (presentation.astype(np.int64), neuron.astype(np.int64), time_s)
    counts = dict(n_neurons or {})
    for layer, (_, neuron, _) in layers.items():
        counts.setdefault(layer, int(neuron.max(initial=-1)) + 1)
    return RecordedSpikes(
        image_index=arrays["image_index"].astype(np.int64),
        labels=arrays["labels"].astype(np.int64),
        presentation_s=float(arrays["presentation_s"]),
        rest_s=float(arrays["rest_s"]),
        layers=layers,
        n_neurons=counts,
    )


def _binned(spikes, layer, bin_s, n_bins, lag_s):
    """(n_presentations * n_bins, n_neurons) bool: spiked in each (presentation, bin)."""
    presentation, neuron, time_s = spikes.layers[layer]
    slot = spikes.presentation_s + spikes.rest_s
    # lay the presentations end to end on one time axis, one slot each
    absolute = presentation * slot + time_s
    starts = (
        np.arange(spikes.n_presentations)[:, None] * slot + np.arange(n_bins)[None, :] * bin_s
    ).ravel() + lag_s
    counts = count_spikes_in_windows(neuron, absolute, spikes.n_neurons[layer], starts, bin_s)
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
