"""Tests of diehl_cook.model.parameters: parameter files, their units and sources.

Every error test checks that the message names the file, the table and the entry.
"""

import re

import pytest
from brian2 import ms, mV

from diehl_cook.errors import ParameterError
from diehl_cook.model import PATHWAYS, load_parameters, shipped_equations_dir

EQUATIONS = shipped_equations_dir()
SHIPPED_PARAMETER_FILES = sorted(EQUATIONS.glob("*.params.toml"))


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
    assert exc.settings == {
        "refractory": 5 * ms,
        "method": "exponential_euler",
        "max_spikes_per_step": 0,  # no limit: every crosser spikes, as in the original
        "reset_all_crossers": 0,
    }
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


def test_the_spike_limit_of_the_faithful_variant_is_an_override_away():
    from diehl_cook.model import load_variant

    limited = load_variant(
        "diehl_cook_2015",
        parameter_overrides={
            "exc.group.max_spikes_per_step": "1",
            "exc.group.reset_all_crossers": "1",
        },
    )
    settings = limited.parameters()["exc"].settings
    assert settings["max_spikes_per_step"] == 1 and settings["reset_all_crossers"] == 1


def test_calibrated_capozzi_poster_changes_two_values_and_keeps_the_posters():
    from diehl_cook.model import load_variant

    poster = load_variant("capozzi_poster").parameters()
    calibrated = load_variant("capozzi_poster_calibrated").parameters()
    assert float(poster["exc"].namespace["theta_plus"]) == pytest.approx(0.05e-3)
    assert float(calibrated["exc"].namespace["theta_plus"]) == pytest.approx(2e-3)
    assert poster["inh_to_exc"].connectivity["weight"] == 25.0
    assert calibrated["inh_to_exc"].connectivity["weight"] == 100.0
    assert "calibrated" in calibrated["exc"].sources["exc.theta_plus"]
    # nothing else differs
    for group in poster:
        for name, value in poster[group].namespace.items():
            if (group, name) != ("exc", "theta_plus"):
                assert calibrated[group].namespace[name] == value, (group, name)
