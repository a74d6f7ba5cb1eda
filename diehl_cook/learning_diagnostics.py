r"""Did every neuron learn?  Per-neuron training activity and weight-map structure as numbers.

Two kinds of evidence, both per excitatory neuron:

Activity during training
    From the per-presentation excitatory spike counts (an ``(n_presentations, n_exc)``
    integer array such as ``exc_counts`` of the training records):

    * **total spikes** over training;
    * **wins**: the neuron with the most spikes in a presentation wins it.  A presentation in
      which no neuron fired has no winner.  Ties (several neurons share the largest count)
      are decided deterministically by a policy: ``ties="all"`` (default) gives the win to
      *every* tied neuron, ``ties="none"`` to none of them.  ``"all"`` is the default because
      the question is whether a neuron learned: every tied neuron fired as often as the best
      one, so STDP potentiated it as much on that image.  Giving the win to the lowest index
      (what ``argmax`` does) would be deterministic too, but biased against high-index
      neurons; dropping ties (``"none"``) discards exactly the sparse presentations (1-1
      ties) in which weakly driven neurons start to learn.  With ``"all"`` the wins of all
      neurons add up to more than the number of presentations with a winner, by the number
      of extra tied winners;
    * **wins per window** of ``k`` presentations, ``(n_windows, n_exc)``, for a figure of
      wins over training.

Structure of the learned weight map (label-free)
    The criterion is the **spatial autocorrelation** of each neuron's weight map: Moran's I
    with rook (4-neighbour) adjacency on the ``h x w`` grid,

    .. math:: I = \frac{n}{S_0} \frac{\sum_{i \sim j} z_i z_j}{\sum_i z_i^2},

    where :math:`z` is the map minus its mean, the sum runs over ordered pairs of
    4-neighbours, :math:`S_0` is their number and :math:`n` the number of pixels.  For an
    ON/OFF map (``n_channels = 2``) each channel is centred on its own mean and only
    neighbours within a channel count (the two grids are disjoint), so a difference in mean
    weight between the channels is not mistaken for structure.  Reasons for this choice:

    * it needs no labels (unlike the correlation with a class mean image, which fails on
      unassigned neurons) and works on ON/OFF maps;
    * it is invariant to the scale and offset of the map, which the weight normalisation
      (sum of weights = 78) and the initial weight range fix, not learning;
    * it separates i.i.d. noise (the initial weights, :math:`I \approx 0`) from any
      spatially coherent feature (a stroke, blob or edge: :math:`I \gg 0`), and under the
      i.i.d. null its mean and variance are known in closed form, so the "unlearned"
      threshold follows from a chosen false-positive rate, not from a magic number.

    The participation ratio :math:`(\sum w)^2 / (n \sum w^2)` (weight-mass concentration:
    0.75 for U(0, a) noise, lower for a map that concentrates its mass on a stroke) is
    reported beside it, but not used as the criterion because its value for a learned map
    depends on the size of the learned feature and on the weight bounds.

Threshold for "unlearned"
    Under the null hypothesis that a map is i.i.d. Gaussian noise, :math:`I` is a ratio of
    quadratic forms with exact moments (Cliff & Ord 1981, "Spatial processes", for
    regression residuals; here the regressors are the channel means):

    .. math:: E[I] = \frac{n}{S_0} \frac{\operatorname{tr}(MW)}{n-k}, \qquad
              E[I^2] = \left(\frac{n}{S_0}\right)^2
              \frac{\operatorname{tr}(MW)^2 + 2\operatorname{tr}(MWMW)}{(n-k)(n-k+2)},

    with :math:`W` the adjacency matrix, :math:`M` the per-channel centring projection and
    :math:`k` the number of channels.  Both traces reduce to the degrees of the grid
    (:func:`autocorrelation_null`).  A neuron is *unlearned* if
    :math:`I \le E[I] + z_{1-\alpha} \, \mathrm{sd}[I]` (normal approximation, default
    :math:`\alpha = 10^{-3}`), or if its map is constant.  This gives 0.0780 at 28 x 28 and
    0.0683 at 32 x 32 for one channel, 0.0548 and 0.0480 for ON/OFF maps (two channels).
    Checked here by simulation, 10^6 maps of U(0, 1) noise each: 0.104 % (28 x 28) and
    0.106 % (32 x 32) exceed the threshold for one channel, 0.098 % and 0.102 % for two, so
    the normal approximation holds at this tail for non-Gaussian noise too.  The threshold only
    says "distinguishable from noise": a map that is mostly noise with a faint feature counts
    as learned.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

__all__ = [
    "TIE_POLICIES",
    "autocorrelation_null",
    "learning_summary",
    "participation_ratio",
    "spatial_autocorrelation",
    "spikes_per_neuron",
    "unlearned_threshold",
    "winner_mask",
    "wins_per_neuron",
    "wins_per_window",
]

#: How presentations with several neurons sharing the largest spike count are credited.
TIE_POLICIES = ("all", "none")
#: Default false-positive rate of the "unlearned" test for an i.i.d. noise map.
DEFAULT_FALSE_POSITIVE_RATE = 1e-3
#: Presentations processed at a time by the win counters (bounds temporary memory).
_BLOCK_ROWS = 16384
#: A map whose standard deviation is below this fraction of its largest magnitude is constant.
_CONSTANT_MAP_TOLERANCE = 1e-10


# --------------------------------------------------------------------------------------------
# activity during training
# --------------------------------------------------------------------------------------------


def _check_counts(exc_counts):
    counts = np.asarray(exc_counts)
    if counts.ndim != 2:
        raise ValueError(
            f"spike counts must be a 2-D (n_presentations, n_exc) array, got shape {counts.shape}"
        )
    if not np.issubdtype(counts.dtype, np.integer):
        raise ValueError(f"spike counts must be integers, got dtype {counts.dtype}")
    if counts.size and counts.min() < 0:
        raise ValueError("spike counts must be non-negative")
    return counts


def _check_ties(ties):
    if ties not in TIE_POLICIES:
        raise ValueError(f"ties must be one of {TIE_POLICIES}, got {ties!r}")


def _winner_block(counts, ties):
    most = counts.max(axis=1, keepdims=True)
    mask = (counts == most) & (most > 0)
    if ties == "none":
        mask &= mask.sum(axis=1, keepdims=True) == 1
    return mask


def winner_mask(exc_counts: ArrayLike, ties: str = "all") -> np.ndarray:
    """Return which neurons won each presentation.

    Parameters
    ----------
    exc_counts : (n_presentations, n_exc) array_like of int
        Excitatory spike counts per presentation (spikes).
    ties : {'all', 'none'}
        Credit of a presentation in which several neurons share the largest count: every one
        of them (``'all'``) or none (``'none'``).  A presentation without spikes has no
        winner either way.

    Returns
    -------
    numpy.ndarray of bool
        ``(n_presentations, n_exc)``: True where the neuron won the presentation.
    """
    counts = _check_counts(exc_counts)
    _check_ties(ties)
    if counts.shape[1] == 0:
        return np.zeros(counts.shape, dtype=bool)
    return _winner_block(counts, ties)


def wins_per_neuron(exc_counts: ArrayLike, ties: str = "all") -> np.ndarray:
    """Return the number of presentations each neuron won.

    Parameters
    ----------
    exc_counts : (n_presentations, n_exc) array_like of int
        Excitatory spike counts per presentation (spikes).
    ties : {'all', 'none'}
        Tie policy, see :func:`winner_mask`.

    Returns
    -------
    numpy.ndarray of int64
        ``(n_exc,)`` wins (presentations).
    """
    return wins_per_window(exc_counts, max(len(np.asarray(exc_counts)), 1), ties)[0]


def wins_per_window(exc_counts: ArrayLike, window: int, ties: str = "all") -> np.ndarray:
    """Return each neuron's wins in consecutive windows of ``window`` presentations.

    Parameters
    ----------
    exc_counts : (n_presentations, n_exc) array_like of int
        Excitatory spike counts per presentation, in training order (spikes).
    window : int
        Presentations per window.  The last window holds the remaining
        ``n_presentations % window`` presentations when that is not zero, so the windows
        always add up to :func:`wins_per_neuron`.
    ties : {'all', 'none'}
        Tie policy, see :func:`winner_mask`.

    Returns
    -------
    numpy.ndarray of int64
        ``(ceil(n_presentations / window), n_exc)`` wins per window (at least one row).
    """
    counts = _check_counts(exc_counts)
    _check_ties(ties)
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    n_presentations, n_exc = counts.shape
    n_windows = max(-(-n_presentations // window), 1)
    wins = np.zeros((n_windows, n_exc), dtype=np.int64)
    if n_presentations == 0 or n_exc == 0:
        return wins
    block = max(window, (_BLOCK_ROWS // window) * window)  # whole windows per block
    for start in range(0, n_presentations, block):
        mask = _winner_block(counts[start : start + block], ties)
        starts = np.arange(0, len(mask), window)
        wins[start // window : start // window + len(starts)] = np.add.reduceat(
            mask, starts, axis=0, dtype=np.int64
        )
    return wins


def spikes_per_neuron(exc_counts: ArrayLike) -> np.ndarray:
    """Return each neuron's total spike count over all presentations.

    Parameters
    ----------
    exc_counts : (n_presentations, n_exc) array_like of int
        Excitatory spike counts per presentation (spikes).

    Returns
    -------
    numpy.ndarray of int64
        ``(n_exc,)`` spikes.
    """
    return _check_counts(exc_counts).sum(axis=0, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# weight-map structure
# --------------------------------------------------------------------------------------------


def _grid(image_shape, n_channels):
    height, width = (int(side) for side in image_shape)
    if height < 1 or width < 1 or height * width < 2:
        raise ValueError(f"image_shape must hold at least 2 pixels, got {image_shape}")
    if isinstance(n_channels, bool) or not isinstance(n_channels, int | np.integer):
        raise ValueError(f"n_channels must be a positive integer, got {n_channels!r}")
    if n_channels < 1:
        raise ValueError(f"n_channels must be a positive integer, got {n_channels!r}")
    return height, width, int(n_channels)


def autocorrelation_null(image_shape: tuple[int, int], n_channels: int = 1) -> tuple[float, float]:
    r"""Return the mean and standard deviation of Moran's I for an i.i.d. Gaussian map.

    Exact moments (see the module docstring) for rook adjacency within each channel's
    ``h x w`` grid and per-channel centring.  Per channel, with degrees :math:`d_i`,
    :math:`S_0 = \sum d_i`, :math:`\operatorname{tr}(MW) = -S_0/n_c` and
    :math:`\operatorname{tr}(MWMW) = S_0 - 2\sum d_i^2/n_c + S_0^2/n_c^2`; the channels add.

    Parameters
    ----------
    image_shape : tuple of int
        ``(h, w)`` of one channel, in pixels.
    n_channels : int
        Number of channels (1 plain, 2 ON/OFF).

    Returns
    -------
    mean, sd : float
        Null mean and standard deviation of :func:`spatial_autocorrelation` (dimensionless).
        For one channel the mean is :math:`-1/(n-1)`.
    """
    height, width, n_channels = _grid(image_shape, n_channels)
    degrees = np.full((height, width), 4.0)
    degrees[0, :] -= 1
    degrees[-1, :] -= 1
    degrees[:, 0] -= 1
    degrees[:, -1] -= 1
    pixels = height * width
    links = degrees.sum()  # ordered neighbour pairs of one channel
    trace_mw = n_channels * (-links / pixels)
    trace_mwmw = n_channels * (links - 2 * (degrees**2).sum() / pixels + links**2 / pixels**2)
    n_total, links_total = n_channels * pixels, n_channels * links
    dof = n_total - n_channels
    scale = n_total / links_total
    mean = scale * trace_mw / dof
    second_moment = scale**2 * (trace_mw**2 + 2 * trace_mwmw) / (dof * (dof + 2))
    return float(mean), float(np.sqrt(second_moment - mean**2))


def unlearned_threshold(
    image_shape: tuple[int, int],
    n_channels: int = 1,
    false_positive_rate: float = DEFAULT_FALSE_POSITIVE_RATE,
) -> float:
    """Return the Moran's I at or below which a weight map counts as unlearned.

    Parameters
    ----------
    image_shape : tuple of int
        ``(h, w)`` of one channel, in pixels.
    n_channels : int
        Number of channels (1 plain, 2 ON/OFF).
    false_positive_rate : float
        Probability that an i.i.d. noise map exceeds the threshold (normal approximation of
        the null of :func:`autocorrelation_null`), in (0, 1).

    Returns
    -------
    float
        ``null mean + z_(1 - false_positive_rate) * null sd``: 0.0780 for one 28 x 28
        channel, 0.0683 for one 32 x 32 channel at the default rate 1e-3.
    """
    if not 0 < false_positive_rate < 1:
        raise ValueError(f"false_positive_rate must lie in (0, 1), got {false_positive_rate}")
    mean, sd = autocorrelation_null(image_shape, n_channels)
    return float(mean + norm.isf(false_positive_rate) * sd)


def _maps(weights, image_shape, n_channels):
    """Return ``(maps (n_channels, h, w, n_maps) float64, single)``."""
    height, width, n_channels = _grid(image_shape, n_channels)
    array = np.asarray(weights, dtype=np.float64)
    single = array.ndim == 1
    n_inputs = n_channels * height * width
    if array.ndim not in (1, 2) or array.shape[0] != n_inputs:
        raise ValueError(
            f"weights must be ({n_inputs},) or ({n_inputs}, n_exc) for {n_channels} channel(s) "
            f"of {height}x{width}, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("weights must be finite")
    return array.reshape(n_channels, height, width, -1), single


def spatial_autocorrelation(
    weights: ArrayLike, image_shape: tuple[int, int], n_channels: int = 1
) -> np.ndarray | float:
    """Return Moran's I (rook neighbours, per-channel centring) of each weight map.

    Parameters
    ----------
    weights : array_like
        ``(n_channels*h*w, n_exc)`` with one map per column (the layout of
        ``input_to_exc.w``), or one map ``(n_channels*h*w,)``; channels are consecutive blocks
        of ``h*w`` pixels in row-major order.  Any units (the result is scale-invariant).
    image_shape : tuple of int
        ``(h, w)`` of one channel, in pixels.
    n_channels : int
        Number of channels (1 plain, 2 ON/OFF).

    Returns
    -------
    numpy.ndarray of float64 or float
        ``(n_exc,)`` (a float for one map), dimensionless, in [-1, 1] on a square grid: about
        0 for i.i.d. noise, near 1 for smooth maps, -1 for a checkerboard.  NaN for a constant
        map (no structure; counted as unlearned by :func:`learning_summary`).  Invariant to
        ``a * w + b`` for ``a > 0`` (and to a separate offset per channel).
    """
    maps, single = _maps(weights, image_shape, n_channels)
    centred = maps - maps.mean(axis=(1, 2), keepdims=True)
    vertical = (centred[:, 1:] * centred[:, :-1]).sum(axis=(0, 1, 2))
    horizontal = (centred[:, :, 1:] * centred[:, :, :-1]).sum(axis=(0, 1, 2))
    variation = (centred**2).sum(axis=(0, 1, 2))
    n_channels, height, width = maps.shape[:3]
    n_total = n_channels * height * width
    links_total = n_channels * 2 * ((height - 1) * width + height * (width - 1))
    constant = np.sqrt(variation / n_total) <= _CONSTANT_MAP_TOLERANCE * np.abs(maps).max(
        axis=(0, 1, 2)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        moran = (n_total / links_total) * 2 * (vertical + horizontal) / variation
    moran[constant] = np.nan
    return float(moran[0]) if single else moran


def participation_ratio(weights: ArrayLike) -> np.ndarray | float:
    """Return the participation ratio ``(sum w)^2 / (n sum w^2)`` of each weight vector.

    Parameters
    ----------
    weights : array_like
        ``(n_inputs, n_exc)`` (one vector per column) or one vector ``(n_inputs,)``;
        non-negative weights (any units).

    Returns
    -------
    numpy.ndarray of float64 or float
        ``(n_exc,)`` (a float for one vector), dimensionless in (0, 1]: the fraction of inputs
        that effectively carry the weight mass; 1 for a uniform map, 0.75 in expectation for
        U(0, a) noise, ``m/n`` for ``m`` equal weights and zeros elsewhere.  NaN for an
        all-zero vector.
    """
    array = np.asarray(weights, dtype=np.float64)
    single = array.ndim == 1
    if array.ndim not in (1, 2) or array.shape[0] == 0:
        raise ValueError(f"weights must be (n_inputs,) or (n_inputs, n_exc), got {array.shape}")
    array = array.reshape(array.shape[0], -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = array.sum(axis=0) ** 2 / (array.shape[0] * (array**2).sum(axis=0))
    return float(ratio[0]) if single else ratio


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------


def learning_summary(
    train_exc_counts: ArrayLike,
    weights: ArrayLike,
    image_shape: tuple[int, int],
    n_channels: int = 1,
    *,
    false_positive_rate: float = DEFAULT_FALSE_POSITIVE_RATE,
    ties: str = "all",
) -> dict:
    """Summarise whether every excitatory neuron learned.

    Parameters
    ----------
    train_exc_counts : (n_presentations, n_exc) array_like of int
        Excitatory spike counts per training presentation (spikes).
    weights : (n_channels*h*w, n_exc) array_like
        Input-to-excitatory weights after training (``input_to_exc.w``).
    image_shape : tuple of int
        ``(h, w)`` of one channel, in pixels.
    n_channels : int
        Number of input channels (1 plain, 2 ON/OFF).
    false_positive_rate : float
        Rate at which an i.i.d. noise map would be called learned (sets the threshold).
    ties : {'all', 'none'}
        Tie policy for wins, see :func:`winner_mask`.

    Returns
    -------
    dict
        ``"summary"``: JSON-friendly scalars: ``n_exc``, ``n_presentations``, ``n_inputs``,
        ``image_shape``, ``n_channels``, ``n_never_fired`` (0 spikes in training),
        ``n_never_won``, ``n_unlearned`` (Moran's I at or below the threshold, or a constant
        map), ``fraction_unlearned``, ``n_won_but_unlearned``, ``threshold``,
        ``false_positive_rate``, ``null_mean``, ``null_sd``, ``criterion``, ``ties``,
        ``n_presentations_without_winner``, ``n_tied_presentations``,
        ``median_structure`` and ``median_participation_ratio`` (None when undefined).
        ``"per_neuron"``: arrays of length ``n_exc``: ``wins`` (int64), ``total_spikes``
        (int64), ``structure`` (Moran's I, float64, NaN for a constant map),
        ``participation_ratio`` (float64) and ``unlearned`` (bool).
    """
    counts = _check_counts(train_exc_counts)
    _check_ties(ties)
    structure = np.atleast_1d(spatial_autocorrelation(weights, image_shape, n_channels))
    n_exc = counts.shape[1]
    if structure.shape[0] != n_exc:
        raise ValueError(
            f"spike counts have {n_exc} neurons but weights have {structure.shape[0]} columns"
        )
    threshold = unlearned_threshold(image_shape, n_channels, false_positive_rate)
    null_mean, null_sd = autocorrelation_null(image_shape, n_channels)
    wins = wins_per_neuron(counts, ties)
    total_spikes = spikes_per_neuron(counts)
    concentration = np.atleast_1d(participation_ratio(np.asarray(weights, dtype=np.float64)))
    unlearned = ~(structure > threshold)  # NaN (constant map) counts as unlearned
    most = counts.max(axis=1) if n_exc else np.zeros(len(counts), dtype=np.int64)
    n_at_most = (counts == most[:, None]).sum(axis=1)

    def median(values):
        finite = values[np.isfinite(values)]
        return float(np.median(finite)) if finite.size else None

    height, width = (int(side) for side in image_shape)
    summary = {
        "n_exc": int(n_exc),
        "n_presentations": int(len(counts)),
        "n_inputs": int(n_channels * height * width),
        "image_shape": [height, width],
        "n_channels": int(n_channels),
        "n_never_fired": int(np.count_nonzero(total_spikes == 0)),
        "n_never_won": int(np.count_nonzero(wins == 0)),
        "n_unlearned": int(np.count_nonzero(unlearned)),
        "fraction_unlearned": float(np.count_nonzero(unlearned) / n_exc) if n_exc else None,
        "n_won_but_unlearned": int(np.count_nonzero(unlearned & (wins > 0))),
        "threshold": threshold,
        "false_positive_rate": float(false_positive_rate),
        "null_mean": null_mean,
        "null_sd": null_sd,
        "criterion": (
            "Moran's I of the weight map (rook neighbours, per-channel centring) <= threshold, "
            "or a constant map"
        ),
        "ties": ties,
        "n_presentations_without_winner": int(np.count_nonzero(most == 0)),
        "n_tied_presentations": int(np.count_nonzero((most > 0) & (n_at_most > 1))),
        "median_structure": median(structure),
        "median_participation_ratio": median(concentration),
    }
    per_neuron = {
        "wins": wins,
        "total_spikes": total_spikes,
        "structure": structure,
        "participation_ratio": concentration,
        "unlearned": unlearned,
    }
    return {"summary": summary, "per_neuron": per_neuron}
