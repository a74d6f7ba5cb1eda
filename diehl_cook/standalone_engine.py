"""Deprecated: use :mod:`diehl_cook.simulation.standalone` (kept for one release)."""

from .simulation.build_cache import (  # noqa: F401
    build_key,
    compiler_flags,
    default_build_root,
    linker_flags,
)
from .simulation.standalone import StandaloneEngine  # noqa: F401
