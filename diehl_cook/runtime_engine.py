"""Deprecated: use :mod:`diehl_cook.simulation.runtime` (kept for one release)."""

from .simulation.runtime import RuntimeEngine  # noqa: F401
