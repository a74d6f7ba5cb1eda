"""Run a whole phase (training, labelling or testing) in chunks, with checkpoints.

A phase shows a list of images once.  It is split into chunks of ``chunk_slots`` slots; after
each chunk the learned state (weights, theta), the protocol's controller state and the chunk's
slot records are written atomically to the checkpoint folder, so an interrupted phase resumes
from its last finished chunk.  Every chunk has its own seed
(:func:`~diehl_cook.simulation.protocol.chunk_seed`), so the resumed phase is identical to an
uninterrupted one.

An engine (anything that satisfies :class:`diehl_cook.simulation.engine.Engine`) runs the
chunks.
"""

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..atomic import atomic_save_npz, atomic_write_text
from .protocol import PHASE_KINDS, ControllerState, accepted_slots, chunk_seed
from .records import ChunkRecords, PhaseRecords

__all__ = ["run_phase"]


def _load_checkpoint(folder):
    state_file = folder / "progress.json"
    if not state_file.is_file():
        return None
    progress = json.loads(state_file.read_text())
    with np.load(folder / "learned_state.npz") as saved:
        learned_state = {name: saved[name] for name in saved.files}
    chunks = []
    for index in range(progress["chunks_done"]):
        with np.load(folder / f"chunk_{index:06d}.npz") as saved:
            chunks.append(ChunkRecords.from_arrays({name: saved[name] for name in saved.files}))
    return progress, learned_state, chunks


def _save_checkpoint(folder, chunk_index, chunk, controller, learned_state, images_done):
    atomic_save_npz(folder / f"chunk_{chunk_index:06d}.npz", **chunk.arrays())
    atomic_save_npz(folder / "learned_state.npz", **learned_state)
    progress = {
        "chunks_done": chunk_index + 1,
        "controller": controller.to_dict(),
        "images_done": images_done,
    }
    atomic_write_text(folder / "progress.json", json.dumps(progress, indent=1))


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
    """
    images = np.asarray(images)
    n_images = len(images)
    kind = PHASE_KINDS[phase]
    settings = engine.settings
    controller = ControllerState.initial(settings)
    chunks = []
    chunk_index = 0
    images_done = 0
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        restored = _load_checkpoint(folder)
        if restored is not None:
            saved_progress, learned_state, chunks = restored
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
        chunk.position = chunk.position + window_start
        controller = replace(relative, position=relative.position + window_start)
        chunks.append(chunk)
        newly_accepted = int(accepted_slots(chunk, settings, n_images).sum())
        bar.update(newly_accepted)
        images_done += newly_accepted
        chunk_wall_s.append(time.perf_counter() - chunk_start)
        chunk_images.append(newly_accepted)
        if folder is not None:
            _save_checkpoint(folder, chunk_index, chunk, controller, learned_state, images_done)
        chunk_index += 1
        chunks_this_call += 1
    bar.close()
    records = PhaseRecords.from_chunks(chunks, settings, n_images)
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
