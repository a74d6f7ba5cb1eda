"""Tests of diehl_cook.model.variants: variant files and component overrides.

Every error test checks that the message names the file or the override.
"""

import re
import shutil

import pytest
from variant_files import write_variant  # tests/variant_files.py

from diehl_cook.errors import ComponentError
from diehl_cook.model import (
    PROTOCOL_VARIABLES,
    compose_model,
    load_variant,
    shipped_equations_dir,
    shipped_variant_names,
)

EQUATIONS = shipped_equations_dir()


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
        + re.escape(", ".join(shipped_variant_names())),
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
