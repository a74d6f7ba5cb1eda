"""The figures of ``analysis/``, drawn by :mod:`diehl_cook.plotting` (Matplotlib, no pyplot)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..run_folder import AnalysisFiles
from .records import RunRecords
from .writers import markdown_number

__all__ = ["save_figures"]

#: Number of neurons (highest class information first) shown in ``mi_vs_weights.png``.
_N_FIGURE_NEURONS = 10


def save_figures(
    folder: Path,
    records: RunRecords,
    information: dict[str, np.ndarray],
    correlation: np.ndarray,
) -> list[str]:
    """Draw the figures of a run's analysis into ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        Where the PNG files go.
    records : RunRecords
    information : dict of str to numpy.ndarray
        From :func:`~diehl_cook.analysis.neuron_information`.
    correlation : (n_exc,) numpy.ndarray
        From :func:`~diehl_cook.analysis.map_weight_correlation`.

    Returns
    -------
    list of str
        The names of the files written: ``receptive_fields.png``, ``mi_vs_weights.png``,
        ``theta.png`` and, when the run has a confusion matrix, ``confusion_matrix.png``.
    """
    from matplotlib.figure import Figure

    from ..plotting import (
        plot_confusion_matrix,
        plot_mi_vs_weights,
        plot_theta_distribution,
        plot_weight_grid,
    )

    names = []

    figure = Figure(figsize=(8.0, 7.5), layout="constrained")
    plot_weight_grid(records.weights, records.image_shape, ax=figure.add_subplot())
    figure.savefig(folder / AnalysisFiles.RECEPTIVE_FIELDS, dpi=110)
    names.append(AnalysisFiles.RECEPTIVE_FIELDS)

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
                f"r = {markdown_number(correlation[neuron], 2)}"
            ),
        )
    for extra in axes.ravel()[2 * n_shown :]:
        extra.set_visible(False)
    figure.suptitle(
        "MI map (input spiked vs output spiked, bits) | weight map; "
        "neurons with the highest class information"
    )
    figure.savefig(folder / AnalysisFiles.MI_VS_WEIGHTS, dpi=100)
    names.append(AnalysisFiles.MI_VS_WEIGHTS)

    figure = Figure(figsize=(5.5, 3.8), layout="constrained")
    plot_theta_distribution(records.theta, ax=figure.add_subplot())
    figure.savefig(folder / AnalysisFiles.THETA, dpi=110)
    names.append(AnalysisFiles.THETA)

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
        figure.savefig(folder / AnalysisFiles.CONFUSION_MATRIX, dpi=110)
        names.append(AnalysisFiles.CONFUSION_MATRIX)
    return names
