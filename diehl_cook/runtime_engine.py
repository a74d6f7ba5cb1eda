"""Runtime engine: Brian2's runtime device with a Python loop over presentation slots.

Each slot, Python decides (:func:`diehl_cook.protocol.decide`) which image to show at which
intensity, sets the input rates, runs the network for one slot (350 ms presentation + 150 ms
rest) and reads the spike counts.  Code generation is to C++ through Cython by default
(``codegen_target="cython"``); ``"numpy"`` needs no compiler.  Everything that happens inside a
slot (slot-start operations, weight normalisation, STDP, theta) is in the network that
:func:`diehl_cook.builder.build_network` assembles, shared with the standalone engine.
"""

import numpy as np

from .builder import SlotTiming, build_network
from .protocol import (
    SPIKE_LAYERS,
    ChunkRecords,
    ControllerState,
    SpikeTrains,
    decide,
    input_rates,
)

__all__ = ["RuntimeEngine"]


class RuntimeEngine:
    """Run chunks of slots with Brian2's runtime device.

    Parameters
    ----------
    variant : diehl_cook.components.Variant
    n_input, n_exc : int
        Network size.
    settings : diehl_cook.protocol.ProtocolSettings
    timing : diehl_cook.builder.SlotTiming, optional
    model_seed : int, optional
        Seed of initial weights and delays.
    codegen_target : {"cython", "numpy"}, optional
        Brian2 code generation target.  Default: ``"cython"`` (compiled C++).
    """

    name = "runtime"

    def __init__(
        self,
        variant,
        *,
        n_input,
        n_exc,
        settings,
        timing=None,
        model_seed=0,
        codegen_target="cython",
    ):
        self.variant = variant
        self.n_input = n_input
        self.n_exc = n_exc
        self.settings = settings
        self.timing = timing or SlotTiming()
        self.model_seed = model_seed
        self.codegen_target = codegen_target

    def run_chunk(
        self, phase, images, controller, learned_state, seed, n_slots, record_spikes=False
    ):
        """Run ``n_slots`` slots.

        Parameters
        ----------
        phase : {"train", "frozen"}
        images : numpy.ndarray
            Pixels (0-255) of the images this chunk may show, shape (n_window, n_input); the
            controller's positions are relative to the first of them.
        controller : diehl_cook.protocol.ControllerState
            State after the previous chunk (positions relative to ``images``).
        learned_state : dict or None
            Saved state (weights, theta) in SI floats; None: initial values.
        seed : int
            Seed of this chunk's random numbers.
        n_slots : int
            Slots to run.
        record_spikes : bool, optional
            Also record the spike times of the input, excitatory and inhibitory layers
            (``records.spike_trains``).  Default: False.

        Returns
        -------
        records : diehl_cook.protocol.ChunkRecords
        controller : diehl_cook.protocol.ControllerState
            State after the last slot (its decision pending).
        learned_state : dict
            The variant's saved state after the chunk.
        """
        import brian2
        from brian2.devices.device import get_device, reinit_and_delete, set_device

        if get_device().__class__.__name__ != "RuntimeDevice":
            reinit_and_delete()
            set_device("runtime")
        brian2.prefs.codegen.target = self.codegen_target
        brian2.defaultclock.dt = self.timing.dt * brian2.second
        built = build_network(
            self.variant,
            phase,
            n_input=self.n_input,
            n_exc=self.n_exc,
            timing=self.timing,
            model_seed=self.model_seed,
            saved_state=learned_state,
            normalisation_target=self.settings.normalisation_target,
        )
        brian2.seed(seed)
        input_group, exc_group = built["input"], built["exc"]
        spike_monitors = {}
        if record_spikes:
            spike_monitors = {
                layer: brian2.SpikeMonitor(built[layer], name=f"{layer}_spikes")
                for layer in SPIKE_LAYERS
            }
            built.network.add(*spike_monitors.values())
        n_window = len(images)
        positions = np.empty(n_slots, dtype=np.int64)
        intensities = np.empty(n_slots)
        retries = np.empty(n_slots, dtype=np.int64)
        exc_counts = np.empty((n_slots, self.n_exc), dtype=np.uint16)
        input_counts = np.empty((n_slots, self.n_input), dtype=np.uint16)
        slot_duration = self.timing.slot_duration * brian2.second
        for slot in range(n_slots):
            controller, _ = decide(controller, self.settings)
            position = controller.position
            pixels = images[position] if 0 <= position < n_window else np.zeros(self.n_input)
            input_group.rate_[:] = input_rates(pixels, controller.intensity)
            built.network.run(slot_duration, namespace={})
            exc_counts[slot] = exc_group.presentation_count[:]
            input_counts[slot] = input_group.presentation_count[:]
            positions[slot] = position
            intensities[slot] = controller.intensity
            retries[slot] = controller.retries
            controller = ControllerState(
                position, controller.intensity, controller.retries, int(exc_counts[slot].sum())
            )
        learned_state = built.read_state(self.variant.saved_state)
        spike_trains = SpikeTrains.from_monitors(spike_monitors, self.timing.slot_duration)
        records = ChunkRecords(
            positions, intensities, retries, exc_counts, input_counts, spike_trains
        )
        return records, controller, learned_state
