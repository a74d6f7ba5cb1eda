"""The model layer: equation files, variants, parameters and the Brian2 network builder.

* :mod:`~diehl_cook.model.components`: component (``.eq``) files and their composition;
* :mod:`~diehl_cook.model.variants`: model variants (``*.variant.toml``);
* :mod:`~diehl_cook.model.parameters`: parameter files (``*.params.toml``);
* :mod:`~diehl_cook.model.quantities`: ``"<number> <unit>"`` strings;
* :mod:`~diehl_cook.model.validation`: line-by-line checks of the equation code;
* :mod:`~diehl_cook.model.builder`: the Brian2 network of a variant.

Importing this package does not import Brian2; the functions that need it import it.
"""

from .builder import (
    NORMALISED_PATHWAY,
    PROTOCOL_VARIABLES,
    BuiltNetwork,
    SlotTiming,
    build_network,
    connection_indices,
    initial_input_weights,
    variant_normalisation_target,
)
from .components import (
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
from .parameters import CONNECTIVITY_PATTERNS, GroupParameters, load_parameters
from .quantities import format_quantity, parse_quantity
from .validation import check_lines
from .variants import Variant, load_variant, shipped_equations_dir, shipped_variant_names

__all__ = [
    "CONNECTIVITY_PATTERNS",
    "GROUPS",
    "NORMALISED_PATHWAY",
    "PATHWAYS",
    "PHASES",
    "PROTOCOL_VARIABLES",
    "SECTION_NAMES",
    "BuiltNetwork",
    "Component",
    "ComposedGroup",
    "GroupParameters",
    "SlotTiming",
    "SourceLine",
    "Variant",
    "build_network",
    "check_lines",
    "compose_model",
    "connection_indices",
    "format_quantity",
    "initial_input_weights",
    "load_parameters",
    "load_variant",
    "parse_quantity",
    "read_component",
    "shipped_equations_dir",
    "shipped_variant_names",
    "variant_normalisation_target",
]
