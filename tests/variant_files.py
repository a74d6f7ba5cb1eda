"""Test helper: copies of the shipped ``diehl_cook_2015`` variant file with tables replaced."""

import copy
import tomllib

from diehl_cook.model import PATHWAYS, shipped_equations_dir

EQUATIONS = shipped_equations_dir()
#: The shipped variant file, parsed.
DIEHL_COOK = tomllib.loads((EQUATIONS / "diehl_cook_2015.variant.toml").read_text())


def write_variant(directory, changes=(), name="custom", parameters="diehl_cook_2015.params.toml"):
    """Write a copy of the diehl_cook_2015 variant with some ``(group, phase)`` tables replaced.

    File names without a folder resolve against ``directory`` first, then the shipped folder.
    A table given as None is removed.
    """
    table = copy.deepcopy(DIEHL_COOK)
    for (group, phase), roles in dict(changes).items():
        if roles is None:
            table[group].pop(phase, None)
        else:
            table[group][phase] = roles
    lines = [
        f'description = "test variant {name}"',
        f'parameters = "{parameters}"',
        "saved_state = " + "[" + ", ".join(f'"{s}"' for s in table["saved_state"]) + "]",
    ]
    for group in ("input", "exc", "inh", *PATHWAYS):
        for phase, roles in table.get(group, {}).items():
            lines.append(f"[{group}.{phase}]")
            lines.extend(f'{role} = "{file}"' for role, file in roles.items())
    path = directory / f"{name}.variant.toml"
    path.write_text("\n".join(lines) + "\n")
    return path
