"""Tests of component files, variants, composition, parameter files and network building.

Every error test checks that the message names the file (and the line, where one applies).
Networks are built under Brian2's numpy target (no compilation) and never run for more than
one time step.
"""

import copy
import re
import shutil
import textwrap
import tomllib

import brian2
import numpy as np
import pytest
from brian2 import ms, mV

from diehl_cook.builder import PROTOCOL_VARIABLES, build_network
from diehl_cook.components import (
    PATHWAYS,
    PHASES,
    compose_model,
    load_variant,
    read_component,
    shipped_equations_dir,
    shipped_variant_names,
)
from diehl_cook.errors import ComponentError, ParameterError
from diehl_cook.parameters import load_parameters

EQUATIONS = shipped_equations_dir()
SHIPPED_EQ_FILES = sorted(EQUATIONS.glob("*.eq"))
SHIPPED_PARAMETER_FILES = sorted(EQUATIONS.glob("*.params.toml"))
DIEHL_COOK = tomllib.loads((EQUATIONS / "diehl_cook_2015.variant.toml").read_text())


@pytest.fixture(autouse=True)
def numpy_target():
    brian2.prefs.codegen.target = "numpy"


def location(path, line):
    """Regex for the ``<file>:<line>:`` prefix of an error message."""
    return re.escape(f"{path}:{line}:")


def write_eq(directory, name, text):
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def write_variant(directory, changes=(), name="custom", parameters="diehl_cook_2015.params.toml"):
    """Write a copy of the diehl_cook_2015 variant with some ``(group, phase)`` tables replaced.

    File names without a folder resolve against ``directory`` first, then the shipped folder.
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


def build(variant, phase, **keywords):
    keywords.setdefault("n_input", 4)
    keywords.setdefault("n_exc", 2)
    return build_network(variant, phase, **keywords)


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
    assert shipped_variant_names() == ["capozzi_poster", "diehl_cook_2015"]


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


@pytest.mark.parametrize("name", shipped_variant_names())
@pytest.mark.parametrize("phase", PHASES)
def test_every_shipped_variant_builds(name, phase):
    variant = load_variant(name)
    built = build_network(
        variant,
        phase,
        n_input=16,
        n_exc=3,
        normalisation_target=78.0 if phase == "train" else None,
    )
    assert built.phase == phase
    assert built["input"].N == 16
    assert built["exc"].N == 3
    assert built["inh"].N == 3
    assert len(built["input_to_exc"]) == 16 * 3
    assert len(built["exc_to_inh"]) == 3  # one to one
    assert len(built["inh_to_exc"]) == 3 * 2  # all but self
    has_normalisation = {"normalise_reset", "normalise_sum", "normalise_scale"} <= set(
        built.objects
    )
    assert has_normalisation == (phase == "train")
    weights = built.read_state(["input_to_exc.w"])["input_to_exc.w"]
    assert weights.shape == (16, 3)
    assert np.all((weights >= 0.3 * 0.01) & (weights <= 0.3 * 1.01))
    built.network.run(brian2.defaultclock.dt, namespace={})


def test_diehl_cook_build_sets_parameter_file_values():
    variant = load_variant("diehl_cook_2015")
    train = build(variant, "train")
    np.testing.assert_allclose(train["exc"].v[:] / mV, [-105.0, -105.0])
    np.testing.assert_allclose(train["exc"].theta[:] / mV, [20.0, 20.0])
    np.testing.assert_allclose(train["inh"].v[:] / mV, [-100.0, -100.0])
    np.testing.assert_allclose(train["exc_to_inh"].w[:], 10.4)
    np.testing.assert_allclose(train["inh_to_exc"].w[:], 17.0)
    delays = train["input_to_exc"].delay[:] / ms
    assert np.all((delays >= 0) & (delays <= 10))
    assert "post_trace_1" in train["exc"].variables
    assert train.namespaces["exc"]["tau_post_1"] == 20 * ms  # from the input_to_exc table

    frozen = build(variant, "frozen")
    assert "post_trace_1" not in frozen["exc"].variables
    assert frozen["exc"].variables["theta"].constant
    # the same seed gives the same weights in both phases
    np.testing.assert_array_equal(frozen["input_to_exc"].w[:], train["input_to_exc"].w[:])


# --------------------------------------------------------------------------------------------
# parameter files


@pytest.mark.parametrize(
    "path", SHIPPED_PARAMETER_FILES, ids=[p.name for p in SHIPPED_PARAMETER_FILES]
)
def test_every_shipped_parameter_has_a_source(path):
    parameters = load_parameters(path, require_source=True)
    assert set(parameters) == {"input", "exc", "inh", *PATHWAYS}
    sources = {}
    for group in parameters.values():
        sources.update(group.sources)
    assert sources
    assert all(isinstance(source, str) and source.strip() for source in sources.values())


def test_diehl_cook_parameter_values():
    parameters = load_parameters(EQUATIONS / "diehl_cook_2015.params.toml")
    exc = parameters["exc"]
    assert exc.namespace["v_rest"] == -65 * mV
    assert exc.namespace["tau_theta"] == 1e7 * ms
    assert exc.settings == {"refractory": 5 * ms, "method": "exponential_euler"}
    assert exc.initial["theta"] == 20 * mV
    assert parameters["input_to_exc"].namespace["nu_post"] == pytest.approx(0.01)
    assert parameters["input_to_exc"].connectivity["pattern"] == "all_to_all"
    assert parameters["inh_to_exc"].connectivity["weight"] == pytest.approx(17.0)
    assert exc.sources["exc.v_rest"] == "code v_rest_e (ref 1.1)"
    assert exc.sources["exc.group.refractory"].startswith("code refrac_e")


PATHWAY_TABLES = """
[input_to_exc.connectivity]
pattern = {value = "all_to_all", source = "s"}
[exc_to_inh.connectivity]
pattern = {value = "one_to_one", source = "s"}
[inh_to_exc.connectivity]
pattern = {value = "all_but_self", source = "s"}
"""


@pytest.mark.parametrize(
    ("entry", "table"),
    [
        ('v_reset = {value = "-65 mV"}', "[exc]"),
        ('v_reset = "-65 mV"', "[exc]"),
        ('v_reset = {value = "-65 mV", source = ""}', "[exc]"),
    ],
)
def test_parameter_without_source_names_file_and_entry(tmp_path, entry, table):
    path = tmp_path / "bad.params.toml"
    path.write_text(
        f'[exc]\nv_rest = {{value = "-65 mV", source = "s"}}\n{entry}\n' + PATHWAY_TABLES
    )
    with pytest.raises(
        ParameterError, match=re.escape(f"{path} {table} v_reset: missing 'source'")
    ):
        load_parameters(path)
    parameters = load_parameters(path, require_source=False)
    assert parameters["exc"].namespace["v_reset"] == -65 * mV


def test_parameter_sub_table_without_source_names_sub_table(tmp_path):
    path = tmp_path / "bad.params.toml"
    path.write_text('[exc.group]\nrefractory = {value = "5 ms"}\n' + PATHWAY_TABLES)
    with pytest.raises(ParameterError, match=re.escape(f"{path} [exc.group] refractory")):
        load_parameters(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[exc]\nv_rest = {value = "-65 mv", source = "s"}\n',
            r"\[exc\] v_rest: unknown unit 'mv'",
        ),
        ('[exc]\nv_rest = {value = "-65 mV", src = "s"}\n', r"\[exc\] v_rest: expected \{value"),
        ('[excitatory]\nv_rest = {value = "-65 mV", source = "s"}\n', r"unknown table\(s\)"),
        (
            '[exc_to_inh.connectivity]\npattern = {value = "ring", source = "s"}\n',
            r"\[input_to_exc.connectivity\] pattern: expected one of",
        ),
    ],
)
def test_malformed_parameter_file_names_file(tmp_path, text, message):
    path = tmp_path / "bad.params.toml"
    path.write_text(text)
    with pytest.raises(ParameterError, match=re.escape(str(path)) + ".*" + message):
        load_parameters(path)


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


def test_group_without_threshold_fails_at_build(tmp_path):
    variant_path = write_variant(
        tmp_path, {("inh", "train"): {"membrane": "membrane_conductance_inh.eq"}}
    )
    with pytest.raises(
        ComponentError, match=r"group 'inh' has no \[threshold\].*membrane_conduct"
    ):
        build(load_variant(variant_path), "frozen")


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


# --------------------------------------------------------------------------------------------
# variants and component overrides


def test_override_replaces_plasticity_in_train_phase_only(tmp_path):
    power_law = tmp_path / "my_stdp.eq"
    shutil.copy(EQUATIONS / "stdp_power_law.eq", power_law)
    variant = load_variant("diehl_cook_2015", {"input_to_exc.plasticity": str(power_law)})
    assert variant.roles["input_to_exc"]["train"]["plasticity"] == power_law
    assert variant.roles["input_to_exc"]["frozen"]["plasticity"] is None
    assert variant.component_paths("input_to_exc", "frozen") == [
        EQUATIONS / "transmit_excitatory.eq"
    ]

    train = compose_model(variant, "train", PROTOCOL_VARIABLES)
    assert [c.path for c in train["input_to_exc"].components][-1] == power_law
    assert "input_trace" in train["input"].provided_names()  # from [pre.model]
    assert train["input"].contributing_pathways == ["input_to_exc"]
    assert "post_trace_1" not in train["exc"].provided_names()

    frozen = compose_model(variant, "frozen", PROTOCOL_VARIABLES)
    assert "input_trace" not in frozen["input"].provided_names()
    assert len(frozen["input_to_exc"].components) == 1


def test_override_relative_to_base_dir(tmp_path):
    shutil.copy(EQUATIONS / "stdp_power_law.eq", tmp_path / "rule.eq")
    variant = load_variant(
        "diehl_cook_2015", {"input_to_exc.plasticity": "rule.eq"}, overrides_base_dir=tmp_path
    )
    assert variant.roles["input_to_exc"]["train"]["plasticity"] == (tmp_path / "rule.eq").resolve()


def test_override_of_role_without_frozen_entry_applies_to_both_phases(tmp_path):
    membrane = tmp_path / "membrane.eq"
    shutil.copy(EQUATIONS / "membrane_conductance_exc.eq", membrane)
    variant = load_variant("diehl_cook_2015", {"exc.membrane": str(membrane)})
    assert variant.roles["exc"]["train"]["membrane"] == membrane
    assert variant.roles["exc"]["frozen"]["membrane"] == membrane
    assert variant.roles["exc"]["frozen"]["threshold"] == EQUATIONS / "threshold_frozen.eq"


def test_phase_specific_override_and_dropping_a_role():
    variant = load_variant(
        "diehl_cook_2015",
        {"exc.frozen.threshold": "threshold_adaptive.eq", "input_to_exc.plasticity": ""},
    )
    assert variant.roles["exc"]["frozen"]["threshold"] == EQUATIONS / "threshold_adaptive.eq"
    assert variant.roles["exc"]["train"]["threshold"] == EQUATIONS / "threshold_adaptive.eq"
    assert variant.component_paths("input_to_exc", "train") == [
        EQUATIONS / "transmit_excitatory.eq"
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"excitatory.membrane": "x.eq"}, "unknown group or pathway 'excitatory'"),
        ({"exc.dendrite": "membrane_nonleaky.eq"}, "'exc' has no role 'dendrite'; roles:"),
        ({"exc.test.membrane": "x.eq"}, "expected '<group>.<role>'"),
        ({"exc": "x.eq"}, "expected '<group>.<role>'"),
        ({"exc.membrane": "does_not_exist.eq"}, "component 'does_not_exist.eq' not found"),
    ],
)
def test_bad_override_is_an_error(overrides, message):
    (key,) = overrides
    with pytest.raises(
        ComponentError,
        match=re.escape(f"component override {key!r}: ") + ".*" + re.escape(message),
    ):
        load_variant("diehl_cook_2015", overrides)


def test_variant_by_path(tmp_path):
    shipped = load_variant(EQUATIONS / "capozzi_poster.variant.toml")
    assert shipped.name == "capozzi_poster"
    assert shipped.roles == load_variant("capozzi_poster").roles

    copy_path = tmp_path / "mine.variant.toml"
    shutil.copy(EQUATIONS / "capozzi_poster.variant.toml", copy_path)
    mine = load_variant(str(copy_path))
    assert mine.name == "mine"
    assert mine.path == copy_path.resolve()
    # component and parameter files not next to the variant come from the shipped folder
    assert mine.roles == shipped.roles
    assert mine.parameters_path == EQUATIONS / "capozzi_poster.params.toml"


def test_variant_file_next_to_its_components_wins(tmp_path):
    shutil.copy(EQUATIONS / "threshold_fixed.eq", tmp_path / "threshold_fixed.eq")
    variant = load_variant(write_variant(tmp_path))
    assert (
        variant.roles["inh"]["train"]["threshold"] == (tmp_path / "threshold_fixed.eq").resolve()
    )
    assert variant.roles["exc"]["train"]["threshold"] == EQUATIONS / "threshold_adaptive.eq"


def test_unknown_variant_lists_shipped_ones():
    with pytest.raises(
        ComponentError,
        match=r"unknown model variant 'diehl_cook_2016'; shipped variants: "
        r"capozzi_poster, diehl_cook_2015",
    ):
        load_variant("diehl_cook_2016")


def test_missing_variant_file(tmp_path):
    path = tmp_path / "nope.variant.toml"
    with pytest.raises(ComponentError, match=re.escape(f"{path}: variant file not found")):
        load_variant(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({("exc", "train"): None}, r"missing table \[exc.train\]"),
        (
            {("exc", "test"): {"membrane": "membrane_nonleaky.eq"}},
            r"unknown phase\(s\) \['test'\]",
        ),
        (
            {("inh", "train"): {"membrane": "nowhere.eq"}},
            r"\[inh.train\]: component 'nowhere.eq' not found",
        ),
    ],
)
def test_malformed_variant_names_file(tmp_path, changes, message):
    path = write_variant(tmp_path, changes)
    with pytest.raises(ComponentError, match=re.escape(str(path.resolve())) + ".*" + message):
        load_variant(path)


def test_variant_unknown_or_missing_key(tmp_path):
    path = write_variant(tmp_path)
    text = path.read_text()
    path.write_text("colour = 'blue'\n" + text)
    with pytest.raises(ComponentError, match=re.escape(f"{path.resolve()}: unknown key(s) ['col")):
        load_variant(path)
    path.write_text(text.replace('parameters = "diehl_cook_2015.params.toml"\n', ""))
    with pytest.raises(ComponentError, match=re.escape(f"{path.resolve()}: missing key 'param")):
        load_variant(path)
