"""Reading a finished run folder for the analysis: :class:`RunRecords`."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import numpy as np

from ..errors import MissingRunFileError, RunFolderError
from ..run_folder import STATE_KEYS, RunFolder

__all__ = ["RunRecords", "image_shape_for", "load_run_records"]

#: Arrays of ``records/test.npz`` that the analysis needs.
_TEST_RECORD_KEYS = ("labels", "exc_counts", "input_counts")


@dataclasses.dataclass(frozen=True)
class RunRecords:
    """Everything :func:`~diehl_cook.analysis.analyze_run` reads from a run folder.

    Attributes
    ----------
    run_dir : pathlib.Path
        The run folder.
    dataset : str
        Dataset name (``[data] dataset`` of ``config.toml``, else ``metrics.json``).
    config : dict
        Contents of ``config.toml`` (empty if the file is absent).
    metrics : dict
        Contents of ``metrics.json`` (empty if the file is absent).
    labels : (n_presentations,) numpy.ndarray of int
        Class of every test presentation.
    input_counts : (n_presentations, n_input) numpy.ndarray of int
        Spike count of every input neuron in every test presentation.
    exc_counts : (n_presentations, n_exc) numpy.ndarray of int
        Spike count of every excitatory (output) neuron in every test presentation.
    weights : (n_input, n_exc) numpy.ndarray of float64
        Learned input-to-excitatory weights (``input_to_exc.w``).
    theta : (n_exc,) numpy.ndarray of float64
        Adaptive threshold increments in volts (``exc.theta``).
    retries : (n_presentations,) numpy.ndarray of int or None
        Number of times each presentation was repeated at a higher input intensity
        (``retries`` of ``records/test.npz``); None if not recorded.
    assignments : (n_exc,) numpy.ndarray of int or None
        Class assigned to every neuron (-1: unassigned); None without ``assignments.npz``.
    confusion_matrix : (n_classes, n_classes) numpy.ndarray or None
        Test confusion matrix (rows: true class) from ``confusion_matrix.csv``, if present.
    image_shape : tuple of int
        ``(height, width)`` of the input image grid.
    class_names : tuple of str or None
        Name of every class of the dataset, if known.
    """

    run_dir: Path
    dataset: str
    config: dict
    metrics: dict
    labels: np.ndarray
    input_counts: np.ndarray
    exc_counts: np.ndarray
    weights: np.ndarray
    theta: np.ndarray
    retries: np.ndarray | None
    assignments: np.ndarray | None
    confusion_matrix: np.ndarray | None
    image_shape: tuple[int, int]
    class_names: tuple[str, ...] | None

    @property
    def folder(self) -> RunFolder:
        """The run folder's layout."""
        return RunFolder(self.run_dir)

    @property
    def n_input(self) -> int:
        """Number of input neurons (pixels)."""
        return self.input_counts.shape[1]

    @property
    def n_exc(self) -> int:
        """Number of excitatory (output) neurons."""
        return self.exc_counts.shape[1]


def _relative(path: Path, run_dir: Path) -> str:
    """``path`` inside the run folder, as written in messages (``records/test.npz``)."""
    return path.relative_to(run_dir).as_posix()


def _require_file(path: Path, what: str, run_dir: Path) -> Path:
    if not path.is_file():
        raise MissingRunFileError(
            f"{path}: missing {what} ({_relative(path, run_dir)}); the run folder is incomplete"
        )
    return path


def _dataset_metadata(dataset: str) -> tuple[tuple[int, int] | None, tuple[str, ...] | None]:
    from ..data.registry import DATASETS, dataset_info

    if dataset not in DATASETS:
        return None, None
    spec = dataset_info(dataset)
    return tuple(spec.image_shape), tuple(spec.class_names)


def image_shape_for(n_input: int, dataset: str | None = None) -> tuple[int, int]:
    """Image grid ``(height, width)`` of ``n_input`` input neurons.

    Parameters
    ----------
    n_input : int
        Number of input neurons (one per pixel).
    dataset : str, optional
        Dataset name; its registered image shape is used when it has ``n_input`` pixels.

    Returns
    -------
    tuple of int
        The dataset's shape if it matches (28 x 28 for MNIST and Fashion-MNIST, 32 x 32 for
        grayscale CIFAR-10); for an encoding with ``k`` channels of that shape (ON/OFF:
        ``n_input = 2 h w``), the channels stacked vertically, ``(k h, w)``, so the ON half
        of every map is drawn above its OFF half; else a square ``(s, s)`` when
        ``n_input = s**2``, else ``(1, n_input)``.

    Examples
    --------
    >>> image_shape_for(784)
    (28, 28)
    >>> image_shape_for(1024, "cifar10")
    (32, 32)
    >>> image_shape_for(1568, "mnist")
    (56, 28)
    >>> image_shape_for(10)
    (1, 10)
    """
    if n_input < 1:
        raise ValueError(f"n_input must be positive, got {n_input}")
    if dataset is not None:
        shape, _ = _dataset_metadata(dataset)
        if shape is not None and n_input % (shape[0] * shape[1]) == 0:
            return (shape[0] * (n_input // (shape[0] * shape[1])), shape[1])
    side = math.isqrt(n_input)
    if side * side == n_input:
        return (side, side)
    return (1, n_input)


def load_run_records(run_dir: str | os.PathLike) -> RunRecords:
    """Read and check the files of a run folder that the analysis needs.

    Parameters
    ----------
    run_dir : str or os.PathLike
        Run folder with ``records/test.npz`` and ``state.npz`` (required), and
        ``config.toml``, ``metrics.json``, ``assignments.npz``, ``confusion_matrix.csv``
        (optional).

    Returns
    -------
    RunRecords
        The arrays and metadata.

    Raises
    ------
    FileNotFoundError
        If ``run_dir``, ``records/test.npz`` or ``state.npz`` is missing (the message names
        the file).
    ValueError
        If an array is missing from its file or the shapes disagree.
    """
    folder = RunFolder(run_dir)
    run_dir = folder.path
    if not run_dir.is_dir():
        raise MissingRunFileError(f"{run_dir}: run folder not found")
    records_path = _require_file(folder.records_path("test"), "test records", run_dir)
    state_path = _require_file(folder.state_path, "learned state", run_dir)

    records = folder.read_phase_records("test", required=_TEST_RECORD_KEYS)
    state = folder.read_state(required=STATE_KEYS)
    weights_key, theta_key = STATE_KEYS
    labels = records["labels"].reshape(-1)
    exc_counts = records["exc_counts"]
    input_counts = records["input_counts"]
    weights = state[weights_key].astype(np.float64)
    theta = state[theta_key].astype(np.float64).reshape(-1)

    n_presentations = labels.size
    if n_presentations == 0:
        raise RunFolderError(f"{records_path}: no test presentations")
    if labels.dtype.kind not in "iu":
        raise RunFolderError(f"{records_path}: labels must be integers, got {labels.dtype}")
    for name, counts in (("exc_counts", exc_counts), ("input_counts", input_counts)):
        if counts.ndim != 2 or counts.shape[0] != n_presentations:
            raise RunFolderError(
                f"{records_path}: {name} must have shape ({n_presentations}, n_neurons), "
                f"got {counts.shape}"
            )
    n_input, n_exc = input_counts.shape[1], exc_counts.shape[1]
    if weights.shape != (n_input, n_exc):
        raise RunFolderError(
            f"{state_path}: {weights_key} has shape {weights.shape}, but "
            f"{_relative(records_path, run_dir)} has {n_input} inputs and {n_exc} excitatory "
            "neurons"
        )
    if theta.shape != (n_exc,):
        raise RunFolderError(
            f"{state_path}: {theta_key} has shape {theta.shape}, expected ({n_exc},)"
        )

    retries = records["retries"].reshape(-1) if "retries" in records else None
    if retries is not None and retries.size != n_presentations:
        retries = None

    config = folder.read_config(missing_ok=True)
    metrics = folder.read_metrics(missing_ok=True)
    dataset = str(config.get("data", {}).get("dataset") or metrics.get("dataset") or "unknown")

    assignments = None
    if folder.has_assignments():
        assignments = folder.read_assignments().reshape(-1)
        if assignments.shape != (n_exc,):
            raise RunFolderError(
                f"{folder.assignments_path}: assignments has shape {assignments.shape}, "
                f"expected ({n_exc},)"
            )

    _, class_names = _dataset_metadata(dataset)
    return RunRecords(
        run_dir=run_dir,
        dataset=dataset,
        config=config,
        metrics=metrics,
        labels=labels.astype(np.int64),
        input_counts=input_counts,
        exc_counts=exc_counts,
        weights=weights,
        theta=theta,
        retries=retries,
        assignments=assignments,
        confusion_matrix=folder.read_confusion_matrix(),
        image_shape=image_shape_for(n_input, dataset),
        class_names=class_names,
    )
