"""The raster browser: counts, windows and the two modes, on hand-made recorded spikes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from diehl_cook.analysis.raster_browser import (  # noqa: E402
    PresentationData,
    draw_presentation,
    presentation_counts,
    raster_browser,
)
from diehl_cook.run_folder import RecordedSpikes  # noqa: E402
from diehl_cook.simulation import SpikeTrains  # noqa: E402


def _trains(rows, neurons, times_s):
    return SpikeTrains(
        np.asarray(rows, dtype=np.int64),
        np.asarray(neurons, dtype=np.int32),
        np.asarray(times_s, dtype=float),
    )


@pytest.fixture
def data():
    """Three recorded presentations (classes 3, 5, 3) of 4-pixel images, 3 exc neurons."""
    spikes = RecordedSpikes(
        image_index=np.array([7, 2, 9]),
        labels=np.array([3, 5, 3]),
        presentation_s=0.35,
        rest_s=0.15,
        layers={
            "input": _trains([0, 0, 1, 2], [0, 3, 1, 2], [0.010, 0.020, 0.100, 0.300]),
            # presentation 0: neuron 1 spikes at 50, 60 and 400 ms (in the rest), neuron 2 once
            "exc": _trains(
                [0, 0, 0, 0, 1, 2], [1, 1, 1, 2, 0, 2], [0.05, 0.06, 0.4, 0.2, 0.1, 0.1]
            ),
            "inh": _trains([0], [1], [0.052]),
        },
        n_neurons={"input": 4, "exc": 3, "inh": 3},
    )
    images = np.arange(10 * 4).reshape(10, 4)
    return PresentationData(spikes, images)


def test_counts_of_one_presentation_and_window(data):
    exc = data.spikes.layers["exc"]
    np.testing.assert_array_equal(presentation_counts(exc, 0, 3), [0, 3, 1])
    # the presentation window only: the spike at 400 ms is in the rest
    np.testing.assert_array_equal(presentation_counts(exc, 0, 3, (0.0, 0.35)), [0, 2, 1])
    np.testing.assert_array_equal(presentation_counts(exc, 1, 3), [1, 0, 0])


def test_classes_and_rows(data):
    assert data.classes == [3, 5]
    np.testing.assert_array_equal(data.rows_of_class(3), [0, 2])
    assert data.image_shape == (2, 2)
    assert data.slot_ms == pytest.approx(500.0)


def test_drawn_counts_follow_the_window(data):
    figure = plt.figure()
    axes = draw_presentation(figure, data, 0, window_ms=(0.0, 100.0))
    heights = [bar.get_height() for bar in axes["counts"].patches]
    assert heights == [0, 2, 0]  # neuron 2's spike at 200 ms is outside the window
    # the raster shows the two exc spikes inside the window, and the image of test image 7
    assert len(axes["exc"].collections[0].get_offsets()) == 2
    np.testing.assert_array_equal(axes["image"].images[0].get_array(), [[28, 29], [30, 31]])
    assert axes["exc"].get_xlim() == (0.0, 100.0)
    plt.close(figure)


def test_static_mode_draws_the_first_presentation_of_each_class(data):
    figures = raster_browser(data, interactive=False)
    assert len(figures) == 2
    titles = [figure.axes[0].get_title() for figure in figures]
    assert titles == ["test image 7, class 3", "test image 2, class 5"]
    for figure in figures:
        plt.close(figure)


def test_widgets_step_through_a_class(data):
    widgets = pytest.importorskip("ipywidgets")
    browser = raster_browser(data, interactive=True)
    assert isinstance(browser, widgets.VBox)
    (class_menu, step), window = browser.children[0].children, browser.children[1]
    assert list(class_menu.options) == [3, 5] and step.max == 1  # two presentations of 3
    class_menu.value = 5
    assert step.max == 0 and step.value == 0
    assert window.value == (0.0, 500.0)
    plt.close("all")
