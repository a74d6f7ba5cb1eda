"""Model variants: which component files make up each group and pathway, in each phase.

A *variant* (``*.variant.toml``) maps roles to component files for every group and pathway of
the network, for the training phase and the frozen phase (labelling and testing), and names a
parameter file.  :func:`load_variant` reads one, by shipped name or by path, optionally
replacing single components; :func:`diehl_cook.model.compose_model` then composes it.
"""

import importlib.resources
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ComponentError
from .components import GROUPS, PATHWAYS, PHASES

__all__ = ["Variant", "load_variant", "shipped_equations_dir", "shipped_variant_names"]


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
    parameter_overrides : dict
        ``{"<table>.<name>": value}`` that replace entries of the parameter file
        (:func:`~diehl_cook.model.load_parameters`): the variant file's own
        ``[parameter_overrides]`` (a variant that differs from another by a few values
        shares its parameter file), then the experiment's; empty by default.
    """

    name: str
    path: Path
    description: str
    parameters_path: Path
    saved_state: tuple
    roles: dict
    parameter_overrides: dict = field(default_factory=dict)

    def parameters(self):
        """Read the variant's parameters, overrides applied (see :func:`load_parameters`)."""
        from .parameters import load_parameters

        return load_parameters(self.parameters_path, overrides=self.parameter_overrides)

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


def load_variant(
    name_or_path, component_overrides=None, overrides_base_dir=None, parameter_overrides=None
):
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
    parameter_overrides : dict of str to str, optional
        ``{"<table>.<name>": "<number> <unit>"}`` replacing entries of the parameter file,
        e.g. ``{"exc.theta_plus": "0.1 mV"}``; checked here, applied by the builder.

    Returns
    -------
    Variant

    Raises
    ------
    ComponentError
        For an unknown variant, a missing file, an unknown group, role or phase.
    """
    path = _resolve_variant_path(name_or_path)
    table = _read_variant_table(path)
    roles = _read_roles(path, table)
    override_dir = Path(overrides_base_dir) if overrides_base_dir else Path.cwd()
    _apply_overrides(roles, table, component_overrides or {}, override_dir)
    saved_state = tuple(table["saved_state"])
    for item in saved_state:
        owner, _, _variable = item.partition(".")
        if owner not in roles or not _variable:
            raise ComponentError(f"{path}: saved_state entry {item!r} is not '<group>.<variable>'")
    parameters_path = _resolve_file(table["parameters"], path.parent, "parameter file", str(path))
    variant = Variant(
        name=path.name.removesuffix(".variant.toml"),
        path=path,
        description=table["description"],
        parameters_path=parameters_path,
        saved_state=saved_state,
        roles=roles,
        # the variant's own overrides of its parameter file, then the experiment's
        parameter_overrides={
            **table.get("parameter_overrides", {}),
            **dict(parameter_overrides or {}),
        },
    )
    if variant.parameter_overrides:
        variant.parameters()  # a misspelt or malformed override fails here, by name
    return variant


def _read_variant_table(path):
    """Read a variant file and check its top-level keys and the types of its values."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ComponentError(f"{path}: invalid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ComponentError(f"{path}: cannot read the variant file ({error})") from None
    known_keys = {
        "description",
        "parameters",
        "parameter_overrides",
        "saved_state",
        *GROUPS,
        *PATHWAYS,
    }
    unknown = sorted(set(table) - known_keys)
    if unknown:
        raise ComponentError(f"{path}: unknown key(s) {unknown}; known: {sorted(known_keys)}")
    for key in ("description", "parameters", "saved_state"):
        if key not in table:
            raise ComponentError(f"{path}: missing key {key!r}")
    _check_value_types(path, table)
    return table


def _check_value_types(path, table):
    """Raise ComponentError naming the key whose value has the wrong type."""

    def expect(ok, key, what):
        if not ok:
            raise ComponentError(f"{path}: {key} must be {what}, got {_value_at(table, key)!r}")

    expect(isinstance(table["description"], str), "description", "a string")
    expect(isinstance(table["parameters"], str), "parameters", "a file name")
    saved = table["saved_state"]
    expect(
        isinstance(saved, list) and all(isinstance(item, str) for item in saved),
        "saved_state",
        "a list of '<group>.<variable>' names",
    )
    overrides = table.get("parameter_overrides", {})
    expect(isinstance(overrides, dict), "parameter_overrides", "a table")
    for group in (*GROUPS, *PATHWAYS):
        phases = table.get(group, {})
        expect(isinstance(phases, dict), group, "a table of phases ([<group>.train] ...)")
        for phase, roles in phases.items():
            expect(isinstance(roles, dict), f"{group}.{phase}", "a table of role = file")
            for role, file in roles.items():
                expect(isinstance(file, str), f"{group}.{phase}.{role}", "a file name or ''")


def _value_at(table, dotted):
    node = table
    for part in dotted.split("."):
        node = node[part]
    return node


def _read_roles(path, table):
    """Return ``roles[group][phase][role]``: the component file of every role, resolved.

    The frozen phase starts from the training roles; the variant's ``[<group>.frozen]``
    entries replace them, an empty one (None) drops the role.
    """
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
    return roles


def _apply_overrides(roles, table, component_overrides, override_dir):
    """Replace roles in place with the files of ``component_overrides`` (see load_variant)."""
    frozen_overridden = {
        (group, role) for group in roles for role in table.get(group, {}).get("frozen", {})
    }
    for key, file in component_overrides.items():
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
