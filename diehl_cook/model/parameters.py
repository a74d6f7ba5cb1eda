"""Parameter files: every number of a model variant, with its unit and its source.

A parameter file (``equations/*.params.toml``) has one table per group or pathway (its Brian2
namespace) and optional sub-tables ``.group`` (NeuronGroup settings: ``refractory``,
``method``), ``.initial`` (initial values of state variables) and ``.connectivity``
(``pattern``, ``delay_min``, ``delay_max``, ``weight_scale``, ``weight_offset`` or
``weight``, ``synapse_order``).  Every entry is ``{value = "<number> <unit>", source = "..."}``.

A pathway with a ``weight`` starts with that weight on every synapse; one without draws its
initial weights from ``weight_scale`` and ``weight_offset``, and one with ``delay_max > 0``
draws its delays (:mod:`diehl_cook.model.builder`).
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParameterError
from .components import GROUPS, PATHWAYS
from .quantities import parse_quantity

__all__ = ["GroupParameters", "load_parameters", "CONNECTIVITY_PATTERNS", "SYNAPSE_ORDERS"]

#: Connection patterns the builder knows (``all_but_self_population``: all-but-self computed
#: from the number of presynaptic spikes per step, see :mod:`diehl_cook.model.builder`).
CONNECTIVITY_PATTERNS = ("all_to_all", "one_to_one", "all_but_self", "all_but_self_population")
#: Orders of a pathway's synapses in memory (``synapse_order`` of ``[<pathway>.connectivity]``):
#: ``pre`` by presynaptic, then postsynaptic index (Brian2's order, the default);
#: ``pre_delay`` by presynaptic index, then delay.  The network is the same; see
#: :func:`diehl_cook.model.builder.connection_order`.
SYNAPSE_ORDERS = ("pre", "pre_delay")
_SUBTABLES = ("group", "initial", "connectivity")
_TEXT_SETTINGS = {"method", "pattern", "synapse_order"}


@dataclass
class GroupParameters:
    """Parameters of one group or pathway.

    Attributes
    ----------
    namespace : dict
        Name -> Brian2 quantity (or float), the group's explicit namespace.
    settings : dict
        ``refractory`` (quantity) and ``method`` (str) for neuron groups.
    initial : dict
        Initial values of state variables.
    connectivity : dict
        Pattern, delays and initial weights for pathways.
    sources : dict
        ``"<table>.<name>"`` -> source text, for provenance.
    """

    namespace: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    connectivity: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)


def _read_entry(path, table_name, name, entry, require_source):
    location = f"{path} [{table_name}] {name}"
    if isinstance(entry, dict):
        unknown = set(entry) - {"value", "source"}
        if unknown or "value" not in entry:
            raise ParameterError(
                f"{location}: expected {{value = ..., source = ...}}, got keys {sorted(entry)}"
            )
        value, source = entry["value"], entry.get("source")
    else:
        value, source = entry, None
    if require_source and not source:
        raise ParameterError(f"{location}: missing 'source' (where does this number come from?)")
    if name in _TEXT_SETTINGS:
        if not isinstance(value, str):
            raise ParameterError(f"{location}: expected a name, got {value!r}")
        return value, source
    try:
        return parse_quantity(value), source
    except ValueError as error:
        raise ParameterError(f"{location}: {error}") from None


def _override_entry(path, document, key, value):
    """Replace the entry ``key`` (``<table>[.<sub-table>].<name>``) of ``document``."""
    *tables, name = key.split(".")
    node = document
    for table in tables:
        node = node.get(table) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            break
    if not tables or not isinstance(node, dict) or name not in node:
        raise ParameterError(
            f"parameter override {key!r}: {path} has no such entry (give "
            "'<table>.<name>' or '<table>.<sub-table>.<name>' of an existing value)"
        )
    source = "override"
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "source"}:
        # a variant's own override: {value = ..., source = ...}
        value, source = value["value"], value.get("source") or source
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ParameterError(
            f"parameter override {key!r}: expected a number or '<number> <unit>', got {value!r}"
        )
    node[name] = {"value": value if isinstance(value, str) else repr(value), "source": source}


def load_parameters(path, require_source=True, overrides=None):
    """Read a parameter file.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``*.params.toml`` file.
    require_source : bool, optional
        Whether every entry must give a ``source``.  Default: True (the shipped files do).
    overrides : dict of str to str, optional
        ``{"<table>.<name>": "<number> <unit>"}`` values that replace entries of the file,
        e.g. ``{"exc.theta_plus": "0.1 mV", "input_to_exc.connectivity.weight_scale": "0.2"}``
        (an experiment's ``[model.parameters]``), or ``{"value": ..., "source": ...}`` (a
        variant's ``[parameter_overrides]``).  Only existing entries can be replaced, so a
        misspelt name is an error; the source becomes "override" unless one is given.

    Returns
    -------
    dict of str to GroupParameters
        One entry per group and pathway (empty for those the file does not mention).

    Raises
    ------
    ParameterError
        For a missing file, invalid TOML, an unknown table, a malformed value or unit, an
        unknown connectivity pattern, or a missing source.  The message names the file,
        the table and the entry.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: parameter file not found")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ParameterError(f"{path}: invalid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ParameterError(f"{path}: cannot read the parameter file ({error})") from None
    known = (*GROUPS, *PATHWAYS)
    unknown = sorted(set(document) - set(known))
    if unknown:
        raise ParameterError(f"{path}: unknown table(s) {unknown}; known: {list(known)}")
    for key, value in (overrides or {}).items():
        _override_entry(path, document, key, value)
    parameters = {}
    for owner in known:
        table = document.get(owner, {})
        group_parameters = GroupParameters()
        for name, entry in table.items():
            if name in _SUBTABLES:
                target = getattr(group_parameters, "settings" if name == "group" else name)
                for sub_name, sub_entry in entry.items():
                    value, source = _read_entry(
                        path, f"{owner}.{name}", sub_name, sub_entry, require_source
                    )
                    target[sub_name] = value
                    group_parameters.sources[f"{owner}.{name}.{sub_name}"] = source
                continue
            value, source = _read_entry(path, owner, name, entry, require_source)
            group_parameters.namespace[name] = value
            group_parameters.sources[f"{owner}.{name}"] = source
        pattern = group_parameters.connectivity.get("pattern")
        if owner in PATHWAYS and pattern not in CONNECTIVITY_PATTERNS:
            raise ParameterError(
                f"{path} [{owner}.connectivity] pattern: expected one of "
                f"{CONNECTIVITY_PATTERNS}, got {pattern!r}"
            )
        order = group_parameters.connectivity.get("synapse_order", "pre")
        if owner in PATHWAYS and order not in SYNAPSE_ORDERS:
            raise ParameterError(
                f"{path} [{owner}.connectivity] synapse_order: expected one of "
                f"{SYNAPSE_ORDERS}, got {order!r}"
            )
        parameters[owner] = group_parameters
    return parameters
