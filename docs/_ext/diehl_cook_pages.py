"""The generated pages of the documentation, as reStructuredText, from the package's files.

- :func:`variants_rst`: every shipped model variant: its groups, pathways and component
  files, and its parameter file as tables (value, source).
- :func:`equations_rst`: every shipped equation file (``equations/*.eq``) with its header
  and each section rendered as maths (Brian2's parser and SymPy's LaTeX printer), next to
  the verbatim Brian2 code.
- :func:`config_reference_rst`: every configuration key, its default and its meaning, from
  :func:`diehl_cook.experiment.describe_keys`.

No Sphinx here (``diehl_cook_docs`` holds the directives), so the tests can check the
pages without building the site.
"""

from __future__ import annotations

import functools
import logging
import re
import tomllib
from pathlib import Path

logger = logging.getLogger(__name__)

#: Header keys of an equation file (after the description line).
_HEADER_KEYS = ("implements", "provides", "requires")

#: Sections of an equation file, with what they are, in the order they are shown.
SECTION_TITLES = {
    "model": "equations of the group",
    "threshold": "spike condition",
    "reset": "after a spike",
    "on_pre": "at a presynaptic spike (after the delay)",
    "on_post": "at a postsynaptic spike",
    "slot_start": "at the start of every slot",
    "pre.model": "added to the presynaptic group: equations",
    "pre.reset": "added to the presynaptic group: after its spike",
    "pre.slot_start": "added to the presynaptic group: at every slot start",
    "post.model": "added to the postsynaptic group: equations",
    "post.reset": "added to the postsynaptic group: after its spike",
    "post.slot_start": "added to the postsynaptic group: at every slot start",
}

_STATEMENT = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*(?P<op>\+=|-=|\*=|/=|=)\s*(?P<expr>.+)$")


def equation_label(path: Path) -> str:
    """Cross-reference label of an equation file's section."""
    return "eq-" + path.stem.replace("_", "-")


# -- Brian2 code to LaTeX ---------------------------------------------------------------


#: Names printed as Greek letters when they start a variable name (``tau_pre``: tau_pre).
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "Theta", "kappa",
    "lambda", "mu", "nu", "rho", "sigma", "tau", "phi", "omega",
}  # fmt: skip


@functools.cache
def parameter_names() -> frozenset:
    """Names of the parameters of every shipped parameter file."""
    names = set()

    def walk(table):
        for key, value in table.items():
            if isinstance(value, dict) and "value" in value:
                names.add(key)
            elif isinstance(value, dict):
                walk(value)

    for path in _equations_dir().glob("*.params.toml"):
        walk(tomllib.loads(path.read_text()))
    return frozenset(names)


def name_latex(name: str) -> str:
    r"""LaTeX of a variable name.

    ``v_rest`` is :math:`v_{\mathrm{rest}}`, ``tau_g_exc`` is :math:`\tau_{\mathrm{g\_exc}}`,
    a ``_pre`` / ``_post`` suffix (the pre- or postsynaptic neuron) is a superscript unless
    the name is a parameter (``tau_pre``), and a name that starts with a longer word is
    printed whole, in italics.
    """
    if name == "dt":
        return r"\Delta t"
    suffix = ""
    for side in ("pre", "post"):
        is_parameter = name in parameter_names()  # tau_pre is a time constant
        if name.endswith(f"_{side}") and len(name) > len(side) + 1 and not is_parameter:
            name, suffix = name[: -len(side) - 1], rf"^{{(\mathrm{{{side}}})}}"
    base, _, rest = name.partition("_")
    if base in _GREEK:
        base = "\\" + base
    elif len(base) > 1:
        return r"\mathit{" + name.replace("_", r"\_") + "}" + suffix
    if rest:
        base += r"_{\mathrm{" + rest.replace("_", r"\_") + "}}"
    return base + suffix


def _latex(code: str) -> str:
    """LaTeX of a Brian2 expression (SymPy's printer, names by :func:`name_latex`)."""
    import sympy
    from brian2.parsing.sympytools import str_to_sympy

    expression = str_to_sympy(code)
    names = {symbol: name_latex(symbol.name) for symbol in expression.free_symbols}
    text = sympy.latex(expression, symbol_names=names)
    # rand() has a placeholder argument in Brian2's SymPy form
    return text.replace(r"\left(_placeholder_{arg} \right)", r"\left(\right)")


def _name(name: str) -> str:
    """LaTeX of a variable name (:func:`name_latex`)."""
    return name_latex(name)


def _unit_text(equation) -> str:
    """``volt``, ``second``, ... ``dimensionless``, ``integer`` or ``boolean``."""
    from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

    if equation.var_type != "float":
        return str(equation.var_type)
    if equation.dim is DIMENSIONLESS:
        return "dimensionless"
    return repr(get_unit(equation.dim))


def model_line_latex(text: str) -> list[str]:
    """LaTeX of the equations of one ``[model]`` line (Brian2 ``Equations`` syntax)."""
    from brian2 import Equations
    from brian2.equations.equations import DIFFERENTIAL_EQUATION, SUBEXPRESSION

    rendered = []
    for equation in Equations(text).ordered:
        name = _name(equation.varname)
        note = _unit_text(equation)
        if equation.flags:
            note += "; " + ", ".join(sorted(equation.flags))
        note = note.replace("_", r"\_")
        if equation.type == DIFFERENTIAL_EQUATION:
            left = r"\frac{\mathrm{d}" + name + r"}{\mathrm{d}t}"
            rendered.append(rf"{left} &= {_latex(equation.expr.code)} \quad \text{{[{note}]}}")
        elif equation.type == SUBEXPRESSION:
            rendered.append(rf"{name} &= {_latex(equation.expr.code)} \quad \text{{[{note}]}}")
        else:
            rendered.append(rf"{name} & \quad \text{{state variable [{note}]}}")
    return rendered


def statement_latex(text: str) -> str:
    r"""LaTeX of one Brian2 statement: ``x = e`` as :math:`x \leftarrow e`, ``x += e`` too."""
    match = _STATEMENT.match(text)
    if match is None:
        return _latex(text)
    name, op, expr = match["name"], match["op"], match["expr"]
    value = expr if op == "=" else f"{name} {op[0]} ({expr})"
    return rf"{_name(name)} &\leftarrow {_latex(value)}"


def section_latex(section: str, lines: list[str]) -> tuple[list[str], list[str]]:
    """LaTeX lines of a section, and the code lines that could not be rendered."""
    rendered, failed = [], []
    for text in lines:
        try:
            if section.endswith("model"):
                rendered.extend(model_line_latex(text))
            elif section == "threshold":
                rendered.append(r"\text{spike if } & " + _latex(text))
            else:
                rendered.append(statement_latex(text))
        except Exception as error:  # noqa: BLE001 - shown as code instead
            logger.info(f"diehl_cook_docs: not rendered as maths: {text!r} ({error})")
            failed.append(text)
    return rendered, failed


# -- reading the files ------------------------------------------------------------------


def read_equation_file(path: Path) -> dict:
    """Header (description, notes, header keys) and sections of an ``.eq`` file."""
    header = {key: "" for key in _HEADER_KEYS}
    comments, sections, current = [], {}, None
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1].strip()
            sections[current] = []
        elif current is None:
            if not stripped.startswith("#"):
                continue
            comment = stripped.lstrip("#").strip()
            key, separator, value = comment.partition(":")
            if separator and key.strip() in _HEADER_KEYS:
                header[key.strip()] = value.strip()
            else:
                comments.append(comment)
        else:
            code = raw.split("#", 1)[0].strip()
            if code:
                sections[current].append(code)
    return {
        "description": comments[0] if comments else "",
        "notes": " ".join(comments[1:]),
        **header,
        "sections": sections,
    }


def _equations_dir() -> Path:
    from diehl_cook.model import shipped_equations_dir

    return shipped_equations_dir()


def _rst_literal(text: str) -> str:
    """``text`` as inline literal reStructuredText."""
    return "``" + text.replace("``", "` `") + "``" if text else ""


def _rst_inline(text: str) -> str:
    """Prose from a file, with the characters that reStructuredText reads escaped."""
    return re.sub(r"([*`|_\\])", r"\\\1", text)


# -- directives -------------------------------------------------------------------------


# -- the pages -------------------------------------------------------------------------


def variants_rst() -> tuple[list[str], list[Path]]:
    """ReStructuredText of every shipped variant, and the files it was made from."""
    from diehl_cook.model import load_variant, shipped_variant_names

    out, paths = [], []
    for name in shipped_variant_names():
        variant = load_variant(name)
        paths += [variant.path, variant.parameters_path]
        out += [name, "~" * len(name), "", _rst_inline(variant.description), ""]
        out += [
            f"Variant file ``{variant.path.name}``, parameters "
            f"``{variant.parameters_path.name}``; learned state carried between chunks "
            f"and into labelling and testing: "
            + ", ".join(_rst_literal(s) for s in variant.saved_state)
            + ".",
            "",
            ".. list-table:: Components (frozen phase: labelling and testing)",
            "   :header-rows: 1",
            "",
            "   * - group or pathway",
            "     - role",
            "     - training",
            "     - frozen",
        ]
        for group, phases in variant.roles.items():
            roles = dict.fromkeys([*phases.get("train", {}), *phases.get("frozen", {})])
            for role in roles:
                cells = []
                for phase in ("train", "frozen"):
                    path = phases.get(phase, {}).get(role)
                    cells.append(
                        f":ref:`{path.name} <{equation_label(path)}>`" if path else "(none)"
                    )
                out += [f"   * - ``{group}``", f"     - {role}"]
                out += [f"     - {cell}" for cell in cells]
        out += [""]
        out += _parameters_rst(variant.parameters_path)
    return out, paths


def _parameters_rst(path: Path) -> list[str]:
    """Tabulate a parameter file: name, value and source of each entry."""
    tables = tomllib.loads(path.read_text())
    out = [f"Parameters (``{path.name}``):", ""]

    def walk(prefix, table):
        rows, subtables = [], []
        for key, value in table.items():
            if isinstance(value, dict) and "value" in value:
                rows.append((key, value))
            elif isinstance(value, dict):
                subtables.append((f"{prefix}.{key}" if prefix else key, value))
        return rows, subtables

    pending = list(tables.items())
    while pending:
        name, table = pending.pop(0)
        rows, subtables = walk(name, table)
        pending[:0] = subtables
        if not rows:
            continue
        out += [
            f".. list-table:: ``[{name}]``",
            "   :header-rows: 1",
            "   :widths: 20 20 60",
            "",
            "   * - name",
            "     - value",
            "     - source",
        ]
        for key, entry in rows:
            out += [
                f"   * - ``{key}``",
                f"     - ``{entry['value']}``",
                f"     - {_rst_inline(str(entry.get('source', '')))}",
            ]
        out += [""]
    return out


def equations_rst() -> tuple[list[str], list[Path]]:
    """ReStructuredText of every shipped equation file, and the files it was made from."""
    out = []
    paths = sorted(_equations_dir().glob("*.eq"))
    for path in paths:
        info = read_equation_file(path)
        title = path.name
        out += [f".. _{equation_label(path)}:", "", title, "~" * len(title), ""]
        out += [_rst_inline(info["description"]), ""]
        fields = [
            ("implements", _rst_inline(info["implements"])),
            ("provides", _rst_literal(info["provides"])),
            ("requires", _rst_literal(info["requires"])),
        ]
        for key, value in fields:
            if value:
                out += [f":{key}: {value}"]
        out += [""]
        if info["notes"]:
            out += [_rst_inline(info["notes"]), ""]
        for section, code in info["sections"].items():
            if not code:
                continue
            label = SECTION_TITLES.get(section, section)
            out += [f"``[{section}]``: {label}", ""]
            rendered, failed = section_latex(section, code)
            if rendered:
                out += [".. math::", "", r"   \begin{aligned}"]
                out += [f"   {line} \\\\" for line in rendered]
                out += [r"   \end{aligned}", ""]
            if failed:
                out += ["(shown as code only:)", ""]
            out += [".. code-block:: text", ""] + [f"   {line}" for line in code] + [""]
    return out, paths


def _toml_value(value) -> str:
    """Write a default as a TOML file writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, dict):
        return "{}" if not value else str(value)
    return repr(value)


def config_reference_rst() -> list[str]:
    """ReStructuredText table of every configuration key: key, default, meaning."""
    from diehl_cook.experiment import describe_keys

    out = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 25 20 55",
        "",
        "   * - key",
        "     - default",
        "     - meaning",
    ]
    for key, default, meaning in describe_keys():
        out += [
            f"   * - ``{key}``",
            f"     - ``{_toml_value(default)}``",
            f"     - {_rst_inline(meaning)}",
        ]
    return out + [""]
