"""Deprecated, kept for one release; use :mod:`diehl_cook.model`.

Re-exports the names of the former ``diehl_cook.components`` module, now split between
:mod:`diehl_cook.model.components` and :mod:`diehl_cook.model.variants` (the line checks are
in :mod:`diehl_cook.model.validation`).
"""

from .model.components import (
    GROUPS,
    PATHWAYS,
    PHASES,
    SECTION_NAMES,
    Component,
    ComposedGroup,
    SourceLine,
    compose_model,
    read_component,
)
from .model.variants import Variant, load_variant, shipped_equations_dir, shipped_variant_names

__all__ = [
    "GROUPS",
    "PATHWAYS",
    "PHASES",
    "SECTION_NAMES",
    "ComposedGroup",
    "Component",
    "SourceLine",
    "Variant",
    "compose_model",
    "load_variant",
    "read_component",
    "shipped_equations_dir",
    "shipped_variant_names",
]
