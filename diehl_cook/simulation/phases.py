"""Run a whole phase (training, labelling or testing) in chunks, with checkpoints.

A phase shows a list of images once.  It is split into chunks of ``chunk_slots`` slots.  After
each chunk ``k`` two files are written atomically to the checkpoint folder:
``chunk_<k>.npz`` (the chunk's slot records) and then ``state_<k>.npz`` (the learned state
after it, weights and theta, with the protocol's controller state and the phase's settings).
``state_<k>.npz`` is the commit point: a phase resumes from the newest one, so an interrupted
phase loses at most the chunk in progress.  Every chunk has its own seed
(:func:`~diehl_cook.simulation.protocol.chunk_seed`), so the resumed phase is identical to an
uninterrupted one.

Damaged state.  The two newest state files are kept.  When the newest checkpoint is damaged
(a truncated or corrupt file), the phase resumes from the one before it, with a
:class:`~diehl_cook.errors.DiehlCookWarning` that names the damaged file, which is renamed
to ``<name>.damaged``.  When no good checkpoint is left, or a checkpoint was written by
another version or with other settings, :class:`~diehl_cook.errors.CheckpointError` names
the file and nothing is overwritten.

NaN guard.  After every chunk, the learned state and the membrane potentials must be finite;
otherwise the phase stops with :class:`~diehl_cook.errors.NumericalError`, naming the
variable, before anything of that chunk is written.

An engine (anything that satisfies :class:`diehl_cook.simulation.engine.Engine`) runs the
chunks.  An engine with a ``validate`` method (the shipped ones) checks its model before the
progress bar starts.
"""

import json
import re
import time
import warnings
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..atomic import atomic_save_npz, fault_point
from ..errors import CheckpointError, DiehlCookWarning, NumericalError
from .protocol import PHASE_KINDS, ControllerState, chunk_seed
from .records import ChunkRecords, PhaseRecords

__all__ = ["CHECKPOINT_FORMAT", "run_phase"]

#: Version of the checkpoint layout written here (1: ``progress.json`` and
#: ``learned_state.npz``, still read; 2: ``state_<k>.npz`` per chunk).
CHECKPOINT_FORMAT = 2
#: State files kept: the newest and the one before it (the fallback if it is damaged).
_KEEP_STATES = 2
#: Name of the progress record inside a state file.
_PROGRESS = "__progress__"
_STATE_FILE = re.compile(r"^state_(\d{6})\.npz$")
#: What a damaged ``.npz`` file raises when read.
_READ_ERRORS = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error)


class _Damaged(Exception):
    """A checkpoint file that cannot be read (internal; becomes a warning or an error)."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


def _chunk_path(folder, index):
    return folder / f"chunk_{index:06d}.npz"


def _state_path(folder, index):
    return folder / f"state_{index:06d}.npz"


def _state_files(folder):
    """``{chunk index: state file}`` of a checkpoint folder."""
    found = {}
    for path in folder.glob("state_*.npz"):
        match = _STATE_FILE.match(path.name)
        if match:
            found[int(match[1])] = path
    return found


def _read_npz(path):
    if not path.is_file():
        raise _Damaged(path, "missing")
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {name: saved[name] for name in saved.files}
    except _READ_ERRORS as error:
        raise _Damaged(path, f"unreadable ({type(error).__name__}: {error})") from None


def _read_chunk(folder, index):
    path = _chunk_path(folder, index)
    arrays = _read_npz(path)
    try:
        chunk = ChunkRecords.from_arrays(arrays)
    except (TypeError, KeyError, IndexError) as error:
        raise _Damaged(path, f"not the slot records of a chunk ({error})") from None
    lengths = {len(np.atleast_1d(value)) for value in (chunk.position, chunk.retries)}
    if len(lengths) != 1 or len(chunk.exc_counts) != len(chunk.position):
        raise _Damaged(path, "its arrays differ in length")
    return chunk


def _check_learned_state(path, learned_state, shapes):
    if shapes is None:
        return
    if set(learned_state) != set(shapes):
        raise _Damaged(
            path, f"holds {sorted(learned_state)}, expected the learned state {sorted(shapes)}"
        )
    for name, shape in shapes.items():
        value = learned_state[name]
        if value.shape != tuple(shape):
            raise _Damaged(path, f"{name} has shape {value.shape}, expected {tuple(shape)}")
        if not np.all(np.isfinite(value)):
            raise _Damaged(path, f"{name} holds NaN or infinite values")


def _check_settings(path, progress, expected):
    """Raise CheckpointError for a checkpoint of another version or other settings."""
    saved_format = progress.get("format")
    if saved_format != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: written by another version of diehl_cook (checkpoint format "
            f"{saved_format!r}, this version writes {CHECKPOINT_FORMAT}); nothing was "
            f"changed: resume it with that version, or move {path.parent} aside to start "
            "the phase again"
        )
    for key, value in expected.items():
        if progress.get(key) != value:
            raise CheckpointError(
                f"{path}: written for {key} = {progress.get(key)!r}, but this run has "
                f"{key} = {value!r}; nothing was changed: move {path.parent} aside to "
                "start the phase again"
            )


def _read_state_file(path):
    arrays = _read_npz(path)
    if _PROGRESS not in arrays:
        raise _Damaged(path, f"no {_PROGRESS} record")
    try:
        progress = json.loads(str(arrays.pop(_PROGRESS)))
        ControllerState(**progress["controller"])
        int(progress["chunks_done"]), int(progress["images_done"])
    except (ValueError, TypeError, KeyError) as error:
        raise _Damaged(path, f"its progress record is unreadable ({error})") from None
    return progress, arrays


def _restore_checkpoint(folder, expected, shapes, keep):
    """Return the newest good checkpoint, ``(progress, learned_state, kept)``, or None.

    ``kept`` holds ``keep(chunk)`` of every chunk done, read one at a time.  Damaged newer
    checkpoints are reported (warning) and renamed ``*.damaged``.
    """
    states = _state_files(folder)
    if not states:
        return _restore_legacy(folder, shapes, keep)
    damaged = []
    for index in sorted(states, reverse=True):
        path = states[index]
        try:
            progress, learned_state = _read_state_file(path)
            _check_settings(path, progress, expected)
            if progress["chunks_done"] != index + 1:
                raise _Damaged(path, f"says {progress['chunks_done']} chunks are done")
            _check_learned_state(path, learned_state, shapes)
            chunks = [keep(_read_chunk(folder, k)) for k in range(progress["chunks_done"])]
        except _Damaged as damage:
            damaged.append(damage)
            continue
        for damage in damaged:
            warnings.warn(
                f"{damage.path}: damaged checkpoint ({damage.reason}); resuming from the one "
                f"before it, {path.name}",
                DiehlCookWarning,
                stacklevel=3,
            )
            if damage.path.name.startswith("state_") and damage.path.is_file():
                damage.path.replace(damage.path.with_name(damage.path.name + ".damaged"))
        return progress, learned_state, chunks
    details = "; ".join(str(damage) for damage in damaged)
    raise CheckpointError(
        f"{folder}: no good checkpoint left to resume from ({details}); nothing was changed: "
        f"move {folder} aside to start the phase again"
    )


def _restore_legacy(folder, shapes, keep):
    """Read a checkpoint of format 1 (``progress.json`` and ``learned_state.npz``)."""
    progress_path = folder / "progress.json"
    if not progress_path.is_file():
        return None
    try:
        progress = json.loads(progress_path.read_text())
        learned_state = _read_npz(folder / "learned_state.npz")
        _check_learned_state(folder / "learned_state.npz", learned_state, shapes)
        ControllerState(**progress["controller"])
        chunks = [keep(_read_chunk(folder, k)) for k in range(int(progress["chunks_done"]))]
    except _Damaged as damage:
        raise CheckpointError(
            f"{damage}; no earlier checkpoint exists; nothing was changed: move {folder} "
            "aside to start the phase again"
        ) from None
    except (ValueError, TypeError, KeyError) as error:
        raise CheckpointError(
            f"{progress_path}: unreadable ({error}); nothing was changed: move {folder} "
            "aside to start the phase again"
        ) from None
    return progress, learned_state, chunks


def _save_checkpoint(folder, chunk_index, chunk, progress, learned_state):
    atomic_save_npz(_chunk_path(folder, chunk_index), **chunk.arrays())
    atomic_save_npz(
        _state_path(folder, chunk_index),
        **learned_state,
        **{_PROGRESS: np.array(json.dumps(progress))},
    )
    for index, path in _state_files(folder).items():
        if index <= chunk_index - _KEEP_STATES:
            path.unlink(missing_ok=True)
    for legacy in ("progress.json", "learned_state.npz"):
        (folder / legacy).unlink(missing_ok=True)


def _check_finite(values, phase, chunk_index):
    """Raise NumericalError naming the first variable with NaN or infinite values."""
    for name, value in values.items():
        array = np.asarray(value, dtype=float)
        finite = np.isfinite(array)
        if finite.all():
            continue
        kind = "NaN" if np.isnan(array).any() else "infinite"
        raise NumericalError(
            f"{phase}: {name} became {kind} in chunk {chunk_index} ({int((~finite).sum())} "
            f"of {array.size} values); the run stops here and nothing of this chunk is "
            "written (the last checkpoint is kept). Check the equations and parameters "
            f"that update {name}"
        )


def run_phase(
    engine,
    phase,
    images,
    *,
    learned_state,
    seed,
    chunk_slots,
    checkpoint_dir=None,
    progress=True,
    max_chunks=None,
    record_spikes_images=0,
):
    """Show every image of a phase, chunk by chunk.

    Parameters
    ----------
    engine : diehl_cook.simulation.engine.Engine
    phase : {"train", "label", "test"}
        ``train`` learns (STDP, theta adaptation, normalisation); ``label`` and ``test``
        run the frozen network.
    images : numpy.ndarray
        Pixels 0-255, shape (n_images, n_input) (flattened images).
    learned_state : dict or None
        Starting weights and theta (SI floats); None: the variant's initial values.
    seed : int
        The run's seed; each chunk uses ``chunk_seed(seed, phase, chunk_index)``.
    chunk_slots : int
        Slots per chunk (retries use slots too, so a chunk shows fewer images).
    checkpoint_dir : pathlib.Path, optional
        Where chunk records and the state after each chunk go; an existing checkpoint there
        is resumed.  None: no checkpoints.
    progress : bool, optional
        Show a progress bar with images/s and ETA.  Default: True.
    max_chunks : int, optional
        Stop after this many chunks in this call (for tests of resuming); None: run to the end.
    record_spikes_images : int, optional
        Record the spike times of the input, excitatory and inhibitory layers for the
        first this many images (``records.spike_trains``); chunks are run with spike
        monitors until those images are done.  Default: 0 (none).

    Returns
    -------
    records : diehl_cook.simulation.records.PhaseRecords or None
        The accepted presentations, in image order; None if stopped early by ``max_chunks``.
    learned_state : dict
        Weights and theta after the phase.
    timings : dict
        ``wall_time_s`` (s), ``n_chunks``, ``n_slots``, and per chunk run in this call
        ``chunk_wall_s`` (s, including any compilation) and ``chunk_images`` (images
        accepted).

    Raises
    ------
    diehl_cook.errors.ComponentError, diehl_cook.errors.ParameterError
        For a broken model, before the progress bar starts.
    diehl_cook.errors.CheckpointError
        If the checkpoint folder holds no good checkpoint to resume from, or one of another
        version or other settings.
    diehl_cook.errors.NumericalError
        If the learned state or a membrane potential becomes NaN or infinite.
    """
    images = np.asarray(images)
    n_images = len(images)
    kind = PHASE_KINDS[phase]
    settings = engine.settings
    validate = getattr(engine, "validate", None)
    if callable(validate):
        validate((kind,))
    shapes_of = getattr(engine, "learned_state_shapes", None)
    shapes = shapes_of() if callable(shapes_of) else None
    controller = ControllerState.initial(settings)

    def keep(chunk):
        # what the phase keeps of a chunk: its accepted presentations and its slot count
        # (one row per image in memory, not one per slot; PhaseRecords.from_accepted)
        return chunk.accepted(settings, n_images), chunk.slots_used(n_images)

    kept = []
    chunk_index = 0
    images_done = 0
    expected = {
        "phase": phase,
        "seed": int(seed),
        "chunk_slots": int(chunk_slots),
        "n_images": n_images,
    }
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        restored = _restore_checkpoint(folder, expected, shapes, keep)
        if restored is not None:
            saved_progress, learned_state, kept = restored
            controller = ControllerState(**saved_progress["controller"])
            chunk_index = saved_progress["chunks_done"]
            images_done = saved_progress["images_done"]
    bar = tqdm(
        total=n_images,
        initial=images_done,
        desc=phase,
        unit="img",
        disable=not progress,
        smoothing=0.1,
    )
    start = time.perf_counter()
    chunks_this_call = 0
    chunk_wall_s, chunk_images = [], []
    while images_done < n_images:
        if max_chunks is not None and chunks_this_call >= max_chunks:
            bar.close()
            return None, learned_state, {"wall_time_s": time.perf_counter() - start}
        fault_point(f"chunk {folder if folder is not None else phase} {chunk_index}")
        window_start = max(controller.position, 0)
        window = images[window_start : window_start + chunk_slots + 1]
        relative = replace(controller, position=controller.position - window_start)
        chunk_start = time.perf_counter()
        chunk, relative, learned_state = engine.run_chunk(
            kind,
            window,
            relative,
            learned_state,
            chunk_seed(seed, phase, chunk_index),
            chunk_slots,
            record_spikes=images_done < record_spikes_images,
        )
        _check_finite({**learned_state, **chunk.final_values}, phase, chunk_index)
        chunk.position = chunk.position + window_start
        controller = replace(relative, position=relative.position + window_start)
        kept.append(keep(chunk))
        newly_accepted = len(kept[-1][0].position)
        bar.update(newly_accepted)
        images_done += newly_accepted
        chunk_wall_s.append(time.perf_counter() - chunk_start)
        chunk_images.append(newly_accepted)
        if folder is not None:
            saved_progress = {
                "format": CHECKPOINT_FORMAT,
                **expected,
                "chunks_done": chunk_index + 1,
                "controller": controller.to_dict(),
                "images_done": images_done,
            }
            _save_checkpoint(folder, chunk_index, chunk, saved_progress, learned_state)
        chunk_index += 1
        chunks_this_call += 1
    bar.close()
    records = PhaseRecords.from_accepted(
        [part for part, _ in kept], sum(n_slots for _, n_slots in kept)
    )
    # spike times only for the images asked for (a recorded chunk may show more)
    records.spike_trains = {
        layer: trains.select(
            np.arange(min(record_spikes_images, n_images)),
            np.arange(min(record_spikes_images, n_images)),
        )
        for layer, trains in records.spike_trains.items()
    }
    timings = {
        "wall_time_s": time.perf_counter() - start,
        "n_chunks": chunk_index,
        "n_slots": records.n_slots,
        "chunk_wall_s": chunk_wall_s,
        "chunk_images": chunk_images,
    }
    return records, learned_state, timings
