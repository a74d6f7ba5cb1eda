"""Line-by-line checks of equation code, so that every error names the file and the line.

All checks of the Brian2 code in component files live here, in two levels called from one
entry point, :func:`check_lines`:

1. **Syntax** (:func:`check_line_syntax`), for every line, as soon as a component file is
   read: each ``[model]`` line must be a valid Brian2 equation whose variables do not end in
   ``_pre`` or ``_post``; a ``[threshold]`` line must be a Python expression; the other
   sections hold assignments (``v = v_reset``, ``theta += theta_plus``).  It needs no Brian2
   group (statements are parsed with :mod:`ast`, equations with Brian2's parser).
2. **Identifiers and units** (:func:`check_line_units`), once the Brian2 ``NeuronGroup`` or
   ``Synapses`` of the line exists: every identifier must be a variable of the group, a
   parameter of its namespace or a Brian2 function, and both sides of every equation and
   statement must have the same physical dimensions.

Brian2 is imported inside the functions, so importing this module stays cheap.
"""

import ast

from ..errors import ComponentError

__all__ = ["check_line_syntax", "check_line_units", "check_lines"]


def check_lines(sections, group=None):
    """Check every line of a component's or a composed group's sections.

    Parameters
    ----------
    sections : dict of str to sequence of SourceLine
        Code lines per section (``"model"``, ``"threshold"``, ``"reset"``, ``"on_pre"``,
        ``"pre.model"``, ...).
    group : brian2.NeuronGroup or brian2.Synapses, optional
        The Brian2 object built from these sections.  None: check the syntax only (a
        component file on its own); otherwise also check identifiers and units against the
        group's variables and namespace.

    Raises
    ------
    ComponentError
        At the first invalid line; the message starts with ``"<file>:<line>:"``.
    """
    for section, lines in sections.items():
        code_so_far = []
        for line in lines:
            equations = check_line_syntax(section, line)
            if group is not None:
                check_line_units(group, section, line, equations, code_so_far)


def check_line_syntax(section, line):
    """Check the syntax of one line of ``section``.

    Parameters
    ----------
    section : str
        Section name; sections ending in ``model`` hold equations, ``threshold`` holds one
        expression, every other section holds statements.
    line : SourceLine
        The line.

    Returns
    -------
    brian2.Equations or None
        The parsed equation of a model line (for :func:`check_line_units`), None otherwise.

    Raises
    ------
    ComponentError
        For an invalid equation, a model variable ending in ``_pre`` or ``_post``, invalid
        Python syntax, or a statement section holding something other than assignments.
    """
    if section.endswith("model"):
        return _check_equation_syntax(line)
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
    return None


def _check_equation_syntax(line):
    from brian2 import Equations

    try:
        equations = Equations(line.text)
    except Exception as error:  # Brian2 raises several types for bad equations
        raise ComponentError(f"{line.location}: invalid equation {line.text!r}: {error}") from None
    for name in equations.names:
        if name.endswith(("_pre", "_post")):
            raise ComponentError(
                f"{line.location}: variable {name!r} must not end in '_pre' or '_post' "
                "(Brian2 reserves these suffixes for pre- and postsynaptic variables)"
            )
    return equations


def check_line_units(group, section, line, equations, code_so_far):
    """Check the identifiers and physical units of one line against its Brian2 group.

    Parameters
    ----------
    group : brian2.NeuronGroup or brian2.Synapses
        The object the line belongs to.
    section : str
        ``"model"``, ``"threshold"`` or a statement section (``"reset"``, ``"on_pre"``, ...).
    line : SourceLine
        The line.
    equations : brian2.Equations or None
        The line parsed by :func:`check_line_syntax` (model lines only).
    code_so_far : list of str
        The earlier statements of the same section; the line is appended, so that a
        statement may use a variable that an earlier one defines.

    Raises
    ------
    ComponentError
        For an identifier that is neither a variable, a parameter nor a function, or for a
        unit mismatch.
    """
    from brian2.parsing.expressions import parse_expression_dimensions
    from brian2.units.fundamentalunits import DimensionMismatchError
    from brian2.utils.stringtools import get_identifiers

    try:
        if section == "model":
            _check_equation_units(group, line, equations)
        elif section == "threshold":
            variables = _resolve_line_variables(group, get_identifiers(line.text), set(), line)
            parse_expression_dimensions(line.text, variables)
        else:
            _check_statement_units(group, line, code_so_far)
    except DimensionMismatchError as error:
        raise ComponentError(f"{line.location}: unit mismatch in {line.text!r}: {error}") from None
    except SyntaxError as error:
        raise ComponentError(f"{line.location}: {error}") from None


def _check_equation_units(group, line, equations):
    from brian2 import second
    from brian2.equations.equations import DIFFERENTIAL_EQUATION, SUBEXPRESSION
    from brian2.equations.unitcheck import check_dimensions

    for equation in equations.ordered:
        if equation.type not in (DIFFERENTIAL_EQUATION, SUBEXPRESSION):
            continue
        variables = _resolve_line_variables(group, equation.identifiers, set(), line)
        expected = (
            equation.dim / second.dim if equation.type == DIFFERENTIAL_EQUATION else equation.dim
        )
        check_dimensions(equation.expr.code, expected, variables)


def _check_statement_units(group, line, code_so_far):
    from brian2.codegen.translation import analyse_identifiers
    from brian2.equations.unitcheck import check_units_statements

    code_so_far.append(line.text)
    code = "\n".join(code_so_far)
    known = set(group.variables) | set(group.namespace or {})
    newly_defined, used_known, unknown = analyse_identifiers(code, known)
    variables = _resolve_line_variables(
        group, set(used_known) | set(unknown), set(newly_defined), line
    )
    check_units_statements(code, variables)


def _resolve_line_variables(group, identifiers, newly_defined, line):
    from brian2.core.functions import DEFAULT_FUNCTIONS

    wanted = {name for name in identifiers if name not in newly_defined}
    try:
        return group.resolve_all(sorted(wanted), run_namespace={})
    except KeyError as error:
        unknown = [
            name
            for name in sorted(wanted)
            if name not in group.variables
            and name not in group.namespace
            and name not in DEFAULT_FUNCTIONS
        ]
        raise ComponentError(
            f"{line.location}: unknown variable {', '.join(unknown) or error} in "
            f"{line.text!r} (not defined by a component of {group.name!r} nor a parameter of "
            "its table)"
        ) from None
