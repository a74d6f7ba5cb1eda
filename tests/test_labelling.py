"""Tests of diehl_cook.labelling on hand-made spike counts with known answers."""

import numpy as np
import pytest

from diehl_cook.labelling import (
    UNASSIGNED,
    accuracy,
    assign_labels,
    class_proportions,
    class_scores,
    confusion_matrix,
    interval_assignments,
    predict,
)


@pytest.fixture(autouse=True)
def reset_brian2():
    """No-op override of the conftest fixture: these tests use numpy only."""


def test_unassigned_is_minus_one():
    assert UNASSIGNED == -1


def test_docstring_example():
    assignments = assign_labels([[3, 0, 0], [0, 2, 0], [1, 2, 0]], [0, 1, 1], 2)
    np.testing.assert_array_equal(assignments, [0, 1, -1])


def test_assign_labels_known_answer():
    # presentations: classes 0, 0, 1, 1, 2
    counts = np.array(
        [
            # n0 n1 n2 n3 n4
            [4, 0, 1, 0, 0],
            [2, 0, 1, 0, 0],
            [0, 5, 2, 0, 1],
            [1, 3, 2, 0, 1],
            [0, 0, 9, 0, 3],
        ]
    )
    labels = [0, 0, 1, 1, 2]
    # mean per class:   n0: (3, 0.5, 0)  n1: (0, 4, 0)  n2: (1, 2, 9)  n3: silent
    #                   n4: (0, 1, 3)
    assignments = assign_labels(counts, labels, 3)
    np.testing.assert_array_equal(assignments, [0, 1, 2, UNASSIGNED, 2])
    assert assignments.shape == (5,)
    assert np.issubdtype(assignments.dtype, np.integer)


def test_silent_neuron_is_unassigned_not_class_zero():
    counts = np.zeros((4, 2), dtype=int)
    counts[:, 1] = [0, 0, 3, 0]
    assignments = assign_labels(counts, [0, 1, 1, 0], 2)
    np.testing.assert_array_equal(assignments, [UNASSIGNED, 1])


def test_all_silent():
    assignments = assign_labels(np.zeros((3, 4)), [0, 1, 2], 3)
    np.testing.assert_array_equal(assignments, [UNASSIGNED] * 4)


def test_class_absent_from_labels_is_never_assigned():
    # class 1 has no presentation; neuron 0 fires the same (1) for classes 0 and 2,
    # neuron 1 fires only for class 2, neuron 2 fires only for class 0
    counts = np.array([[1, 0, 2], [1, 4, 0]])
    labels = [0, 2]
    assignments = assign_labels(counts, labels, 3)
    np.testing.assert_array_equal(assignments, [0, 2, 0])
    assert 1 not in assignments


def test_only_present_class_is_assigned():
    # every presentation is of class 2; classes 0 and 1 are absent, so every neuron that
    # fired gets class 2, whatever its counts
    assignments = assign_labels([[0, 1], [3, 0]], [2, 2], 3)
    np.testing.assert_array_equal(assignments, [2, 2])


@pytest.mark.parametrize(
    ("counts", "labels", "expected"),
    [
        ([[2], [2]], [0, 1], [0]),  # tie between classes 0 and 1
        ([[0], [2], [2]], [0, 1, 2], [1]),  # tie between classes 1 and 2
        ([[2], [2]], [1, 2], [1]),  # tie between classes 1 and 2, class 0 absent
        ([[1, 5], [1, 5], [1, 5]], [2, 1, 0], [0, 0]),  # three-way ties
    ],
)
def test_ties_go_to_the_lowest_class(counts, labels, expected):
    np.testing.assert_array_equal(assign_labels(counts, labels, 3), expected)


def test_mean_not_sum_decides():
    # class 0 shown 3 times with 2 spikes each (sum 6, mean 2); class 1 once with 3 (mean 3)
    assignments = assign_labels([[2], [2], [2], [3]], [0, 0, 0, 1], 2)
    np.testing.assert_array_equal(assignments, [1])


def test_assign_labels_errors():
    with pytest.raises(ValueError, match="2 labels for 3 presentations"):
        assign_labels(np.ones((3, 2)), [0, 1], 2)
    with pytest.raises(ValueError, match=r"counts must be 2-D \(n_presentations, n_neurons\)"):
        assign_labels([1, 2, 3], [0, 1, 0], 2)


def test_class_scores_known_answer():
    counts = [[2, 4, 1, 7], [0, 0, 3, 7]]
    assignments = [0, 0, 1, UNASSIGNED]
    scores = class_scores(counts, assignments, 3)
    expected = np.array([[3.0, 1.0, -np.inf], [0.0, 3.0, -np.inf]])
    np.testing.assert_array_equal(scores, expected)
    assert scores.dtype == float


def test_predict_docstring_example():
    np.testing.assert_array_equal(predict([[3, 0, 1], [0, 4, 0]], [0, 1, -1], 2), [0, 1])


def test_predict_known_answer():
    assignments = [0, 0, 1, 2, UNASSIGNED]
    counts = [
        [4, 2, 1, 0, 9],  # scores (3, 1, 0): 0; the unassigned neuron does not count
        [0, 0, 2, 1, 0],  # (0, 2, 1): 1
        [1, 1, 0, 5, 0],  # (1, 0, 5): 2
        [0, 0, 0, 0, 0],  # (0, 0, 0): tie -> 0
        [0, 2, 1, 0, 0],  # (1, 1, 0): tie -> 0
        [0, 0, 3, 3, 0],  # (0, 3, 3): tie -> 1
    ]
    np.testing.assert_array_equal(predict(counts, assignments, 3), [0, 1, 2, 0, 0, 1])


def test_class_proportions_known_answer():
    labels = [0, 0, 1, 2]
    counts = np.array(
        [
            [2, 0, 1],
            [4, 0, 1],
            [1, 0, 2],
            [0, 0, 4],
        ]
    )
    # neuron 0: class means (3, 1, 0); neuron 1 never fires; neuron 2: (1, 2, 4).
    # Class 3 has no presentation: share 0 for every neuron.
    expected = [[0.75, 0.25, 0, 0], [0, 0, 0, 0], [1 / 7, 2 / 7, 4 / 7, 0]]
    proportions = class_proportions(counts, labels, 4)
    np.testing.assert_allclose(proportions, expected, rtol=0, atol=1e-15)
    # the shares' argmax is Diehl & Cook's label wherever a neuron fired
    np.testing.assert_array_equal(assign_labels(counts, labels, 4), [0, UNASSIGNED, 2])


def test_proportion_weighting_outvotes_an_unselective_neuron():
    # neuron 0 answered both classes equally (label 0 by the tie rule, share 0.5 for it);
    # neuron 1 only class 1 (share 1).  A test image with counts (3, 2): Diehl & Cook's vote
    # gives class 0 (3 > 2), the weighted readout class 1 (3 * 0.5 = 1.5 < 2 * 1).
    label_counts, label_labels = [[1, 0], [1, 2]], [0, 1]
    assignments = assign_labels(label_counts, label_labels, 2)
    proportions = class_proportions(label_counts, label_labels, 2)
    np.testing.assert_array_equal(assignments, [0, 1])
    np.testing.assert_array_equal(proportions, [[0.5, 0.5], [0.0, 1.0]])
    test_counts = [[3, 2], [4, 1]]
    np.testing.assert_array_equal(
        class_scores(test_counts, assignments, 2, proportions), [[1.5, 2.0], [2.0, 1.0]]
    )
    np.testing.assert_array_equal(predict(test_counts, assignments, 2), [0, 0])
    np.testing.assert_array_equal(predict(test_counts, assignments, 2, proportions), [1, 0])


def test_proportions_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"proportions of shape \(2, 3\) for 2 neurons and 2"):
        class_scores([[1, 2]], [0, 1], 2, np.ones((2, 3)))
    with pytest.raises(ValueError, match="2 labels for 3 presentations"):
        class_proportions(np.ones((3, 2)), [0, 1], 2)


def test_class_without_neurons_never_wins():
    # class 1 has no assigned neuron: its score is -inf, below any real score, even 0
    assignments = [0, 2, UNASSIGNED]
    counts = [[0, 0, 50], [0, 1, 50]]
    np.testing.assert_array_equal(class_scores(counts, assignments, 3)[:, 1], [-np.inf, -np.inf])
    np.testing.assert_array_equal(predict(counts, assignments, 3), [0, 2])


def test_prediction_when_no_neuron_is_assigned():
    # every class scores -inf: a tie, which goes to the lowest class (0)
    np.testing.assert_array_equal(predict([[1, 2], [0, 0]], [UNASSIGNED, UNASSIGNED], 3), [0, 0])


def test_end_to_end_labelling_on_separable_counts():
    rng = np.random.default_rng(0)
    n_classes, per_class = 3, 4
    labels = np.repeat(np.arange(n_classes), per_class)
    # two neurons per class that fire 5-9 spikes for their class and 0-1 otherwise
    preferred = np.repeat(np.arange(n_classes), 2)
    counts = rng.integers(0, 2, size=(len(labels), len(preferred)))
    counts[labels[:, None] == preferred[None, :]] = rng.integers(5, 10, size=2 * len(labels))
    assignments = assign_labels(counts, labels, n_classes)
    np.testing.assert_array_equal(assignments, preferred)
    predictions = predict(counts, assignments, n_classes)
    np.testing.assert_array_equal(predictions, labels)
    assert accuracy(labels, predictions) == 1.0


def test_accuracy():
    assert accuracy([0, 1, 2, 1], [0, 2, 2, 1]) == 0.75
    assert accuracy([3], [3]) == 1.0
    assert accuracy(np.array([0, 0]), np.array([1, 1])) == 0.0
    assert isinstance(accuracy([0, 1], [0, 0]), float)


@pytest.mark.parametrize(
    ("true_labels", "predicted_labels"),
    [([0, 1, 2], [0, 1]), ([0], [0, 0]), ([], []), ([[0, 1]], [0, 1])],
)
def test_accuracy_errors(true_labels, predicted_labels):
    with pytest.raises(ValueError, match="must be non-empty and of equal length"):
        accuracy(true_labels, predicted_labels)


def test_confusion_matrix_known_answer():
    true_labels = [0, 0, 1, 2, 2, 2]
    predicted = [0, 1, 1, 2, 0, 2]
    matrix = confusion_matrix(true_labels, predicted, 3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert matrix.dtype == np.int64
    # rows sum to the number of presentations of each class
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(true_labels, minlength=3))
    # columns to the number of predictions of each class
    np.testing.assert_array_equal(matrix.sum(axis=0), np.bincount(predicted, minlength=3))
    # the diagonal counts the correct predictions
    assert np.trace(matrix) == 4
    assert np.trace(matrix) / matrix.sum() == pytest.approx(accuracy(true_labels, predicted))


def test_confusion_matrix_with_absent_classes():
    matrix = confusion_matrix([1, 1], [1, 3], 4)
    assert matrix.shape == (4, 4)
    expected = np.zeros((4, 4), dtype=int)
    expected[1, 1] = expected[1, 3] = 1
    np.testing.assert_array_equal(matrix, expected)


def test_confusion_matrix_mismatched_lengths():
    with pytest.raises(ValueError):
        confusion_matrix([0, 1, 1], [1, 0], 2)


def test_confusion_matrix_rejects_single_prediction_for_many_labels():
    with pytest.raises(ValueError):
        confusion_matrix([0, 1, 1], [1], 2)


def test_confusion_matrix_rejects_out_of_range_labels():
    with pytest.raises(ValueError):
        confusion_matrix([1, 1], [UNASSIGNED, 0], 2)


@pytest.mark.parametrize("assignments", [[UNASSIGNED], [0, 1]])
def test_class_scores_rejects_assignments_of_wrong_length(assignments):
    with pytest.raises(ValueError):
        class_scores([[1, 2, 3], [0, 0, 0]], assignments, 2)


def test_class_scores_needs_2d_counts():
    with pytest.raises(ValueError, match="counts must be 2-D"):
        predict([1, 2, 3], [0, 1, 0], 2)


def test_interval_assignments_accumulate_class_means_and_skip_the_last_interval():
    # 7 presentations, interval 3: updates at steps 3 and 6 use presentations 0-2 and 3-5;
    # presentation 6 (a huge class-1 response of neuron 0) is never used
    counts = [[4, 0], [0, 2], [0, 2], [0, 0], [1, 0], [0, 6], [50, 0]]
    labels = [0, 1, 1, 0, 0, 1, 1]
    # rates: class 0 = [4, 0] + [0.5, 0]; class 1 = [0, 2] + [0, 6]
    np.testing.assert_array_equal(interval_assignments(counts, labels, 2, interval=3), [0, 1])
    # interval 6: one update at step 6 from presentations 0-5 (class 0: [5/3, 0], class 1:
    # [0, 10/3]); presentation 6 unused again
    np.testing.assert_array_equal(interval_assignments(counts, labels, 2, interval=6), [0, 1])
    # accumulated sums, not the last window alone: neuron 0 answers class 1 in the second
    # window (1 against 0) but class 0 over both (4 against 1)
    counts = [[4], [0], [0], [0], [1], [1], [9]]
    labels = [0, 1, 1, 0, 1, 1, 1]
    assert interval_assignments(counts, labels, 2, interval=3)[0] == 0
    assert interval_assignments(counts[3:], labels[3:], 2, interval=3)[0] == 1
    # a neuron that never fired gets class 0, as in BindsNET
    assert interval_assignments([[0], [0], [0]], [1, 1, 1], 2, interval=2)[0] == 0


def test_interval_assignments_reject_bad_intervals():
    with pytest.raises(ValueError, match="interval must be a whole number"):
        interval_assignments([[1], [2]], [0, 1], 2, interval=0)
    with pytest.raises(ValueError, match="no label update at an interval of 2"):
        interval_assignments([[1], [2]], [0, 1], 2, interval=2)
    with pytest.raises(ValueError, match="3 labels for 2 presentations"):
        interval_assignments([[1], [2]], [0, 1, 1], 2, interval=1)
