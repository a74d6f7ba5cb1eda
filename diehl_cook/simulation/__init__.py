"""Running the network: the slot protocol, its records, the engines and phases in chunks.

Modules
-------
:mod:`~diehl_cook.simulation.protocol`
    The presentation protocol (retries, intensities, chunk seeds); no Brian2.
:mod:`~diehl_cook.simulation.records`
    Spike trains, per-slot chunk records and per-presentation phase records; no Brian2.
:mod:`~diehl_cook.simulation.engine`
    The :class:`Engine` interface that every engine satisfies.
:mod:`~diehl_cook.simulation.runtime`, :mod:`~diehl_cook.simulation.standalone`
    The two engines: Brian2's runtime device with a Python loop over slots, and one compiled
    ``cpp_standalone`` program per network.
:mod:`~diehl_cook.simulation.build_cache`
    Build folders, keys, compiler flags and the content-digest reuse of compiled programs.
:mod:`~diehl_cook.simulation.phases`
    A whole phase in chunks, with checkpoints and a progress bar.

Importing this package does not import Brian2; the engines import it when they run.
"""

from .engine import Engine, EngineBase
from .phases import run_phase
from .protocol import (
    PHASE_KINDS,
    SPIKE_LAYERS,
    ControllerState,
    ProtocolSettings,
    accepted_slots,
    chunk_seed,
    decide,
    input_rates,
)
from .records import ChunkRecords, PhaseRecords, SpikeTrains

__all__ = [
    "ChunkRecords",
    "ControllerState",
    "Engine",
    "EngineBase",
    "PHASE_KINDS",
    "PhaseRecords",
    "ProtocolSettings",
    "RuntimeEngine",
    "SPIKE_LAYERS",
    "SpikeTrains",
    "StandaloneEngine",
    "accepted_slots",
    "chunk_seed",
    "decide",
    "input_rates",
    "make_engine",
    "run_phase",
]

#: Engine classes by their ``simulation.engine`` name (imported when first asked for).
_ENGINE_MODULES = {"RuntimeEngine": ".runtime", "StandaloneEngine": ".standalone"}


def __getattr__(name):
    if name in _ENGINE_MODULES:
        import importlib

        return getattr(importlib.import_module(_ENGINE_MODULES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_engine(kind, variant, *, codegen_target="cython", threads=1, **common):
    """Create the engine called ``kind``.

    Parameters
    ----------
    kind : {"standalone", "runtime"}
        The engine's name (``simulation.engine`` of an experiment).
    variant : diehl_cook.model.Variant
    codegen_target : {"cython", "numpy"}, optional
        Code generation of the runtime engine; ignored by the standalone engine.
    threads : int, optional
        OpenMP threads of the standalone engine (default 1: no OpenMP); ignored by the
        runtime engine.
    **common
        ``n_input``, ``n_exc``, ``settings``, ``timing``, ``model_seed``
        (see :class:`EngineBase`).

    Returns
    -------
    Engine
    """
    if kind == "runtime":
        from .runtime import RuntimeEngine

        return RuntimeEngine(variant, codegen_target=codegen_target, **common)
    from .standalone import StandaloneEngine

    return StandaloneEngine(variant, threads=threads, **common)
