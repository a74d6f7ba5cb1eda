"""Deprecated, kept for one release; use :mod:`diehl_cook.model`.

Re-exports the names of the former ``diehl_cook.builder`` module, now
:mod:`diehl_cook.model.builder`.
"""

from .model.builder import (
    ORDER_NORMALISE,
    ORDER_SLOT_RESET,
    PROTOCOL_VARIABLES,
    BuiltNetwork,
    SlotTiming,
    build_network,
    connection_indices,
    initial_input_weights,
)

__all__ = [
    "ORDER_NORMALISE",
    "ORDER_SLOT_RESET",
    "PROTOCOL_VARIABLES",
    "BuiltNetwork",
    "SlotTiming",
    "build_network",
    "connection_indices",
    "initial_input_weights",
]
