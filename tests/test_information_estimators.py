"""Tests of diehl_cook.information.estimators: analytic values, oracles, bias corrections."""

import math

import numpy as np
import pytest
import scipy.sparse
import scipy.stats
from sklearn.metrics import mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.metrics.cluster._expected_mutual_info_fast import expected_mutual_information

from diehl_cook.information.estimators import (
    class_information,
    conditional_entropy,
    entropy,
    joint_entropy,
    mutual_information,
    mutual_information_matrix,
)
from diehl_cook.information.significance import expected_permutation_information

LN2 = math.log(2.0)


def samples_from_table(table):
    """Samples (x, y) whose joint count table is exactly ``table``."""
    table = np.asarray(table)
    rows, columns = np.indices(table.shape)
    x_values = np.repeat(rows.ravel(), table.ravel())
    y_values = np.repeat(columns.ravel(), table.ravel())
    return x_values, y_values


def binary_entropy(probability):
    return -probability * math.log2(probability) - (1 - probability) * math.log2(1 - probability)


def pairwise_loop(x_matrix, y_matrix, **keywords):
    x_dense = x_matrix.toarray() if scipy.sparse.issparse(x_matrix) else np.asarray(x_matrix)
    y_dense = y_matrix.toarray() if scipy.sparse.issparse(y_matrix) else np.asarray(y_matrix)
    return np.array(
        [
            [
                mutual_information(x_dense[:, i], y_dense[:, j], **keywords)
                for j in range(y_dense.shape[1])
            ]
            for i in range(x_dense.shape[1])
        ]
    )


# ---------------------------------------------------------------------------
# Analytic values
# ---------------------------------------------------------------------------


def test_entropy_fair_coin_is_one_bit():
    assert entropy(np.tile([0, 1], 50)) == pytest.approx(1.0, abs=1e-15)
    assert entropy(np.array([True, False])) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("n_symbols", [2, 3, 5, 8, 10, 30])
def test_entropy_uniform_is_log2_k(n_symbols):
    samples = np.repeat(np.arange(n_symbols), 7)
    assert entropy(samples) == pytest.approx(math.log2(n_symbols), rel=1e-14)


def test_entropy_dyadic_distribution():
    samples = np.repeat([0, 1, 2, 3], [4, 2, 1, 1])
    assert entropy(samples) == pytest.approx(1.75, abs=1e-15)


def test_binary_symmetric_channel():
    # Uniform input, flip probability 1/8, exact frequencies.
    x_values, y_values = samples_from_table(np.array([[7, 1], [1, 7]]) * 25)
    expected = 1.0 - binary_entropy(1 / 8)
    assert mutual_information(x_values, y_values) == pytest.approx(expected, rel=1e-13)
    assert conditional_entropy(y_values, x_values) == pytest.approx(
        binary_entropy(1 / 8), rel=1e-13
    )


def test_deterministic_function():
    rng = np.random.default_rng(1)
    x_values = rng.integers(0, 6, size=500)
    relabelled = 2 * x_values - 5
    assert mutual_information(x_values, relabelled) == pytest.approx(entropy(x_values), rel=1e-13)
    folded = x_values % 3
    assert mutual_information(x_values, folded) == pytest.approx(entropy(folded), rel=1e-13)
    assert conditional_entropy(folded, x_values) == 0.0


def test_xor_needs_both_inputs():
    first, second = samples_from_table(np.full((2, 2), 25))
    target = first ^ second
    assert mutual_information(first, target) == 0.0
    assert mutual_information(second, target) == 0.0
    both = np.column_stack([first, second])
    assert mutual_information(both, target) == pytest.approx(1.0, abs=1e-15)
    assert entropy(both) == pytest.approx(2.0, abs=1e-15)


def test_invariance_under_relabelling_and_joint_shuffling():
    rng = np.random.default_rng(2)
    x_values = rng.integers(0, 3, size=400)
    y_values = (x_values + (rng.random(400) < 0.3)) % 3
    reference = mutual_information(x_values, y_values)
    relabelled_x = np.array([7, -3, 100])[x_values]
    relabelled_y = np.array(["a", "bb", "c"])[y_values]
    assert mutual_information(relabelled_x, relabelled_y) == pytest.approx(reference, rel=1e-13)
    assert mutual_information(x_values.astype(float), y_values) == pytest.approx(
        reference, rel=1e-13
    )
    order = rng.permutation(400)
    assert mutual_information(x_values[order], y_values[order]) == pytest.approx(
        reference, rel=1e-13
    )
    assert entropy(relabelled_x) == pytest.approx(entropy(x_values), rel=1e-14)


def test_symmetry_identity_and_bounds_on_random_data():
    rng = np.random.default_rng(3)
    for n_x, n_y in [(2, 2), (3, 5), (7, 4)]:
        x_values = rng.integers(0, n_x, size=300)
        y_values = (x_values * (rng.random(300) < 0.4) + rng.integers(0, n_y, size=300)) % n_y
        information = mutual_information(x_values, y_values)
        assert information == pytest.approx(mutual_information(y_values, x_values), rel=1e-12)
        identity = entropy(x_values) + entropy(y_values) - joint_entropy(x_values, y_values)
        assert information == pytest.approx(identity, abs=1e-12)
        assert information == pytest.approx(
            entropy(x_values) - conditional_entropy(x_values, y_values), abs=1e-12
        )
        assert 0.0 <= information <= min(entropy(x_values), entropy(y_values)) + 1e-12


def test_base_e_gives_nats():
    rng = np.random.default_rng(4)
    x_values = rng.integers(0, 4, size=200)
    y_values = (x_values + rng.integers(0, 2, size=200)) % 4
    bits = mutual_information(x_values, y_values)
    assert mutual_information(x_values, y_values, base=math.e) == pytest.approx(bits * LN2)
    assert entropy(x_values, base=math.e) == pytest.approx(entropy(x_values) * LN2)
    assert entropy(np.repeat(np.arange(10), 3), base=10) == pytest.approx(1.0)


def test_constant_variable_gives_positive_zero():
    constant = np.full(50, 3)
    other = np.arange(50) % 2
    values = [
        entropy(constant),
        entropy(constant, estimator="miller_madow"),
        mutual_information(constant, other),
        mutual_information(other, constant),
        mutual_information(constant, other, estimator="shuffle"),
        conditional_entropy(constant, other),
        float(mutual_information_matrix(np.column_stack([constant, other]), other)[0, 0]),
        float(
            mutual_information_matrix(
                np.column_stack([constant, other]), other, estimator="shuffle"
            )[0, 0]
        ),
    ]
    for value in values:
        assert value == 0.0
        assert math.copysign(1.0, value) == 1.0


# ---------------------------------------------------------------------------
# Matrix versus per-pair loop
# ---------------------------------------------------------------------------


def test_matrix_matches_loop_binary_dense_and_sparse():
    rng = np.random.default_rng(5)
    x_matrix = rng.random((400, 12)) < rng.uniform(0.0, 0.4, size=12)
    x_matrix[:, 3] = False  # silent input
    y_matrix = rng.random((400, 5)) < rng.uniform(0.01, 0.3, size=5)
    y_matrix[:, 1] = x_matrix[:, 0] ^ (rng.random(400) < 0.1)
    y_matrix[:, 4] = True  # constant output (always spiking)
    expected = pairwise_loop(x_matrix, y_matrix)
    dense = mutual_information_matrix(x_matrix, y_matrix)
    assert dense.shape == (12, 5)
    assert dense.dtype == np.float64
    np.testing.assert_allclose(dense, expected, rtol=1e-10, atol=1e-15)
    for to_sparse in (scipy.sparse.csr_matrix, scipy.sparse.csc_array):
        sparse = mutual_information_matrix(to_sparse(x_matrix), to_sparse(y_matrix))
        np.testing.assert_allclose(sparse, expected, rtol=1e-10, atol=1e-15)
    mixed = mutual_information_matrix(x_matrix.astype(int), scipy.sparse.csr_array(y_matrix))
    np.testing.assert_allclose(mixed, expected, rtol=1e-10, atol=1e-15)
    for estimator in ("miller_madow", "shuffle"):
        np.testing.assert_allclose(
            mutual_information_matrix(
                x_matrix, scipy.sparse.csr_array(y_matrix), estimator=estimator
            ),
            pairwise_loop(x_matrix, y_matrix, estimator=estimator),
            rtol=1e-9,
            atol=1e-14,
        )


def test_matrix_matches_loop_count_data():
    rng = np.random.default_rng(6)
    x_matrix = rng.poisson(rng.uniform(0.0, 4.0, size=9), size=(500, 9))
    x_matrix[:, 2] = 0
    x_matrix[:, 5] = rng.integers(-3, 12, size=500)  # negative values, 15 symbols
    y_matrix = rng.poisson(rng.uniform(0.1, 2.0, size=4), size=(500, 4))
    y_matrix[:, 0] = np.minimum(x_matrix[:, 0], 3)
    expected = pairwise_loop(x_matrix, y_matrix)
    dense = mutual_information_matrix(x_matrix, y_matrix)
    np.testing.assert_allclose(dense, expected, rtol=1e-10, atol=1e-14)
    sparse_x = scipy.sparse.csr_array(np.where(x_matrix == 0, 0, x_matrix))
    sparse = mutual_information_matrix(sparse_x, scipy.sparse.csc_matrix(y_matrix))
    np.testing.assert_allclose(sparse, expected, rtol=1e-10, atol=1e-14)
    as_float = mutual_information_matrix(x_matrix.astype(float), y_matrix)
    np.testing.assert_allclose(as_float, expected, rtol=1e-10, atol=1e-14)
    for estimator in ("miller_madow",):
        np.testing.assert_allclose(
            mutual_information_matrix(x_matrix, y_matrix, estimator=estimator),
            pairwise_loop(x_matrix, y_matrix, estimator=estimator),
            rtol=1e-10,
            atol=1e-14,
        )


def test_matrix_with_string_labels_and_class_information():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 10, size=600)
    responses = rng.poisson(1.0, size=(600, 6))
    responses[:, 2] += 3 * (labels < 5)
    expected = np.array([mutual_information(labels, responses[:, j]) for j in range(6)])
    np.testing.assert_allclose(class_information(labels, responses), expected, rtol=1e-10)
    string_labels = np.array([f"digit {label}" for label in labels])
    np.testing.assert_allclose(class_information(string_labels, responses), expected, rtol=1e-10)
    assert class_information(labels, responses).shape == (6,)


def test_matrix_column_chunks_agree(monkeypatch):
    import diehl_cook.information.estimators as estimators_module

    rng = np.random.default_rng(8)
    x_matrix = rng.poisson(1.5, size=(300, 20))
    y_matrix = rng.poisson(1.0, size=(300, 7))
    full = mutual_information_matrix(x_matrix, y_matrix)
    monkeypatch.setattr(estimators_module, "_MAX_BLOCK_ELEMENTS", 50)
    np.testing.assert_allclose(mutual_information_matrix(x_matrix, y_matrix), full, rtol=1e-12)


# ---------------------------------------------------------------------------
# Oracles: scipy and scikit-learn
# ---------------------------------------------------------------------------


def test_entropy_matches_scipy():
    rng = np.random.default_rng(9)
    for n_symbols in (2, 5, 17):
        samples = rng.integers(0, n_symbols, size=1000)
        counts = np.bincount(samples)
        assert entropy(samples) == pytest.approx(scipy.stats.entropy(counts, base=2), rel=1e-12)


def test_mutual_information_matches_sklearn():
    rng = np.random.default_rng(10)
    x_matrix = rng.poisson(1.2, size=(800, 5))
    y_matrix = (x_matrix[:, :3] + rng.integers(0, 3, size=(800, 3))) % 4
    ours = mutual_information_matrix(x_matrix, y_matrix)
    for i in range(5):
        for j in range(3):
            sklearn_bits = mutual_info_score(x_matrix[:, i], y_matrix[:, j]) / LN2
            assert ours[i, j] == pytest.approx(sklearn_bits, rel=1e-10, abs=1e-14)


# ---------------------------------------------------------------------------
# Bias-corrected estimators
# ---------------------------------------------------------------------------


def test_miller_madow_worked_values():
    # Reference notes, section 4.2.
    samples = np.repeat([0, 1], [9, 1])
    assert entropy(samples) == pytest.approx(0.468996, abs=1e-6)
    assert entropy(samples, estimator="miller_madow") == pytest.approx(0.541131, abs=1e-6)
    x_values, y_values = samples_from_table([[45, 5], [5, 45]])
    assert mutual_information(x_values, y_values) == pytest.approx(0.531004, abs=1e-6)
    assert mutual_information(x_values, y_values, estimator="miller_madow") == pytest.approx(
        0.523791, abs=1e-6
    )
    matrix = mutual_information_matrix(x_values, y_values, estimator="miller_madow")
    assert matrix[0, 0] == pytest.approx(0.523791, abs=1e-6)


def test_bias_corrected_values_can_be_negative():
    x_values, y_values = samples_from_table([[25, 25], [25, 25]])
    assert mutual_information(x_values, y_values, estimator="miller_madow") < 0.0
    assert mutual_information(x_values, y_values, estimator="shuffle") < 0.0


@pytest.mark.parametrize(
    "table",
    [
        [[45, 5], [5, 45]],
        [[3, 1], [2, 6]],
        [[90, 2], [5, 3]],
        [[1, 0], [0, 1]],
        [[400, 7], [9, 0]],
    ],
)
def test_exact_expected_information_matches_sklearn(table):
    x_values, y_values = samples_from_table(table)
    contingency = contingency_matrix(x_values, y_values, sparse=True)
    sklearn_bits = expected_mutual_information(contingency, x_values.size) / LN2
    ours = expected_permutation_information(x_values, y_values)[0, 0]
    assert ours == pytest.approx(sklearn_bits, rel=1e-9, abs=1e-15)
    plugin = mutual_information(x_values, y_values)
    assert mutual_information(x_values, y_values, estimator="shuffle") == pytest.approx(
        plugin - sklearn_bits, rel=1e-9, abs=1e-14
    )


def test_exact_expected_information_matches_brute_force_permutations():
    rng = np.random.default_rng(11)
    x_values, y_values = samples_from_table([[30, 10], [12, 8]])
    exact = expected_permutation_information(x_values, y_values)[0, 0]
    permuted = np.column_stack([y_values[rng.permutation(y_values.size)] for _ in range(4000)])
    null = mutual_information_matrix(x_values, permuted)[0]
    standard_error = null.std() / math.sqrt(null.size)
    assert abs(null.mean() - exact) < 4 * standard_error


def test_monte_carlo_shuffle_estimate_approaches_exact():
    rng = np.random.default_rng(12)
    x_values = rng.integers(0, 3, size=120)
    y_values = (x_values + rng.integers(0, 3, size=120)) % 4
    contingency = contingency_matrix(x_values, y_values, sparse=True)
    exact_bits = expected_mutual_information(contingency, x_values.size) / LN2
    plugin = mutual_information(x_values, y_values)
    estimates = [
        plugin
        - mutual_information(x_values, y_values, estimator="shuffle", n_permutations=n, rng=13)
        for n in (20, 2000)
    ]
    assert abs(estimates[1] - exact_bits) < 0.03 * exact_bits
    assert abs(estimates[1] - exact_bits) <= abs(estimates[0] - exact_bits) + 0.01 * exact_bits
    matrix_shuffle = mutual_information_matrix(
        x_values, y_values, estimator="shuffle", n_permutations=2000, rng=14
    )[0, 0]
    assert plugin - matrix_shuffle == pytest.approx(exact_bits, rel=0.03)


def test_plugin_bias_of_independent_sparse_pairs():
    # 300 independent Bernoulli(0.1) pairs, N = 10,000: the mean plug-in MI is
    # about 1 / (2 N ln 2) = 7.2e-5 bits (reference notes, sections 3 and 4.3).
    rng = np.random.default_rng(15)
    n_samples, n_pairs = 10_000, 300
    x_matrix = rng.random((n_samples, n_pairs)) < 0.1
    y_matrix = rng.random((n_samples, n_pairs)) < 0.1
    values = np.diagonal(mutual_information_matrix(x_matrix, y_matrix))
    predicted = 1.0 / (2.0 * n_samples * LN2)
    standard_error = values.std(ddof=1) / math.sqrt(n_pairs)
    assert abs(values.mean() - predicted) < 4.0 * standard_error
    exact = np.diagonal(expected_permutation_information(x_matrix, y_matrix))
    np.testing.assert_allclose(exact, predicted, rtol=0.05)
    corrected = np.diagonal(mutual_information_matrix(x_matrix, y_matrix, estimator="shuffle"))
    assert abs(corrected.mean()) < 4.0 * standard_error


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mutual_information([0, 1, 0], [0, 1]), "x and y must have the same number"),
        (lambda: mutual_information_matrix(np.zeros((3, 2)), np.zeros((4, 2))), "X and Y must"),
        (lambda: entropy([]), "x is empty"),
        (lambda: mutual_information([0, 1], []), "y is empty"),
        (lambda: entropy([0.0, np.nan]), "x contains NaN"),
        (lambda: mutual_information([0, 1], [0.5, 1.0]), "y contains non-integer floats"),
        (lambda: mutual_information_matrix([[0.2, 1.0]], [[1.0]]), "X contains non-integer"),
        (
            lambda: mutual_information_matrix(
                scipy.sparse.csr_array(np.array([[0.0, np.nan]])), [[1]]
            ),
            "X contains NaN",
        ),
        (lambda: entropy([0, 1], base=1), "base must be finite, positive"),
        (lambda: entropy([0, 1], base=0), "base must be finite, positive"),
        (lambda: entropy([0, 1], base=-2.0), "base must be finite, positive"),
        (lambda: mutual_information([0, 1], [0, 1], estimator="nsb"), "estimator must be one"),
        (lambda: entropy([0, 1], estimator="shuffle"), "estimator must be one"),
        (lambda: entropy(np.zeros((2, 2, 2))), "x must be 1-D"),
        (lambda: class_information([[0, 1]], [[0, 1]]), "labels must be 1-D"),
    ],
)
def test_invalid_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()
