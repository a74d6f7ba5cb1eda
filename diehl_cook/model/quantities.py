"""Strict parsing of ``"<number> <unit>"`` strings into Brian2 quantities.

Parameter and configuration files hold physical values as strings such as ``"-65 mV"``,
``"0.5 ms"`` or ``"63.75 Hz"``.  They are parsed without ``eval``: the unit part may only
contain Brian2 unit names combined with ``*``, ``/`` and integer powers ``**``.
"""

import ast
import re

__all__ = ["parse_quantity", "format_quantity"]

_NUMBER_THEN_UNIT = re.compile(
    r"^\s*(?P<number>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?P<unit>.*?)\s*$"
)


def _unit_namespace():
    import brian2.units as units
    import brian2.units.allunits as allunits
    from brian2.units.fundamentalunits import Unit

    namespace = {}
    for module in (allunits, units):
        namespace.update(
            {name: value for name, value in vars(module).items() if isinstance(value, Unit)}
        )
    return namespace


def _evaluate_unit(node, units, text):
    if isinstance(node, ast.Name):
        if node.id not in units:
            raise ValueError(f"unknown unit {node.id!r} in {text!r}")
        return units[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = node.right
        sign = 1
        if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
            sign, exponent = -1, exponent.operand
        if not (isinstance(exponent, ast.Constant) and type(exponent.value) is int):
            raise ValueError(f"unit powers must be integers in {text!r}")
        return _evaluate_unit(node.left, units, text) ** (sign * exponent.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left = _evaluate_unit(node.left, units, text)
        right = _evaluate_unit(node.right, units, text)
        return left * right if isinstance(node.op, ast.Mult) else left / right
    raise ValueError(f"cannot read the unit expression in {text!r}")


def parse_quantity(text):
    """Parse a value written as ``"<number> <unit>"`` or a plain number.

    Parameters
    ----------
    text : str or int or float
        For example ``"-65 mV"``, ``"1e7 ms"``, ``"0.01"`` or ``0.3``.  Numbers without a
        unit are dimensionless.

    Returns
    -------
    brian2.Quantity or float
        The value with its unit, or a float when dimensionless.

    Raises
    ------
    ValueError
        If the text is not a number optionally followed by a valid unit expression.

    Examples
    --------
    >>> parse_quantity("-65 mV")
    -65. * mvolt
    >>> parse_quantity("0.01")
    0.01
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a number with an optional unit, got the boolean {text}")
    if isinstance(text, int | float):
        return float(text)
    if not isinstance(text, str):
        raise ValueError(f"expected a string such as '-65 mV', got {text!r}")
    match = _NUMBER_THEN_UNIT.match(text)
    if match is None:
        raise ValueError(f"expected '<number> <unit>', got {text!r}")
    number = float(match["number"])
    unit_text = match["unit"]
    if not unit_text:
        return number
    try:
        tree = ast.parse(unit_text, mode="eval")
    except SyntaxError as error:
        raise ValueError(f"cannot read the unit in {text!r}") from error
    return number * _evaluate_unit(tree.body, _unit_namespace(), text)


def format_quantity(value):
    """Write a Brian2 quantity (or number) back as a ``"<number> <unit>"`` string.

    Parameters
    ----------
    value : brian2.Quantity or float
        The value to format.

    Returns
    -------
    str
        A string that :func:`parse_quantity` reads back to the same value.
    """
    from brian2.units.fundamentalunits import Quantity, get_unit

    if isinstance(value, Quantity) and not value.is_dimensionless:
        unit = get_unit(value.dim)
        return f"{float(value / unit)!r} {unit!r}"
    return repr(float(value))
