"""The texts of the analysis: Tables 1 and 2, neuron rows, time-binned table, summary.

Every function returns strings (or rows); :func:`~diehl_cook.analysis.analyze_run` writes
them.  The criteria are described here once and quoted in ``table2.md``, ``table2.json``
and ``summary.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..run_folder import AnalysisFiles, RecordedSpikes
from .neuron_sets import JACCARD_PAIRS, MI_TOLERANCE_BITS
from .records import RunRecords
from .reference import DATASET_TITLES, DIEHL_COOK_ACCURACY, DIEHL_COOK_REFERENCE, STUDY_ACCURACY
from .writers import csv_text, json_text, markdown_number, markdown_table

__all__ = [
    "SET_CRITERIA",
    "criteria_texts",
    "neuron_rows",
    "summary_text",
    "table1_text",
    "table2_texts",
    "time_binned_texts",
]

#: Criteria of the per-class neuron sets, in table order: key, short title, description.
SET_CRITERIA = (
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


def _class_title(row: dict) -> str:
    name = row["class_name"]
    return f"{row['class']} ({name})" if name and name != str(row["class"]) else str(row["class"])


def criteria_texts(alpha: float, n_permutations: int) -> dict[str, str]:
    """Describe each criterion of :data:`SET_CRITERIA` with its parameters filled in."""
    return {
        key: description.format(
            tolerance=MI_TOLERANCE_BITS, alpha=alpha, n_permutations=n_permutations
        )
        for key, _, description in SET_CRITERIA
    }


def table2_texts(
    rows: list[dict], *, alpha: float, n_permutations: int, seed: int
) -> dict[str, str]:
    """Return ``table2.md``, ``table2.csv`` and ``table2.json`` by file name.

    Parameters
    ----------
    rows : list of dict
        The per-class rows of :func:`~diehl_cook.analysis.class_neuron_sets`.
    alpha, n_permutations, seed
        The settings they were computed with (quoted in the texts).
    """
    set_keys = [key for key, _, _ in SET_CRITERIA]
    csv_header = [
        "class",
        "class_name",
        "n_presentations",
        "n_inputs_varying",
        *[f"n_{key}" for key in set_keys],
        *[f"jaccard_{name}" for name, _, _, _ in JACCARD_PAIRS],
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
            *[row["jaccard"][name] for name, _, _, _ in JACCARD_PAIRS],
            row["n_significant_pairs"]["fdr"],
            row["n_significant_pairs"]["max_statistic"],
            len(row["spiked_in_every_presentation"]),
        ]
        for row in rows
    ]
    markdown_header = [
        "Class",
        "Presentations",
        *[title for _, title, _ in SET_CRITERIA[:4]],
        *[title for _, _, _, title in JACCARD_PAIRS],
    ]
    markdown_rows = [
        [
            _class_title(row),
            str(row["n_presentations"]),
            *[str(row["sizes"][key]) for key in set_keys[:4]],
            *[markdown_number(row["jaccard"][name]) for name, _, _, _ in JACCARD_PAIRS],
        ]
        for row in rows
    ]
    criteria = criteria_texts(alpha, n_permutations)
    legend = "\n".join(f"- **{title}**: {criteria[key]}." for key, title, _ in SET_CRITERIA[:4])
    markdown = (
        "# Table 2: output neurons with information about the input, per class\n\n"
        "Each row uses only the test presentations of that class. Variables: binary "
        '"spiked at least once during the presentation" for every input and every output '
        "neuron; MI is the plug-in estimate in bits.\n\n"
        + markdown_table(markdown_header, markdown_rows)
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
        AnalysisFiles.TABLE2_MD: markdown,
        AnalysisFiles.TABLE2_CSV: csv_text(csv_header, csv_rows),
        AnalysisFiles.TABLE2_JSON: json_text(document),
    }


def neuron_rows(
    records: RunRecords, information: dict[str, np.ndarray], correlation: np.ndarray
) -> tuple[list[str], list[list]]:
    """Return the header and one row per excitatory neuron of ``neurons.csv``.

    Parameters
    ----------
    records : RunRecords
    information : dict of str to numpy.ndarray
        From :func:`~diehl_cook.analysis.neuron_information`.
    correlation : (n_exc,) numpy.ndarray
        From :func:`~diehl_cook.analysis.map_weight_correlation`.

    Returns
    -------
    header : list of str
    rows : list of list
        Values as numbers (theta in mV), None for a missing assignment.
    """
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


def table1_text(records: RunRecords) -> tuple[str, float | None]:
    """Return ``table1.md`` and the run's test accuracy (0-1; None if not recorded)."""
    test = records.metrics.get("test", {}) if isinstance(records.metrics, dict) else {}
    accuracy = test.get("accuracy")
    n_test = test.get("n_images", records.labels.size)
    n_train = records.metrics.get("train", {}).get("n_images")
    n_epochs = records.config.get("simulation", {}).get("epochs")
    title = DATASET_TITLES.get(records.dataset, records.dataset)
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
                DATASET_TITLES[dataset] + marker,
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
        + markdown_table(header, rows)
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


def summary_text(
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
    """Return ``summary.md``: the criteria, the Table 2 set sizes and the per-neuron results.

    Parameters
    ----------
    records : RunRecords
    class_rows : list of dict
        From :func:`~diehl_cook.analysis.class_neuron_sets`.
    information : dict of str to numpy.ndarray
        From :func:`~diehl_cook.analysis.neuron_information`.
    correlation : (n_exc,) numpy.ndarray
        From :func:`~diehl_cook.analysis.map_weight_correlation`.
    accuracy : float or None
        Test accuracy (0-1).
    alpha, n_permutations, seed
        The analysis settings.
    file_names : sequence of str
        The files of ``analysis/``, listed at the end.
    """
    title = DATASET_TITLES.get(records.dataset, records.dataset)
    sizes = {key: [row["sizes"][key] for row in class_rows] for key, _, _ in SET_CRITERIA}
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
    criteria = criteria_texts(alpha, n_permutations)
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
        *[f"- **{short}**: {criteria[key]}." for key, short, _ in SET_CRITERIA[:4]],
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
        *[f"- {short}: {span(sizes[key])}" for key, short, _ in SET_CRITERIA if sizes[key]],
        f"- mean Jaccard(a, c BH-FDR) = {markdown_number(mean(jaccard_fdr))}, "
        f"mean Jaccard(a, c max-stat) = {markdown_number(mean(jaccard_max))}.",
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


def time_binned_texts(
    spikes: RecordedSpikes, rows: list[dict], *, bin_ms: float, alpha: float
) -> dict[str, str]:
    """Return ``time_binned.md``, ``time_binned.csv`` and ``time_binned.json`` by file name.

    Parameters
    ----------
    spikes : RecordedSpikes
        The recorded presentations the rows were computed from.
    rows : list of dict
        From :func:`~diehl_cook.analysis.time_binned.time_binned_information`.
    bin_ms : float
        Bin width (ms).
    alpha : float
        BH-FDR level used.
    """
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
            markdown_table(header, [[markdown_number(v) for v in row] for row in table_rows]),
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
        AnalysisFiles.TIME_BINNED_MD: markdown,
        AnalysisFiles.TIME_BINNED_CSV: csv_text(header, table_rows),
        AnalysisFiles.TIME_BINNED_JSON: json_text(document),
    }
