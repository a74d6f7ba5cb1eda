"""Tests of diehl_cook.information.significance: exact and Monte-Carlo p-values, FWER, FDR."""

import math

import numpy as np
import pytest
import scipy.stats

from diehl_cook.information.estimators import mutual_information, mutual_information_matrix
from diehl_cook.information.significance import (
    benjamini_hochberg,
    benjamini_hochberg_qvalues,
    max_statistic_pvalues,
    permutation_pvalues,
)


def samples_from_table(table):
    """Samples (x, y) whose joint count table is exactly ``table``."""
    table = np.asarray(table)
    rows, columns = np.indices(table.shape)
    x_values = np.repeat(rows.ravel(), table.ravel())
    y_values = np.repeat(columns.ravel(), table.ravel())
    return x_values, y_values


# ---------------------------------------------------------------------------
# Significance
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        [[45, 5], [5, 45]],
        [[3, 1], [2, 6]],
        [[10, 10], [10, 10]],
        [[6, 4], [4, 6]],
        [[0, 5], [5, 0]],
        [[90, 2], [5, 3]],
        [[50, 0], [0, 1]],
    ],
)
def test_exact_pvalue_matches_hypergeometric_enumeration(table):
    x_values, y_values = samples_from_table(table)
    n_samples = x_values.size
    count_x, count_y = int(x_values.sum()), int(y_values.sum())
    support = np.arange(max(0, count_x + count_y - n_samples), min(count_x, count_y) + 1)
    information = np.array(
        [
            mutual_information(
                *samples_from_table(
                    [[n_samples - count_x - count_y + k, count_y - k], [count_x - k, k]]
                )
            )
            for k in support
        ]
    )
    observed = mutual_information(x_values, y_values)
    probabilities = scipy.stats.hypergeom.pmf(support, n_samples, count_x, count_y)
    expected = probabilities[information >= observed - 1e-12].sum()
    pvalue = permutation_pvalues(x_values, y_values, method="exact")[0, 0]
    assert pvalue == pytest.approx(expected, rel=1e-9)


def test_exact_pvalues_are_calibrated_on_independent_data():
    rng = np.random.default_rng(16)
    n_samples = 2000
    x_matrix = rng.random((n_samples, 80)) < rng.uniform(0.05, 0.5, size=80)
    y_matrix = rng.random((n_samples, 50)) < rng.uniform(0.05, 0.5, size=50)
    pvalues = permutation_pvalues(x_matrix, y_matrix)
    assert pvalues.shape == (80, 50)
    assert np.all((pvalues > 0.0) & (pvalues <= 1.0))
    rejected_fraction = np.mean(pvalues < 0.05)
    assert 0.01 <= rejected_fraction <= 0.065


def test_exact_pvalue_agrees_with_monte_carlo():
    rng = np.random.default_rng(17)
    n_samples = 400
    x_values = rng.random(n_samples) < 0.3
    y_values = np.where(rng.random(n_samples) < 0.1, x_values, rng.random(n_samples) < 0.3)
    exact = permutation_pvalues(x_values, y_values)[0, 0]
    n_permutations = 4000
    monte_carlo = permutation_pvalues(
        x_values, y_values, method="monte_carlo", n_permutations=n_permutations, rng=18
    )[0, 0]
    assert 0.005 < exact < 0.5
    standard_error = math.sqrt(exact * (1 - exact) / n_permutations)
    assert abs(monte_carlo - exact) < 4 * standard_error + 1 / n_permutations


def test_auto_pvalues_mix_exact_and_monte_carlo():
    rng = np.random.default_rng(19)
    x_matrix = np.column_stack([rng.random(300) < 0.3, rng.integers(0, 4, size=300)])
    y_values = (x_matrix[:, 1] + rng.integers(0, 2, size=300)) % 4 > 1
    pvalues = permutation_pvalues(x_matrix, y_values, n_permutations=199, rng=20)
    exact = permutation_pvalues(x_matrix[:, 0], y_values, method="exact")[0, 0]
    assert pvalues[0, 0] == exact
    assert pvalues[1, 0] == pytest.approx(1 / 200)
    with pytest.raises(ValueError, match="method='exact' needs binary"):
        permutation_pvalues(x_matrix, y_values, method="exact")


@pytest.fixture(scope="module")
def independent_spikes():
    """200 independent inputs and 40 independent outputs (15 silent), plus one
    output that copies input 7 with 5 % flips."""
    rng = np.random.default_rng(21)
    n_samples = 3000
    inputs = rng.random((n_samples, 200)) < rng.uniform(0.02, 0.3, size=200)
    rates = rng.uniform(0.005, 0.2, size=40)
    rates[:15] = 0.0
    outputs = rng.random((n_samples, 40)) < rates
    copy = inputs[:, 7] ^ (rng.random(n_samples) < 0.05)
    return inputs, outputs, copy


def test_spiked_set_equals_positive_plugin_set_but_not_significant_set(independent_spikes):
    inputs, outputs, _ = independent_spikes
    information = mutual_information_matrix(inputs, outputs)
    spiked_outputs = set(np.flatnonzero(outputs.any(axis=0)))
    positive_outputs = set(np.flatnonzero((information > 0).any(axis=0)))
    assert len(spiked_outputs) == 25
    assert spiked_outputs == positive_outputs
    rejected = benjamini_hochberg(permutation_pvalues(inputs, outputs), alpha=0.05)
    assert rejected.any(axis=0).sum() <= 3
    family_wise = max_statistic_pvalues(inputs, outputs, n_permutations=199, rng=22)
    assert (family_wise <= 0.05).any(axis=0).sum() <= 3
    assert np.all(family_wise[:, :15] == 1.0)


def test_dependent_output_is_detected(independent_spikes):
    inputs, outputs, copy = independent_spikes
    outputs_with_copy = np.column_stack([outputs[:, 15:], copy])
    pvalues = permutation_pvalues(inputs, outputs_with_copy)
    rejected = benjamini_hochberg(pvalues, alpha=0.05)
    assert rejected[7, -1]
    family_wise = max_statistic_pvalues(inputs, outputs_with_copy, n_permutations=99, rng=23)
    assert family_wise[7, -1] == pytest.approx(1 / 100)
    assert np.argmax(mutual_information_matrix(inputs, copy)[:, 0]) == 7


def test_benjamini_hochberg():
    pvalues = np.array([0.01, 0.04, 0.03, 0.5, 0.2, 0.001])
    # Sorted: 0.001, 0.01, 0.03, 0.04, 0.2, 0.5 vs 0.05 * i / 6.
    rejected = benjamini_hochberg(pvalues, alpha=0.05)
    assert rejected.tolist() == [True, False, False, False, False, True]
    step_up = benjamini_hochberg(np.array([0.04, 0.045, 0.05]), alpha=0.05)
    assert step_up.all()
    grid = np.linspace(0.0, 1.0, 12).reshape(3, 4)
    assert benjamini_hochberg(grid).shape == (3, 4)
    qvalues = benjamini_hochberg_qvalues(pvalues)
    np.testing.assert_allclose(qvalues, [0.03, 0.06, 0.06, 0.5, 0.24, 0.006])
    rng = np.random.default_rng(24)
    random_pvalues = rng.random((20, 30)) ** 3
    np.testing.assert_array_equal(
        benjamini_hochberg(random_pvalues, 0.1), benjamini_hochberg_qvalues(random_pvalues) <= 0.1
    )


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: permutation_pvalues([0, 1], [0, 1], n_permutations=0), "n_permutations"),
        (lambda: permutation_pvalues([0, 1], [0, 1], method="fisher"), "method must be one"),
        (lambda: benjamini_hochberg([0.1, np.nan]), "pvalues contains NaN"),
        (lambda: benjamini_hochberg([0.1, 1.5]), r"pvalues must lie in \[0, 1\]"),
        (lambda: benjamini_hochberg([0.1], alpha=0.0), "alpha must lie"),
    ],
)
def test_invalid_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()
