"""The layout of a run folder, and the readers and writers of its files (no Brian2 here).

A run folder (``<runs_dir>/<name>/``) holds everything one run produced::

    config.toml                    resolved configuration
    state.npz                      learned state: ``input_to_exc.w`` (n_input, n_exc),
                                   ``exc.theta`` (V)
    records/train.npz              per-presentation spike counts of every input and
    records/label.npz              excitatory neuron, with image index, class label,
    records/test.npz               intensity and retries (:data:`PHASE_RECORD_KEYS`)
    records/test_spike_trains.npz  spike times (input, exc, inh) of the first test images
    assignments.npz                class of every excitatory neuron (-1: never fired)
    predictions.npz                predicted and true class of every test image
    confusion_matrix.csv           rows: true class, columns: predicted class
    metrics.json                   accuracy, counts, timings, seed, versions, git commit
    analysis/                      written by ``analyze`` (:mod:`diehl_cook.analysis`)
    sweep_point.json               a finished sweep point (:mod:`diehl_cook.sweep`)
    checkpoints/<phase>/           while a phase runs (``train-epoch<k>`` for training)

Training writes into ``<name>.incomplete/`` (:attr:`RunFolder.incomplete`), renamed to
``<name>/`` when it finishes.  :class:`RunFolder` is the one place that spells these names;
every write goes through :mod:`diehl_cook.atomic` (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import tomllib
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .atomic import TEMPORARY_SUFFIX, atomic_save_npz, atomic_write_text
from .errors import MissingRunFileError, RunFolderBusyError, RunFolderError, StorageError
from .simulation.protocol import SPIKE_LAYERS
from .simulation.records import SpikeTrains

__all__ = [
    "AnalysisFiles",
    "INCOMPLETE_SUFFIX",
    "PHASES",
    "PHASE_RECORD_KEYS",
    "RecordedSpikes",
    "RunFolder",
    "STATE_KEYS",
    "read_spike_trains_file",
]

#: Suffix of a run folder while its training runs.
INCOMPLETE_SUFFIX = ".incomplete"

#: Phases with a records file ``records/<phase>.npz``.
PHASES = ("train", "label", "test")

#: Arrays of a phase records file, in the order they are written.
PHASE_RECORD_KEYS = (
    "image_index",
    "labels",
    "exc_counts",
    "input_counts",
    "intensity",
    "retries",
    "n_slots",
)

#: Arrays of the learned state (``state.npz``) that the analysis needs.
STATE_KEYS = ("input_to_exc.w", "exc.theta")


@dataclass
class RecordedSpikes:
    """Spike times of the recorded test presentations (all times in seconds).

    Attributes
    ----------
    image_index : (n_presentations,) numpy.ndarray of int64
        Test image shown in each recorded presentation.
    labels : (n_presentations,) numpy.ndarray of int64
        Its class.
    presentation_s, rest_s : float
        Durations (s) of the presentation window and of the rest that follows it.
    layers : dict of str to diehl_cook.simulation.SpikeTrains
        Spike trains of ``input``, ``exc`` and ``inh``: ``row`` is the recorded
        presentation (0 ... n_presentations - 1), ``time`` is measured from the
        presentation onset (s).
    n_neurons : dict of str to int
        Number of neurons of each layer, when known (from the counts of the run).
    """

    image_index: np.ndarray
    labels: np.ndarray
    presentation_s: float
    rest_s: float
    layers: dict[str, SpikeTrains]
    n_neurons: dict[str, int]

    @property
    def n_presentations(self) -> int:
        """Number of recorded presentations."""
        return len(self.image_index)


def _spike_train_names(layer: str) -> tuple[str, str, str]:
    """Names of the (row, neuron, time) arrays of one layer in the spike-train file."""
    return f"{layer}_presentation", f"{layer}_neuron", f"{layer}_time_s"


def read_spike_trains_file(
    path: str | os.PathLike, n_neurons: Mapping[str, int] | None = None
) -> RecordedSpikes:
    """Read a spike-train file (``records/test_spike_trains.npz``).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    n_neurons : mapping of str to int, optional
        ``{layer: count}``; default: one more than the largest index seen in each layer.

    Returns
    -------
    RecordedSpikes
        Row and neuron indices as int64, times in seconds.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a layer's arrays are missing or disagree in length.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingRunFileError(
            f"{path}: no recorded spike times (see output.record_spike_times)"
        )
    arrays = _load_arrays(path, ("image_index", "labels", "presentation_s", "rest_s"))
    layers = {}
    for layer in SPIKE_LAYERS:
        names = _spike_train_names(layer)
        missing = [name for name in names if name not in arrays]
        if missing:
            raise RunFolderError(f"{path}: missing arrays {', '.join(missing)}")
        row, neuron, time_s = (arrays[name] for name in names)
        if not len(row) == len(neuron) == len(time_s):
            raise RunFolderError(f"{path}: the {layer} arrays differ in length")
        layers[layer] = SpikeTrains(row.astype(np.int64), neuron.astype(np.int64), time_s)
    counts = dict(n_neurons or {})
    for layer, trains in layers.items():
        counts.setdefault(layer, int(trains.neuron.max(initial=-1)) + 1)
    return RecordedSpikes(
        image_index=arrays["image_index"].astype(np.int64),
        labels=arrays["labels"].astype(np.int64),
        presentation_s=float(arrays["presentation_s"]),
        rest_s=float(arrays["rest_s"]),
        layers=layers,
        n_neurons=counts,
    )


#: What reading a damaged ``.npz`` file raises.
_NPZ_ERRORS = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error)


def _require(path: Path) -> Path:
    """``path``, or MissingRunFileError naming it and its run folder."""
    if not path.is_file():
        folder = path.parent if path.parent.name != RunFolder.RECORDS else path.parent.parent
        if not folder.is_dir():
            raise MissingRunFileError(f"{folder}: run folder not found")
        raise MissingRunFileError(f"{path}: missing (the run folder {folder} is incomplete)")
    return path


def _load_arrays(path: Path, keys: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file by name.

    Raises MissingRunFileError for a missing file and RunFolderError (a ValueError) naming
    the file for a damaged one or one without an array of ``keys``.
    """
    _require(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise RunFolderError(
                    f"{path}: missing array(s) {', '.join(missing)} "
                    f"(found: {', '.join(archive.files)})"
                )
            return {key: np.asarray(archive[key]) for key in archive.files}
    except RunFolderError:
        raise
    except _NPZ_ERRORS as error:
        raise RunFolderError(
            f"{path}: damaged or not an .npz file ({type(error).__name__}: {error})"
        ) from None


def _read_json(path: Path):
    """Parse a JSON file of a run folder; RunFolderError naming it if damaged."""
    text = _require(path).read_bytes()
    try:
        return json.loads(text)
    except ValueError as error:
        raise RunFolderError(f"{path}: damaged JSON ({error})") from None


#: Locks held by this process: lock file -> [FileLock, depth] (the lock is re-entrant).
_HELD_LOCKS = {}
_HELD_LOCKS_GUARD = threading.Lock()


class AnalysisFiles:
    """Names of the files of ``analysis/`` (:func:`diehl_cook.analysis.analyze_run`)."""

    TABLE1 = "table1.md"
    TABLE2_MD = "table2.md"
    TABLE2_CSV = "table2.csv"
    TABLE2_JSON = "table2.json"
    NEURONS_CSV = "neurons.csv"
    NEURONS_JSON = "neurons.json"
    MI_MAPS = "mi_maps.npz"
    TIME_BINNED_MD = "time_binned.md"
    TIME_BINNED_CSV = "time_binned.csv"
    TIME_BINNED_JSON = "time_binned.json"
    RECEPTIVE_FIELDS = "receptive_fields.png"
    MI_VS_WEIGHTS = "mi_vs_weights.png"
    THETA = "theta.png"
    CONFUSION_MATRIX = "confusion_matrix.png"
    #: Written last: an analysis folder with it is complete.
    SUMMARY = "summary.md"


class RunFolder:
    """A run folder: the path of each of its files, and their readers and writers.

    Parameters
    ----------
    path : str or os.PathLike
        The folder (it need not exist yet).

    Examples
    --------
    >>> folder = RunFolder("runs/demo")
    >>> folder.records_path("test").as_posix()
    'runs/demo/records/test.npz'
    >>> folder.incomplete.path.as_posix()
    'runs/demo.incomplete'
    >>> folder.checkpoint_dir("train", epoch=0).as_posix()
    'runs/demo/checkpoints/train-epoch0'
    """

    CONFIG = "config.toml"
    STATE = "state.npz"
    RECORDS = "records"
    SPIKE_TRAINS = "test_spike_trains.npz"
    ASSIGNMENTS = "assignments.npz"
    PREDICTIONS = "predictions.npz"
    CONFUSION_MATRIX = "confusion_matrix.csv"
    METRICS = "metrics.json"
    ENCODING = "encoding.json"
    ANALYSIS = "analysis"
    CHECKPOINTS = "checkpoints"
    SWEEP_POINT = "sweep_point.json"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RunFolder) and self.path == other.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    # -- the folder itself --------------------------------------------------------------

    @property
    def name(self) -> str:
        """Name of the folder (with the ``.incomplete`` suffix, if it has one)."""
        return self.path.name

    def is_dir(self) -> bool:
        """Whether the folder exists."""
        return self.path.is_dir()

    def exists(self) -> bool:
        """Whether anything exists at the folder's path."""
        return self.path.exists()

    @property
    def lock_path(self) -> Path:
        """``<runs_dir>/.<name>.lock``: held by the process that writes this run."""
        return self.path.parent / f".{self.complete.name}.lock"

    @contextlib.contextmanager
    def lock(self, *, required: bool = True):
        """Hold the run's lock file for the duration of a ``with`` block.

        One lock covers ``<name>/`` and ``<name>.incomplete/``.  It is re-entrant within a
        process (``run`` holds it while ``train``, ``label`` and ``evaluate`` take it
        again) and released by the system when the process dies, so a killed run never
        leaves a stale lock.  Whoever takes it first deletes the temporary files
        (``.<name>.<random>.tmp``) that a killed writer left in the two folders.

        Parameters
        ----------
        required : bool, optional
            False: go on without the lock when its file cannot be created (a read-only
            folder of runs).  Default: True.

        Raises
        ------
        RunFolderBusyError
            If another process holds it (a run with the same output name is going on).
        StorageError
            If the lock file cannot be created and ``required`` is True.
        """
        from filelock import FileLock, Timeout

        key = str(self.lock_path.resolve())
        with _HELD_LOCKS_GUARD:
            held = _HELD_LOCKS.get(key)
            if held is None:
                file_lock = FileLock(key)
                try:
                    self.lock_path.parent.mkdir(parents=True, exist_ok=True)
                    file_lock.acquire(timeout=0)
                except Timeout:
                    raise RunFolderBusyError(
                        f"{self.complete.path}: another process is writing this run (its lock "
                        f"{self.lock_path} is held); wait for it to end, or choose another "
                        "output.name"
                    ) from None
                except OSError as error:
                    if required:
                        raise StorageError(
                            f"{self.lock_path}: cannot create the run's lock file "
                            f"({error.strerror or error})"
                        ) from error
                    file_lock = None
                held = [file_lock, 0]
                if file_lock is not None:
                    _HELD_LOCKS[key] = held
                    self._remove_temporaries()
            held[1] += 1
        try:
            yield self
        finally:
            with _HELD_LOCKS_GUARD:
                held[1] -= 1
                if held[1] == 0 and held[0] is not None:
                    del _HELD_LOCKS[key]
                    held[0].release()

    def _remove_temporaries(self) -> None:
        """Delete the temporary files of interrupted atomic writes (lock held)."""
        for folder in (self.complete.path, self.incomplete.path):
            if folder.is_dir():
                for path in folder.rglob(f".*{TEMPORARY_SUFFIX}"):
                    if path.is_file():
                        path.unlink(missing_ok=True)

    @property
    def is_incomplete(self) -> bool:
        """Whether this is the folder of a training in progress (``<name>.incomplete``)."""
        return self.path.name.endswith(INCOMPLETE_SUFFIX)

    @property
    def incomplete(self) -> RunFolder:
        """The folder that training writes into: ``<name>.incomplete`` next to this one."""
        if self.is_incomplete:
            return self
        return RunFolder(self.path.with_name(self.path.name + INCOMPLETE_SUFFIX))

    @property
    def complete(self) -> RunFolder:
        """The finished run folder: this path without the ``.incomplete`` suffix."""
        if not self.is_incomplete:
            return self
        return RunFolder(self.path.with_name(self.path.name[: -len(INCOMPLETE_SUFFIX)]))

    # -- paths ----------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        """``config.toml``: the resolved configuration."""
        return self.path / self.CONFIG

    @property
    def state_path(self) -> Path:
        """``state.npz``: the learned weights and thresholds."""
        return self.path / self.STATE

    @property
    def records_dir(self) -> Path:
        """``records/``: the per-presentation records of every phase."""
        return self.path / self.RECORDS

    def records_path(self, phase: str) -> Path:
        """``records/<phase>.npz`` of ``phase`` (``train``, ``label`` or ``test``)."""
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; expected one of {', '.join(PHASES)}")
        return self.records_dir / f"{phase}.npz"

    @property
    def spike_trains_path(self) -> Path:
        """``records/test_spike_trains.npz``: spike times of the first test presentations."""
        return self.records_dir / self.SPIKE_TRAINS

    @property
    def assignments_path(self) -> Path:
        """``assignments.npz``: the class of every excitatory neuron."""
        return self.path / self.ASSIGNMENTS

    @property
    def predictions_path(self) -> Path:
        """``predictions.npz``: predicted and true class of every test image."""
        return self.path / self.PREDICTIONS

    @property
    def confusion_matrix_path(self) -> Path:
        """``confusion_matrix.csv``: rows true class, columns predicted class."""
        return self.path / self.CONFUSION_MATRIX

    @property
    def encoding_path(self) -> Path:
        """``encoding.json``: the input encoding, its gain calibrated on the training images."""
        return self.path / self.ENCODING

    @property
    def metrics_path(self) -> Path:
        """``metrics.json``: accuracy, counts, timings and provenance."""
        return self.path / self.METRICS

    @property
    def analysis_dir(self) -> Path:
        """``analysis/``: the information analysis (:func:`diehl_cook.analysis.analyze_run`)."""
        return self.path / self.ANALYSIS

    def analysis_path(self, name: str) -> Path:
        """File ``name`` of ``analysis/`` (one of :class:`AnalysisFiles`)."""
        return self.analysis_dir / name

    @property
    def analysis_summary_path(self) -> Path:
        """``analysis/summary.md``, written last: the analysis is complete when it exists."""
        return self.analysis_path(AnalysisFiles.SUMMARY)

    @property
    def checkpoints_dir(self) -> Path:
        """``checkpoints/``: the checkpoints of the phases in progress."""
        return self.path / self.CHECKPOINTS

    def checkpoint_dir(self, phase: str, epoch: int | None = None) -> Path:
        """``checkpoints/<phase>``, or ``checkpoints/<phase>-epoch<epoch>`` for an epoch.

        Parameters
        ----------
        phase : str
            ``train``, ``label`` or ``test``.
        epoch : int, optional
            Training epoch (0-based); training checkpoints each epoch separately.
        """
        if epoch is not None:
            return self.checkpoints_dir / f"{phase}-epoch{int(epoch)}"
        return self.checkpoints_dir / phase

    @property
    def sweep_point_path(self) -> Path:
        """``sweep_point.json``: the summary row of a finished sweep point (written last)."""
        return self.path / self.SWEEP_POINT

    # -- presence -------------------------------------------------------------------------

    def has_config(self) -> bool:
        """Whether ``config.toml`` exists."""
        return self.config_path.is_file()

    def has_records(self, phase: str) -> bool:
        """Whether ``records/<phase>.npz`` exists."""
        return self.records_path(phase).is_file()

    def has_spike_trains(self) -> bool:
        """Whether ``records/test_spike_trains.npz`` exists."""
        return self.spike_trains_path.is_file()

    def has_assignments(self) -> bool:
        """Whether ``assignments.npz`` exists."""
        return self.assignments_path.is_file()

    def has_metrics(self) -> bool:
        """Whether ``metrics.json`` exists."""
        return self.metrics_path.is_file()

    def has_sweep_point(self) -> bool:
        """Whether ``sweep_point.json`` exists (the sweep point is finished)."""
        return self.sweep_point_path.is_file()

    # -- config ---------------------------------------------------------------------------

    def write_config(self, text: str) -> None:
        """Write ``config.toml`` (TOML text, e.g. from :func:`diehl_cook.config.dump_config`)."""
        atomic_write_text(self.config_path, text)

    def read_config(self, *, missing_ok: bool = False) -> dict:
        """Read ``config.toml`` as written (the TOML document, not validated).

        Parameters
        ----------
        missing_ok : bool, optional
            Return an empty dict when the file does not exist.  Default: False.

        Raises
        ------
        FileNotFoundError
            If the file does not exist and ``missing_ok`` is False.
        """
        if missing_ok and not self.config_path.is_file():
            return {}
        try:
            return tomllib.loads(_require(self.config_path).read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise RunFolderError(f"{self.config_path}: damaged TOML ({error})") from None

    # -- records --------------------------------------------------------------------------

    def write_phase_records(
        self,
        phase: str,
        *,
        image_index: ArrayLike,
        labels: ArrayLike,
        exc_counts: ArrayLike,
        input_counts: ArrayLike,
        intensity: ArrayLike,
        retries: ArrayLike,
        n_slots: int,
    ) -> Path:
        """Write ``records/<phase>.npz``; one row per accepted presentation.

        Parameters
        ----------
        phase : {"train", "label", "test"}
        image_index : (n,) array_like of int
            Index of each presentation's image within the phase's images.
        labels : (n,) array_like of int
            Class of each presentation's image.
        exc_counts : (n, n_exc) array_like of int
            Excitatory spikes in each presentation window.
        input_counts : (n, n_input) array_like of int
            Input spikes in each presentation window.
        intensity : (n,) array_like of float
            Input intensity of each accepted presentation.
        retries : (n,) array_like of int
            Failed slots before it.
        n_slots : int
            Slots the phase used, retries included.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        path = self.records_path(phase)
        atomic_save_npz(
            path,
            image_index=image_index,
            labels=labels,
            exc_counts=exc_counts,
            input_counts=input_counts,
            intensity=intensity,
            retries=retries,
            n_slots=np.array(n_slots),
        )
        return path

    def read_phase_records(self, phase: str, required: Iterable[str] = ()) -> dict:
        """Read the arrays of ``records/<phase>.npz`` by name (:data:`PHASE_RECORD_KEYS`).

        Parameters
        ----------
        phase : {"train", "label", "test"}
        required : iterable of str, optional
            Arrays that must be present.  Default: none.

        Returns
        -------
        dict of str to numpy.ndarray
            Every array of the file.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If an array of ``required`` is missing (the message names it and the file).
        """
        return _load_arrays(self.records_path(phase), required)

    def write_spike_trains(
        self,
        image_index: ArrayLike,
        labels: ArrayLike,
        presentation_s: float,
        rest_s: float,
        layers: Mapping[str, SpikeTrains],
    ) -> Path:
        """Write ``records/test_spike_trains.npz``.

        Parameters
        ----------
        image_index : (n_presentations,) array_like of int
            Test image of each recorded presentation.
        labels : (n_presentations,) array_like of int
            Its class.
        presentation_s, rest_s : float
            Durations (s) of the presentation window and of the rest after it.
        layers : mapping of str to diehl_cook.simulation.SpikeTrains
            Spike trains of each layer (``input``, ``exc``, ``inh``), ``row`` the recorded
            presentation, ``time`` from its onset (s).

        Returns
        -------
        pathlib.Path
            The file written; :meth:`read_spike_trains` reads it back.
        """
        arrays = {
            "image_index": image_index,
            "labels": labels,
            "presentation_s": np.array(float(presentation_s)),
            "rest_s": np.array(float(rest_s)),
        }
        for layer, trains in layers.items():
            row_name, neuron_name, time_name = _spike_train_names(layer)
            arrays[row_name] = trains.row
            arrays[neuron_name] = trains.neuron
            arrays[time_name] = trains.time
        atomic_save_npz(self.spike_trains_path, **arrays)
        return self.spike_trains_path

    def read_spike_trains(self, n_neurons: Mapping[str, int] | None = None) -> RecordedSpikes:
        """Read ``records/test_spike_trains.npz`` (see :func:`read_spike_trains_file`)."""
        return read_spike_trains_file(self.spike_trains_path, n_neurons)

    # -- learned state, labels, predictions --------------------------------------------

    def write_state(self, learned_state: Mapping[str, ArrayLike]) -> None:
        """Write ``state.npz``: ``{name: array}`` (``input_to_exc.w``, ``exc.theta``, ...)."""
        atomic_save_npz(self.state_path, **learned_state)

    def read_state(self, required: Iterable[str] = ()) -> dict:
        """Read the arrays of ``state.npz`` by name.

        Parameters
        ----------
        required : iterable of str, optional
            Arrays that must be present (e.g. :data:`STATE_KEYS`).  Default: none.

        Returns
        -------
        dict of str to numpy.ndarray

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If an array of ``required`` is missing.
        """
        return _load_arrays(self.state_path, required)

    def write_assignments(self, assignments: ArrayLike) -> None:
        """Write ``assignments.npz``: the class of every excitatory neuron (-1: none)."""
        atomic_save_npz(self.assignments_path, assignments=assignments)

    def read_assignments(self) -> np.ndarray:
        """Read the ``assignments`` array of ``assignments.npz``.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If the file has no ``assignments`` array.
        """
        return _load_arrays(self.assignments_path, ("assignments",))["assignments"]

    def write_predictions(self, predicted: ArrayLike, true: ArrayLike) -> None:
        """Write ``predictions.npz``: predicted and true class of every test image."""
        atomic_save_npz(self.predictions_path, predicted=predicted, true=true)

    def read_predictions(self) -> tuple[np.ndarray, np.ndarray]:
        """``(predicted, true)`` from ``predictions.npz``."""
        arrays = _load_arrays(self.predictions_path, ("predicted", "true"))
        return arrays["predicted"], arrays["true"]

    def write_confusion_matrix(self, matrix: ArrayLike) -> None:
        """Write ``confusion_matrix.csv``: header row, then one row per true class.

        Parameters
        ----------
        matrix : (n_classes, n_classes) array_like of int
            ``matrix[true, predicted]`` counts.
        """
        matrix = np.asarray(matrix)
        n_classes = len(matrix)
        header = "true\\predicted," + ",".join(str(c) for c in range(n_classes))
        rows = [f"{c}," + ",".join(str(v) for v in matrix[c]) for c in range(n_classes)]
        atomic_write_text(self.confusion_matrix_path, "\n".join([header, *rows]) + "\n")

    def read_confusion_matrix(self) -> np.ndarray | None:
        """Read ``confusion_matrix.csv`` (float64); None if it is absent or malformed."""
        path = self.confusion_matrix_path
        if not path.is_file():
            return None
        try:
            table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        except ValueError:
            return None
        matrix = table[:, 1:]
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
            return None
        return matrix

    # -- metrics and sweep marker -----------------------------------------------------

    def read_metrics(self, *, missing_ok: bool = False) -> dict:
        """Read ``metrics.json``.

        Parameters
        ----------
        missing_ok : bool, optional
            Return an empty dict when the file does not exist.  Default: False.
        """
        if missing_ok and not self.metrics_path.is_file():
            return {}
        return _read_json(self.metrics_path)

    def write_encoding(self, description: Mapping) -> None:
        """Write ``encoding.json`` (:meth:`diehl_cook.encodings.Encoding.to_dict`)."""
        atomic_write_text(self.encoding_path, json.dumps(description, indent=1, sort_keys=True))

    def read_encoding(self) -> dict | None:
        """Read ``encoding.json``; None for a run folder without one (plain pixels)."""
        if not self.encoding_path.is_file():
            return None
        return _read_json(self.encoding_path)

    def write_metrics(self, metrics: Mapping) -> None:
        """Write ``metrics.json`` (indented, keys sorted)."""
        atomic_write_text(self.metrics_path, json.dumps(metrics, indent=2, sort_keys=True))

    def update_metrics(self, updates: Mapping) -> dict:
        """Merge ``updates`` into ``metrics.json`` and return the new metrics.

        A dict value is merged into the dict already stored under its key (one level
        deep); any other value replaces the stored one.
        """
        metrics = self.read_metrics(missing_ok=True)
        for key, value in updates.items():
            if isinstance(value, dict) and isinstance(metrics.get(key), dict):
                metrics[key].update(value)
            else:
                metrics[key] = value
        self.write_metrics(metrics)
        return metrics

    def write_sweep_point(self, row: Mapping) -> None:
        """Write ``sweep_point.json``, the summary row that marks a sweep point finished."""
        atomic_write_text(self.sweep_point_path, json.dumps(row, indent=1))

    def read_sweep_point(self) -> dict | None:
        """Read the row of ``sweep_point.json``; None if the point is not finished."""
        if not self.sweep_point_path.is_file():
            return None
        return _read_json(self.sweep_point_path)

    def read_analysis_json(self, name: str):
        """Parse the JSON file ``analysis/<name>`` (e.g. ``neurons.json``)."""
        return _read_json(self.analysis_path(name))
