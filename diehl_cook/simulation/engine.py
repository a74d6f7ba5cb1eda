"""The engine interface: what :func:`~diehl_cook.simulation.phases.run_phase` needs of an engine.

An engine runs *chunks* of presentation slots of one network.  Two ship:

* :class:`~diehl_cook.simulation.runtime.RuntimeEngine`: Brian2's runtime device, with a
  Python loop over slots (Cython or numpy code generation);
* :class:`~diehl_cook.simulation.standalone.StandaloneEngine`: the whole protocol inside
  one compiled ``cpp_standalone`` program.

Both build the same network (:func:`diehl_cook.model.build_network`), so they give the same
spikes on deterministic input.  A new engine (a GPU device, say) satisfies :class:`Engine`:
like Brian2's ``Device``, the interface is small and the rest of the package only talks to
it.  Engines never read experiment configs or the command line; they receive a variant,
the network's size, :class:`~diehl_cook.simulation.protocol.ProtocolSettings` and a
:class:`~diehl_cook.model.SlotTiming`.
"""

from typing import Protocol, runtime_checkable

from ..model.builder import SlotTiming, variant_normalisation_target
from .protocol import SPIKE_LAYERS

__all__ = ["Engine", "EngineBase"]


@runtime_checkable
class Engine(Protocol):
    """What every engine provides.

    Attributes
    ----------
    name : str
        Short name, the value of ``simulation.engine`` that selects it.
    settings : diehl_cook.simulation.protocol.ProtocolSettings
        Protocol constants (minimum spikes, intensities, retries).
    timing : diehl_cook.model.SlotTiming
        Time step, presentation and rest (s).
    compile_seconds : dict
        Seconds spent compiling each program this engine used, by key (0 for a cache hit;
        empty for engines that compile nothing ahead of time).
    """

    name: str
    settings: object
    timing: SlotTiming
    compile_seconds: dict

    def run_chunk(
        self, phase, images, controller, learned_state, seed, n_slots, record_spikes=False
    ):
        """Run ``n_slots`` slots.

        Parameters
        ----------
        phase : {"train", "frozen"}
            ``train`` learns (STDP, theta, normalisation); ``frozen`` does not.
        images : numpy.ndarray
            Pixel-equivalent intensities (0-255) of the images this chunk may show, shape
            (n_window, n_input); the controller's positions are relative to the first.
        controller : diehl_cook.simulation.protocol.ControllerState
            State after the previous chunk (positions relative to ``images``).
        learned_state : dict or None
            Saved state (weights, theta) in SI floats; None: the variant's initial values.
        seed : int
            Seed of this chunk's random numbers.
        n_slots : int
            Slots to run.
        record_spikes : bool, optional
            Also record the spike times of the input, excitatory and inhibitory layers.

        Returns
        -------
        records : diehl_cook.simulation.records.ChunkRecords
        controller : diehl_cook.simulation.protocol.ControllerState
            State after the last slot (its decision pending).
        learned_state : dict
            The variant's saved state after the chunk.
        """
        ...


class EngineBase:
    """Constructor and monitor set-up shared by the shipped engines.

    Parameters
    ----------
    variant : diehl_cook.model.Variant
    n_input, n_exc : int
        Network size.
    settings : diehl_cook.simulation.protocol.ProtocolSettings
    timing : diehl_cook.model.SlotTiming, optional
        Default: ``SlotTiming()`` (0.5 ms, 350 ms, 150 ms).
    model_seed : int, optional
        Seed of initial weights and delays.  Default: 0.
    """

    name = "base"

    def __init__(
        self,
        variant,
        *,
        n_input,
        n_exc,
        settings,
        timing=None,
        model_seed=0,
    ):
        self.variant = variant
        self.n_input = n_input
        self.n_exc = n_exc
        self.settings = settings
        self.timing = timing or SlotTiming()
        self.model_seed = model_seed
        self.compile_seconds = {}

    @property
    def normalisation_target(self):
        """Column sum of the input weights before each training slot (None: not normalised).

        The experiment's override (``settings.normalisation_target``) if given, else the
        variant's value (its parameter file).
        """
        if self.settings.normalisation_target is not None:
            return self.settings.normalisation_target
        return variant_normalisation_target(self.variant)

    @staticmethod
    def _spike_monitors(built, record_spikes):
        """Add spike monitors on the input, excitatory and inhibitory layers to the network.

        Returns ``{layer: SpikeMonitor}``; empty when ``record_spikes`` is false.
        """
        if not record_spikes:
            return {}
        from brian2 import SpikeMonitor

        monitors = {
            layer: SpikeMonitor(built[layer], name=f"{layer}_spikes") for layer in SPIKE_LAYERS
        }
        built.network.add(*monitors.values())
        return monitors
