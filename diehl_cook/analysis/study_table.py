r"""Table 2 of the Capozzi et al. study in its own form, and an honest test beside it.

The study's table (capozzi-study-as-run.md, section 5) lists, per class, the output neurons
that "have mutual information" with the input.  It was computed as follows, and
:func:`study_table` does the same from the recorded spike times of a run folder
(``records/test_spike_trains.npz``):

* per class, **the first test image of that class** in test order, one presentation;
* the input and excitatory spikes of that presentation **binned at the time step**
  (250 bins of 1 ms for the study's protocol), one binary sample per bin;
* per (input :math:`i`, output :math:`j`) pair, the plug-in mutual information of the two
  binary sequences over the bins, in **nats** (scikit-learn's ``mutual_info_classif`` with
  ``discrete_features=True``), input bin :math:`k` paired with output bin :math:`k`;
* per output, the sum over all inputs, :math:`S_j = \sum_i \hat I(X_i; Y_j)`;
  "has MI" when :math:`S_j > 10^{-6}` nats.

A silent output is constant, so :math:`S_j = 0`; an output that spiked has a positive
plug-in MI with almost any input, so "has MI" and "spiked" select the same neurons by
construction.  Beside it, the same presentation is **tested**: the null hypothesis "output
:math:`j` is independent of the inputs" is tested with the statistic :math:`S_j` against
its **circular-shift null distribution**, every cyclic shift :math:`\tau = 0, \dots, N - 1`
of output :math:`j`'s binned train against the unshifted inputs (:math:`N` bins), with
:math:`p_j = \#\{\tau : S_j(\tau) \ge S_j(0)\} / N`.  The outputs whose :math:`p_j` pass the
Benjamini-Hochberg procedure at level :math:`\alpha` form the honest set.

Why circular shifts, not shuffled bins: the bins of one presentation are not independent
samples.  Each train has its own time structure (BindsNET's inputs are renewal trains with
quasi-regular intervals, the outputs are refractory and inhibit each other).  Shuffling bins
treats them as exchangeable, which they are not when both trains have time structure: its
null can then be too narrow and the test anti-conservative.  A cyclic shift keeps every
train's autocorrelation and the inputs' joint structure, and only breaks the alignment of
the output with the inputs; it needs the trains to be (about) stationary within the
presentation.  The smallest possible p-value is
:math:`1/N` (0.004 for 250 bins).

The family of the BH procedure is the outputs that spiked: a silent output's null
distribution is a single point (:math:`S_j(\tau) = 0` for every shift, :math:`p_j = 1`), so
it can never be rejected, and leaving such untestable hypotheses out keeps the FDR
controlled (Tarone 1990) while not diluting the others.

The same table is then built from the first ``k`` test images of every class: their bins are
concatenated (:math:`kN` samples) and the shift :math:`\tau` rotates the output train within
each presentation, the same :math:`\tau` for all of them.

Pure numpy/scipy; the estimators and the BH procedure come from
:mod:`diehl_cook.information`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from ..information import benjamini_hochberg, mutual_information_matrix
from .writers import csv_text, json_text, markdown_number, markdown_table

__all__ = [
    "STUDY_MI_THRESHOLD_NATS",
    "STUDY_TABLE_CSV",
    "STUDY_TABLE_JSON",
    "STUDY_TABLE_MD",
    "StudyRow",
    "binned_presentation",
    "circular_shift_pvalues",
    "format_neuron_set",
    "study_information_matrix",
    "study_record_count",
    "study_record_indices",
    "study_table",
    "study_table_texts",
    "time_step_of_config",
]

#: "Has mutual information": summed plug-in MI above this many nats (the study's criterion).
STUDY_MI_THRESHOLD_NATS = 1e-6
#: Files written into ``analysis/``.
STUDY_TABLE_MD = "table2_study.md"
STUDY_TABLE_JSON = "table2_study.json"
STUDY_TABLE_CSV = "table2_study.csv"
#: Relative tolerance of "S(tau) >= S(0)": sums of equal terms in another order may differ.
_TIE_TOLERANCE = 1e-9

_TIME = re.compile(r"^\s*([-+0-9.eE]+)\s*(s|ms|us)\s*$")
_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def time_step_of_config(config: dict, default_s: float = 1e-3) -> float:
    """Return the time step of a run's config (``[protocol] dt``), in seconds.

    Parameters
    ----------
    config : dict
        The run's ``config.toml`` (may be empty).
    default_s : float, optional
        Used when the config gives none.  Default: 1 ms (the study's).

    Returns
    -------
    float
        Seconds.

    Examples
    --------
    >>> time_step_of_config({"protocol": {"dt": "0.5 ms"}})
    0.0005
    """
    text = config.get("protocol", {}).get("dt")
    if text is None:
        return default_s
    match = _TIME.match(str(text))
    if not match:
        raise ValueError(f"protocol.dt {text!r} is not '<number> s|ms|us'")
    return float(match[1]) * _SECONDS[match[2]]


def study_record_indices(labels: Sequence[int], per_class: int = 1) -> np.ndarray:
    """Test images whose spike times the study table needs, in test order.

    Parameters
    ----------
    labels : sequence of int
        Class of every test image, in test order.
    per_class : int, optional
        How many images of each class, the first in test order.  Default: 1 (the study's
        table); ``k`` for the table over ``k`` presentations per class.

    Returns
    -------
    numpy.ndarray of int64
        Sorted test indices: the first ``per_class`` images of every class present.

    Examples
    --------
    >>> study_record_indices([7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6], per_class=1).tolist()
    [0, 1, 2, 3, 4, 7, 8, 11]
    """
    labels = np.asarray(labels).reshape(-1)
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class!r}")
    chosen = [np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen)).astype(np.int64) if chosen else np.empty(0, np.int64)


def study_record_count(labels: Sequence[int], per_class: int = 5, at_least: int = 0) -> int:
    """How many of the first test images to record so that the study tables have theirs.

    The engines record the spike times of the first ``n`` test images of a phase; this
    ``n`` covers :func:`study_record_indices` (``pipeline.evaluate`` records that many,
    whatever ``output.record_spike_times`` says, when it is larger).

    Parameters
    ----------
    labels : sequence of int
        Class of every test image, in test order.
    per_class : int, optional
        Images per class of the second table.  Default: 5.  0: none needed.
    at_least : int, optional
        The count asked for otherwise (``output.record_spike_times``).  Default: 0.

    Returns
    -------
    int
        ``max(at_least, last needed test index + 1)``.

    Examples
    --------
    >>> study_record_count([7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6], per_class=1, at_least=4)
    12
    """
    if per_class < 1 or len(labels) == 0:
        return int(at_least)
    return max(int(at_least), int(study_record_indices(labels, per_class).max()) + 1)


def format_neuron_set(neurons: Sequence[int]) -> str:
    """Neuron indices written as the study writes them: ``{3, 4, 29, 31, 52}``, or ``{}``.

    Examples
    --------
    >>> format_neuron_set([31, 3, 4]), format_neuron_set([])
    ('{3, 4, 31}', '{}')
    """
    return "{" + ", ".join(str(int(n)) for n in sorted(set(np.ravel(neurons).tolist()))) + "}"


def binned_presentation(
    spikes, row: int, layer: str, n_neurons: int, step_s: float, n_bins: int
) -> scipy.sparse.csr_array:
    """Binary (bin, neuron) matrix of one recorded presentation: "spiked in bin k".

    Parameters
    ----------
    spikes : diehl_cook.run_folder.RecordedSpikes
    row : int
        Recorded presentation.
    layer : {"input", "exc", "inh"}
    n_neurons : int
        Neurons of the layer.
    step_s : float
        Bin width in seconds (the time step: a spike of step ``k`` lies in bin ``k``).
    n_bins : int
        Bins from the presentation onset; later spikes (the rest) are left out.

    Returns
    -------
    scipy.sparse.csr_array of bool, shape (n_bins, n_neurons)
    """
    trains = spikes.layers[layer]
    mine = trains.row == row
    bins = np.floor(trains.time[mine] / step_s + 1e-6).astype(np.int64)
    neurons = trains.neuron[mine].astype(np.int64)
    inside = (bins >= 0) & (bins < n_bins)
    matrix = scipy.sparse.coo_array(
        (np.ones(int(inside.sum()), dtype=bool), (bins[inside], neurons[inside])),
        shape=(n_bins, n_neurons),
    ).tocsr()
    matrix.sum_duplicates()
    matrix.data[:] = True
    return matrix


def study_information_matrix(inputs, outputs) -> np.ndarray:
    r"""Return the plug-in MI in nats of every (input, output) pair, bins as samples.

    Parameters
    ----------
    inputs : (n_bins, n_input) array_like or scipy.sparse matrix of bool
    outputs : (n_bins, n_output) array_like or scipy.sparse matrix of bool

    Returns
    -------
    (n_input, n_output) numpy.ndarray
        :math:`\hat I(X_i; Y_j)` in nats (scikit-learn's ``mutual_info_score``).
    """
    return mutual_information_matrix(inputs, outputs, base=np.e)


def _rotated_columns(output_blocks: Sequence[np.ndarray], n_bins: int) -> scipy.sparse.csr_array:
    """(k n_bins, n_bins) matrix: column tau is every block of one train rotated by tau."""
    rows, columns = [], []
    for block_index, block in enumerate(output_blocks):
        spike_bins = np.flatnonzero(block)
        shifts = np.arange(n_bins)
        rotated = (spike_bins[:, None] + shifts[None, :]) % n_bins
        rows.append((rotated + block_index * n_bins).ravel())
        columns.append(np.broadcast_to(shifts, rotated.shape).ravel())
    rows = np.concatenate(rows) if rows else np.empty(0, np.int64)
    columns = np.concatenate(columns) if columns else np.empty(0, np.int64)
    return scipy.sparse.coo_array(
        (np.ones(len(rows), dtype=bool), (rows, columns)),
        shape=(len(output_blocks) * n_bins, n_bins),
    ).tocsr()


def circular_shift_pvalues(
    input_blocks: Sequence, output_blocks: Sequence, candidates: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the summed MI and its circular-shift p-value for each candidate output.

    Parameters
    ----------
    input_blocks : sequence of (n_bins, n_input) matrices of bool
        The inputs of each presentation (scipy.sparse or dense).
    output_blocks : sequence of (n_bins, n_output) matrices of bool
        The outputs of the same presentations.
    candidates : sequence of int
        Outputs to test.

    Returns
    -------
    summed_nats : (n_candidates,) numpy.ndarray
        :math:`S_j = \sum_i \hat I(X_i; Y_j)` over the concatenated bins, in nats.
    pvalues : (n_candidates,) numpy.ndarray
        :math:`\#\{\tau : S_j(\tau) \ge S_j(0)\} / N` over all ``N`` cyclic shifts of
        output ``j`` within each presentation (the same shift for all); 1 for an output
        that never spiked.
    """
    inputs = _varying_columns(
        scipy.sparse.vstack([scipy.sparse.csr_array(block) for block in input_blocks])
    )
    n_bins = input_blocks[0].shape[0]
    dense_outputs = [np.asarray(_dense(block), dtype=bool) for block in output_blocks]
    candidates = [int(neuron) for neuron in candidates]
    summed, pvalues = np.zeros(len(candidates)), np.ones(len(candidates))
    spiking = [
        k for k, neuron in enumerate(candidates) if any(b[:, neuron].any() for b in dense_outputs)
    ]
    if not spiking:
        return summed, pvalues
    # every shift of every spiking candidate as one column: one estimator call in all
    shifted = scipy.sparse.hstack(
        [
            _rotated_columns([block[:, candidates[k]] for block in dense_outputs], n_bins)
            for k in spiking
        ]
    ).tocsr()
    null = study_information_matrix(inputs, shifted).sum(axis=0).reshape(len(spiking), n_bins)
    observed = null[:, 0]
    summed[spiking] = observed
    pvalues[spiking] = np.mean(null >= observed[:, None] * (1 - _TIE_TOLERANCE), axis=1)
    return summed, pvalues


def _varying_columns(matrix):
    """Keep the columns of a sparse bool matrix that are not constant (at least one).

    A constant input has a plug-in MI of exactly 0 with every output, so leaving it out of
    the sums over inputs changes nothing but the cost.
    """
    matrix = scipy.sparse.csc_array(matrix)
    counts = np.diff(matrix.indptr)
    keep = np.flatnonzero((counts > 0) & (counts < matrix.shape[0]))
    return matrix[:, keep if len(keep) else [0]].tocsr()


def _dense(matrix):
    return matrix.toarray() if scipy.sparse.issparse(matrix) else np.asarray(matrix)


@dataclass
class StudyRow:
    """One class of the study table.

    Attributes
    ----------
    label : int
        The class.
    class_name : str or None
    images : list of int
        Test images used (the first ``k`` of the class, in test order); empty when none
        was recorded.
    spiked : list of int
        Outputs that spiked at least once in those presentations.
    has_mi : list of int
        Outputs with :math:`S_j > 10^{-6}` nats (the study's criterion).
    significant : list of int
        Outputs whose circular-shift p-value passes BH at ``alpha`` (family: ``spiked``).
    neurons : list of dict
        Per output that spiked: ``neuron``, ``n_spikes``, ``mi_nats``, ``mi_bits``,
        ``p_value``, ``significant``.
    missing : int
        Images of the class that the table needed but that were not recorded.
    """

    label: int
    class_name: str | None
    images: list = field(default_factory=list)
    spiked: list = field(default_factory=list)
    has_mi: list = field(default_factory=list)
    significant: list = field(default_factory=list)
    neurons: list = field(default_factory=list)
    missing: int = 0


def _class_row(spikes, rows, label, class_name, sizes, step_s, n_bins, alpha):
    input_blocks = [
        binned_presentation(spikes, r, "input", sizes[0], step_s, n_bins) for r in rows
    ]
    output_blocks = [binned_presentation(spikes, r, "exc", sizes[1], step_s, n_bins) for r in rows]
    outputs = scipy.sparse.vstack(output_blocks)
    counts = np.asarray(outputs.sum(axis=0)).reshape(-1)
    spiked = np.flatnonzero(counts > 0)
    inputs = _varying_columns(scipy.sparse.vstack(input_blocks))
    study_sum = study_information_matrix(inputs, outputs).sum(axis=0)
    has_mi = np.flatnonzero(study_sum > STUDY_MI_THRESHOLD_NATS)
    summed, pvalues = circular_shift_pvalues(input_blocks, output_blocks, spiked)
    rejected = benjamini_hochberg(pvalues, alpha=alpha) if len(spiked) else np.zeros(0, bool)
    neurons = [
        {
            "neuron": int(neuron),
            "n_spikes": int(counts[neuron]),
            "mi_nats": float(study_sum[neuron]),
            "mi_bits": float(study_sum[neuron] / np.log(2)),
            "p_value": float(p),
            "significant": bool(passed),
        }
        for neuron, p, passed in zip(spiked, pvalues, rejected, strict=True)
    ]
    return StudyRow(
        label=int(label),
        class_name=class_name,
        images=[int(spikes.image_index[r]) for r in rows],
        spiked=spiked.tolist(),
        has_mi=has_mi.tolist(),
        significant=spiked[rejected].tolist(),
        neurons=neurons,
    )


def study_table(
    spikes,
    test_labels: Sequence[int],
    *,
    n_input: int,
    n_exc: int,
    step_s: float,
    per_class: int = 1,
    alpha: float = 0.05,
    class_names: Sequence[str] | None = None,
) -> list[StudyRow]:
    """Build the study's Table 2 (``per_class = 1``) or its version over more images.

    Parameters
    ----------
    spikes : diehl_cook.run_folder.RecordedSpikes
        Recorded test presentations (``records/test_spike_trains.npz``).
    test_labels : sequence of int
        Class of every test image in test order (to know which image is the first of its
        class, recorded or not).
    n_input, n_exc : int
        Layer sizes.
    step_s : float
        The simulation time step (s): the bin width.
    per_class : int, optional
        Presentations per class, the first in test order.  Default: 1 (the study's).
    alpha : float, optional
        BH-FDR level of the honest set.  Default: 0.05.
    class_names : sequence of str, optional

    Returns
    -------
    list of StudyRow
        One per class of ``test_labels``, in class order.  A class whose images were not
        recorded has ``missing > 0`` and uses the recorded ones among them (none: empty
        sets).
    """
    if not step_s > 0:
        raise ValueError(f"step_s must be positive, got {step_s!r}")
    n_bins = int(round(spikes.presentation_s / step_s))
    if n_bins < 1:
        raise ValueError(f"presentation {spikes.presentation_s} s is shorter than a step")
    test_labels = np.asarray(test_labels).reshape(-1)
    wanted = study_record_indices(test_labels, per_class)
    row_of_image = {int(image): r for r, image in enumerate(spikes.image_index)}
    rows = []
    for label in np.unique(test_labels):
        images = [int(i) for i in wanted if test_labels[i] == label]
        recorded = [row_of_image[i] for i in images if i in row_of_image]
        name = None if class_names is None else str(class_names[int(label)])
        if recorded:
            row = _class_row(
                spikes, recorded, label, name, (n_input, n_exc), step_s, n_bins, alpha
            )
        else:
            row = StudyRow(label=int(label), class_name=name)
        row.missing = len(images) - len(recorded)
        rows.append(row)
    return rows


def _class_cell(row: StudyRow) -> str:
    if row.class_name and row.class_name != str(row.label):
        return f"{row.label} ({row.class_name})"
    return str(row.label)


def _images_cell(row: StudyRow) -> str:
    text = ", ".join(str(i) for i in row.images) or "none recorded"
    return text + (f" ({row.missing} not recorded)" if row.missing and row.images else "")


def _sets_table(rows: Sequence[StudyRow], alpha: float) -> str:
    header = [
        "class",
        "test image(s)",
        "spiked",
        "has MI (study: Σᵢ I > 1e-6 nats)",
        f"significant (circular shifts, BH {alpha:g})",
    ]
    body = [
        [
            _class_cell(row),
            _images_cell(row),
            format_neuron_set(row.spiked),
            format_neuron_set(row.has_mi),
            format_neuron_set(row.significant),
        ]
        for row in rows
    ]
    return markdown_table(header, body)


def _neuron_table(rows: Sequence[StudyRow]) -> str:
    header = ["class", "neuron", "spikes", "Σᵢ I (nats)", "Σᵢ I (bits)", "p (shifts)", "sig."]
    body = [
        [
            _class_cell(row),
            str(item["neuron"]),
            str(item["n_spikes"]),
            markdown_number(item["mi_nats"], 4),
            markdown_number(item["mi_bits"], 4),
            markdown_number(item["p_value"], 3),
            "yes" if item["significant"] else "no",
        ]
        for row in rows
        for item in row.neurons
    ]
    return markdown_table(header, body) if body else "No output neuron spiked.\n"


def _row_document(row: StudyRow) -> dict:
    return {
        "class": row.label,
        "class_name": row.class_name,
        "test_images": row.images,
        "images_not_recorded": row.missing,
        "spiked": row.spiked,
        "has_mi": row.has_mi,
        "significant": row.significant,
        "neurons": row.neurons,
    }


def study_table_texts(
    spikes,
    test_labels: Sequence[int],
    *,
    n_input: int,
    n_exc: int,
    step_s: float,
    per_class: int = 5,
    alpha: float = 0.05,
    class_names: Sequence[str] | None = None,
) -> dict[str, str]:
    """Return the files of the study table: Markdown, JSON and CSV, by file name.

    Parameters
    ----------
    spikes, test_labels, n_input, n_exc, step_s, alpha, class_names
        As for :func:`study_table`.
    per_class : int, optional
        ``k`` of the second table (the first ``k`` test images of each class).  Default: 5.
        1 writes the first table only.

    Returns
    -------
    dict of str to str
        ``{STUDY_TABLE_MD: ..., STUDY_TABLE_JSON: ..., STUDY_TABLE_CSV: ...}``.
    """
    common = {
        "n_input": n_input,
        "n_exc": n_exc,
        "step_s": step_s,
        "alpha": alpha,
        "class_names": class_names,
    }
    tables = {1: study_table(spikes, test_labels, per_class=1, **common)}
    if per_class > 1:
        tables[per_class] = study_table(spikes, test_labels, per_class=per_class, **common)
    n_bins = int(round(spikes.presentation_s / step_s))
    step_ms = 1000 * step_s
    lines = [
        "# Table 2 in the study's form, and tested",
        "",
        f"Per class, the first test image of that class: its {n_bins} bins of {step_ms:g} ms are "
        "the samples. Per (input, output) pair the plug-in mutual information of the two "
        "binary trains (input bin k with output bin k), in nats, summed over all inputs: "
        f"*has MI* when the sum exceeds {STUDY_MI_THRESHOLD_NATS:g} nats, the criterion of "
        "Capozzi et al. A silent output has exactly 0 and an output that spiked has a "
        "positive sum with almost any input, so *spiked* and *has MI* are the same sets by "
        "construction.",
        "",
        "*Significant*: the sum tested against every cyclic shift of the output's train "
        f"against the inputs ({n_bins} shifts, p = share of shifts with a sum at least the "
        f"observed one, so p >= {1 / n_bins:.3g}), then Benjamini-Hochberg at {alpha:g} over "
        "the outputs that spiked (a silent output cannot be tested: every shift gives 0). "
        "Shifts keep each train's time structure (refractoriness, quasi-regular inputs); "
        "shuffled bins would not, and can make the test anti-conservative.",
        "",
        _sets_table(tables[1], alpha),
        "Summed MI of every output that spiked:",
        "",
        _neuron_table(tables[1]),
    ]
    if per_class > 1:
        lines += [
            f"## The first {per_class} test images of every class",
            "",
            f"The {per_class} presentations' bins concatenated ({per_class * n_bins} samples); "
            "a shift rotates the output train within each presentation, the same shift for "
            "all of them.",
            "",
            _sets_table(tables[per_class], alpha),
            "Summed MI of every output that spiked:",
            "",
            _neuron_table(tables[per_class]),
        ]
    missing = sum(row.missing for table in tables.values() for row in table)
    if missing:
        lines += [
            f"{missing} of the images these tables need were not recorded (record the spike "
            "times of `study_record_indices(test labels, k)`).",
            "",
        ]
    document = {
        "description": "Table 2 of Capozzi et al. in its own form (plug-in MI over time bins, "
        "summed over inputs, > 1e-6 nats) and tested (circular-shift null, BH-FDR over "
        "the outputs that spiked)",
        "units": {"mi_nats": "nats", "mi_bits": "bits", "step_s": "s"},
        "step_s": step_s,
        "n_bins": n_bins,
        "threshold_nats": STUDY_MI_THRESHOLD_NATS,
        "alpha": alpha,
        "tables": {str(k): [_row_document(row) for row in table] for k, table in tables.items()},
    }
    header = ["presentations_per_class", "class", "test_images", "spiked", "has_mi", "significant"]
    csv_rows = [
        [
            k,
            row.label,
            " ".join(str(i) for i in row.images),
            format_neuron_set(row.spiked),
            format_neuron_set(row.has_mi),
            format_neuron_set(row.significant),
        ]
        for k, table in tables.items()
        for row in table
    ]
    return {
        STUDY_TABLE_MD: "\n".join(lines),
        STUDY_TABLE_JSON: json_text(document),
        STUDY_TABLE_CSV: csv_text(header, csv_rows),
    }
