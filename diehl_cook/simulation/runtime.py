"""Runtime engine: Brian2's runtime device with a Python loop over presentation slots.

Each slot, Python decides (:func:`diehl_cook.simulation.protocol.decide`) which image to show
at which intensity, sets the input rates, runs the network for one slot (350 ms presentation +
150 ms rest) and reads the spike counts.  Code generation is to C++ through Cython by default
(``codegen_target="cython"``); ``"numpy"`` needs no compiler.  Everything that happens inside a
slot (slot-start operations, weight normalisation, STDP, theta) is in the network that
:func:`diehl_cook.model.build_network` assembles, shared with the standalone engine.
"""

import numpy as np

from ..model.builder import build_network
from .engine import EngineBase, model_error
from .protocol import ControllerState, decide, input_rates
from .records import ChunkRecords, SpikeTrains

__all__ = ["RuntimeEngine"]


class RuntimeEngine(EngineBase):
    """Run chunks of slots with Brian2's runtime device.

    Parameters
    ----------
    variant, n_input, n_exc, settings, timing, model_seed
        As for :class:`~diehl_cook.simulation.engine.EngineBase`.
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
        super().__init__(
            variant,
            n_input=n_input,
            n_exc=n_exc,
            settings=settings,
            timing=timing,
            model_seed=model_seed,
        )
        self.codegen_target = codegen_target

    def run_chunk(
        self, phase, images, controller, learned_state, seed, n_slots, record_spikes=False
    ):
        """Run ``n_slots`` slots (see :meth:`diehl_cook.simulation.engine.Engine.run_chunk`)."""
        import brian2
        from brian2.core.base import BrianObjectException
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
            normalisation_target=self.normalisation_target,
        )
        brian2.seed(seed)
        input_group, exc_group = built["input"], built["exc"]
        spike_monitors = self._spike_monitors(built, record_spikes)
        n_window = len(images)
        positions = np.empty(n_slots, dtype=np.int64)
        intensities = np.empty(n_slots)
        retries = np.empty(n_slots, dtype=np.int64)
        exc_counts = np.empty((n_slots, self.n_exc), dtype=np.uint16)
        input_counts = np.empty((n_slots, self.n_input), dtype=np.uint16)
        slot_duration = self.timing.slot_duration * brian2.second
        step = self.timing.dt * brian2.second
        rate_per_pixel = self.rate_per_pixel
        slots_run = n_slots
        for slot in range(n_slots):
            controller, _ = decide(controller, self.settings)
            position = controller.position
            # once every image of the window is accepted, the slots left would show nothing:
            # like the standalone program, run one step of this idle slot and stop
            window_done = position >= n_window
            pixels = images[position] if 0 <= position < n_window else np.zeros(self.n_input)
            input_group.rate_[:] = input_rates(pixels, controller.intensity, rate_per_pixel)
            try:
                built.network.run(step if window_done else slot_duration, namespace={})
            except BrianObjectException as error:  # the model's code fails when run
                raise model_error(error, self.variant, phase) from None
            exc_counts[slot] = exc_group.presentation_count[:]
            input_counts[slot] = input_group.presentation_count[:]
            positions[slot] = position
            intensities[slot] = controller.intensity
            retries[slot] = controller.retries
            controller = ControllerState(
                position, controller.intensity, controller.retries, int(exc_counts[slot].sum())
            )
            if window_done:
                slots_run = slot + 1
                break
        positions, intensities, retries = (
            positions[:slots_run],
            intensities[:slots_run],
            retries[:slots_run],
        )
        exc_counts, input_counts = exc_counts[:slots_run], input_counts[:slots_run]
        learned_state = built.read_state(self.variant.saved_state)
        spike_trains = SpikeTrains.from_monitors(spike_monitors, self.timing.slot_duration)
        records = ChunkRecords(
            positions,
            intensities,
            retries,
            exc_counts,
            input_counts,
            spike_trains,
            final_values=self._final_values(built),
        )
        return records, controller, learned_state
