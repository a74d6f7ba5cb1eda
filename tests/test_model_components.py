"""Tests of diehl_cook.model.components: component files and their composition.

Every error test checks that the message names the file (and the line, where one applies).
"""

import re
import textwrap

import pytest
from variant_files import write_variant  # tests/variant_files.py

from diehl_cook.errors import ComponentError
from diehl_cook.model import (
    PATHWAYS,
    PHASES,
    PROTOCOL_VARIABLES,
    compose_model,
    load_variant,
    read_component,
    shipped_equations_dir,
    shipped_variant_names,
)

EQUATIONS = shipped_equations_dir()
SHIPPED_EQ_FILES = sorted(EQUATIONS.glob("*.eq"))


def location(path, line):
    """Regex for the ``<file>:<line>:`` prefix of an error message."""
    return re.escape(f"{path}:{line}:")


def write_eq(directory, name, text):
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


# --------------------------------------------------------------------------------------------
# shipped files


@pytest.mark.parametrize("path", SHIPPED_EQ_FILES, ids=[p.name for p in SHIPPED_EQ_FILES])
def test_every_shipped_equation_file_parses(path):
    component = read_component(path)
    assert component.path == path
    assert component.description
    assert component.sections, "a component without sections does nothing"
    assert "implements" in component.header_line_numbers


def test_shipped_files_are_found():
    names = {path.name for path in SHIPPED_EQ_FILES}
    assert {"membrane_conductance_exc.eq", "threshold_adaptive.eq", "stdp_triplet_minimal.eq"} <= (
        names
    )
    assert {
        "capozzi_poster",
        "diehl_cook_2015",
        "diehl_cook_2015_population",
        "diehl_cook_pair",
    } <= set(shipped_variant_names())


def test_read_component_known_contents():
    stdp = read_component(EQUATIONS / "stdp_triplet_minimal.eq")
    assert set(stdp.provides) == {"t_last_arrival", "post_trace_1_post", "post_trace_2_post"}
    assert stdp.requires == ("w",)
    assert stdp.header_line_numbers["provides"] == 3
    assert [line.text for line in stdp.lines("post.reset")] == [
        "post_trace_1 = 1",
        "post_trace_2 = 1",
    ]
    assert stdp.lines("threshold") == ()

    threshold = read_component(EQUATIONS / "threshold_adaptive.eq")
    (line,) = threshold.lines("threshold")
    assert line.text == "v > v_threshold + theta - theta_offset"
    assert line.line_number == 8
    assert line.location == f"{EQUATIONS / 'threshold_adaptive.eq'}:8"
    assert threshold.provides == ("theta",)
    assert threshold.requires == ("v",)

    fixed = read_component(EQUATIONS / "threshold_fixed.eq")
    assert fixed.provides == ()


@pytest.mark.parametrize("name", shipped_variant_names())
@pytest.mark.parametrize("phase", PHASES)
def test_every_shipped_variant_loads_and_composes(name, phase):
    variant = load_variant(name)
    assert variant.name == name
    assert variant.parameters_path.is_file()
    assert variant.saved_state == ("input_to_exc.w", "exc.theta")
    composed = compose_model(variant, phase, protocol_variables=PROTOCOL_VARIABLES)
    assert set(composed) == {"input", "exc", "inh", *PATHWAYS}
    for group in ("input", "exc", "inh"):
        assert not composed[group].is_synapse
        assert len(composed[group].sections["threshold"]) == 1
    for pathway in PATHWAYS:
        assert composed[pathway].is_synapse
        assert "w" in composed[pathway].provided_names()
        assert "threshold" not in composed[pathway].sections


# --------------------------------------------------------------------------------------------
# malformed component files

GOOD_MEMBRANE = """
# A leaky membrane.
# implements: nothing in particular
# provides: v
# requires:
[model]
dv/dt = (v_rest - v) / tau_membrane : volt
[threshold]
v > v_threshold
[reset]
v = v_reset
"""


def test_minimal_component_parses(tmp_path):
    path = write_eq(tmp_path, "membrane.eq", GOOD_MEMBRANE)
    component = read_component(path)
    assert component.description == "A leaky membrane."
    assert component.provides == ("v",)
    assert component.requires == ()
    assert component.header_line_numbers == {"implements": 2, "provides": 3, "requires": 4}
    assert [(line.text, line.line_number) for line in component.lines("reset")] == [
        ("v = v_reset", 10)
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "dv/dt = (v_rest - v) / tau_membrane : volt",
            "dv/dt = (v_rest - v / tau_membrane : volt",
            6,
            "invalid equation",
        ),
        ("dv/dt = (v_rest - v) / tau_membrane : volt", "dv/dt = : volt", 6, "invalid equation"),
        ("[reset]", "[rest]", 9, r"unknown section \[rest\]"),
        ("[reset]", "[model]", 9, r"section \[model\] appears twice"),
        ("# provides: v", "provides: v", 3, "code before the first \\[section\\] header"),
        ("v = v_reset", "v = = v_reset", 10, r"invalid syntax in \[reset\]"),
        ("v = v_reset", "v == v_reset", 10, r"\[reset\] holds statements"),
        ("v > v_threshold", "v > > v_threshold", 8, r"invalid syntax in \[threshold\]"),
        ("v > v_threshold", "v > v_threshold\nv > v_rest", 9, r"\[threshold\] holds one"),
        ("# provides: v", "# provides: v, w", 3, "'provides:' lists \\['v', 'w'\\]"),
        (
            "# provides: v",
            "# provides:",
            3,
            r"'provides:' lists \[\] but the file defines \['v'\]",
        ),
    ],
)
def test_malformed_component_names_file_and_line(tmp_path, old, new, line, message):
    assert old in GOOD_MEMBRANE
    path = write_eq(tmp_path, "bad.eq", GOOD_MEMBRANE.replace(old, new, 1))
    with pytest.raises(ComponentError, match=location(path, line) + " " + message):
        read_component(path)


def test_variable_ending_in_post_is_rejected(tmp_path):
    path = write_eq(
        tmp_path,
        "bad.eq",
        GOOD_MEMBRANE.replace("# provides: v", "# provides: v, x_post").replace(
            "[threshold]", "x_post : 1\n[threshold]"
        ),
    )
    with pytest.raises(ComponentError, match=location(path, 7) + " variable 'x_post' must not"):
        read_component(path)


def test_variable_ending_in_pre_in_a_side_section_is_rejected(tmp_path):
    text = """
    # A synapse.
    # provides: w, x_pre_pre
    [model]
    w : 1
    [pre.model]
    dx_pre/dt = -x_pre / tau : 1
    """
    path = write_eq(tmp_path, "bad.eq", text)
    with pytest.raises(ComponentError, match=location(path, 6) + " variable 'x_pre' must not"):
        read_component(path)


def test_component_without_description_or_file(tmp_path):
    path = write_eq(tmp_path, "bad.eq", "[model]\nv : volt\n")
    with pytest.raises(ComponentError, match=location(path, 1) + " the file must start"):
        read_component(path)
    missing = tmp_path / "missing.eq"
    with pytest.raises(ComponentError, match=re.escape(f"{missing}: component file not found")):
        read_component(missing)


def test_comments_and_blank_lines_inside_sections_are_ignored(tmp_path):
    text = GOOD_MEMBRANE.replace("[reset]", "[reset]\n\n# a comment line\n").replace(
        "v = v_reset", "v = v_reset  # trailing comment"
    )
    component = read_component(write_eq(tmp_path, "ok.eq", text))
    assert [(line.text, line.line_number) for line in component.lines("reset")] == [
        ("v = v_reset", 13)
    ]


# --------------------------------------------------------------------------------------------
# composition


def test_diehl_cook_exc_gets_post_traces_in_train_phase_only():
    variant = load_variant("diehl_cook_2015")
    stdp = EQUATIONS / "stdp_triplet_minimal.eq"

    train = compose_model(variant, "train", PROTOCOL_VARIABLES)["exc"]
    model = [(line.text, line.path, line.line_number) for line in train.sections["model"]]
    assert ("dpost_trace_1/dt = -post_trace_1 / tau_post_1 : 1", stdp, 22) in model
    assert ("dpost_trace_2/dt = -post_trace_2 / tau_post_2 : 1", stdp, 23) in model
    assert {"post_trace_1", "post_trace_2"} <= train.provided_names()
    assert [line.text for line in train.sections["reset"]] == [
        "v = v_reset",
        "theta += theta_plus",
        "post_trace_1 = 1",
        "post_trace_2 = 1",
    ]
    assert train.contributing_pathways == ["input_to_exc"]
    (threshold,) = train.sections["threshold"]
    assert threshold.path == EQUATIONS / "threshold_adaptive.eq"

    frozen = compose_model(variant, "frozen", PROTOCOL_VARIABLES)["exc"]
    assert "post_trace_1" not in frozen.code("model")
    assert frozen.provided_names() == {"v", "g_exc", "g_inh", "theta"}
    assert frozen.code("reset") == "v = v_reset"
    assert frozen.contributing_pathways == []
    (threshold,) = frozen.sections["threshold"]
    assert threshold.path == EQUATIONS / "threshold_frozen.eq"
    assert threshold.line_number == 8


def test_component_order_follows_the_variant():
    variant = load_variant("diehl_cook_2015")
    assert variant.component_paths("input_to_exc", "train") == [
        EQUATIONS / "transmit_excitatory.eq",
        EQUATIONS / "stdp_triplet_minimal.eq",
    ]
    assert variant.component_paths("input_to_exc", "frozen") == [
        EQUATIONS / "transmit_excitatory.eq"
    ]
    assert variant.roles["input_to_exc"]["frozen"]["plasticity"] is None


def test_compose_without_protocol_variables_reports_the_requirement():
    variant = load_variant("diehl_cook_2015")
    path = EQUATIONS / "input_poisson.eq"
    with pytest.raises(ComponentError, match=location(path, 4) + " requires 'in_presentation'"):
        compose_model(variant, "train")


def test_unknown_phase_is_rejected():
    with pytest.raises(ComponentError, match="unknown phase 'test'"):
        compose_model(load_variant("diehl_cook_2015"), "test", PROTOCOL_VARIABLES)


def test_two_thresholds_in_one_group_is_an_error(tmp_path):
    variant_path = write_variant(
        tmp_path,
        {
            ("inh", "train"): {
                "membrane": "membrane_conductance_inh.eq",
                "threshold": "threshold_fixed.eq",
                "second_threshold": "threshold_frozen.eq",
            }
        },
    )
    variant = load_variant(variant_path)
    second = EQUATIONS / "threshold_frozen.eq"
    with pytest.raises(
        ComponentError,
        match=location(second, 8)
        + " group 'inh' already has a threshold from "
        + re.escape(str(EQUATIONS / "threshold_fixed.eq")),
    ):
        compose_model(variant, "train", PROTOCOL_VARIABLES)


def test_requirement_nobody_provides_names_file_and_line(tmp_path):
    needs_theta = write_eq(
        tmp_path,
        "threshold_needs_theta.eq",
        """
        # Threshold that uses theta without defining it.
        # implements: nothing
        # provides:
        # requires: v, theta
        [threshold]
        v > v_threshold + theta
        """,
    )
    variant_path = write_variant(
        tmp_path,
        {
            ("exc", "train"): {
                "membrane": "membrane_conductance_exc.eq",
                "threshold": "threshold_needs_theta.eq",
            },
            ("exc", "frozen"): None,
        },
    )
    variant = load_variant(variant_path)
    assert variant.roles["exc"]["train"]["threshold"] == needs_theta.resolve()
    with pytest.raises(
        ComponentError,
        match=location(needs_theta.resolve(), 4) + " requires 'theta' in 'exc', but no component",
    ):
        compose_model(variant, "train", PROTOCOL_VARIABLES)


def test_synapse_requirement_on_postsynaptic_group(tmp_path):
    # transmit_excitatory.eq needs g_exc on its postsynaptic group; the non-leaky membrane
    # has no conductances
    variant_path = write_variant(
        tmp_path,
        {
            ("inh", "train"): {
                "membrane": "membrane_nonleaky.eq",
                "threshold": "threshold_fixed.eq",
            }
        },
    )
    path = EQUATIONS / "transmit_excitatory.eq"
    with pytest.raises(ComponentError, match=location(path, 4) + " requires 'g_exc' in 'inh'"):
        compose_model(load_variant(variant_path), "frozen", PROTOCOL_VARIABLES)


def test_synapse_section_in_a_neuron_group_is_an_error(tmp_path):
    variant_path = write_variant(
        tmp_path,
        {
            ("inh", "train"): {
                "membrane": "membrane_conductance_inh.eq",
                "threshold": "threshold_fixed.eq",
                "extra": "transmit_excitatory.eq",
            }
        },
    )
    path = EQUATIONS / "transmit_excitatory.eq"
    with pytest.raises(
        ComponentError,
        match=location(path, 8) + r" section \[on_pre\] cannot be used by the neuron",
    ):
        compose_model(load_variant(variant_path), "train", PROTOCOL_VARIABLES)
