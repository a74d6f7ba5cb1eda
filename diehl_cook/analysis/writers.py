"""Text formats of the analysis files: numbers, CSV, JSON and Markdown tables.

Numbers are written with a fixed number of significant digits; non-finite values become
empty CSV cells, ``null`` in JSON and ``n/a`` in Markdown.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "csv_text",
    "format_number",
    "json_text",
    "json_value",
    "markdown_number",
    "markdown_table",
]


def format_number(value, digits: int = 4) -> str:
    """Format a number for a CSV cell.

    Parameters
    ----------
    value : bool, int, float or None
        The value (numpy scalars too).
    digits : int, optional
        Significant digits of a float.  Default: 4.

    Returns
    -------
    str
        ``true``/``false`` for booleans, the integer, the float with ``digits`` significant
        digits, or ``""`` for None and non-finite floats.

    Examples
    --------
    >>> format_number(0.123456), format_number(3), format_number(float("nan"))
    ('0.1235', '3', '')
    """
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return ""
    return f"{value:.{digits}g}"


def markdown_number(value, digits: int = 3) -> str:
    """Format a number for a Markdown cell: :func:`format_number`, ``n/a`` when empty."""
    text = format_number(value, digits)
    return text if text else "n/a"


def json_value(value):
    """Convert ``value`` to plain JSON types (numpy arrays and scalars too; NaN to None)."""
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, np.ndarray):
        return json_value(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


#: A list of integers as ``json.dumps(indent=...)`` writes it (strings never hold raw newlines).
_INTEGER_LIST = re.compile(r"\[\n\s*(-?\d+(?:,\n\s*-?\d+)*)\n\s*\]")


def json_text(document) -> str:
    """JSON with one space of indentation; lists of integers (neuron indices) on one line."""
    text = json.dumps(json_value(document), indent=1, allow_nan=False)
    return (
        _INTEGER_LIST.sub(lambda match: "[" + re.sub(r",\s*", ", ", match[1]) + "]", text) + "\n"
    )


def csv_text(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """Return CSV text with Unix line ends; numbers as :func:`format_number` (6 digits)."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [value if isinstance(value, str) else format_number(value, 6) for value in row]
        )
    return stream.getvalue()


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return a Markdown table of strings, ending with a newline."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
