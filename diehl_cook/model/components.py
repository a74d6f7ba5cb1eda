"""Equation (component) files and their composition into groups and pathways.

A *component* is one ``.eq`` file: a header of ``#`` comments (description, ``implements:``,
``provides:``, ``requires:``) followed by sections of verbatim Brian2 code (``[model]``,
``[threshold]``, ``[reset]``, ``[slot_start]``, ``[on_pre]``, ``[on_post]`` and, for synapse
components, ``[pre.*]``/``[post.*]`` contributions to the pre- or postsynaptic group).
The file format is described in ``equations/README.md``.

:func:`compose_model` turns a model variant (:mod:`diehl_cook.model.variants`) into
:class:`ComposedGroup` objects, one per group or pathway, each listing its code lines with the
file and line they came from, so that every later error can name them.  The checks of the
code lines themselves are in :mod:`diehl_cook.model.validation`.

This module does not create Brian2 objects; :mod:`diehl_cook.model.builder` does.
"""

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ComponentError
from .validation import check_lines

__all__ = [
    "GROUPS",
    "PATHWAYS",
    "PHASES",
    "SECTION_NAMES",
    "ComposedGroup",
    "Component",
    "SourceLine",
    "compose_model",
    "read_component",
]

#: Neuron groups of the network, in build order.
GROUPS = ("input", "exc", "inh")
#: Pathways of the network: name -> (presynaptic group, postsynaptic group).
PATHWAYS = {
    "input_to_exc": ("input", "exc"),
    "exc_to_inh": ("exc", "inh"),
    "inh_to_exc": ("inh", "exc"),
}
#: Simulation phases: ``train`` (STDP and theta adaptation on) and ``frozen`` (both off).
PHASES = ("train", "frozen")

_OWN_SECTIONS = (
    "model",
    "threshold",
    "reset",
    "slot_start",
    "rest_shortcut",
    "on_pre",
    "on_post",
)
#: Sections of a synapse component that go to its pre- or postsynaptic group.
_SIDE_SECTION_NAMES = ("model", "reset", "slot_start", "rest_shortcut")
_SIDE_SECTIONS = tuple(
    f"{side}.{name}" for side in ("pre", "post") for name in _SIDE_SECTION_NAMES
)
#: Every section a component file may hold.
SECTION_NAMES = _OWN_SECTIONS + _SIDE_SECTIONS
_NEURON_SECTIONS = {"model", "threshold", "reset", "slot_start", "rest_shortcut"}
_SYNAPSE_SECTIONS = {"model", "on_pre", "on_post", "slot_start", *_SIDE_SECTIONS}
_HEADER_KEYS = ("implements", "provides", "requires")


@dataclass(frozen=True)
class SourceLine:
    """One line of Brian2 code together with the file and line number it came from."""

    text: str
    path: Path
    line_number: int

    @property
    def location(self):
        """``"<file>:<line>"``, the prefix of every error about this line."""
        return f"{self.path}:{self.line_number}"


@dataclass(frozen=True)
class Component:
    """A parsed ``.eq`` file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    description : str
        First header line.
    provides, requires : tuple of str
        Variables the component defines or needs (``_pre``/``_post`` suffixes name the
        presynaptic or postsynaptic group of a synapse component).
    sections : dict of str to tuple of SourceLine
        Code lines per section.
    header_line_numbers : dict of str to int
        Line number of each header key, for error messages.
    """

    path: Path
    description: str
    provides: tuple
    requires: tuple
    sections: dict
    header_line_numbers: dict = field(default_factory=dict)

    def lines(self, section):
        """Return the lines of ``section`` (empty when the component has none)."""
        return self.sections.get(section, ())


def _strip_comment(text):
    return text.split("#", 1)[0].rstrip()


def _defined_names(model_lines):
    from brian2 import Equations

    names = []
    for line in model_lines:
        names.extend(Equations(line.text).names)
    return names


def read_component(path):
    """Read and syntax-check one component file.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.eq`` file.

    Returns
    -------
    Component

    Raises
    ------
    ComponentError
        If the file is missing, has an unknown section, code outside a section, invalid
        Brian2 syntax, or a ``provides:`` list that does not match the variables it defines.
        The message names the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise ComponentError(f"{path}: component file not found")
    header_comments, header, header_line_numbers, sections = _parse_component_file(path)
    if not header_comments:
        raise ComponentError(f"{path}:1: the file must start with a '# description' line")
    check_lines(sections)
    if len(sections.get("threshold", ())) > 1:
        raise ComponentError(
            f"{sections['threshold'][1].location}: [threshold] holds one expression"
        )
    _check_provides(path, header["provides"], header_line_numbers, sections)
    return Component(
        path=path,
        description=header_comments[0],
        provides=header["provides"],
        requires=header["requires"],
        sections=sections,
        header_line_numbers=header_line_numbers,
    )


def _parse_component_file(path):
    """Split a component file into header comments, header keys and section lines."""
    header_comments = []
    header = {key: () for key in _HEADER_KEYS}
    header_line_numbers = {}
    sections = {}
    current = None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ComponentError(f"{path}: cannot read the component file ({error})") from None
    for line_number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1].strip()
            if current not in SECTION_NAMES:
                raise ComponentError(
                    f"{path}:{line_number}: unknown section [{current}]; "
                    f"known sections: {', '.join(SECTION_NAMES)}"
                )
            if current in sections:
                raise ComponentError(f"{path}:{line_number}: section [{current}] appears twice")
            sections[current] = []
            continue
        if current is None:
            comment = _read_header_line(path, line_number, stripped, header, header_line_numbers)
            if comment is not None:
                header_comments.append(comment)
            continue
        text = _strip_comment(raw)
        if text.strip():
            sections[current].append(SourceLine(text.strip(), path, line_number))
    frozen_sections = {name: tuple(lines) for name, lines in sections.items()}
    return header_comments, header, header_line_numbers, frozen_sections


def _read_header_line(path, line_number, stripped, header, header_line_numbers):
    """Read one line before the first section: a header key goes into ``header``.

    Returns the comment text of a plain comment line (the description and its
    continuation), None for a blank line or a header key.
    """
    if not stripped:
        return None
    if not stripped.startswith("#"):
        raise ComponentError(
            f"{path}:{line_number}: code before the first [section] header: {stripped!r}"
        )
    comment = stripped.lstrip("#").strip()
    key, separator, value = comment.partition(":")
    key = key.strip()
    if key not in _HEADER_KEYS or not separator:
        return comment
    names = value.strip()
    if key == "implements":
        header[key] = (names,)
    else:
        header[key] = tuple(name.strip() for name in names.split(",") if name.strip())
    header_line_numbers[key] = line_number
    return None


def _check_provides(path, provides, header_line_numbers, sections):
    """Check that ``provides:`` lists exactly the variables the model sections define."""
    defined = set(_defined_names(sections.get("model", ())))
    for side in ("pre", "post"):
        defined |= {f"{name}_{side}" for name in _defined_names(sections.get(f"{side}.model", ()))}
    declared = set(provides)
    if declared != defined:
        line_number = header_line_numbers.get("provides", 1)
        raise ComponentError(
            f"{path}:{line_number}: 'provides:' lists {sorted(declared)} but the file defines "
            f"{sorted(defined)}"
        )


@dataclass
class ComposedGroup:
    """The code of one group or pathway in one phase, with the origin of every line.

    Attributes
    ----------
    name : str
        Group or pathway name (``"exc"``, ``"input_to_exc"``, ...).
    is_synapse : bool
        True for pathways.
    components : list of Component
        The group's own components, in order.
    sections : dict of str to list of SourceLine
        ``model``, ``threshold``, ``reset``, ``slot_start`` (neurons) or ``model``,
        ``on_pre``, ``on_post`` (synapses), including contributions of synapse components.
    contributing_pathways : list of str
        Pathways whose ``pre.*``/``post.*`` sections were added to this group (their
        parameters join the group's namespace).
    """

    name: str
    is_synapse: bool
    components: list
    sections: dict
    contributing_pathways: list = field(default_factory=list)

    def provided_names(self):
        """Return the variables defined by the group's model lines."""
        return set(_defined_names(self.sections.get("model", [])))

    def code(self, section):
        """Return the section's code as one string (empty if absent)."""
        return "\n".join(line.text for line in self.sections.get(section, []))


def compose_model(variant, phase, protocol_variables=None):
    """Compose the components of every group and pathway of ``variant`` for ``phase``.

    Parameters
    ----------
    variant : diehl_cook.model.Variant
        The model variant.
    phase : {"train", "frozen"}
        Simulation phase.
    protocol_variables : dict of str to set of str, optional
        Variables the simulation protocol adds to each group (for example ``in_presentation``
        for the input group); they satisfy ``requires:`` entries.

    Returns
    -------
    dict of str to ComposedGroup
        One entry per group and pathway.

    Raises
    ------
    ComponentError
        If a component uses sections that do not fit its group kind, if two components both
        define a threshold, or if a component requires a variable that no component provides.
    """
    if phase not in PHASES:
        raise ComponentError(f"unknown phase {phase!r}; expected one of {PHASES}")
    protocol_variables = protocol_variables or {}
    composed = {
        name: _compose_own_sections(name, variant.component_paths(name, phase))
        for name in (*GROUPS, *PATHWAYS)
    }
    _add_side_sections(composed)
    provided = {
        name: group.provided_names() | set(protocol_variables.get(name, ()))
        for name, group in composed.items()
    }
    for name, group in composed.items():
        for component in group.components:
            _check_requirements(component, name, provided)
    return composed


def _compose_own_sections(name, component_paths):
    """Compose the sections of one group's or pathway's own components, in order."""
    is_synapse = name in PATHWAYS
    allowed = _SYNAPSE_SECTIONS if is_synapse else _NEURON_SECTIONS
    components = [read_component(path) for path in component_paths]
    sections = {}
    for component in components:
        for section, lines in component.sections.items():
            if section not in allowed:
                kind = "synapse" if is_synapse else "neuron"
                raise ComponentError(
                    f"{lines[0].location}: section [{section}] cannot be used by the "
                    f"{kind} {'pathway' if is_synapse else 'group'} {name!r}"
                )
            if is_synapse and section.startswith(("pre.", "post.")):
                continue
            if section == "threshold" and "threshold" in sections:
                raise ComponentError(
                    f"{lines[0].location}: group {name!r} already has a threshold from "
                    f"{sections['threshold'][0].path}"
                )
            sections.setdefault(section, []).extend(lines)
    return ComposedGroup(name, is_synapse, components, sections)


def _add_side_sections(composed):
    """Add the ``pre.*``/``post.*`` sections of synapse components to their neuron groups."""
    for pathway, (pre, post) in PATHWAYS.items():
        for component in composed[pathway].components:
            for side, target in (("pre", pre), ("post", post)):
                for section_name in _SIDE_SECTION_NAMES:
                    lines = component.lines(f"{side}.{section_name}")
                    if not lines:
                        continue
                    composed[target].sections.setdefault(section_name, []).extend(lines)
                    if pathway not in composed[target].contributing_pathways:
                        composed[target].contributing_pathways.append(pathway)


def _check_requirements(component, owner, provided):
    line_number = component.header_line_numbers.get("requires", 1)
    for requirement in component.requires:
        target = owner
        variable = requirement
        if owner in PATHWAYS:
            pre, post = PATHWAYS[owner]
            if requirement.endswith("_pre"):
                target, variable = pre, requirement.removesuffix("_pre")
            elif requirement.endswith("_post"):
                target, variable = post, requirement.removesuffix("_post")
        if variable not in provided[target]:
            raise ComponentError(
                f"{component.path}:{line_number}: requires {variable!r} in {target!r}, but no "
                f"component of {target!r} provides it (it provides: "
                f"{', '.join(sorted(provided[target])) or 'nothing'})"
            )
