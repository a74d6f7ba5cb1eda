"""Learning diagnostics (diehl_cook.learning_diagnostics): hand-made counts and maps."""

import json

import numpy as np
import pytest
from scipy.stats import binom

import diehl_cook.learning_diagnostics as diagnostics
from diehl_cook.learning_diagnostics import (
    autocorrelation_null,
    learning_summary,
    participation_ratio,
    spatial_autocorrelation,
    spikes_per_neuron,
    unlearned_threshold,
    winner_mask,
    wins_per_neuron,
    wins_per_window,
)

# --------------------------------------------------------------------------------------------
# hand-made maps
# --------------------------------------------------------------------------------------------


def _stroke_seven(shape=(28, 28)):
    """A drawn '7': a top bar and a diagonal down-stroke, 2 px wide, weight 1 on 0."""
    image = np.zeros(shape)
    image[6:8, 7:21] = 1.0
    for row in range(8, 23):
        col = 20 - (row - 8) * 10 // 14
        image[row, col - 1 : col + 1] = 1.0
    return image


def _blob(shape=(28, 28), sigma=3.0):
    rows, cols = np.indices(shape)
    centre = ((shape[0] - 1) / 2, (shape[1] - 1) / 2)
    return np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * sigma**2))


def _bar(shape=(28, 28)):
    image = np.zeros(shape)
    image[12:15, 4:24] = 1.0
    return image


def _ring(shape=(28, 28), radius=7.0):
    rows, cols = np.indices(shape)
    distance = np.hypot(rows - shape[0] / 2, cols - shape[1] / 2)
    return (np.abs(distance - radius) < 1.2).astype(float)


# --------------------------------------------------------------------------------------------
# Moran's I: closed forms
# --------------------------------------------------------------------------------------------


def test_known_values_checkerboard_stripes_constant():
    rows, cols = np.indices((28, 28))
    checkerboard = ((rows + cols) % 2).astype(float)
    assert spatial_autocorrelation(checkerboard.ravel(), (28, 28)) == pytest.approx(-1.0)
    stripes = (rows % 2).astype(float)  # square grid: as many like as unlike neighbours
    assert spatial_autocorrelation(stripes.ravel(), (28, 28)) == pytest.approx(0.0, abs=1e-15)
    # 4 x 3 grid: 16 like (horizontal) and 18 unlike (vertical) ordered pairs -> -2/34
    small = (np.indices((4, 3))[0] % 2).astype(float)
    assert spatial_autocorrelation(small.ravel(), (4, 3)) == pytest.approx(-2.0 / 34.0)
    # a constant map has no structure
    assert np.isnan(spatial_autocorrelation(np.full(784, 0.0995), (28, 28)))


@pytest.mark.parametrize("shape", [(28, 28), (32, 32), (5, 9)])
def test_null_moments_match_the_textbook_formula(shape):
    # Cliff & Ord's normality moments of Moran's I: E = -1/(n-1),
    # Var = (n^2 S1 - n S2 + 3 S0^2) / ((n^2 - 1) S0^2) - E^2, S1 = 2 S0, S2 = 4 sum d^2
    height, width = shape
    degrees = np.full(shape, 4.0)
    degrees[0] -= 1
    degrees[-1] -= 1
    degrees[:, 0] -= 1
    degrees[:, -1] -= 1
    n, s0 = height * width, degrees.sum()
    s1, s2 = 2 * s0, 4 * (degrees**2).sum()
    expected_mean = -1 / (n - 1)
    expected_var = (n**2 * s1 - n * s2 + 3 * s0**2) / ((n**2 - 1) * s0**2) - expected_mean**2
    mean, sd = autocorrelation_null(shape)
    assert mean == pytest.approx(expected_mean, rel=1e-12)
    assert sd**2 == pytest.approx(expected_var, rel=1e-10)


def test_threshold_values_for_the_datasets():
    assert unlearned_threshold((28, 28)) == pytest.approx(0.07800, abs=5e-5)
    assert unlearned_threshold((32, 32)) == pytest.approx(0.06827, abs=5e-5)
    # more pixels, narrower null, lower threshold; a stricter rate raises it
    assert unlearned_threshold((28, 28), 2) < unlearned_threshold((28, 28))
    assert unlearned_threshold((28, 28), false_positive_rate=1e-6) > unlearned_threshold((28, 28))


# --------------------------------------------------------------------------------------------
# Moran's I separates noise from structure
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(28, 28), (32, 32)])
def test_noise_maps_from_many_seeds_are_below_threshold(shape):
    # 100 seeds of U(0, 1) noise.  At the default rate (1e-3) a few may exceed by design
    # (seed 8 does at 32 x 32, I = 0.084 > 0.068): allow what Binomial(100, 1e-3) allows at
    # 1e-6.  At a rate of 1e-6 all 100 must be below (P(any above) = 1e-4 by design).
    n_pixels = shape[0] * shape[1]
    values = np.array(
        [
            spatial_autocorrelation(np.random.default_rng(seed).uniform(0, 1, n_pixels), shape)
            for seed in range(100)
        ]
    )
    assert np.count_nonzero(values > unlearned_threshold(shape)) <= binom.isf(1e-6, 100, 1e-3)
    assert values.max() < unlearned_threshold(shape, false_positive_rate=1e-6)
    # and they scatter around the null mean with the null sd
    mean, sd = autocorrelation_null(shape)
    assert abs(values.mean() - mean) < 4 * sd / np.sqrt(100)
    assert 0.7 * sd < values.std() < 1.3 * sd


@pytest.mark.parametrize(
    ("shape", "n_channels", "offset"),
    [((28, 28), 1, 0.0), ((32, 32), 1, 0.0), ((28, 28), 2, 0.5), ((32, 32), 2, 0.5)],
)
def test_false_positive_rate_of_noise_matches_the_design(shape, n_channels, offset):
    # 20,000 U(0, 1) maps; ON/OFF maps get a different mean per channel (offset), which must
    # not look like structure.  Bounds: the central 1 - 2e-6 of Binomial(20000, 1e-3).
    rng = np.random.default_rng(2024)
    n_maps, rate = 20_000, 1e-3
    weights = rng.uniform(0, 1, size=(n_channels * shape[0] * shape[1], n_maps))
    weights[: shape[0] * shape[1]] += offset
    values = spatial_autocorrelation(weights, shape, n_channels)
    false_positives = int(np.count_nonzero(values > unlearned_threshold(shape, n_channels, rate)))
    low, high = binom.ppf(1e-6, n_maps, rate), binom.isf(1e-6, n_maps, rate)
    assert low <= false_positives <= high
    mean, sd = autocorrelation_null(shape, n_channels)
    assert values.mean() == pytest.approx(mean, abs=4 * sd / np.sqrt(n_maps))
    assert values.std() == pytest.approx(sd, rel=0.03)


def test_centring_the_channels_together_would_fail_on_offset_channels():
    # why per-channel centring: with one global mean, an ON channel 0.5 above the OFF channel
    # makes pure noise look structured
    rng = np.random.default_rng(7)
    weights = rng.uniform(0, 1, size=(2 * 784, 200))
    weights[:784] += 0.5
    as_one_grid = spatial_autocorrelation(weights, (56, 28), 1)  # ON over OFF, one mean
    assert np.all(as_one_grid > unlearned_threshold((56, 28)))
    assert np.all(spatial_autocorrelation(weights, (28, 28), 2) < 0.055)


@pytest.mark.parametrize("make", [_stroke_seven, _blob, _bar, _ring])
@pytest.mark.parametrize("shape", [(28, 28), (32, 32)])
def test_structured_maps_are_above_threshold(make, shape):
    threshold = unlearned_threshold(shape)
    clean = make(shape).ravel()
    assert spatial_autocorrelation(clean, shape) > 5 * threshold
    # a learned map keeps some of its initial noise: 0.3 U(0,1) under a unit-height feature
    noisy = clean + 0.3 * np.random.default_rng(11).uniform(0, 1, clean.size)
    assert spatial_autocorrelation(noisy, shape) > 3 * threshold


def test_on_off_maps_structured_in_one_or_both_channels():
    threshold = unlearned_threshold((28, 28), 2)
    rng = np.random.default_rng(12)
    both = np.concatenate([_blob().ravel(), _ring().ravel()])
    assert spatial_autocorrelation(both, (28, 28), 2) > 5 * threshold
    on_only = np.concatenate([_stroke_seven().ravel(), rng.uniform(0, 0.3, 784)])
    assert spatial_autocorrelation(on_only, (28, 28), 2) > threshold


def test_structure_is_scale_and_offset_invariant():
    rng = np.random.default_rng(13)
    maps = np.stack([_stroke_seven().ravel(), _blob().ravel(), rng.uniform(0, 1, 784)], axis=1)
    reference = spatial_autocorrelation(maps, (28, 28))
    for scale, offset in [(0.01, 0.0), (78.0, 0.0), (3.0, 5.0), (1e-6, 1e-3)]:
        np.testing.assert_allclose(
            spatial_autocorrelation(scale * maps + offset, (28, 28)), reference, rtol=1e-10
        )
    # per-channel offsets do not change the ON/OFF statistic
    two = np.concatenate([maps, maps[::-1]])
    shifted = two.copy()
    shifted[:784] += 2.0
    np.testing.assert_allclose(
        spatial_autocorrelation(shifted, (28, 28), 2),
        spatial_autocorrelation(two, (28, 28), 2),
        rtol=1e-10,
    )


def test_participation_ratio_closed_forms():
    assert participation_ratio(np.full(784, 0.1)) == pytest.approx(1.0)
    sparse = np.zeros(784)
    sparse[:120] = 0.65
    assert participation_ratio(sparse) == pytest.approx(120 / 784)
    noise = np.random.default_rng(14).uniform(0, 0.3, size=(784, 50))
    assert participation_ratio(noise) == pytest.approx(np.full(50, 0.75), abs=0.03)
    assert participation_ratio(_stroke_seven().ravel()) < 0.1
    assert np.isnan(participation_ratio(np.zeros(10)))


# --------------------------------------------------------------------------------------------
# wins and spikes
# --------------------------------------------------------------------------------------------

# rows: presentations; columns: neurons 0..3
_COUNTS = np.array(
    [
        [0, 3, 1, 0],  # neuron 1 wins
        [2, 2, 0, 1],  # tie between 0 and 1
        [0, 0, 0, 0],  # nobody fired: no winner
        [0, 0, 5, 0],  # neuron 2 wins
        [1, 0, 1, 1],  # three-way tie 0, 2, 3
        [0, 4, 0, 0],  # neuron 1 wins
    ],
    dtype=np.uint16,
)


def test_wins_with_known_winners_and_ties():
    np.testing.assert_array_equal(wins_per_neuron(_COUNTS, ties="all"), [2, 3, 2, 1])
    np.testing.assert_array_equal(wins_per_neuron(_COUNTS, ties="none"), [0, 2, 1, 0])
    mask = winner_mask(_COUNTS)
    np.testing.assert_array_equal(mask[2], [False] * 4)
    np.testing.assert_array_equal(mask[4], [True, False, True, True])
    np.testing.assert_array_equal(spikes_per_neuron(_COUNTS), [3, 9, 7, 2])


def test_wins_per_window_known_values():
    windows = wins_per_window(_COUNTS, 4)
    np.testing.assert_array_equal(windows, [[1, 2, 1, 0], [1, 1, 1, 1]])  # last: rows 4, 5
    np.testing.assert_array_equal(wins_per_window(_COUNTS, 6), [[2, 3, 2, 1]])
    np.testing.assert_array_equal(wins_per_window(_COUNTS, 100), [[2, 3, 2, 1]])
    np.testing.assert_array_equal(wins_per_window(_COUNTS, 1), winner_mask(_COUNTS))


@pytest.mark.parametrize("ties", ["all", "none"])
def test_windows_sum_to_totals_across_blocks(monkeypatch, ties):
    monkeypatch.setattr(diagnostics, "_BLOCK_ROWS", 50)  # several blocks of whole windows
    rng = np.random.default_rng(15)
    counts = rng.poisson(0.4, size=(1003, 9)).astype(np.int32)
    window = 7
    windows = wins_per_window(counts, window, ties)
    assert windows.shape == (144, 9)  # ceil(1003 / 7)
    np.testing.assert_array_equal(windows.sum(axis=0), wins_per_neuron(counts, ties))
    mask = winner_mask(counts, ties)
    for index in (0, 7, 70, 143):  # reference: direct sums of the mask
        np.testing.assert_array_equal(
            windows[index], mask[index * window : (index + 1) * window].sum(axis=0)
        )


def test_counts_are_validated():
    with pytest.raises(ValueError, match="integers"):
        wins_per_neuron(_COUNTS.astype(float))
    with pytest.raises(ValueError, match="non-negative"):
        wins_per_neuron(-np.ones((2, 2), dtype=int))
    with pytest.raises(ValueError, match="ties"):
        wins_per_neuron(_COUNTS, ties="first")
    with pytest.raises(ValueError, match="window"):
        wins_per_window(_COUNTS, 0)


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------


def test_learning_summary_counts():
    rng = np.random.default_rng(16)
    # 5 neurons: 0 fired and won; 1 fired, never won; 2 and 3 never fired; 4 won in a tie
    counts = np.array(
        [[3, 1, 0, 0, 0], [2, 0, 0, 0, 2], [2, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=np.uint16
    )
    # maps: 0 a stroke, 1 a blob, 2 noise, 3 constant, 4 noise
    weights = np.stack(
        [
            _stroke_seven().ravel(),
            _blob().ravel(),
            rng.uniform(0, 0.3, 784),
            np.full(784, 0.1),
            rng.uniform(0, 0.3, 784),
        ],
        axis=1,
    )
    result = learning_summary(counts, weights, (28, 28))
    summary, per_neuron = result["summary"], result["per_neuron"]
    json.dumps(summary)  # JSON-friendly
    assert summary["n_exc"] == 5 and summary["n_presentations"] == 4
    assert summary["n_never_fired"] == 2
    np.testing.assert_array_equal(per_neuron["total_spikes"], [7, 2, 0, 0, 2])
    np.testing.assert_array_equal(per_neuron["wins"], [3, 0, 0, 0, 1])  # row 1 tied 0 and 4
    assert summary["n_never_won"] == 3
    assert summary["n_tied_presentations"] == 1
    assert summary["n_presentations_without_winner"] == 1
    np.testing.assert_array_equal(per_neuron["unlearned"], [False, False, True, True, True])
    assert summary["n_unlearned"] == 3 and summary["fraction_unlearned"] == pytest.approx(0.6)
    assert summary["n_won_but_unlearned"] == 1  # neuron 4
    assert summary["threshold"] == pytest.approx(unlearned_threshold((28, 28)))
    assert summary["n_inputs"] == 784 and summary["image_shape"] == [28, 28]
    assert np.isnan(per_neuron["structure"][3])
    assert per_neuron["participation_ratio"][1] < per_neuron["participation_ratio"][2]


def test_learning_summary_on_off_and_mismatch():
    rng = np.random.default_rng(17)
    weights = np.stack(
        [
            np.concatenate([_blob().ravel(), _ring().ravel()]),
            rng.uniform(0, 0.3, 2 * 784),
        ],
        axis=1,
    )
    counts = np.array([[1, 0], [0, 0]], dtype=np.int64)
    result = learning_summary(counts, weights, (28, 28), n_channels=2)
    assert result["summary"]["n_inputs"] == 1568
    assert result["summary"]["threshold"] == pytest.approx(unlearned_threshold((28, 28), 2))
    np.testing.assert_array_equal(result["per_neuron"]["unlearned"], [False, True])
    with pytest.raises(ValueError, match="columns"):
        learning_summary(np.zeros((2, 3), dtype=int), weights, (28, 28), n_channels=2)
    with pytest.raises(ValueError, match="1568"):
        learning_summary(counts, weights, (28, 28), n_channels=1)
