"""Deprecated, kept for one release; use :mod:`diehl_cook.model`.

Re-exports the names of the former ``diehl_cook.quantities`` module, now
:mod:`diehl_cook.model.quantities`.
"""

from .model.quantities import format_quantity, parse_quantity

__all__ = ["format_quantity", "parse_quantity"]
