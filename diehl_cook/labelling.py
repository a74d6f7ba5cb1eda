"""Neuron labels, predictions, accuracy and confusion matrix (numpy only).

Diehl & Cook (2015) label each excitatory neuron with the class to which it responded most,
on average, over a pass of labelled images with learning off; an image is then classified as
the class whose labelled neurons have the highest mean spike count.
"""

import numpy as np

__all__ = [
    "UNASSIGNED",
    "accuracy",
    "assign_labels",
    "class_proportions",
    "class_scores",
    "confusion_matrix",
    "interval_assignments",
    "predict",
    "running_accuracy",
]

#: Label of a neuron that never fired during the labelling pass.
UNASSIGNED = -1


def _check_counts(counts, name="counts"):
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_presentations, n_neurons), got {counts.shape}")
    return counts


def _check_labels(labels, counts):
    """Return ``labels`` as an array, one per presentation of ``counts``."""
    labels = np.asarray(labels)
    if len(labels) != len(counts):
        raise ValueError(f"{len(labels)} labels for {len(counts)} presentations")
    return labels


def _class_mean_counts(counts, labels, n_classes, absent):
    """Return each neuron's mean count per class, shape (n_classes, n_neurons).

    Classes without presentations get the value ``absent``.
    """
    means = np.full((n_classes, counts.shape[1]), absent, dtype=float)
    for class_index in range(n_classes):
        members = labels == class_index
        if members.any():
            means[class_index] = counts[members].mean(axis=0)
    return means


def assign_labels(counts, labels, n_classes):
    """Give each neuron the class of its highest mean response.

    Parameters
    ----------
    counts : array_like, shape (n_presentations, n_neurons)
        Spike counts per presentation (labelling pass).
    labels : array_like, shape (n_presentations,)
        Class of each presentation, 0 ... n_classes - 1.
    n_classes : int

    Returns
    -------
    numpy.ndarray, shape (n_neurons,)
        Class per neuron; :data:`UNASSIGNED` (-1) for neurons that never fired (the original
        main script would have given them class 0).  Classes absent from ``labels`` are never
        assigned; ties go to the lowest class.

    Examples
    --------
    >>> assign_labels([[3, 0, 0], [0, 2, 0], [1, 2, 0]], [0, 1, 1], 2)
    array([ 0,  1, -1])
    """
    counts = _check_counts(counts)
    labels = _check_labels(labels, counts)
    assignments = np.argmax(_class_mean_counts(counts, labels, n_classes, -np.inf), axis=0)
    assignments[counts.sum(axis=0) == 0] = UNASSIGNED
    return assignments


def interval_assignments(counts, labels, n_classes, interval):
    """Label neurons as BindsNET's ``eth_mnist`` example does, from the training responses.

    The study's labelling (``../shared/reference/capozzi-study-as-run.md``, section 2): at
    every training step ``s`` that is a positive multiple of ``interval`` and smaller than
    the number of presentations, each neuron's mean count per class over presentations
    ``s - interval ... s - 1`` is *added* to its running per-class rates (BindsNET's
    ``assign_labels`` with ``alpha = 1``); the labels of the last such step are used for
    the test.  The responses come from the training pass itself, learning on; the last
    ``interval`` presentations (``n - interval ... n - 1`` when ``n`` is a multiple of
    ``interval``) are never used, because the update runs at the start of a step.

    Parameters
    ----------
    counts : array_like, shape (n_presentations, n_neurons)
        Spike counts per training presentation, in training order.
    labels : array_like, shape (n_presentations,)
    n_classes : int
    interval : int
        Presentations between label updates (the study: 10,000).

    Returns
    -------
    numpy.ndarray, shape (n_neurons,)
        Class per neuron.  A neuron with zero rates for every class gets class 0, as in
        BindsNET (its proportions are NaN, set to 0, and argmax picks the first); ties go
        to the lowest class.

    Raises
    ------
    ValueError
        For ``interval`` < 1, mismatched lengths, or fewer than ``interval + 1``
        presentations (no label update would have run).

    Examples
    --------
    >>> counts = [[2, 0], [0, 1], [0, 5], [9, 9]]
    >>> interval_assignments(counts, [0, 1, 1, 0], 2, interval=3)
    array([0, 1])
    """
    counts = _check_counts(counts).astype(float)
    labels = _check_labels(labels, counts)
    if int(interval) != interval or interval < 1:
        raise ValueError(f"interval must be a whole number >= 1, got {interval}")
    update_steps = range(interval, len(counts), interval)
    if not update_steps:
        raise ValueError(
            f"{len(counts)} presentations: no label update at an interval of {interval} "
            f"(the first runs at step {interval}, which needs {interval + 1} presentations)"
        )
    rates = sum(
        _class_mean_counts(
            counts[step - interval : step], labels[step - interval : step], n_classes, 0.0
        )
        for step in update_steps
    )
    return np.argmax(rates, axis=0)


def class_proportions(counts, labels, n_classes):
    """Each neuron's share of its mean responses per class (BindsNET's ``proportions``).

    The labelling pass's mean count per class (the rates that :func:`assign_labels` takes
    the argmax of), divided by their sum over the classes, so that a neuron's shares sum
    to 1.  A neuron that never fired gets 0 for every class.  Classes absent from
    ``labels`` get 0.

    Parameters
    ----------
    counts : array_like, shape (n_presentations, n_neurons)
        Spike counts per presentation (labelling pass).
    labels : array_like, shape (n_presentations,)
        Class of each presentation, 0 ... n_classes - 1.
    n_classes : int

    Returns
    -------
    numpy.ndarray, shape (n_neurons, n_classes)
        Shares (dimensionless, 0-1).

    Examples
    --------
    >>> class_proportions([[3, 0], [1, 0], [1, 0]], [0, 1, 1], 2)
    array([[0.75, 0.25],
           [0.  , 0.  ]])
    """
    counts = _check_counts(counts)
    labels = _check_labels(labels, counts)
    means = _class_mean_counts(counts, labels, n_classes, 0.0).T
    totals = means.sum(axis=1, keepdims=True)
    return np.divide(means, totals, out=np.zeros_like(means), where=totals > 0)


def class_scores(counts, assignments, n_classes, proportions=None):
    """Mean spike count of the neurons assigned to each class, per presentation.

    Parameters
    ----------
    counts : array_like, shape (n_presentations, n_neurons)
    assignments : array_like, shape (n_neurons,)
    n_classes : int
    proportions : array_like, shape (n_neurons, n_classes), optional
        When given (:func:`class_proportions`), each assigned neuron's count is weighted by
        its share for the class before the mean: BindsNET's ``proportion_weighting``
        readout.  Default: None, Diehl & Cook's vote (BindsNET's ``all_activity``).

    Returns
    -------
    numpy.ndarray, shape (n_presentations, n_classes)
        ``-inf`` for classes that no neuron is assigned to.
    """
    counts = _check_counts(counts).astype(float)
    assignments = np.asarray(assignments)
    if assignments.shape != (counts.shape[1],):
        raise ValueError(
            f"{assignments.shape} assignments for {counts.shape[1]} neurons in the counts"
        )
    if proportions is not None:
        proportions = np.asarray(proportions, dtype=float)
        if proportions.shape != (counts.shape[1], n_classes):
            raise ValueError(
                f"proportions of shape {proportions.shape} for {counts.shape[1]} neurons "
                f"and {n_classes} classes (expected {(counts.shape[1], n_classes)})"
            )
    scores = np.full((len(counts), n_classes), -np.inf)
    for class_index in range(n_classes):
        members = assignments == class_index
        if members.any():
            member_counts = counts[:, members]
            if proportions is not None:
                member_counts = member_counts * proportions[members, class_index]
            scores[:, class_index] = member_counts.mean(axis=1)
    return scores


def predict(counts, assignments, n_classes, proportions=None):
    """Predict the class of each presentation (argmax of :func:`class_scores`).

    ``proportions`` (:func:`class_proportions`) selects the proportion-weighted readout.
    Ties go to the lowest class.

    Examples
    --------
    >>> predict([[3, 0, 1], [0, 4, 0]], [0, 1, -1], 2)
    array([0, 1])
    """
    return np.argmax(class_scores(counts, assignments, n_classes, proportions), axis=1)


def accuracy(true_labels, predicted_labels):
    """Fraction of correct predictions (0-1)."""
    true_labels = np.asarray(true_labels)
    predicted_labels = np.asarray(predicted_labels)
    if true_labels.shape != predicted_labels.shape or true_labels.size == 0:
        raise ValueError("true and predicted labels must be non-empty and of equal length")
    return float(np.mean(true_labels == predicted_labels))


def confusion_matrix(true_labels, predicted_labels, n_classes):
    """Confusion matrix: entry (i, j) counts presentations of class i predicted as j.

    Returns
    -------
    numpy.ndarray, shape (n_classes, n_classes), int64
        Rows sum to the number of presentations of each class.
    """
    true_labels = np.asarray(true_labels, dtype=np.int64)
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64)
    if true_labels.shape != predicted_labels.shape:
        raise ValueError(
            f"{len(true_labels)} true labels but {len(predicted_labels)} predicted labels"
        )
    for name, values in (("true", true_labels), ("predicted", predicted_labels)):
        if values.size and (values.min() < 0 or values.max() >= n_classes):
            raise ValueError(f"{name} labels must lie in 0 ... {n_classes - 1}")
    flat = true_labels * n_classes + predicted_labels
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def running_accuracy(counts, labels, n_classes, window):
    """Accuracy during training, as in Diehl & Cook's running-performance plot.

    The presentations are cut into consecutive windows of ``window``.  Each window from the
    second on is classified with the labels that the previous window's responses give
    (:func:`assign_labels`), so no presentation is scored with labels it helped to make.

    Parameters
    ----------
    counts : array_like, shape (n_presentations, n_neurons)
        Spike counts in training order (e.g. ``records/train.npz`` ``exc_counts``).
    labels : array_like, shape (n_presentations,)
        Class of each presentation.
    n_classes : int
    window : int
        Presentations per window.

    Returns
    -------
    images_seen : numpy.ndarray of int64
        Presentations shown by the end of each scored window.
    accuracy : numpy.ndarray of float64
        Accuracy (0-1) of each scored window; a partial last window is scored too.

    Examples
    --------
    >>> counts = [[2, 0], [0, 3], [1, 0], [0, 1], [0, 2], [4, 0]]
    >>> running_accuracy(counts, [0, 1, 0, 1, 0, 1], 2, window=2)
    (array([4, 6]), array([1., 0.]))
    """
    counts = _check_counts(counts)
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) != len(counts):
        raise ValueError(f"{len(counts)} presentations but {len(labels)} labels")
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    seen, scores = [], []
    for start in range(window, len(counts), window):
        previous = slice(start - window, start)
        current = slice(start, min(start + window, len(counts)))
        assignments = assign_labels(counts[previous], labels[previous], n_classes)
        predicted = predict(counts[current], assignments, n_classes)
        seen.append(current.stop)
        scores.append(accuracy(labels[current], predicted))
    return np.asarray(seen, dtype=np.int64), np.asarray(scores, dtype=float)
