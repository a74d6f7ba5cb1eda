r"""Information analysis of a finished run folder: the study's Tables 1 and 2, and more.

:func:`analyze_run` reads a run folder (layout in :mod:`diehl_cook.pipeline`) and writes
``<run_dir>/analysis/``:

``table2.md``, ``table2.csv``, ``table2.json``
    Per class, over that class's test presentations: which output neurons (a) spiked, (b) have
    a plug-in mutual information (MI) > 0 with at least one input neuron (the study's
    criterion), (c) have a *significant* MI with at least one input neuron (exact permutation
    p-values, corrected by BH-FDR over all pairs, or by the per-output max statistic).
``neurons.csv``, ``neurons.json``
    Per output neuron, over all test presentations: entropies, information about the class
    and its significance, and the correlation of its MI map with its weight map.
``mi_maps.npz``
    The MI between every input and every output (bits), behind ``mi_vs_weights.png``.
``table1.md``
    This run's test accuracy next to the study's (Capozzi et al.) and Diehl & Cook's.
``summary.md``
    A short account of the criteria and the results.
``receptive_fields.png``, ``mi_vs_weights.png``, ``theta.png`` (and ``confusion_matrix.png``
when the run folder has ``confusion_matrix.csv``)
    Figures drawn by :mod:`diehl_cook.plotting`.

Variables
---------
One sample is one test presentation (350 ms window; sample definition (b) of
:mod:`diehl_cook.information`). :math:`X_i` = "input neuron ``i`` spiked at least once",
:math:`Y_j` = "output neuron ``j`` spiked at least once" (binary), and for the class
information the response is output ``j``'s spike count. All information values are plug-in
estimates in bits.

Why column (c)
--------------
A plug-in MI estimate is exactly 0 only when the count table is exactly independent or one
variable is constant. A silent output is constant, so it has MI 0 with everything; an output
that spiked in some (not all) presentations almost surely has MI > 0 with some input, even
when it is independent of all of them. So with plug-in estimates, "spiked" and "MI > 0 with
some input" select the same neurons *by construction* (information-theory reference notes,
section 4.3). Only a significance test separates real dependence from estimation noise; the
exceptions to the equality are outputs that spiked in *every* presentation of the class
(constant, so MI 0) and the improbable exactly independent tables.

The module needs numpy, scipy and matplotlib only (no Brian2).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .information import (
    benjamini_hochberg,
    class_information,
    entropy,
    max_statistic_pvalues,
    mutual_information_matrix,
    permutation_pvalues,
    spiked,
)

__all__ = [
    "DIEHL_COOK_ACCURACY",
    "MI_TOLERANCE_BITS",
    "STUDY_ACCURACY",
    "RunRecords",
    "analyze_run",
    "class_neuron_sets",
    "image_shape_for",
    "jaccard_index",
    "load_run_records",
    "map_weight_correlation",
    "neuron_information",
]

#: Plug-in MI above this value (bits) counts as "MI > 0" (the study's criterion); it only
#: absorbs floating-point rounding of exactly independent tables.
MI_TOLERANCE_BITS = 1e-12

#: Test accuracies reported by the study (Capozzi et al.), as fractions, by dataset name.
STUDY_ACCURACY = {"mnist": 0.72, "fashion_mnist": 0.46, "cifar10": 0.09}

#: Diehl & Cook (2015), MNIST: (excitatory neurons, training passes over 60,000 images,
#: test accuracy), from the project's diehl-cook-reference.md section 6.
DIEHL_COOK_ACCURACY = ((100, 1, 0.829), (400, 3, 0.870))

DIEHL_COOK_REFERENCE = "/work/shared/reference/diehl-cook-reference.md"

_DATASET_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}

#: Number of neurons (highest class information first) shown in ``mi_vs_weights.png``.
_N_FIGURE_NEURONS = 10

#: Criteria of the per-class neuron sets, in table order: key, short title, description.
_SET_CRITERIA = (
    (
        "spiked",
        "(a) spiked",
        "output neurons that spiked at least once during the class's test presentations",
    ),
    (
        "mi_positive",
        "(b) MI > 0",
        "output neurons with plug-in MI > {tolerance:g} bits with at least one input neuron "
        "(the study's criterion; equals (a) by construction, except outputs that spiked in "
        "every presentation of the class)",
    ),
    (
        "significant_fdr",
        "(c) significant, BH-FDR",
        "output neurons with at least one (input, output) pair whose exact hypergeometric "
        "permutation p-value is rejected by Benjamini-Hochberg at FDR {alpha:g} over all "
        "n_input x n_exc pairs of the class",
    ),
    (
        "significant_max_statistic",
        "(c) significant, max-stat",
        "output neurons with at least one input whose max-statistic p-value (per output, "
        "family = all inputs, {n_permutations} seeded row permutations) is <= {alpha:g}; "
        "the family-wise error is controlled per output, so about {alpha:g} x (a) outputs "
        "are expected by chance when no output depends on any input",
    ),
    (
        "significant_uncorrected",
        "uncorrected p <= alpha",
        "output neurons with at least one exact permutation p-value <= {alpha:g} without "
        "multiplicity correction (shown only to illustrate why a correction is needed)",
    ),
)

_JACCARD_PAIRS = (
    ("spiked_vs_mi_positive", "spiked", "mi_positive", "J(a, b)"),
    ("spiked_vs_significant_fdr", "spiked", "significant_fdr", "J(a, c FDR)"),
    (
        "spiked_vs_significant_max_statistic",
        "spiked",
        "significant_max_statistic",
        "J(a, c max-stat)",
    ),
)


# ---------------------------------------------------------------------------
# Reading a run folder
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunRecords:
    """Everything :func:`analyze_run` reads from a run folder.

    Attributes
    ----------
    run_dir : pathlib.Path
        The run folder.
    dataset : str
        Dataset name (``[data] dataset`` of ``config.toml``, else ``metrics.json``).
    config : dict
        Contents of ``config.toml`` (empty if the file is absent).
    metrics : dict
        Contents of ``metrics.json`` (empty if the file is absent).
    labels : (n_presentations,) numpy.ndarray of int
        Class of every test presentation.
    input_counts : (n_presentations, n_input) numpy.ndarray of int
        Spike count of every input neuron in every test presentation.
    exc_counts : (n_presentations, n_exc) numpy.ndarray of int
        Spike count of every excitatory (output) neuron in every test presentation.
    weights : (n_input, n_exc) numpy.ndarray of float64
        Learned input-to-excitatory weights (``input_to_exc.w``).
    theta : (n_exc,) numpy.ndarray of float64
        Adaptive threshold increments in volts (``exc.theta``).
    retries : (n_presentations,) numpy.ndarray of int or None
        Number of times each presentation was repeated at a higher input intensity
        (``retries`` of ``records/test.npz``); None if not recorded.
    assignments : (n_exc,) numpy.ndarray of int or None
        Class assigned to every neuron (-1: unassigned); None without ``assignments.npz``.
    confusion_matrix : (n_classes, n_classes) numpy.ndarray or None
        Test confusion matrix (rows: true class) from ``confusion_matrix.csv``, if present.
    image_shape : tuple of int
        ``(height, width)`` of the input image grid.
    class_names : tuple of str or None
        Name of every class of the dataset, if known.
    """

    run_dir: Path
    dataset: str
    config: dict
    metrics: dict
    labels: np.ndarray
    input_counts: np.ndarray
    exc_counts: np.ndarray
    weights: np.ndarray
    theta: np.ndarray
    retries: np.ndarray | None
    assignments: np.ndarray | None
    confusion_matrix: np.ndarray | None
    image_shape: tuple[int, int]
    class_names: tuple[str, ...] | None

    @property
    def n_input(self) -> int:
        """Number of input neurons (pixels)."""
        return self.input_counts.shape[1]

    @property
    def n_exc(self) -> int:
        """Number of excitatory (output) neurons."""
        return self.exc_counts.shape[1]


def _require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing {what}; the run folder is incomplete")
    return path


def _load_arrays(path: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in keys if key not in archive.files]
        if missing:
            raise ValueError(
                f"{path}: missing array(s) {', '.join(missing)} "
                f"(found: {', '.join(archive.files)})"
            )
        return {key: np.asarray(archive[key]) for key in keys}


def _dataset_metadata(dataset: str) -> tuple[tuple[int, int] | None, tuple[str, ...] | None]:
    from .datasets import DATASETS, dataset_info

    if dataset not in DATASETS:
        return None, None
    spec = dataset_info(dataset)
    return tuple(spec.image_shape), tuple(spec.class_names)


def image_shape_for(n_input: int, dataset: str | None = None) -> tuple[int, int]:
    """Image grid ``(height, width)`` of ``n_input`` input neurons.

    Parameters
    ----------
    n_input : int
        Number of input neurons (one per pixel).
    dataset : str, optional
        Dataset name; its registered image shape is used when it has ``n_input`` pixels.

    Returns
    -------
    tuple of int
        The dataset's shape if it matches (28 x 28 for MNIST and Fashion-MNIST, 32 x 32 for
        grayscale CIFAR-10), else a square ``(s, s)`` when ``n_input = s**2``, else
        ``(1, n_input)``.

    Examples
    --------
    >>> image_shape_for(784)
    (28, 28)
    >>> image_shape_for(1024, "cifar10")
    (32, 32)
    >>> image_shape_for(10)
    (1, 10)
    """
    if n_input < 1:
        raise ValueError(f"n_input must be positive, got {n_input}")
    if dataset is not None:
        shape, _ = _dataset_metadata(dataset)
        if shape is not None and shape[0] * shape[1] == n_input:
            return shape
    side = math.isqrt(n_input)
    if side * side == n_input:
        return (side, side)
    return (1, n_input)


def _read_confusion_matrix(path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except ValueError:
        return None
    matrix = table[:, 1:]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        return None
    return matrix


def load_run_records(run_dir: str | os.PathLike) -> RunRecords:
    """Read and check the files of a run folder that the analysis needs.

    Parameters
    ----------
    run_dir : str or os.PathLike
        Run folder with ``records/test.npz`` and ``state.npz`` (required), and
        ``config.toml``, ``metrics.json``, ``assignments.npz``, ``confusion_matrix.csv``
        (optional).

    Returns
    -------
    RunRecords
        The arrays and metadata.

    Raises
    ------
    FileNotFoundError
        If ``run_dir``, ``records/test.npz`` or ``state.npz`` is missing (the message names
        the file).
    ValueError
        If an array is missing from its file or the shapes disagree.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: run folder not found")
    records_path = _require_file(
        run_dir / "records" / "test.npz", "test records (records/test.npz)"
    )
    state_path = _require_file(run_dir / "state.npz", "learned state (state.npz)")

    records = _load_arrays(records_path, ("labels", "exc_counts", "input_counts"))
    state = _load_arrays(state_path, ("input_to_exc.w", "exc.theta"))
    labels = records["labels"].reshape(-1)
    exc_counts = records["exc_counts"]
    input_counts = records["input_counts"]
    weights = state["input_to_exc.w"].astype(np.float64)
    theta = state["exc.theta"].astype(np.float64).reshape(-1)

    n_presentations = labels.size
    if n_presentations == 0:
        raise ValueError(f"{records_path}: no test presentations")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{records_path}: labels must be integers, got {labels.dtype}")
    for name, counts in (("exc_counts", exc_counts), ("input_counts", input_counts)):
        if counts.ndim != 2 or counts.shape[0] != n_presentations:
            raise ValueError(
                f"{records_path}: {name} must have shape ({n_presentations}, n_neurons), "
                f"got {counts.shape}"
            )
    n_input, n_exc = input_counts.shape[1], exc_counts.shape[1]
    if weights.shape != (n_input, n_exc):
        raise ValueError(
            f"{state_path}: input_to_exc.w has shape {weights.shape}, but records/test.npz "
            f"has {n_input} inputs and {n_exc} excitatory neurons"
        )
    if theta.shape != (n_exc,):
        raise ValueError(f"{state_path}: exc.theta has shape {theta.shape}, expected ({n_exc},)")

    with np.load(records_path, allow_pickle=False) as archive:
        retries = np.asarray(archive["retries"]).reshape(-1) if "retries" in archive else None
    if retries is not None and retries.size != n_presentations:
        retries = None

    config_path = run_dir / "config.toml"
    config = tomllib.loads(config_path.read_text()) if config_path.is_file() else {}
    metrics_path = run_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    dataset = str(config.get("data", {}).get("dataset") or metrics.get("dataset") or "unknown")

    assignments = None
    assignments_path = run_dir / "assignments.npz"
    if assignments_path.is_file():
        assignments = _load_arrays(assignments_path, ("assignments",))["assignments"].reshape(-1)
        if assignments.shape != (n_exc,):
            raise ValueError(
                f"{assignments_path}: assignments has shape {assignments.shape}, "
                f"expected ({n_exc},)"
            )

    _, class_names = _dataset_metadata(dataset)
    return RunRecords(
        run_dir=run_dir,
        dataset=dataset,
        config=config,
        metrics=metrics,
        labels=labels.astype(np.int64),
        input_counts=input_counts,
        exc_counts=exc_counts,
        weights=weights,
        theta=theta,
        retries=retries,
        assignments=assignments,
        confusion_matrix=_read_confusion_matrix(run_dir / "confusion_matrix.csv"),
        image_shape=image_shape_for(n_input, dataset),
        class_names=class_names,
    )


# ---------------------------------------------------------------------------
# Table 2: neuron sets per class
# ---------------------------------------------------------------------------


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
            for name, first, second, _ in _JACCARD_PAIRS
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


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


def _number(value, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return ""
    return f"{value:.{digits}g}"


def _markdown_number(value, digits: int = 3) -> str:
    text = _number(value, digits)
    return text if text else "n/a"


def _json_value(value):
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, np.ndarray):
        return _json_value(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


#: A list of integers as ``json.dumps(indent=...)`` writes it (strings never hold raw newlines).
_INTEGER_LIST = re.compile(r"\[\n\s*(-?\d+(?:,\n\s*-?\d+)*)\n\s*\]")


def _json_text(document) -> str:
    """JSON with one space of indentation; lists of integers (neuron indices) on one line."""
    text = json.dumps(_json_value(document), indent=1, allow_nan=False)
    return (
        _INTEGER_LIST.sub(lambda match: "[" + re.sub(r",\s*", ", ", match[1]) + "]", text) + "\n"
    )


def _csv_text(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([value if isinstance(value, str) else _number(value, 6) for value in row])
    return stream.getvalue()


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _class_title(row: dict) -> str:
    name = row["class_name"]
    return f"{row['class']} ({name})" if name and name != str(row["class"]) else str(row["class"])


def _criteria(alpha: float, n_permutations: int) -> dict[str, str]:
    return {
        key: description.format(
            tolerance=MI_TOLERANCE_BITS, alpha=alpha, n_permutations=n_permutations
        )
        for key, _, description in _SET_CRITERIA
    }


def _table2_texts(
    rows: list[dict], *, alpha: float, n_permutations: int, seed: int
) -> dict[str, str]:
    set_keys = [key for key, _, _ in _SET_CRITERIA]
    csv_header = [
        "class",
        "class_name",
        "n_presentations",
        "n_inputs_varying",
        *[f"n_{key}" for key in set_keys],
        *[f"jaccard_{name}" for name, _, _, _ in _JACCARD_PAIRS],
        "n_significant_pairs_fdr",
        "n_significant_pairs_max_statistic",
        "n_spiked_in_every_presentation",
    ]
    csv_rows = [
        [
            row["class"],
            row["class_name"] or "",
            row["n_presentations"],
            row["n_inputs_varying"],
            *[row["sizes"][key] for key in set_keys],
            *[row["jaccard"][name] for name, _, _, _ in _JACCARD_PAIRS],
            row["n_significant_pairs"]["fdr"],
            row["n_significant_pairs"]["max_statistic"],
            len(row["spiked_in_every_presentation"]),
        ]
        for row in rows
    ]
    markdown_header = [
        "Class",
        "Presentations",
        *[title for _, title, _ in _SET_CRITERIA[:4]],
        *[title for _, _, _, title in _JACCARD_PAIRS],
    ]
    markdown_rows = [
        [
            _class_title(row),
            str(row["n_presentations"]),
            *[str(row["sizes"][key]) for key in set_keys[:4]],
            *[_markdown_number(row["jaccard"][name]) for name, _, _, _ in _JACCARD_PAIRS],
        ]
        for row in rows
    ]
    criteria = _criteria(alpha, n_permutations)
    legend = "\n".join(f"- **{title}**: {criteria[key]}." for key, title, _ in _SET_CRITERIA[:4])
    markdown = (
        "# Table 2: output neurons with information about the input, per class\n\n"
        "Each row uses only the test presentations of that class. Variables: binary "
        '"spiked at least once during the presentation" for every input and every output '
        "neuron; MI is the plug-in estimate in bits.\n\n"
        + _markdown_table(markdown_header, markdown_rows)
        + "\nColumns (set sizes, in output neurons):\n\n"
        + legend
        + "\n- **J(x, y)**: Jaccard index |x & y| / |x | y| of two sets (n/a: both empty).\n\n"
        "By construction of the plug-in estimate, (b) equals (a): a silent output is constant "
        "(MI 0) and an output that spiked in some presentations has MI > 0 with almost any "
        "input, dependent or not. Only (c) tests whether the dependence is real.\n"
    )
    document = {
        "description": "Per class, output neurons that spiked, that have plug-in MI > 0 "
        "with some input, and that have a significant MI with some input.",
        "variables": "binary 'spiked at least once' per test presentation, inputs and outputs",
        "units": "bits",
        "criteria": criteria,
        "alpha": alpha,
        "n_permutations": n_permutations,
        "seed": seed,
        "mi_tolerance_bits": MI_TOLERANCE_BITS,
        "pvalue_method": "exact hypergeometric permutation test per (input, output) pair",
        "classes": rows,
    }
    return {
        "table2.md": markdown,
        "table2.csv": _csv_text(csv_header, csv_rows),
        "table2.json": _json_text(document),
    }


def _neuron_rows(
    records: RunRecords, information: dict[str, np.ndarray], correlation: np.ndarray
) -> tuple[list[str], list[list]]:
    mi_maps = information["input_output_information_bits"]
    header = [
        "neuron",
        "assignment",
        "theta_mV",
        "total_spikes",
        "fraction_spiked",
        "entropy_count_bits",
        "entropy_spiked_bits",
        "class_information_bits",
        "class_information_pvalue",
        "class_information_significant_bh",
        "mi_map_max_bits",
        "mi_map_sum_bits",
        "mi_weight_correlation",
    ]
    rows = []
    for neuron in range(records.n_exc):
        assignment = None if records.assignments is None else int(records.assignments[neuron])
        rows.append(
            [
                neuron,
                assignment,
                records.theta[neuron] * 1e3,
                information["total_spikes"][neuron],
                information["fraction_spiked"][neuron],
                information["entropy_count_bits"][neuron],
                information["entropy_spiked_bits"][neuron],
                information["class_information_bits"][neuron],
                information["class_information_pvalue"][neuron],
                bool(information["class_information_significant"][neuron]),
                mi_maps[:, neuron].max(),
                mi_maps[:, neuron].sum(),
                correlation[neuron],
            ]
        )
    return header, rows


def _table1_text(records: RunRecords) -> tuple[str, float | None]:
    test = records.metrics.get("test", {}) if isinstance(records.metrics, dict) else {}
    accuracy = test.get("accuracy")
    n_test = test.get("n_images", records.labels.size)
    n_train = records.metrics.get("train", {}).get("n_images")
    n_epochs = records.config.get("simulation", {}).get("epochs")
    title = _DATASET_TITLES.get(records.dataset, records.dataset)
    rows = [
        [
            "**This run**",
            f"**{title}**",
            str(records.n_exc),
            "" if n_train is None else f"{n_epochs or 1} x {n_train:,} images",
            "n/a" if accuracy is None else f"**{100 * accuracy:.1f} %** ({n_test} test images)",
        ]
    ]
    for dataset, value in STUDY_ACCURACY.items():
        marker = " (this run's dataset)" if dataset == records.dataset else ""
        rows.append(
            [
                "Capozzi et al. (the study)",
                _DATASET_TITLES[dataset] + marker,
                "",
                "",
                f"{100 * value:.0f} %",
            ]
        )
    for n_neurons, n_passes, value in DIEHL_COOK_ACCURACY:
        rows.append(
            [
                "Diehl & Cook (2015)",
                "MNIST" + (" (this run's dataset)" if records.dataset == "mnist" else ""),
                str(n_neurons),
                f"{n_passes} x 60,000 images",
                f"{100 * value:.1f} %",
            ]
        )
    header = ["Source", "Dataset", "Excitatory neurons", "Training", "Test accuracy"]
    text = (
        "# Table 1: test accuracy\n\n"
        + _markdown_table(header, rows)
        + "\nThis run's accuracy is `test.accuracy` of `metrics.json` (neuron labels from "
        "`assignments.npz`, chance level 10 %). The study's figures are as quoted for Capozzi "
        "et al. (the network size and training length behind them are not recorded here). "
        "Diehl & Cook's MNIST figures (82.9 % with 100 excitatory neurons after one pass over "
        "the 60,000 training images, 87.0 % with 400 after three) are taken from "
        f"`{DIEHL_COOK_REFERENCE}` section 6, where they are marked as recalled from the "
        "paper. Compare like with like: a run with fewer neurons or a shorter training is "
        "expected to score lower.\n"
    )
    return text, accuracy


def _summary_text(
    records: RunRecords,
    class_rows: list[dict],
    information: dict[str, np.ndarray],
    correlation: np.ndarray,
    accuracy: float | None,
    *,
    alpha: float,
    n_permutations: int,
    seed: int,
    file_names: Sequence[str],
) -> str:
    title = _DATASET_TITLES.get(records.dataset, records.dataset)
    sizes = {key: [row["sizes"][key] for row in class_rows] for key, _, _ in _SET_CRITERIA}
    n_equal = sum(row["spiked_equals_mi_positive"] for row in class_rows)
    always = sorted({index for row in class_rows for index in row["spiked_in_every_presentation"]})
    jaccard_fdr = [row["jaccard"]["spiked_vs_significant_fdr"] for row in class_rows]
    jaccard_max = [row["jaccard"]["spiked_vs_significant_max_statistic"] for row in class_rows]

    def mean(values):
        values = [value for value in values if value is not None]
        return float(np.mean(values)) if values else None

    def span(values):
        return f"{min(values)}-{max(values)} (mean {np.mean(values):.1f})"

    significant = information["class_information_significant"]
    smallest_pvalue = 1.0 / (1.0 + n_permutations)
    minimum_rejections = math.ceil(records.n_exc * smallest_pvalue / alpha - 1e-9)
    finite = correlation[np.isfinite(correlation)]
    criteria = _criteria(alpha, n_permutations)
    retry_lines = []
    if records.retries is not None and (records.retries > 0).any():
        retry_lines = [
            "",
            f"Caveat: {int((records.retries > 0).sum())} of {records.labels.size} test "
            "presentations were repeated at a higher input intensity (too few output spikes); "
            "the recorded counts come with that intensity, which raises input and output "
            "spiking together, so part of a significant dependence can reflect intensity "
            "rather than image content.",
        ]
    accuracy_text = "n/a" if accuracy is None else f"{100 * accuracy:.1f} %"
    exception_text = (
        f" The exceptions are outputs that spiked in every presentation of a class "
        f"(constant, hence MI 0): neurons {always}."
        if n_equal < len(class_rows)
        else ""
    )
    lines = [
        f"# Information analysis of `{records.run_dir.name}`",
        "",
        f"- Dataset: {title}; {records.n_exc} excitatory neurons, {records.n_input} inputs "
        f"({records.image_shape[0]} x {records.image_shape[1]}), "
        f"{records.labels.size} test presentations in {len(class_rows)} classes.",
        f"- Test accuracy: {accuracy_text} (see `table1.md` for the study's and "
        "Diehl & Cook's figures).",
        f"- Settings: alpha = {alpha:g}, {n_permutations} permutations, seed {seed}. "
        "One sample = one test presentation (350 ms); information in bits (plug-in).",
        "",
        "## Table 2: which criterion each column uses",
        "",
        *[f"- **{short}**: {criteria[key]}." for key, short, _ in _SET_CRITERIA[:4]],
        "",
        '**The plug-in "MI > 0" set (b) equals the spiking set (a) by construction**: a '
        "silent output is constant and has MI exactly 0, while an output that spiked in some "
        "presentations has a plug-in MI > 0 with almost every non-constant input, whether or "
        "not the two are dependent (information-theory reference notes, section 4.3). "
        f"Here (a) == (b) in {n_equal} of {len(class_rows)} classes.{exception_text} "
        "Column (b) therefore says nothing about information; column (c) does.",
        *retry_lines,
        "",
        "Set sizes across classes:",
        "",
        *[f"- {short}: {span(sizes[key])}" for key, short, _ in _SET_CRITERIA if sizes[key]],
        f"- mean Jaccard(a, c BH-FDR) = {_markdown_number(mean(jaccard_fdr))}, "
        f"mean Jaccard(a, c max-stat) = {_markdown_number(mean(jaccard_max))}.",
        "",
        "## Per neuron (all test presentations, `neurons.csv`)",
        "",
        f"- {int(significant.sum())} of {records.n_exc} neurons carry significant "
        f"information about the class (spike count vs class label, Monte-Carlo label "
        f"permutation test, BH-FDR {alpha:g} across neurons); median I(Y; class) = "
        f"{np.median(information['class_information_bits']):.3f} bits, maximum "
        f"{np.max(information['class_information_bits']):.3f} bits. With "
        f"{n_permutations} permutations the smallest p-value is {smallest_pvalue:.3g}, so BH "
        f"can reject only when at least {minimum_rejections} neurons reach it.",
        f"- {int((information['total_spikes'] == 0).sum())} neurons never spiked on the test set.",
        "- Correlation between a neuron's MI map (MI of input spiked vs output spiked, per "
        "pixel) and its weight map: "
        + (
            f"median r = {np.median(finite):.2f} over {finite.size} neurons "
            f"(range {finite.min():.2f} to {finite.max():.2f})."
            if finite.size
            else "undefined (constant maps)."
        ),
        "",
        "## Files",
        "",
        *[f"- `{name}`" for name in file_names],
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def _save_figures(
    folder: Path,
    records: RunRecords,
    information: dict[str, np.ndarray],
    correlation: np.ndarray,
) -> list[str]:
    from matplotlib.figure import Figure

    from .plotting import (
        plot_confusion_matrix,
        plot_mi_vs_weights,
        plot_theta_distribution,
        plot_weight_grid,
    )

    names = []

    figure = Figure(figsize=(8.0, 7.5), layout="constrained")
    plot_weight_grid(records.weights, records.image_shape, ax=figure.add_subplot())
    figure.savefig(folder / "receptive_fields.png", dpi=110)
    names.append("receptive_fields.png")

    class_bits = information["class_information_bits"]
    mi_maps = information["input_output_information_bits"]
    n_shown = min(_N_FIGURE_NEURONS, records.n_exc)
    shown = np.argsort(-class_bits, kind="stable")[:n_shown]
    n_pairs_per_row = 2 if n_shown > 1 else 1
    n_rows = math.ceil(n_shown / n_pairs_per_row)
    figure = Figure(figsize=(6.4 * n_pairs_per_row, 2.9 * n_rows), layout="constrained")
    axes = figure.subplots(n_rows, 2 * n_pairs_per_row, squeeze=False)
    for position, neuron in enumerate(shown):
        row, pair = divmod(position, n_pairs_per_row)
        plot_mi_vs_weights(
            mi_maps[:, neuron].reshape(records.image_shape),
            records.weights[:, neuron].reshape(records.image_shape),
            axes=(axes[row, 2 * pair], axes[row, 2 * pair + 1]),
            title=(
                f"neuron {neuron}: I(Y;class) = {class_bits[neuron]:.3f} bits, "
                f"r = {_markdown_number(correlation[neuron], 2)}"
            ),
        )
    for extra in axes.ravel()[2 * n_shown :]:
        extra.set_visible(False)
    figure.suptitle(
        "MI map (input spiked vs output spiked, bits) | weight map; "
        "neurons with the highest class information"
    )
    figure.savefig(folder / "mi_vs_weights.png", dpi=100)
    names.append("mi_vs_weights.png")

    figure = Figure(figsize=(5.5, 3.8), layout="constrained")
    plot_theta_distribution(records.theta, ax=figure.add_subplot())
    figure.savefig(folder / "theta.png", dpi=110)
    names.append("theta.png")

    if records.confusion_matrix is not None:
        figure = Figure(figsize=(6.0, 5.5), layout="constrained")
        names_ok = records.class_names is not None and len(records.class_names) == len(
            records.confusion_matrix
        )
        plot_confusion_matrix(
            records.confusion_matrix,
            ax=figure.add_subplot(),
            class_names=records.class_names if names_ok else None,
        )
        figure.savefig(folder / "confusion_matrix.png", dpi=110)
        names.append("confusion_matrix.png")
    return names


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def _replace_folder(temporary: Path, final: Path) -> None:
    """Move ``temporary`` to ``final``, replacing an older ``final`` folder."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(temporary, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _time_binned_texts(spike_file, records, bin_ms, lags_ms, alpha):
    from .time_binned import load_recorded_spikes, time_binned_information

    spikes = load_recorded_spikes(
        spike_file,
        n_neurons={"input": records.input_counts.shape[1], "exc": records.exc_counts.shape[1]},
    )
    rows = time_binned_information(
        spikes, bin_s=bin_ms / 1000, lags_s=[lag / 1000 for lag in lags_ms], alpha=alpha
    )
    header = list(rows[0])
    table_rows = [[row[key] for key in header] for row in rows]
    markdown = "\n".join(
        [
            "# Time-binned information (input spikes vs excitatory spikes)",
            "",
            f"{spikes.n_presentations} recorded test presentations, bins of {bin_ms:g} ms over "
            f"the {1000 * spikes.presentation_s:g} ms presentation; output bins shifted by "
            "the lag. Plug-in MI in bits; significance: exact permutation p-values, "
            f"BH-FDR {alpha:g} over all input-output pairs of one lag.",
            "",
            _markdown_table(header, [[_markdown_number(v) for v in row] for row in table_rows]),
            "",
        ]
    )
    document = {
        "description": "time-binned plug-in MI between input and excitatory spikes",
        "n_presentations": spikes.n_presentations,
        "alpha": alpha,
        "rows": rows,
    }
    return {
        "time_binned.md": markdown,
        "time_binned.csv": _csv_text(header, table_rows),
        "time_binned.json": _json_text(document),
    }


def analyze_run(
    run_dir: str | os.PathLike,
    *,
    alpha: float = 0.05,
    n_permutations: int = 200,
    seed: int = 0,
    bin_ms: float = 5.0,
    lags_ms: Sequence[float] = (0.0, 5.0, 10.0, 20.0),
) -> list[Path]:
    """Write the information analysis of a finished run into ``<run_dir>/analysis/``.

    Parameters
    ----------
    run_dir : str or os.PathLike
        Run folder with ``records/test.npz`` and ``state.npz``; ``config.toml``,
        ``metrics.json``, ``assignments.npz`` and ``confusion_matrix.csv`` are used when
        present.
    alpha : float, optional
        Significance level: FDR of the BH corrections and family-wise level of the
        max-statistic test. Default: 0.05.
    n_permutations : int, optional
        Permutations of the max-statistic test (per class) and of the class-label test
        (per neuron). Default: 200.
    seed : int, optional
        Seed of all permutations; the analysis is deterministic given the seed.
        Default: 0.
    bin_ms : float, optional
        Bin width (ms) of the time-binned analysis.  Default: 5.
    lags_ms : sequence of float, optional
        Input→output lags (ms) of the time-binned analysis.  Default: 0, 5, 10, 20.

    Returns
    -------
    list of pathlib.Path
        The files written: ``table2.md``, ``table2.csv``, ``table2.json``, ``neurons.csv``,
        ``neurons.json``, ``mi_maps.npz``, ``table1.md``, ``summary.md``,
        ``receptive_fields.png``, ``mi_vs_weights.png``, ``theta.png`` and, when the run
        has ``confusion_matrix.csv``, ``confusion_matrix.png``; when the run recorded
        spike times (``records/test_spike_trains.npz``), also ``time_binned.md``,
        ``time_binned.csv`` and ``time_binned.json``
        (:func:`diehl_cook.time_binned.time_binned_information`).

    Raises
    ------
    FileNotFoundError
        If the run folder, ``records/test.npz`` or ``state.npz`` is missing.
    ValueError
        If an array is missing or the shapes disagree, or ``alpha`` is not in (0, 1).

    Notes
    -----
    The folder is built in a temporary folder next to it and moved into place at the end,
    so ``analysis/`` is either the previous complete analysis or the new one. See the
    module notes for the variables and criteria. On a 100-neuron run with 10,000 test
    images the analysis takes well under a minute on one core.
    """
    records = load_run_records(run_dir)
    class_rows = class_neuron_sets(
        spiked(records.input_counts),
        spiked(records.exc_counts),
        records.labels,
        alpha=alpha,
        n_permutations=n_permutations,
        seed=seed,
        class_names=records.class_names,
    )
    information = neuron_information(
        records.input_counts,
        records.exc_counts,
        records.labels,
        alpha=alpha,
        n_permutations=n_permutations,
        seed=seed,
    )
    mi_maps = information["input_output_information_bits"]
    correlation = map_weight_correlation(mi_maps, records.weights)

    texts = _table2_texts(class_rows, alpha=alpha, n_permutations=n_permutations, seed=seed)
    header, rows = _neuron_rows(records, information, correlation)
    texts["neurons.csv"] = _csv_text(header, rows)
    texts["neurons.json"] = _json_text(
        {
            "description": "Per output neuron, over all test presentations",
            "units": {
                "entropy": "bits",
                "information": "bits",
                "theta": "mV",
            },
            "criteria": {
                "entropy_count_bits": "plug-in H of the spike count per presentation",
                "entropy_spiked_bits": "plug-in H of 'spiked at least once' per presentation",
                "class_information_bits": "plug-in I(spike count; class label)",
                "class_information_pvalue": f"Monte-Carlo permutation of the class labels, "
                f"{n_permutations} permutations, p = (1 + #exceeding) / (1 + n)",
                "class_information_significant_bh": f"BH-FDR {alpha:g} across neurons",
                "mi_map": "per input pixel, plug-in I(input spiked; output spiked)",
                "mi_weight_correlation": "Pearson r between MI map and weight map "
                "(null when a map is constant)",
            },
            "alpha": alpha,
            "n_permutations": n_permutations,
            "seed": seed,
            "image_shape": list(records.image_shape),
            "neurons": [dict(zip(header, row, strict=True)) for row in rows],
        }
    )
    table1, accuracy = _table1_text(records)
    texts["table1.md"] = table1
    spike_file = records.run_dir / "records" / "test_spike_trains.npz"
    if spike_file.is_file():
        texts.update(_time_binned_texts(spike_file, records, bin_ms, lags_ms, alpha))

    final = records.run_dir / "analysis"
    temporary = Path(tempfile.mkdtemp(prefix=".analysis.tmp-", dir=records.run_dir))
    try:
        for name, text in texts.items():
            (temporary / name).write_text(text, encoding="utf-8")
        with open(temporary / "mi_maps.npz", "wb") as stream:
            np.savez_compressed(
                stream,
                input_output_information_bits=mi_maps,
                image_shape=np.array(records.image_shape),
            )
        figure_names = _save_figures(temporary, records, information, correlation)
        file_names = [*texts, "mi_maps.npz", *figure_names, "summary.md"]
        summary = _summary_text(
            records,
            class_rows,
            information,
            correlation,
            accuracy,
            alpha=alpha,
            n_permutations=n_permutations,
            seed=seed,
            file_names=file_names,
        )
        (temporary / "summary.md").write_text(summary, encoding="utf-8")
        temporary.chmod(0o755)
        _replace_folder(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return [final / name for name in file_names]
