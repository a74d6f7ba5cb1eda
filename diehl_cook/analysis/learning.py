"""Did every neuron learn?  The learning diagnostics of a run folder, for ``analyze``.

From the training records (``records/train.npz``: spike counts of the last training epoch)
and the learned weights (``state.npz``), :func:`learning_outputs` writes

``learning.json``, ``learning.csv``
    Per neuron: wins (presentations in which it spiked most), training spikes, the
    structure of its weight map (Moran's I, :mod:`diehl_cook.learning_diagnostics`) and
    whether it counts as unlearned; and the counts of neurons that never fired, never won
    or are unlearned.
``wins.png``
    Wins per neuron in windows of training presentations (neurons sorted by their first
    win), beside the receptive fields of ``receptive_fields.png``.
"""

from __future__ import annotations

import numpy as np

from ..data.registry import DATASETS, dataset_info
from ..learning_diagnostics import learning_summary, wins_per_window
from .records import RunRecords
from .writers import csv_text, json_text

__all__ = ["channel_shape", "learning_outputs", "save_wins_figure"]

#: File names written by :func:`learning_outputs`.
LEARNING_JSON = "learning.json"
LEARNING_CSV = "learning.csv"
WINS_FIGURE = "wins.png"

#: Presentations per window of the wins figure (at most 60 windows are drawn).
_MAX_WINDOWS = 60


def channel_shape(n_input: int, dataset: str) -> tuple[tuple[int, int], int]:
    """Return ``((h, w), n_channels)`` of one input channel of a run.

    Parameters
    ----------
    n_input : int
        Inputs of the network (pixels times channels).
    dataset : str
        Dataset name; its image shape gives ``(h, w)``.

    Returns
    -------
    tuple
        The image shape of one channel and the number of channels (1 plain, 2 ON/OFF).  For
        an unknown dataset or a size that is not a multiple of its image, one channel of
        shape ``(1, n_input)``.
    """
    if dataset in DATASETS:
        height, width = dataset_info(dataset).image_shape
        if n_input % (height * width) == 0:
            return (height, width), n_input // (height * width)
    return (1, n_input), 1


def learning_outputs(records: RunRecords) -> tuple[dict[str, str], dict | None, tuple | None]:
    """Compute the learning diagnostics of a run.

    Parameters
    ----------
    records : RunRecords
        The run's test records (for the weights, the dataset and the folder).

    Returns
    -------
    texts : dict of str to str
        ``{file name: content}`` of ``learning.json`` and ``learning.csv``; empty when the
        run folder has no training records.
    summary : dict or None
        The JSON-friendly summary (:func:`diehl_cook.learning_diagnostics.learning_summary`).
    wins : tuple or None
        ``(wins, window)``: the ``(n_windows, n_exc)`` wins per window of ``window``
        training presentations, for :func:`save_wins_figure`.
    """
    folder = records.folder
    if not folder.has_records("train"):
        return {}, None, None
    train = folder.read_phase_records("train", required=("exc_counts",))
    exc_counts = train["exc_counts"]
    image_shape, n_channels = channel_shape(records.weights.shape[0], records.dataset)
    result = learning_summary(exc_counts, records.weights, image_shape, n_channels)
    summary, per_neuron = result["summary"], result["per_neuron"]
    window = max(1, -(-len(exc_counts) // _MAX_WINDOWS))
    wins = wins_per_window(exc_counts, window)
    header = ["neuron", "wins", "training_spikes", "structure_morans_i", "unlearned"]
    rows = [
        [
            index,
            int(per_neuron["wins"][index]),
            int(per_neuron["total_spikes"][index]),
            None
            if np.isnan(per_neuron["structure"][index])
            else float(per_neuron["structure"][index]),
            bool(per_neuron["unlearned"][index]),
        ]
        for index in range(len(per_neuron["wins"]))
    ]
    document = {
        "description": "Did every neuron learn: wins and spikes over the last training "
        "epoch, and the structure of each weight map",
        "criterion": "unlearned: Moran's I of the weight map (4-neighbour, per channel) at or "
        f"below {summary['threshold']:.4f}, the value that i.i.d. noise exceeds with "
        f"probability {summary['false_positive_rate']:g}",
        "window_presentations": window,
        "summary": summary,
        "neurons": [dict(zip(header, row, strict=True)) for row in rows],
    }
    texts = {LEARNING_JSON: json_text(document), LEARNING_CSV: csv_text(header, rows)}
    return texts, summary, (wins, window)


def save_wins_figure(path, wins: np.ndarray, window: int) -> None:
    """Draw wins per neuron over training (neurons sorted by their first win).

    Parameters
    ----------
    path : pathlib.Path
        PNG file to write.
    wins : (n_windows, n_exc) numpy.ndarray
        Wins per window (:func:`diehl_cook.learning_diagnostics.wins_per_window`).
    window : int
        Presentations per window.
    """
    from matplotlib.figure import Figure

    first = np.where(wins.any(axis=0), np.argmax(wins > 0, axis=0), len(wins))
    order = np.argsort(first, kind="stable")
    figure = Figure(figsize=(8.0, 4.5), layout="constrained")
    ax = figure.add_subplot()
    image = ax.imshow(
        wins[:, order].T,
        aspect="auto",
        cmap="magma_r",
        interpolation="nearest",
        extent=(0, len(wins) * window, len(order) - 0.5, -0.5),
    )
    ax.set_xlabel("training presentations")
    ax.set_ylabel("neuron (sorted by first win)")
    never = int((first == len(wins)).sum())
    ax.set_title(f"Wins per {window} presentations ({never} neurons never won)")
    figure.colorbar(image, ax=ax, label="wins")
    figure.savefig(path, dpi=110)
