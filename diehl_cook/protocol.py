"""Deprecated: use :mod:`diehl_cook.simulation` (kept for one release)."""

from .simulation.protocol import (  # noqa: F401
    PHASE_KINDS,
    SPIKE_LAYERS,
    ControllerState,
    ProtocolSettings,
    accepted_slots,
    chunk_seed,
    decide,
    input_rates,
)
from .simulation.records import ChunkRecords, PhaseRecords, SpikeTrains  # noqa: F401
