"""Tests of diehl_cook.model.validation: line checks of the equation code.

Syntax errors are found when a component file is read (see also test_model_components.py);
unknown variables and unit mismatches when its Brian2 group is built.  Every error names the
file and the line.  Networks are built under Brian2's numpy target (no compilation).
"""

import re
from pathlib import Path

import brian2
import pytest

from diehl_cook.errors import ComponentError
from diehl_cook.model import (
    PHASES,
    PROTOCOL_VARIABLES,
    SourceLine,
    build_network,
    check_lines,
    compose_model,
    load_variant,
    shipped_equations_dir,
)
from diehl_cook.model.validation import check_line_syntax

EQUATIONS = shipped_equations_dir()


@pytest.fixture(autouse=True)
def numpy_target():
    brian2.prefs.codegen.target = "numpy"


def location(path, line):
    """Regex for the ``<file>:<line>:`` prefix of an error message."""
    return re.escape(f"{path}:{line}:")


def build(variant, phase, **keywords):
    keywords.setdefault("n_input", 4)
    keywords.setdefault("n_exc", 2)
    return build_network(variant, phase, **keywords)


# --------------------------------------------------------------------------------------------
# syntax, without a Brian2 group


def test_syntax_check_returns_the_parsed_equation():
    model = SourceLine("dv/dt = -v / tau : volt", Path("x.eq"), 3)
    assert check_line_syntax("model", model).names == {"v"}
    assert check_line_syntax("reset", SourceLine("v = 0 * mV", Path("x.eq"), 4)) is None
    assert check_line_syntax("threshold", SourceLine("v > 1 * mV", Path("x.eq"), 5)) is None


def test_syntax_only_check_of_sections_names_file_and_line():
    sections = {
        "model": (SourceLine("v : volt", Path("x.eq"), 2),),
        "reset": (SourceLine("v == 0 * mV", Path("x.eq"), 7),),
    }
    with pytest.raises(ComponentError, match=location("x.eq", 7) + r" \[reset\] holds statem"):
        check_lines(sections)


# --------------------------------------------------------------------------------------------
# errors found when building: unknown variables and unit mismatches, with file and line


def membrane_copy(tmp_path, old, new):
    text = (EQUATIONS / "membrane_conductance_exc.eq").read_text()
    assert old in text
    path = tmp_path / "membrane.eq"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("phase", PHASES)
def test_unknown_variable_in_reset_names_file_and_line(tmp_path, phase):
    path = membrane_copy(tmp_path, "v = v_reset", "v = v_reset + bogus_offset")
    variant = load_variant("diehl_cook_2015", {"exc.membrane": str(path)})
    composed = compose_model(variant, phase, PROTOCOL_VARIABLES)  # not caught here
    assert composed["exc"].sections["reset"][0].text == "v = v_reset + bogus_offset"
    with pytest.raises(
        ComponentError, match=location(path, 12) + " unknown variable bogus_offset in 'v = v_re"
    ):
        build(variant, phase)


def test_unknown_variable_in_model_names_file_and_line(tmp_path):
    path = membrane_copy(tmp_path, "/ tau_membrane : volt", "/ tau_elsewhere : volt")
    variant = load_variant("diehl_cook_2015", {"exc.membrane": str(path)})
    with pytest.raises(
        ComponentError, match=location(path, 8) + " unknown variable tau_elsewhere"
    ):
        build(variant, "train")


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("v = v_reset", "v = v_reset + 1", 12),
        ("/ tau_membrane : volt", ": volt", 8),
        ("dg_inh/dt = -g_inh / tau_g_inh : 1", "dg_inh/dt = -g_inh : 1", 10),
    ],
)
def test_unit_mismatch_names_file_and_line(tmp_path, old, new, line):
    path = membrane_copy(tmp_path, old, new)
    variant = load_variant("diehl_cook_2015", {"exc.membrane": str(path)})
    with pytest.raises(ComponentError, match=location(path, line) + " unit mismatch in"):
        build(variant, "train")


def test_unit_mismatch_in_threshold_names_file_and_line(tmp_path):
    path = tmp_path / "threshold.eq"
    path.write_text((EQUATIONS / "threshold_fixed.eq").read_text().replace("v_threshold", "3"))
    variant = load_variant("diehl_cook_2015", {"inh.threshold": str(path)})
    with pytest.raises(ComponentError, match=location(path, 6) + " unit mismatch in 'v > 3'"):
        build(variant, "frozen")


def test_unknown_variable_in_on_pre_names_file_and_line(tmp_path):
    path = tmp_path / "transmit.eq"
    text = (EQUATIONS / "transmit_excitatory.eq").read_text()
    path.write_text(text.replace("g_exc_post += w", "g_exc_post += w * gain"))
    variant = load_variant("diehl_cook_2015", {"exc_to_inh.transmission": str(path)})
    with pytest.raises(ComponentError, match=location(path, 8) + " unknown variable gain"):
        build(variant, "frozen")
