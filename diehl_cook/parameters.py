"""Deprecated, kept for one release; use :mod:`diehl_cook.model`.

Re-exports the names of the former ``diehl_cook.parameters`` module, now
:mod:`diehl_cook.model.parameters`.
"""

from .model.parameters import CONNECTIVITY_PATTERNS, GroupParameters, load_parameters

__all__ = ["CONNECTIVITY_PATTERNS", "GroupParameters", "load_parameters"]
