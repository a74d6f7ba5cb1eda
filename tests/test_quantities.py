"""Tests of diehl_cook.model.quantities: strict "<number> <unit>" parsing and formatting."""

import re

import pytest
from brian2 import Hz, kHz, ms, mV, second, volt
from brian2.units.fundamentalunits import Quantity, get_dimensions

from diehl_cook.model import format_quantity, parse_quantity


@pytest.fixture(autouse=True)
def reset_brian2():
    """No-op override of the conftest fixture: these tests build no Brian2 objects."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-65 mV", -65 * mV),
        ("1e7 ms", 1e4 * second),
        ("0.5 ms", 0.5 * ms),
        ("2 mV/ms", 2 * volt / second),
        ("63.75 Hz", 63.75 * Hz),
        ("1 kHz", 1000 * Hz),
        ("+5 ms", 5 * ms),
        (".5 ms", 0.5 * ms),
        ("5. ms", 5 * ms),
        ("1e-3 second", 1 * ms),
        ("  -65   mV  ", -65 * mV),
        ("-65mV", -65 * mV),
        ("3 mV*ms", 3e-6 * volt * second),
        ("4 mV**2", 4e-6 * volt**2),
        ("2 volt/second**2", 2 * volt / second**2),
        ("7 (mV)", 7 * mV),
    ],
)
def test_parse_quantity_with_unit(text, expected):
    value = parse_quantity(text)
    assert isinstance(value, Quantity)
    assert value.dim == expected.dim
    assert float(value / expected) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.01", 0.01), ("-3", -3.0), ("1e3", 1000.0), ("  2.5 ", 2.5), (0.3, 0.3), (5, 5.0)],
)
def test_parse_plain_numbers_are_floats(value, expected):
    parsed = parse_quantity(value)
    assert type(parsed) is float
    assert parsed == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("65 mv", "unknown unit 'mv' in '65 mv'"),
        ("1 milli_volt", "unknown unit 'milli_volt'"),
        ("abc", "expected '<number> <unit>', got 'abc'"),
        ("mV", "expected '<number> <unit>'"),
        ("", "expected '<number> <unit>'"),
        ("1 mV mV", "cannot read the unit in '1 mV mV'"),
        ("1 mV +", "cannot read the unit"),
        ("1 mV + ms", "cannot read the unit expression"),
        ("1 -mV", "cannot read the unit expression"),
        ("1 mV**0.5", "unit powers must be integers"),
        ("1 mV**ms", "unit powers must be integers"),
        ('1 __import__("os")', "cannot read the unit expression"),
        ("1 mV.__class__", "cannot read the unit expression"),
    ],
)
def test_parse_quantity_rejects_bad_text(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_quantity(text)


@pytest.mark.parametrize("value", [True, False])
def test_parse_quantity_rejects_booleans(value):
    with pytest.raises(ValueError, match=f"got the boolean {value}"):
        parse_quantity(value)


@pytest.mark.parametrize("value", [None, [1, "mV"], {"value": "1 mV"}])
def test_parse_quantity_rejects_other_types(value):
    with pytest.raises(ValueError, match="expected a string such as '-65 mV'"):
        parse_quantity(value)


@pytest.mark.parametrize(
    "value",
    [-65 * mV, 0.5 * ms, 1e7 * ms, 63.75 * Hz, 3 * kHz, 2 * volt**2, 0.1 * volt / second**2],
)
def test_format_quantity_round_trip(value):
    text = format_quantity(value)
    assert isinstance(text, str)
    back = parse_quantity(text)
    assert back.dim == value.dim
    assert float(back / value) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("text", ["-65 mV", "0.5 ms", "1e7 ms", "2 mV/ms", "63.75 Hz"])
def test_parse_format_parse_is_stable(text):
    value = parse_quantity(text)
    assert parse_quantity(format_quantity(value)) == value


def test_format_quantity_known_strings():
    assert format_quantity(-65 * mV) == "-0.065 volt"
    assert format_quantity(0.5 * ms) == "0.0005 second"
    assert format_quantity(0.25) == "0.25"
    assert format_quantity(3) == "3.0"
    assert format_quantity(2 * mV / mV) == "2.0"  # dimensionless quantity -> plain number


@pytest.mark.parametrize("text", ["65 000", "2 3"])
def test_number_as_unit_is_rejected(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_negative_integer_power():
    assert parse_quantity("2 volt ** -1") == 2 / volt


def test_format_quantity_round_trip_inverse_unit():
    value = Quantity(2.5, dim=get_dimensions(volt) ** -1)
    assert parse_quantity(format_quantity(value)) == value
