"""Figures of a run: receptive fields, information maps, thresholds, confusion matrix, raster.

Every function takes arrays (no files, no run folders) and an optional Matplotlib ``ax``
(or ``axes``), draws into it and returns it.  Without ``ax`` a new figure is made with
:func:`matplotlib.pyplot.subplots`; save it with ``ax.figure.savefig(path)``.  Nothing here
calls ``plt.show``, so the functions work with the non-interactive ``"Agg"`` backend.
To draw without pyplot at all (as :mod:`diehl_cook.analysis` does), create a
:class:`matplotlib.figure.Figure` and pass its axes.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "plot_confusion_matrix",
    "plot_learning_curve",
    "plot_presentations",
    "plot_mi_vs_weights",
    "plot_raster",
    "plot_theta_distribution",
    "plot_weight_grid",
    "tile_receptive_fields",
]


def _new_axes(n_columns=1, size=(4.0, 4.0)):
    import matplotlib.pyplot as plt

    _figure, axes = plt.subplots(
        1, n_columns, figsize=(size[0] * n_columns, size[1]), squeeze=False
    )
    return axes[0] if n_columns > 1 else axes[0, 0]


def _check_image_shape(image_shape) -> tuple[int, int]:
    shape = tuple(int(side) for side in image_shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"image_shape must be (height, width) with positive sides, got {shape}")
    return shape


def tile_receptive_fields(
    weights: ArrayLike, image_shape: tuple[int, int], n_columns: int | None = None
) -> np.ndarray:
    """Arrange the weight column of every neuron as an image in one tiled array.

    Parameters
    ----------
    weights : (n_input, n_neurons) array_like
        Input-to-neuron weights; column ``j`` is neuron ``j``'s receptive field.
    image_shape : tuple of int
        ``(height, width)`` with ``height * width == n_input``.
    n_columns : int, optional
        Tiles per row. Default: ``ceil(sqrt(n_neurons))``.

    Returns
    -------
    numpy.ndarray of float64
        ``(n_rows * (height + 1) - 1, n_columns * (width + 1) - 1)`` image; tiles are
        separated by one row/column of NaN (drawn as background), and unused tiles are NaN.

    Raises
    ------
    ValueError
        If ``weights`` is not 2-D or ``image_shape`` does not match ``n_input``.
    """
    weights = np.asarray(weights, dtype=np.float64)
    height, width = _check_image_shape(image_shape)
    if weights.ndim != 2 or weights.shape[0] != height * width:
        raise ValueError(
            f"weights must have shape (n_input, n_neurons) with n_input = {height} * {width}, "
            f"got {weights.shape}"
        )
    n_neurons = weights.shape[1]
    if n_columns is None:
        n_columns = max(1, math.ceil(math.sqrt(n_neurons)))
    n_rows = max(1, math.ceil(n_neurons / n_columns))
    tiled = np.full((n_rows * (height + 1) - 1, n_columns * (width + 1) - 1), np.nan)
    for neuron in range(n_neurons):
        row, column = divmod(neuron, n_columns)
        top, left = row * (height + 1), column * (width + 1)
        tiled[top : top + height, left : left + width] = weights[:, neuron].reshape(height, width)
    return tiled


def plot_weight_grid(weights: ArrayLike, image_shape: tuple[int, int], ax=None, **kwargs):
    """Draw the receptive fields (input weights) of all neurons as a grid of images.

    Parameters
    ----------
    weights : (n_input, n_neurons) array_like
        Input-to-excitatory weights (``input_to_exc.w`` of ``state.npz``), dimensionless.
    image_shape : tuple of int
        ``(height, width)`` of the input image, ``height * width == n_input``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into. Default: a new figure.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.imshow` (default ``cmap="hot_r"``, as in
        Diehl & Cook's figures).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into; a colour bar shows the weight scale.

    Raises
    ------
    ValueError
        If the shapes do not match.
    """
    tiled = tile_receptive_fields(weights, image_shape)
    if ax is None:
        ax = _new_axes(size=(7.0, 7.0))
    options = {"cmap": "hot_r", "interpolation": "nearest"}
    options.update(kwargs)
    image = ax.imshow(np.ma.masked_invalid(tiled), **options)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="weight")
    ax.set_xticks([])
    ax.set_yticks([])
    n_neurons = np.asarray(weights).shape[1]
    ax.set_title(f"Receptive fields of {n_neurons} neurons (input weights)")
    return ax


def plot_mi_vs_weights(
    mi_map: ArrayLike,
    weight_map: ArrayLike,
    axes=None,
    *,
    title: str | None = None,
    colorbar: bool = True,
):
    """Draw a neuron's mutual-information map next to its weight map (two panels).

    Parameters
    ----------
    mi_map : (height, width) array_like
        Per input pixel, the mutual information in bits between "input spiked" and
        "this neuron spiked" (see :func:`diehl_cook.analysis.neuron_information`).
    weight_map : (height, width) array_like
        The neuron's input weights reshaped to the image grid, dimensionless.
    axes : sequence of two matplotlib.axes.Axes, optional
        Left (MI) and right (weights) axes. Default: a new figure with two panels.
    title : str, optional
        Title placed above the left panel (e.g. the neuron index). Default: none.
    colorbar : bool, optional
        Whether to add a colour bar to each panel. Default: True.

    Returns
    -------
    tuple of matplotlib.axes.Axes
        ``(mi_axes, weight_axes)``.

    Raises
    ------
    ValueError
        If the maps are not 2-D arrays of the same shape, or ``axes`` does not hold two axes.
    """
    mi_map = np.asarray(mi_map, dtype=np.float64)
    weight_map = np.asarray(weight_map, dtype=np.float64)
    if mi_map.ndim != 2 or mi_map.shape != weight_map.shape:
        raise ValueError(
            "mi_map and weight_map must be 2-D arrays of the same shape, "
            f"got {mi_map.shape} and {weight_map.shape}"
        )
    if axes is None:
        axes = _new_axes(n_columns=2, size=(3.5, 3.2))
    axes = tuple(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) != 2:
        raise ValueError(f"axes must hold exactly two Axes, got {len(axes)}")
    mi_axes, weight_axes = axes
    panels = (
        (mi_axes, mi_map, "viridis", "MI (bits)"),
        (weight_axes, weight_map, "hot_r", "weight"),
    )
    for panel_axes, values, cmap, label in panels:
        image = panel_axes.imshow(values, cmap=cmap, interpolation="nearest")
        panel_axes.set_xticks([])
        panel_axes.set_yticks([])
        panel_axes.set_xlabel(label, fontsize="small")
        if colorbar:
            panel_axes.figure.colorbar(image, ax=panel_axes, fraction=0.046, pad=0.04)
    if title is not None:
        mi_axes.set_title(title, fontsize="small", loc="left")
    return mi_axes, weight_axes


def plot_theta_distribution(theta_volts: ArrayLike, ax=None, *, bins="auto", **kwargs):
    """Histogram of the adaptive thresholds, in millivolts.

    Parameters
    ----------
    theta_volts : (n_neurons,) array_like
        Adaptive threshold increment theta of every excitatory neuron, in volts
        (``exc.theta`` of ``state.npz``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into. Default: a new figure.
    bins : int, sequence or str, optional
        Histogram bins, as in :func:`numpy.histogram`. Default: ``"auto"``.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.hist`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Raises
    ------
    ValueError
        If ``theta_volts`` is empty or not finite.
    """
    theta_millivolts = np.ravel(np.asarray(theta_volts, dtype=np.float64)) * 1e3
    if theta_millivolts.size == 0 or not np.isfinite(theta_millivolts).all():
        raise ValueError("theta_volts must be a non-empty array of finite values")
    if ax is None:
        ax = _new_axes(size=(5.0, 3.5))
    options = {"color": "tab:blue", "edgecolor": "white"}
    options.update(kwargs)
    ax.hist(theta_millivolts, bins=bins, **options)
    ax.set_xlabel("theta (mV)")
    ax.set_ylabel("neurons")
    ax.set_title(
        f"Adaptive thresholds: median {np.median(theta_millivolts):.2f} mV, "
        f"n = {theta_millivolts.size}",
        fontsize="medium",
    )
    return ax


def plot_confusion_matrix(
    matrix: ArrayLike,
    ax=None,
    *,
    class_names: list[str] | tuple[str, ...] | None = None,
    annotate: bool = True,
):
    """Draw a confusion matrix (rows: true class, columns: predicted class).

    Parameters
    ----------
    matrix : (n_classes, n_classes) array_like
        Counts (or fractions) of test images per (true, predicted) class.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into. Default: a new figure.
    class_names : sequence of str, optional
        Tick labels. Default: the class indices.
    annotate : bool, optional
        Whether to write every value in its cell. Default: True.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Raises
    ------
    ValueError
        If ``matrix`` is not a square 2-D array or ``class_names`` has the wrong length.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"matrix must be a non-empty square 2-D array, got shape {matrix.shape}")
    n_classes = matrix.shape[0]
    if class_names is None:
        class_names = [str(index) for index in range(n_classes)]
    if len(class_names) != n_classes:
        raise ValueError(f"class_names must have {n_classes} entries, got {len(class_names)}")
    if ax is None:
        ax = _new_axes(size=(5.5, 5.0))
    image = ax.imshow(matrix, cmap="Blues", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(n_classes), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n_classes), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if annotate:
        integral = np.all(matrix == np.round(matrix))
        threshold = 0.5 * np.nanmax(matrix) if np.isfinite(matrix).any() else 0.0
        for (row, column), value in np.ndenumerate(matrix):
            text = f"{int(value)}" if integral else f"{value:.2f}"
            ax.text(
                column,
                row,
                text,
                ha="center",
                va="center",
                fontsize="x-small",
                color="white" if value > threshold else "black",
            )
    return ax


def plot_raster(spike_indices: ArrayLike, spike_times: ArrayLike, ax=None, **kwargs):
    """Spike raster: one mark per spike at (time, neuron index).

    Parameters
    ----------
    spike_indices : (n_spikes,) array_like of int
        Neuron index of every spike (e.g. ``SpikeMonitor.i``).
    spike_times : (n_spikes,) array_like of float
        Spike times in seconds (e.g. ``SpikeMonitor.t_``); plotted in milliseconds.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into. Default: a new figure.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.scatter` (defaults: ``marker="|"``,
        ``s=4``, ``color="black"``, ``linewidths=0.5``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of the same length.
    """
    indices = np.asarray(spike_indices)
    times = np.asarray(spike_times, dtype=np.float64)
    if indices.ndim != 1 or times.ndim != 1 or indices.size != times.size:
        raise ValueError(
            "spike_indices and spike_times must be 1-D arrays of the same length, "
            f"got shapes {indices.shape} and {times.shape}"
        )
    if ax is None:
        ax = _new_axes(size=(7.0, 3.5))
    options = {"marker": "|", "s": 4, "color": "black", "linewidths": 0.5}
    options.update(kwargs)
    ax.scatter(times * 1e3, indices, **options)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron index")
    return ax


def plot_learning_curve(images_seen: ArrayLike, accuracy: ArrayLike, ax=None, **kwargs):
    """Accuracy (0-1, plotted in %) against the number of training images seen.

    Parameters
    ----------
    images_seen, accuracy : (n_points,) array_like
        From :func:`diehl_cook.labelling.running_accuracy`.
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    seen = np.asarray(images_seen, dtype=float)
    values = np.asarray(accuracy, dtype=float)
    if seen.shape != values.shape or seen.ndim != 1:
        raise ValueError("images_seen and accuracy must be 1-D arrays of the same length")
    if ax is None:
        ax = _new_axes(size=(5.0, 3.5))
    options = {"marker": "o", "markersize": 3}
    options.update(kwargs)
    ax.plot(seen, 100 * values, **options)
    ax.set_xlabel("training images seen")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    return ax


def plot_presentations(
    images: ArrayLike,
    layers: dict,
    slot_s: float,
    presentation_s: float,
    axes=None,
    titles=None,
):
    """Images and spike rasters of consecutive presentations, one raster row per layer.

    Parameters
    ----------
    images : (n_shown, height, width) array_like
        The images shown, in order.
    layers : dict
        ``{layer name: spike trains}``, each a :class:`~diehl_cook.simulation.SpikeTrains`
        (``row``, ``neuron``, ``time``) or a ``(presentation, neuron, time_s)`` tuple of
        arrays; ``presentation`` in ``0 ... n_shown - 1``, times from that presentation's
        onset (s).
    slot_s, presentation_s : float
        Slot length (presentation plus rest) and presentation length (s).
    axes : sequence of matplotlib.axes.Axes, optional
        ``n_shown`` image axes followed by one axes per layer.  Default: a new figure.
    titles : sequence of str, optional
        One title per image.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The image axes, then the raster axes.
    """
    images = np.asarray(images)
    n_shown = len(images)
    if axes is None:
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=(max(6.0, 2.2 * n_shown), 2.0 + 1.8 * len(layers)))
        grid = figure.add_gridspec(1 + len(layers), n_shown)
        image_axes = [figure.add_subplot(grid[0, k]) for k in range(n_shown)]
        raster_axes = [figure.add_subplot(grid[1 + row, :]) for row in range(len(layers))]
        axes = [*image_axes, *raster_axes]
    axes = np.asarray(axes, dtype=object)
    for k in range(n_shown):
        axes[k].imshow(images[k], cmap="gray_r")
        axes[k].set_xticks([])
        axes[k].set_yticks([])
        if titles is not None:
            axes[k].set_title(titles[k], fontsize=9)
    for row, (name, trains) in enumerate(layers.items()):
        if hasattr(trains, "row"):
            presentation, neuron, time_s = trains.row, trains.neuron, trains.time
        else:
            presentation, neuron, time_s = trains
        ax = axes[n_shown + row]
        presentation = np.asarray(presentation)
        shown = presentation < n_shown
        times = presentation[shown] * slot_s + np.asarray(time_s)[shown]
        plot_raster(np.asarray(neuron)[shown], times, ax=ax)
        for k in range(n_shown):
            ax.axvspan(
                1e3 * (k * slot_s + presentation_s),
                1e3 * (k + 1) * slot_s,
                color="0.9",
                zorder=0,
            )
        ax.set_xlim(0, 1e3 * n_shown * slot_s)
        ax.set_ylabel(f"{name}\nneuron")
        if row < len(layers) - 1:
            ax.set_xlabel("")
    return axes
