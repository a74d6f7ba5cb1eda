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

import numpy as np

from ..errors import ComponentError
from ..model.builder import SlotTiming, variant_normalisation_target, variant_rate_per_pixel
from ..model.components import GROUPS, PATHWAYS
from .protocol import SPIKE_LAYERS

__all__ = ["Engine", "EngineBase", "model_error"]

#: Models (variant, phase, timing, normalisation) already built once by ``validate``.
_VALIDATED = set()


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

    def validate(self, phases=("train", "frozen")):
        """Build the model of each phase once, so that a broken file fails before any run.

        A tiny copy of the network (2 inputs, 2 excitatory neurons) is built with Brian2's
        runtime device and numpy code generation and run for one time step: building checks
        every identifier and unit of every line (:mod:`diehl_cook.model.validation`), the
        step every piece of generated code.  Each model is checked once
        per process.  While a standalone project is being defined (another engine's device
        is active) the check is left to the engine's own build at its first chunk.

        Parameters
        ----------
        phases : iterable of {"train", "frozen"}, optional
            Default: both.

        Raises
        ------
        diehl_cook.errors.ComponentError, diehl_cook.errors.ParameterError
            For the first broken line or value; the message names the file and the line.
        """
        for phase in phases:
            key = repr((self.variant, phase, self.timing, self.normalisation_target))
            if key in _VALIDATED:
                continue
            if _build_tiny_network(self.variant, phase, self.timing, self.normalisation_target):
                _VALIDATED.add(key)

    def learned_state_shapes(self):
        """Shape of every array of the learned state (``variant.saved_state``), by name.

        Synaptic variables are (presynaptic, postsynaptic) matrices, neuron variables one
        value per neuron.
        """
        sizes = {"input": self.n_input, "exc": self.n_exc, "inh": self.n_exc}
        shapes = {}
        for name in self.variant.saved_state:
            owner = name.partition(".")[0]
            if owner in PATHWAYS:
                pre, post = PATHWAYS[owner]
                shapes[name] = (sizes[pre], sizes[post])
            elif owner in sizes:
                shapes[name] = (sizes[owner],)
        return shapes

    @staticmethod
    def _final_values(built):
        """Membrane potentials after a chunk, ``{"<group>.v": values}`` (the NaN guard)."""
        values = {}
        for group in GROUPS:
            if "v" in built[group].variables:
                values[f"{group}.v"] = np.array(built[group].v_[:], dtype=float)
        return values

    @property
    def normalisation_target(self):
        """Column sum of the input weights before each training slot (None: not normalised).

        The experiment's override (``settings.normalisation_target``) if given, else the
        variant's value (its parameter file).
        """
        if self.settings.normalisation_target is not None:
            return self.settings.normalisation_target
        return variant_normalisation_target(self.variant)

    @property
    def rate_per_pixel(self):
        """Input rate per unit of pixel value at intensity 1, in Hz (the variant's rate law).

        ``rate_per_pixel`` of the variant's ``[input]`` table; 1/8 Hz without one.
        """
        return variant_rate_per_pixel(self.variant)

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


def model_error(error, variant, phase):
    """Turn an error raised by Brian2 while it runs a model into a ComponentError.

    Parameters
    ----------
    error : Exception
        What Brian2 raised (a ``BrianObjectException`` names the failing object).
    variant : diehl_cook.model.Variant
    phase : {"train", "frozen"}

    Returns
    -------
    diehl_cook.errors.ComponentError
        Naming the group or pathway and its component files, with Brian2's reason (and the
        generated line, when Brian2 gives it) on one line.
    """
    name = getattr(error, "_brian_objname", None)
    owners = [owner for owner in (*PATHWAYS, *GROUPS) if name and name.startswith(owner)]
    owner = max(owners, key=len) if owners else None
    paths = (
        variant.component_paths(owner, phase)
        if owner
        else [p for group in (*GROUPS, *PATHWAYS) for p in variant.component_paths(group, phase)]
    )
    files = ", ".join(str(path) for path in paths) or str(variant.path)
    cause = (error.__cause__ or error.__context__) if name else error
    reason = f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
    lines = [line.strip() for line in getattr(error, "_brian_message", "").splitlines()]
    code = f"; in the generated line {lines[-1]!r}" if len(lines) > 1 and lines[-1] else ""
    where = f"{owner!r} of" if owner else "the"
    message = f"{files}: {where} {phase} model fails when run ({reason}){code}"
    return ComponentError(" ".join(message.split()))


def _build_tiny_network(variant, phase, timing, normalisation_target):
    """Build a 2-input, 2-neuron copy of the network and run it for one time step.

    Building checks identifiers and units; the step makes Brian2 generate (numpy) and run
    the code of every object once.  Returns False (nothing built) while another device than
    the runtime device is active.
    """
    import gc
    import logging

    import brian2
    from brian2.core.base import BrianObjectException
    from brian2.devices.device import get_device

    from ..errors import DiehlCookError
    from ..model.builder import build_network

    if get_device().__class__.__name__ != "RuntimeDevice":
        # a standalone project is being defined: its objects must not see ours
        return False
    target, dt = brian2.prefs.codegen.target, brian2.defaultclock.dt
    brian2.prefs.codegen.target = "numpy"
    brian2.defaultclock.dt = timing.dt * brian2.second
    # objects that fail before they run would be reported as unused when deleted
    unused = logging.getLogger("brian2.core.base.unused_brian_object")
    disabled, unused.disabled = unused.disabled, True
    failure = None
    try:
        built = build_network(
            variant,
            phase,
            n_input=2,
            n_exc=2,
            timing=timing,
            normalisation_target=normalisation_target,
        )
        built.network.run(brian2.defaultclock.dt, namespace={})
        del built
    except DiehlCookError as error:
        # a copy without the traceback (and its chain), whose frames hold the half-built
        # objects: they are freed below, silently, not when the error is printed
        failure = type(error)(str(error))
    except BrianObjectException as error:  # the model's generated code fails
        failure = model_error(error, variant, phase)
    finally:
        # free the objects now, so that the names they hold ("exc", ...) are free again for
        # the engine's own network (a standalone build with "_1" names misses its cache)
        gc.collect()
        unused.disabled = disabled
        brian2.prefs.codegen.target = target
        brian2.defaultclock.dt = dt
    if failure is not None:
        raise failure
    return True
