"""The statistics behind Table 2 and ``neurons.csv`` (pure numpy).

Per class, the sets of output neurons that spiked, that have a plug-in MI > 0 with some
input, and that have a significant MI with some input (:func:`class_neuron_sets`); per
neuron, entropies and class information (:func:`neuron_information`) and the correlation
of its MI map with its weight map (:func:`map_weight_correlation`).  The estimators and
tests come from :mod:`diehl_cook.information`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..information import (
    benjamini_hochberg,
    class_information,
    entropy,
    max_statistic_pvalues,
    mutual_information_matrix,
    permutation_pvalues,
    spiked,
)

__all__ = [
    "JACCARD_PAIRS",
    "MI_TOLERANCE_BITS",
    "class_neuron_sets",
    "jaccard_index",
    "map_weight_correlation",
    "neuron_information",
]

#: Plug-in MI above this value (bits) counts as "MI > 0" (the study's criterion); it only
#: absorbs floating-point rounding of exactly independent tables.
MI_TOLERANCE_BITS = 1e-12


#: Pairs of neuron sets compared by a Jaccard index: key, first set, second set, title.
JACCARD_PAIRS = (
    ("spiked_vs_mi_positive", "spiked", "mi_positive", "J(a, b)"),
    ("spiked_vs_significant_fdr", "spiked", "significant_fdr", "J(a, c FDR)"),
    (
        "spiked_vs_significant_max_statistic",
        "spiked",
        "significant_max_statistic",
        "J(a, c max-stat)",
    ),
)


def jaccard_index(first: ArrayLike, second: ArrayLike) -> float | None:
    """Jaccard index ``|A & B| / |A | B|`` of two sets of neuron indices.

    Parameters
    ----------
    first, second : array_like of int
        Neuron indices (duplicates ignored).

    Returns
    -------
    float or None
        The index in [0, 1]; None when both sets are empty (undefined).

    Examples
    --------
    >>> jaccard_index([1, 2, 3], [2, 3, 4])
    0.5
    >>> jaccard_index([], []) is None
    True
    """
    first_set = {int(index) for index in np.ravel(first)}
    second_set = {int(index) for index in np.ravel(second)}
    union = first_set | second_set
    if not union:
        return None
    return len(first_set & second_set) / len(union)


def _varying_columns(matrix: np.ndarray) -> np.ndarray:
    """Columns of a boolean matrix that take both values."""
    return matrix.any(axis=0) & ~matrix.all(axis=0)


def _class_sets(
    input_spiked: np.ndarray,
    output_spiked: np.ndarray,
    *,
    alpha: float,
    n_permutations: int,
    rng: np.random.Generator,
) -> dict:
    """Neuron sets (a), (b), (c) of one class; see :func:`class_neuron_sets`."""
    n_input, n_exc = input_spiked.shape[1], output_spiked.shape[1]
    information = mutual_information_matrix(input_spiked, output_spiked)
    pvalues = np.ones((n_input, n_exc))
    max_statistic = np.ones((n_input, n_exc))
    # Constant columns have MI 0 and p-value 1 in every test; leaving them out of the
    # computation changes no p-value (the max-statistic permutations only depend on the
    # number of presentations), but they stay in the BH family of all n_input x n_exc pairs.
    varying_inputs = np.flatnonzero(_varying_columns(input_spiked))
    varying_outputs = np.flatnonzero(_varying_columns(output_spiked))
    if varying_inputs.size and varying_outputs.size:
        block = np.ix_(varying_inputs, varying_outputs)
        inputs = input_spiked[:, varying_inputs]
        outputs = output_spiked[:, varying_outputs]
        pvalues[block] = permutation_pvalues(inputs, outputs, method="exact")
        max_statistic[block] = max_statistic_pvalues(
            inputs, outputs, n_permutations=n_permutations, rng=rng
        )
    rejected_fdr = benjamini_hochberg(pvalues, alpha=alpha)
    rejected_max_statistic = max_statistic <= alpha
    rejected_uncorrected = pvalues <= alpha
    members = {
        "spiked": output_spiked.any(axis=0),
        "mi_positive": (information > MI_TOLERANCE_BITS).any(axis=0),
        "significant_fdr": rejected_fdr.any(axis=0),
        "significant_max_statistic": rejected_max_statistic.any(axis=0),
        "significant_uncorrected": rejected_uncorrected.any(axis=0),
    }
    sets = {key: np.flatnonzero(mask).tolist() for key, mask in members.items()}
    return {
        "n_presentations": int(input_spiked.shape[0]),
        "n_inputs_varying": int(varying_inputs.size),
        "sets": sets,
        "sizes": {key: len(indices) for key, indices in sets.items()},
        "jaccard": {
            name: jaccard_index(sets[first], sets[second])
            for name, first, second, _ in JACCARD_PAIRS
        },
        "n_significant_pairs": {
            "fdr": int(rejected_fdr.sum()),
            "max_statistic": int(rejected_max_statistic.sum()),
            "uncorrected": int(rejected_uncorrected.sum()),
        },
        "spiked_in_every_presentation": np.flatnonzero(output_spiked.all(axis=0)).tolist(),
        "spiked_equals_mi_positive": sets["spiked"] == sets["mi_positive"],
        "max_information_bits": float(information.max(initial=0.0)),
    }


def class_neuron_sets(
    input_spiked: ArrayLike,
    output_spiked: ArrayLike,
    labels: ArrayLike,
    *,
    alpha: float = 0.05,
    n_permutations: int = 200,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
) -> list[dict]:
    r"""Compute the study's Table 2 plus a significance column: per class, the neuron sets.

    For every class ``c``, over the presentations with ``labels == c`` only, with binary
    variables :math:`X_i` (input ``i`` spiked) and :math:`Y_j` (output ``j`` spiked):

    (a) ``spiked``: outputs with at least one spike;
    (b) ``mi_positive``: outputs with plug-in :math:`\hat I(X_i; Y_j) >` 1e-12 bits for
        some input ``i`` (the study's criterion);
    (c) ``significant_fdr``: outputs with some pair rejected by Benjamini-Hochberg at FDR
        ``alpha`` over all ``n_input * n_exc`` exact hypergeometric permutation p-values
        of the class; ``significant_max_statistic``: outputs with some pair whose
        max-statistic p-value (family: all inputs of that output, ``n_permutations``
        seeded permutations) is ``<= alpha``.

    Also ``significant_uncorrected`` (some raw p-value ``<= alpha``).

    Parameters
    ----------
    input_spiked : (n_presentations, n_input) array_like of bool
        "Input neuron spiked at least once" per presentation (or counts, made binary).
    output_spiked : (n_presentations, n_exc) array_like of bool
        "Output neuron spiked at least once" per presentation (or counts, made binary).
    labels : (n_presentations,) array_like of int
        Class of every presentation.
    alpha : float, optional
        FDR and family-wise level. Default: 0.05.
    n_permutations : int, optional
        Permutations of the max-statistic test. Default: 200.
    seed : int, optional
        Seed of the max-statistic permutations (one independent stream per class).
        Default: 0.
    class_names : sequence of str, optional
        Name of each class label, indexed by label. Default: none.

    Returns
    -------
    list of dict
        One dict per class present in ``labels`` (ascending), with keys ``class``,
        ``class_name``, ``n_presentations``, ``n_inputs_varying`` (inputs not constant in
        the class), ``sets`` (neuron index lists under the keys ``spiked``,
        ``mi_positive``, ``significant_fdr``, ``significant_max_statistic``,
        ``significant_uncorrected``), ``sizes`` (their lengths), ``jaccard``
        (``spiked_vs_mi_positive``, ``spiked_vs_significant_fdr``,
        ``spiked_vs_significant_max_statistic``; None when both sets are empty),
        ``n_significant_pairs`` (``fdr``, ``max_statistic``, ``uncorrected``),
        ``spiked_in_every_presentation``, ``spiked_equals_mi_positive`` and
        ``max_information_bits``.

    Raises
    ------
    ValueError
        If the shapes disagree or ``alpha`` is not in (0, 1).

    Notes
    -----
    Inputs or outputs that are constant within a class have MI 0 and p-value 1; they are
    skipped in the computation but counted in the BH family. Cost per class is one MI
    matrix, one exact p-value matrix and ``n_permutations`` MI matrices, about 1 s for
    784 x 100 neurons and 1,000 presentations.
    """
    input_spiked = np.asarray(spiked(np.asarray(input_spiked)))
    output_spiked = np.asarray(spiked(np.asarray(output_spiked)))
    labels = np.asarray(labels).reshape(-1)
    if input_spiked.ndim != 2 or output_spiked.ndim != 2:
        raise ValueError("input_spiked and output_spiked must be 2-D (n_presentations, n)")
    if not input_spiked.shape[0] == output_spiked.shape[0] == labels.size:
        raise ValueError(
            "input_spiked, output_spiked and labels must have the same number of "
            f"presentations, got {input_spiked.shape[0]}, {output_spiked.shape[0]} "
            f"and {labels.size}"
        )
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    classes = np.unique(labels)
    streams = np.random.SeedSequence(seed).spawn(classes.size)
    rows = []
    for label, stream in zip(classes, streams, strict=True):
        members = labels == label
        result = _class_sets(
            input_spiked[members],
            output_spiked[members],
            alpha=alpha,
            n_permutations=n_permutations,
            rng=np.random.default_rng(stream),
        )
        name = None
        if class_names is not None and 0 <= int(label) < len(class_names):
            name = str(class_names[int(label)])
        rows.append({"class": int(label), "class_name": name, **result})
    return rows


# ---------------------------------------------------------------------------
# Per-neuron information
# ---------------------------------------------------------------------------


def neuron_information(
    input_counts: ArrayLike,
    exc_counts: ArrayLike,
    labels: ArrayLike,
    *,
    alpha: float = 0.05,
    n_permutations: int = 200,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    r"""Entropy and information of every output neuron over all presentations.

    Parameters
    ----------
    input_counts : (n_presentations, n_input) array_like of int
        Spike counts of the input neurons.
    exc_counts : (n_presentations, n_exc) array_like of int
        Spike counts of the output (excitatory) neurons.
    labels : (n_presentations,) array_like of int
        Class of every presentation.
    alpha : float, optional
        FDR of the Benjamini-Hochberg correction across neurons. Default: 0.05.
    n_permutations : int, optional
        Monte-Carlo permutations of the class labels. Default: 200.
    seed : int, optional
        Seed of the label permutations. Default: 0.

    Returns
    -------
    dict of str to numpy.ndarray
        ``entropy_count_bits`` (n_exc,)
            :math:`H(Y_j)` of the spike count, bits.
        ``entropy_spiked_bits`` (n_exc,)
            :math:`H` of "spiked at all", bits.
        ``fraction_spiked`` (n_exc,)
            Fraction of presentations with at least one spike.
        ``total_spikes`` (n_exc,)
            Spikes summed over all presentations.
        ``class_information_bits`` (n_exc,)
            Plug-in :math:`I(Y_j; C)` with the spike count as response, bits.
        ``class_information_pvalue`` (n_exc,)
            Monte-Carlo permutation p-value, :math:`(1 + \#\{b: I_b \ge I\}) / (1 + B)`,
            with the class labels shuffled (``n_permutations`` seeded permutations).
        ``class_information_significant`` (n_exc,) bool
            Rejected by Benjamini-Hochberg at FDR ``alpha`` across neurons.
        ``input_output_information_bits`` (n_input, n_exc)
            Plug-in MI between "input ``i`` spiked" and "output ``j`` spiked", bits.
            Column ``j`` reshaped to the image grid is neuron ``j``'s MI map.

    Raises
    ------
    ValueError
        If the shapes disagree.

    Notes
    -----
    The smallest Monte-Carlo p-value is :math:`p_{min} = 1 / (1 + B)`, so Benjamini-Hochberg
    over :math:`m` neurons can reject only if at least :math:`\lceil m p_{min} / \alpha
    \rceil` neurons reach it: 10 neurons for :math:`m = 100`, :math:`B = 200`,
    :math:`\alpha = 0.05`. Raise ``n_permutations`` when few neurons are expected to carry
    class information.
    """
    input_counts = np.asarray(input_counts)
    exc_counts = np.asarray(exc_counts)
    labels = np.asarray(labels).reshape(-1)
    if not input_counts.shape[0] == exc_counts.shape[0] == labels.size:
        raise ValueError(
            "input_counts, exc_counts and labels must have the same number of presentations"
        )
    output_spiked = spiked(exc_counts)
    class_pvalues = permutation_pvalues(
        exc_counts,
        labels,
        method="monte_carlo",
        n_permutations=n_permutations,
        rng=np.random.default_rng(seed),
    )[:, 0]
    return {
        "entropy_count_bits": np.array([entropy(column) for column in exc_counts.T]),
        "entropy_spiked_bits": np.array([entropy(column) for column in output_spiked.T]),
        "fraction_spiked": output_spiked.mean(axis=0),
        "total_spikes": exc_counts.sum(axis=0, dtype=np.int64),
        "class_information_bits": class_information(labels, exc_counts),
        "class_information_pvalue": class_pvalues,
        "class_information_significant": benjamini_hochberg(class_pvalues, alpha=alpha),
        "input_output_information_bits": mutual_information_matrix(
            spiked(input_counts), output_spiked
        ),
    }


def map_weight_correlation(information: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """Pearson correlation, per output neuron, between its MI map and its weight map.

    Parameters
    ----------
    information : (n_input, n_exc) array_like
        MI (bits) between every input and every output.
    weights : (n_input, n_exc) array_like
        Input-to-output weights.

    Returns
    -------
    (n_exc,) numpy.ndarray of float64
        Correlation over the ``n_input`` pixels; NaN where either map is constant.

    Raises
    ------
    ValueError
        If the shapes differ.
    """
    information = np.asarray(information, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if information.shape != weights.shape or information.ndim != 2:
        raise ValueError(
            f"information and weights must have the same 2-D shape, got {information.shape} "
            f"and {weights.shape}"
        )
    centred_information = information - information.mean(axis=0)
    centred_weights = weights - weights.mean(axis=0)
    norms = np.sqrt((centred_information**2).sum(axis=0) * (centred_weights**2).sum(axis=0))
    covariance = (centred_information * centred_weights).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.where(norms > 0, covariance / np.where(norms > 0, norms, 1.0), np.nan)
    return np.clip(correlation, -1.0, 1.0)
