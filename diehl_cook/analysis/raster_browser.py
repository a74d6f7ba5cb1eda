"""An interactive browser of recorded presentations: image, three rasters, spike counts.

:func:`raster_browser` shows, for one recorded test presentation at a time, the image, the
spike rasters of the input, excitatory and inhibitory layers within a time window, and each
excitatory neuron's spike count in that presentation.  In Jupyter with ipywidgets it adds a
class menu, a slider over the presentations of that class and a time-window slider; without
ipywidgets (or with ``interactive=False``) it draws the first presentation of each chosen
class as static figures.  :func:`draw_presentation` is the drawing itself, usable alone.

Only recorded presentations can be shown: those of ``output.record_spike_times`` (and the
first test images of every class for the study table).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PresentationData", "draw_presentation", "presentation_counts", "raster_browser"]

#: Raster layers, top to bottom.
LAYERS = ("input", "exc", "inh")


class PresentationData:
    """The recorded presentations of a run, by class.

    Parameters
    ----------
    spikes : diehl_cook.run_folder.RecordedSpikes
        ``RunFolder(run_dir).read_spike_trains()``.
    images : (n_images, height, width) or (n_images, n_pixels) numpy.ndarray
        The test images, indexed by ``spikes.image_index``.
    image_shape : tuple of int, optional
        Shape to draw a flat image in.  Default: the images' own shape, or square.
    """

    def __init__(self, spikes, images, image_shape=None):
        self.spikes = spikes
        self.images = np.asarray(images)
        if image_shape is None:
            if self.images.ndim == 3:
                image_shape = self.images.shape[1:]
            else:
                side = int(round(np.sqrt(self.images.shape[1])))
                image_shape = (self.images.shape[1] // side, side)
        self.image_shape = tuple(image_shape)
        self.classes = [int(label) for label in np.unique(spikes.labels)]

    def rows_of_class(self, label):
        """Rows (recorded presentations) whose image has class ``label``, in order."""
        return np.flatnonzero(np.asarray(self.spikes.labels) == label)

    @property
    def slot_ms(self):
        """Recorded slot length (presentation plus simulated rest), ms."""
        return 1e3 * (self.spikes.presentation_s + self.spikes.rest_s)


def presentation_counts(trains, row, n_neurons, window_s=None):
    """Spikes per neuron of one recorded presentation.

    Parameters
    ----------
    trains : diehl_cook.simulation.SpikeTrains
        One layer's recorded spikes (``row``, ``neuron``, ``time`` from the slot start, s).
    row : int
        The presentation.
    n_neurons : int
    window_s : (float, float), optional
        Count only spikes with ``start <= time < stop`` (s).  Default: the whole slot.

    Returns
    -------
    (n_neurons,) numpy.ndarray of int
    """
    keep = np.asarray(trains.row) == row
    times = np.asarray(trains.time)[keep]
    neurons = np.asarray(trains.neuron)[keep]
    if window_s is not None:
        inside = (times >= window_s[0]) & (times < window_s[1])
        neurons = neurons[inside]
    return np.bincount(neurons, minlength=n_neurons)[:n_neurons]


def draw_presentation(figure, data, row, window_ms=None, n_exc=None):
    """Draw one recorded presentation into ``figure`` (cleared first).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    data : PresentationData
    row : int
        The recorded presentation.
    window_ms : (float, float), optional
        Time window of the rasters and counts, ms from the slot start.  Default: the slot.
    n_exc : int, optional
        Number of excitatory neurons (bars of the counts).  Default: the recorded layer's
        size (``spikes.n_neurons``), else the largest recorded index + 1.

    Returns
    -------
    dict of str to matplotlib.axes.Axes
        ``"image"``, ``"input"``, ``"exc"``, ``"inh"`` and ``"counts"``.
    """
    spikes = data.spikes
    window_ms = (0.0, data.slot_ms) if window_ms is None else tuple(map(float, window_ms))
    window_s = (window_ms[0] / 1e3, window_ms[1] / 1e3)
    figure.clear()
    grid = figure.add_gridspec(len(LAYERS) + 1, 3)
    axes = {"image": figure.add_subplot(grid[: len(LAYERS), 0])}
    image_index = int(spikes.image_index[row])
    axes["image"].imshow(data.images[image_index].reshape(data.image_shape), cmap="gray_r")
    axes["image"].set_title(f"test image {image_index}, class {int(spikes.labels[row])}")
    axes["image"].set_xticks([])
    axes["image"].set_yticks([])
    for position, layer in enumerate(LAYERS):
        ax = figure.add_subplot(grid[position, 1:])
        trains = spikes.layers.get(layer)
        if trains is not None:
            keep = np.asarray(trains.row) == row
            times_ms = 1e3 * np.asarray(trains.time)[keep]
            inside = (times_ms >= window_ms[0]) & (times_ms < window_ms[1])
            ax.scatter(times_ms[inside], np.asarray(trains.neuron)[keep][inside], s=2, c="k")
        presentation_ms = 1e3 * spikes.presentation_s
        if presentation_ms < window_ms[1]:
            ax.axvspan(max(presentation_ms, window_ms[0]), window_ms[1], color="0.9", zorder=0)
        ax.set_xlim(*window_ms)
        ax.set_ylabel(f"{layer}\nneuron")
        if position < len(LAYERS) - 1:
            ax.set_xticklabels([])
        else:
            ax.set_xlabel("time from the slot start (ms); grey: rest")
        axes[layer] = ax
    exc = spikes.layers["exc"]
    if n_exc is None:
        n_exc = (getattr(spikes, "n_neurons", None) or {}).get("exc") or (
            int(np.max(exc.neuron, initial=-1)) + 1
        )
    counts = presentation_counts(exc, row, n_exc, window_s)
    axes["counts"] = figure.add_subplot(grid[len(LAYERS), :])
    axes["counts"].bar(np.arange(n_exc), counts, color="C0")
    axes["counts"].set_xlabel("excitatory neuron")
    axes["counts"].set_ylabel("spikes in window")
    return axes


def _widgets_available():
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def raster_browser(data, *, n_exc=None, interactive=None, classes=None, figsize=(10, 7)):
    """Browse the recorded presentations of a run.

    Parameters
    ----------
    data : PresentationData
    n_exc : int, optional
        Number of excitatory neurons.  Default: as for :func:`draw_presentation`.
    interactive : bool, optional
        True: widgets (needs ipywidgets); False: static figures.  Default: widgets when
        ipywidgets can be imported.
    classes : sequence of int, optional
        Classes for the static figures (the first recorded presentation of each).  Default:
        every recorded class.
    figsize : (float, float), optional
        Figure size, inches.

    Returns
    -------
    ipywidgets.VBox or list of matplotlib.figure.Figure
        The browser (display it as the cell's last value), or the static figures.
    """
    import matplotlib.pyplot as plt

    if interactive is None:
        interactive = _widgets_available()
    if not interactive:
        figures = []
        for label in classes if classes is not None else data.classes:
            rows = data.rows_of_class(label)
            if len(rows):
                figure = plt.figure(figsize=figsize)
                draw_presentation(figure, data, int(rows[0]), n_exc=n_exc)
                figures.append(figure)
        return figures

    import ipywidgets as widgets

    class_menu = widgets.Dropdown(options=data.classes, description="class")
    step = widgets.IntSlider(min=0, max=0, description="presentation")
    window = widgets.FloatRangeSlider(
        value=(0.0, data.slot_ms),
        min=0.0,
        max=data.slot_ms,
        step=1.0,
        description="window (ms)",
        continuous_update=False,
    )
    output = widgets.Output()

    def sync_step(*_):
        step.max = max(len(data.rows_of_class(class_menu.value)) - 1, 0)
        step.value = min(step.value, step.max)

    def redraw(*_):
        rows = data.rows_of_class(class_menu.value)
        with output:
            output.clear_output(wait=True)
            figure = plt.figure(figsize=figsize)
            if len(rows):
                draw_presentation(figure, data, int(rows[step.value]), window.value, n_exc)
            plt.show()

    sync_step()
    class_menu.observe(sync_step, names="value")
    for control in (class_menu, step, window):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([class_menu, step]), window, output])
