"""Equation (component) files and model variants.

A *component* is one ``.eq`` file: a header of ``#`` comments (description, ``implements:``,
``provides:``, ``requires:``) followed by sections of verbatim Brian2 code (``[model]``,
``[threshold]``, ``[reset]``, ``[slot_start]``, ``[on_pre]``, ``[on_post]`` and, for synapse
components, ``[pre.*]``/``[post.*]`` contributions to the pre- or postsynaptic group).
The file format is described in ``equations/README.md``.

A *variant* (``*.variant.toml``) maps roles to component files for every group and pathway of
the network, for the training phase and the frozen phase (labelling and testing), and names a
parameter file.  :func:`compose_model` turns a variant into :class:`ComposedGroup` objects, one
per group or pathway, each listing its code lines with the file and line they came from, so
that every later error can name them.

This module does not create Brian2 objects; :mod:`diehl_cook.builder` does.
"""

import ast
import importlib.resources
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ComponentError

__all__ = [
    "GROUPS",
    "PATHWAYS",
    "PHASES",
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

_OWN_SECTIONS = ("model", "threshold", "reset", "slot_start", "on_pre", "on_post")
_SIDE_SECTIONS = tuple(
    f"{side}.{name}" for side in ("pre", "post") for name in ("model", "reset", "slot_start")
)
SECTION_NAMES = _OWN_SECTIONS + _SIDE_SECTIONS
_NEURON_SECTIONS = {"model", "threshold", "reset", "slot_start"}
_SYNAPSE_SECTIONS = {"model", "on_pre", "on_post", "slot_start", *_SIDE_SECTIONS}
_HEADER_KEYS = ("implements", "provides", "requires")


def shipped_equations_dir():
    """Return the folder of the equation files shipped with the package.

    Returns
    -------
    pathlib.Path
        The installed ``diehl_cook.equations`` folder (the repository's ``equations/``).
    """
    return Path(str(importlib.resources.files("diehl_cook.equations")))


def shipped_variant_names():
    """Return the names of the shipped model variants, sorted."""
    return sorted(
        path.name.removesuffix(".variant.toml")
        for path in shipped_equations_dir().glob("*.variant.toml")
    )


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


def _check_line_syntax(section, line):
    from brian2 import Equations

    if section.endswith("model"):
        try:
            equations = Equations(line.text)
        except Exception as error:  # Brian2 raises several types for bad equations
            raise ComponentError(
                f"{line.location}: invalid equation {line.text!r}: {error}"
            ) from None
        for name in equations.names:
            if name.endswith(("_pre", "_post")):
                raise ComponentError(
                    f"{line.location}: variable {name!r} must not end in '_pre' or '_post' "
                    "(Brian2 reserves these suffixes for pre- and postsynaptic variables)"
                )
        return
    mode = "eval" if section == "threshold" else "exec"
    try:
        tree = ast.parse(line.text.strip(), mode=mode)
    except SyntaxError as error:
        raise ComponentError(
            f"{line.location}: invalid syntax in [{section}]: {line.text.strip()!r} ({error.msg})"
        ) from None
    if mode == "exec":
        for statement in tree.body:
            if not isinstance(statement, ast.Assign | ast.AugAssign):
                raise ComponentError(
                    f"{line.location}: [{section}] holds statements such as 'v = v_reset' or "
                    f"'theta += theta_plus', got {line.text.strip()!r}"
                )


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
    header_comments = []
    header = {key: () for key in _HEADER_KEYS}
    header_line_numbers = {}
    sections = {}
    current = None
    for line_number, raw in enumerate(path.read_text().splitlines(), start=1):
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
            if not stripped:
                continue
            if not stripped.startswith("#"):
                raise ComponentError(
                    f"{path}:{line_number}: code before the first [section] header: {stripped!r}"
                )
            comment = stripped.lstrip("#").strip()
            key, _, value = comment.partition(":")
            if key.strip() in _HEADER_KEYS and _:
                names = value.strip()
                if key.strip() == "implements":
                    header[key.strip()] = (names,)
                else:
                    header[key.strip()] = tuple(
                        name.strip() for name in names.split(",") if name.strip()
                    )
                header_line_numbers[key.strip()] = line_number
            else:
                header_comments.append(comment)
            continue
        text = _strip_comment(raw)
        if text.strip():
            sections[current].append(SourceLine(text.strip(), path, line_number))
    if not header_comments:
        raise ComponentError(f"{path}:1: the file must start with a '# description' line")
    frozen_sections = {name: tuple(lines) for name, lines in sections.items()}
    for section, lines in frozen_sections.items():
        for line in lines:
            _check_line_syntax(section, line)
    if len(frozen_sections.get("threshold", ())) > 1:
        raise ComponentError(
            f"{frozen_sections['threshold'][1].location}: [threshold] holds one expression"
        )
    defined = set(_defined_names(frozen_sections.get("model", ())))
    for side in ("pre", "post"):
        defined |= {
            f"{name}_{side}" for name in _defined_names(frozen_sections.get(f"{side}.model", ()))
        }
    declared = set(header["provides"])
    if declared != defined:
        line_number = header_line_numbers.get("provides", 1)
        raise ComponentError(
            f"{path}:{line_number}: 'provides:' lists {sorted(declared)} but the file defines "
            f"{sorted(defined)}"
        )
    return Component(
        path=path,
        description=header_comments[0],
        provides=header["provides"],
        requires=header["requires"],
        sections=frozen_sections,
        header_line_numbers=header_line_numbers,
    )


@dataclass(frozen=True)
class Variant:
    """A model variant: component files per group/pathway and phase, plus a parameter file.

    Attributes
    ----------
    name : str
        Variant name (the file name without ``.variant.toml``).
    path : pathlib.Path
        The variant file.
    description : str
        One-line description.
    parameters_path : pathlib.Path
        The parameter file.
    saved_state : tuple of str
        ``"<group>.<variable>"`` names carried between training chunks and into the frozen
        phase (the learned state).
    roles : dict
        ``roles[group][phase]`` is a dict from role name to component file path.
    """

    name: str
    path: Path
    description: str
    parameters_path: Path
    saved_state: tuple
    roles: dict

    def component_paths(self, group, phase):
        """Return the component files of ``group`` in ``phase``, in composition order."""
        return [path for path in self.roles[group][phase].values() if path is not None]


def _resolve_file(reference, base_dir, what, origin):
    candidate = Path(reference).expanduser()
    if not candidate.is_absolute():
        for folder in (base_dir, shipped_equations_dir()):
            if (folder / candidate).is_file():
                return (folder / candidate).resolve()
    elif candidate.is_file():
        return candidate
    raise ComponentError(f"{origin}: {what} {reference!r} not found (looked in {base_dir})")


def _resolve_variant_path(name_or_path):
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise ComponentError(f"{candidate}: variant file not found")
        return candidate.resolve()
    shipped = shipped_equations_dir() / f"{name_or_path}.variant.toml"
    if not shipped.is_file():
        raise ComponentError(
            f"unknown model variant {name_or_path!r}; shipped variants: "
            f"{', '.join(shipped_variant_names())} (or give the path of a .variant.toml file)"
        )
    return shipped


def load_variant(name_or_path, component_overrides=None, overrides_base_dir=None):
    """Load a model variant by name or path, optionally replacing single components.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A shipped variant name (``"diehl_cook_2015"``, ``"capozzi_poster"``) or the path of a
        ``*.variant.toml`` file.
    component_overrides : dict of str to str, optional
        ``{"<group>.<role>": "<file.eq>"}``, for example
        ``{"input_to_exc.plasticity": "my_stdp.eq"}``.  The file replaces the role in the
        training phase and, unless the variant overrides that role for the frozen phase, in the
        frozen phase too.  ``"<group>.frozen.<role>"`` replaces it in the frozen phase only.
        An empty string drops the role.
    overrides_base_dir : pathlib.Path, optional
        Folder that relative override paths are resolved against (the config file's folder).
        Default: the current directory.

    Returns
    -------
    Variant

    Raises
    ------
    ComponentError
        For an unknown variant, a missing file, an unknown group, role or phase.
    """
    path = _resolve_variant_path(name_or_path)
    try:
        table = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ComponentError(f"{path}: invalid TOML: {error}") from None
    known_keys = {"description", "parameters", "saved_state", *GROUPS, *PATHWAYS}
    unknown = sorted(set(table) - known_keys)
    if unknown:
        raise ComponentError(f"{path}: unknown key(s) {unknown}; known: {sorted(known_keys)}")
    for key in ("description", "parameters", "saved_state"):
        if key not in table:
            raise ComponentError(f"{path}: missing key {key!r}")
    base_dir = path.parent
    roles = {}
    for group in (*GROUPS, *PATHWAYS):
        phases = table.get(group, {})
        unknown_phases = sorted(set(phases) - set(PHASES))
        if unknown_phases:
            raise ComponentError(f"{path}: [{group}] has unknown phase(s) {unknown_phases}")
        if group not in ("input",) and "train" not in phases:
            raise ComponentError(f"{path}: missing table [{group}.train]")
        train = {
            role: _resolve_file(file, base_dir, "component", f"{path} [{group}.train]")
            for role, file in phases.get("train", {}).items()
            if file
        }
        frozen = dict(train)
        for role, file in phases.get("frozen", {}).items():
            frozen[role] = (
                _resolve_file(file, base_dir, "component", f"{path} [{group}.frozen]")
                if file
                else None
            )
        roles[group] = {"train": train, "frozen": frozen}
    frozen_overridden = {
        (group, role) for group in roles for role in table.get(group, {}).get("frozen", {})
    }
    override_dir = Path(overrides_base_dir) if overrides_base_dir else Path.cwd()
    for key, file in (component_overrides or {}).items():
        parts = key.split(".")
        origin = f"component override {key!r}"
        if len(parts) == 2:
            group, role = parts
            phases = ["train"] + ([] if (group, role) in frozen_overridden else ["frozen"])
        elif len(parts) == 3 and parts[1] in PHASES:
            group, phase, role = parts
            phases = [phase]
        else:
            raise ComponentError(
                f"{origin}: expected '<group>.<role>' or '<group>.<phase>.<role>'"
            )
        if group not in roles:
            raise ComponentError(f"{origin}: unknown group or pathway {group!r}")
        resolved = _resolve_file(file, override_dir, "component", origin) if file else None
        for phase in phases:
            if role not in roles[group][phase] and role not in roles[group]["train"]:
                raise ComponentError(
                    f"{origin}: {group!r} has no role {role!r}; roles: "
                    f"{sorted(roles[group]['train'])}"
                )
            roles[group][phase][role] = resolved
    saved_state = tuple(table["saved_state"])
    for item in saved_state:
        owner, _, _variable = item.partition(".")
        if owner not in roles or not _variable:
            raise ComponentError(f"{path}: saved_state entry {item!r} is not '<group>.<variable>'")
    parameters_path = _resolve_file(table["parameters"], base_dir, "parameter file", str(path))
    return Variant(
        name=path.name.removesuffix(".variant.toml"),
        path=path,
        description=table["description"],
        parameters_path=parameters_path,
        saved_state=saved_state,
        roles=roles,
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
    variant : Variant
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
    composed = {}
    for name in (*GROUPS, *PATHWAYS):
        is_synapse = name in PATHWAYS
        allowed = _SYNAPSE_SECTIONS if is_synapse else _NEURON_SECTIONS
        components = [read_component(path) for path in variant.component_paths(name, phase)]
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
        composed[name] = ComposedGroup(name, is_synapse, components, sections)
    for pathway, (pre, post) in PATHWAYS.items():
        for component in composed[pathway].components:
            for side, target in (("pre", pre), ("post", post)):
                for section_name in ("model", "reset", "slot_start"):
                    lines = component.lines(f"{side}.{section_name}")
                    if not lines:
                        continue
                    composed[target].sections.setdefault(section_name, []).extend(lines)
                    if pathway not in composed[target].contributing_pathways:
                        composed[target].contributing_pathways.append(pathway)
    provided = {
        name: group.provided_names() | set(protocol_variables.get(name, ()))
        for name, group in composed.items()
    }
    for name, group in composed.items():
        for component in group.components:
            _check_requirements(component, name, provided)
    return composed


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
