"""What the engines record: spike trains, per-slot chunk records, per-presentation records.

Pure numpy.  A chunk's records have one row per slot (retries and idle slots included);
:meth:`PhaseRecords.from_chunks` keeps the accepted presentations of a whole phase, in image
order.  The run folder (:mod:`diehl_cook.run_folder`) stores them on disk.
"""

from dataclasses import asdict, dataclass, field

import numpy as np

from .protocol import accepted_slots

__all__ = ["ChunkRecords", "PhaseRecords", "SpikeTrains"]


@dataclass
class SpikeTrains:
    """Spike times of one layer, each spike tagged with the slot (or presentation) it fell in.

    Attributes
    ----------
    row : (n_spikes,) int64
        Slot within a chunk (:class:`ChunkRecords`) or row of the presentation
        (:class:`PhaseRecords`).
    neuron : (n_spikes,) int32
        Neuron index within the layer.
    time : (n_spikes,) float64
        Seconds since the start of that slot (the presentation starts at 0, the rest at
        the presentation's duration).
    """

    row: np.ndarray
    neuron: np.ndarray
    time: np.ndarray

    @classmethod
    def from_monitor(cls, neuron, time, slot_duration):
        """Split the absolute spike times of a chunk (s, from 0) into slot and time in slot."""
        # copies: Brian2 2.10's monitors hand out views of arrays that are freed with them
        neuron = np.array(neuron, dtype=np.int32, copy=True)
        time = np.array(time, dtype=float, copy=True)
        # times are multiples of dt; the small offset keeps a spike on a slot edge in the
        # slot that starts there
        row = np.floor(time / slot_duration + 1e-9).astype(np.int64)
        return cls(row, neuron, time - row * slot_duration)

    @classmethod
    def from_monitors(cls, monitors, slot_duration):
        """``{layer: SpikeTrains}`` from ``{layer: brian2.SpikeMonitor}`` of one chunk."""
        return {
            layer: cls.from_monitor(monitor.i[:], monitor.t_[:], slot_duration)
            for layer, monitor in monitors.items()
        }

    def arrays(self):
        """Return the three arrays by name."""
        return {"row": self.row, "neuron": self.neuron, "time": self.time}

    def select(self, rows, new_rows):
        """Keep the spikes of ``rows`` and renumber them to ``new_rows`` (same order)."""
        rows = np.asarray(rows, dtype=np.int64)
        renumber = np.full(max(int(self.row.max(initial=-1)), int(rows.max(initial=-1))) + 1, -1)
        renumber[rows] = np.asarray(new_rows, dtype=np.int64)
        new_row = renumber[self.row] if len(self.row) else self.row
        keep = new_row >= 0
        return SpikeTrains(new_row[keep], self.neuron[keep], self.time[keep])

    @classmethod
    def concatenate(cls, parts):
        """Join spike trains whose rows already refer to one numbering."""
        parts = list(parts)
        if not parts:
            return cls(np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0))
        return cls(
            np.concatenate([part.row for part in parts]),
            np.concatenate([part.neuron for part in parts]),
            np.concatenate([part.time for part in parts]),
        )


@dataclass
class ChunkRecords:
    """What one chunk of slots produced (one row per slot).

    Attributes
    ----------
    position : (n_slots,) int64
        Image index (within the phase) shown in each slot; >= n_images for idle slots.
    intensity : (n_slots,) float64
    retries : (n_slots,) int64
        Retries of that image before this slot.
    exc_counts : (n_slots, n_exc) uint16
        Excitatory spikes during the presentation window.
    input_counts : (n_slots, n_input) uint16
        Input spikes during the presentation window.
    spike_trains : dict
        Only when spike times were recorded: ``{layer: SpikeTrains}`` for ``input``,
        ``exc`` and ``inh``, with ``row`` the slot within the chunk.  Empty otherwise.
    final_values : dict
        State variables after the chunk that are not learned state, ``{"exc.v": array}``
        and so on, for the NaN guard of :func:`~diehl_cook.simulation.run_phase`; not
        saved by :meth:`arrays`.
    """

    position: np.ndarray
    intensity: np.ndarray
    retries: np.ndarray
    exc_counts: np.ndarray
    input_counts: np.ndarray
    spike_trains: dict = field(default_factory=dict)
    final_values: dict = field(default_factory=dict)

    def arrays(self):
        """Return the fields as a flat dict of arrays (for ``numpy.savez``)."""
        arrays = {
            name: value
            for name, value in asdict(self).items()
            if name not in ("spike_trains", "final_values")
        }
        for layer, trains in self.spike_trains.items():
            for name, value in trains.arrays().items():
                arrays[f"spikes_{layer}_{name}"] = value
        return arrays

    def slots_used(self, n_images):
        """Return the number of slots that showed an image (retries included, idle ones not)."""
        return int((self.position < n_images).sum())

    def accepted(self, settings, n_images):
        """Return the chunk with its accepted slots only (:func:`accepted_slots`), in order.

        Parameters
        ----------
        settings : ProtocolSettings
        n_images : int
            Images of the phase; slots past them are idle.

        Returns
        -------
        ChunkRecords
            One row per accepted presentation; spike trains renumbered to those rows;
            no ``final_values``.
        """
        keep = np.flatnonzero(accepted_slots(self, settings, n_images))
        rows = np.arange(len(keep))
        return ChunkRecords(
            position=self.position[keep],
            intensity=self.intensity[keep],
            retries=self.retries[keep],
            exc_counts=self.exc_counts[keep],
            input_counts=self.input_counts[keep],
            spike_trains={
                layer: trains.select(keep, rows) for layer, trains in self.spike_trains.items()
            },
        )

    @classmethod
    def from_arrays(cls, arrays):
        """Inverse of :meth:`arrays`."""
        plain = {name: value for name, value in arrays.items() if not name.startswith("spikes_")}
        layers = {name.split("_")[1] for name in arrays if name.startswith("spikes_")}
        trains = {
            layer: SpikeTrains(
                *(arrays[f"spikes_{layer}_{name}"] for name in ("row", "neuron", "time"))
            )
            for layer in layers
        }
        return cls(**plain, spike_trains=trains)


@dataclass
class PhaseRecords:
    """Per-presentation records of a whole phase: accepted slots only, in image order.

    Attributes
    ----------
    image_index : (n,) int64
        Index of the image within the phase's image list.
    exc_counts : (n, n_exc) uint16
    input_counts : (n, n_input) uint16
    intensity : (n,) float64
        Intensity of the accepted presentation.
    retries : (n,) int64
        Failed slots before it.
    n_slots : int
        Slots used, retries included.
    spike_trains : dict
        ``{layer: SpikeTrains}`` (``row`` = presentation row) for the presentations whose
        spike times were recorded; empty if none were.
    """

    image_index: np.ndarray
    exc_counts: np.ndarray
    input_counts: np.ndarray
    intensity: np.ndarray
    retries: np.ndarray
    n_slots: int = 0
    spike_trains: dict = field(default_factory=dict)

    @classmethod
    def from_chunks(cls, chunks, settings, n_images):
        """Select the accepted presentations from the slot records of all chunks.

        Parameters
        ----------
        chunks : list of ChunkRecords
        settings : ProtocolSettings
        n_images : int
            Images of the phase; slots past them are idle.

        Returns
        -------
        PhaseRecords
        """
        parts = [chunk.accepted(settings, n_images) for chunk in chunks]
        return cls.from_accepted(parts, sum(chunk.slots_used(n_images) for chunk in chunks))

    @classmethod
    def from_accepted(cls, parts, n_slots):
        """Join chunks that hold their accepted presentations only, in slot order.

        :func:`~diehl_cook.simulation.run_phase` keeps of every chunk only what
        :meth:`ChunkRecords.accepted` returns, so that a phase holds one row per image in
        memory, not one per slot: at 6,400 neurons a whole MNIST epoch has about 105,000
        slots for 60,000 images, 1.3 GB of slot counts against 0.77 GB of presentations.

        Parameters
        ----------
        parts : list of ChunkRecords
            Accepted slots of each chunk (:meth:`ChunkRecords.accepted`), in chunk order.
        n_slots : int
            Slots the phase used, retries included (idle slots excluded).

        Returns
        -------
        PhaseRecords
        """
        first_row = np.cumsum([0] + [len(part.position) for part in parts])
        spike_trains = {}
        for layer in sorted({layer for part in parts for layer in part.spike_trains}):
            # a part's rows are its presentations 0..n-1: shift them to the phase's rows
            spike_trains[layer] = SpikeTrains.concatenate(
                SpikeTrains(trains.row + offset, trains.neuron, trains.time)
                for part, offset in zip(parts, first_row[:-1], strict=True)
                if (trains := part.spike_trains.get(layer)) is not None
            )
        return cls(
            image_index=np.concatenate([part.position for part in parts]),
            exc_counts=np.concatenate([part.exc_counts for part in parts]),
            input_counts=np.concatenate([part.input_counts for part in parts]),
            intensity=np.concatenate([part.intensity for part in parts]),
            retries=np.concatenate([part.retries for part in parts]),
            n_slots=int(n_slots),
            spike_trains=spike_trains,
        )
