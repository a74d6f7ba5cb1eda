"""Tests of diehl_cook.model.builder: the Brian2 network of a variant.

Networks are built under Brian2's numpy target (no compilation) and never run for more than
one time step.
"""

import brian2
import numpy as np
import pytest
from brian2 import ms, mV

from diehl_cook.errors import ComponentError, ParameterError
from diehl_cook.model import (
    PHASES,
    build_network,
    load_variant,
    shipped_equations_dir,
    shipped_variant_names,
    variant_normalisation_target,
)


@pytest.fixture(autouse=True)
def numpy_target():
    brian2.prefs.codegen.target = "numpy"


def build(variant, phase, **keywords):
    keywords.setdefault("n_input", 4)
    keywords.setdefault("n_exc", 2)
    return build_network(variant, phase, **keywords)


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
    population = variant.parameters()["inh_to_exc"].connectivity["pattern"].endswith("population")
    # all but self: as Synapses, or one delivering synapse per target from the spike count
    assert len(built["inh_to_exc"]) == (3 if population else 3 * 2)
    has_normalisation = {"normalise_reset", "normalise_sum", "normalise_scale"} <= set(
        built.objects
    )
    assert has_normalisation == (phase == "train")
    weights = built.read_state(["input_to_exc.w"])["input_to_exc.w"]
    assert weights.shape == (16, 3)
    connectivity = variant.parameters()["input_to_exc"].connectivity
    scale = float(connectivity.get("weight_scale", 0.3))
    offset = float(connectivity.get("weight_offset", 0.01))
    # w = scale * (U(0, 1) + offset), the variant's own initial weights
    assert np.all((weights >= scale * offset) & (weights <= scale * (1 + offset)))
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


def test_group_without_threshold_fails_at_build():
    variant = load_variant("diehl_cook_2015", {"inh.threshold": ""})
    with pytest.raises(
        ComponentError, match=r"group 'inh' has no \[threshold\].*membrane_conduct"
    ):
        build(variant, "frozen")


# --------------------------------------------------------------------------------------------
# pathway initialisation: fixed weights, drawn weights and delays, saved weights


def test_drawn_weights_depend_on_the_seed_and_delays_not_on_saved_weights():
    variant = load_variant("diehl_cook_2015")
    first = build(variant, "train", model_seed=1)
    again = build(variant, "train", model_seed=1)
    other = build(variant, "train", model_seed=2)
    np.testing.assert_array_equal(first["input_to_exc"].w[:], again["input_to_exc"].w[:])
    assert not np.array_equal(first["input_to_exc"].w[:], other["input_to_exc"].w[:])
    saved = build(variant, "train", model_seed=1, saved_state={"input_to_exc.w": np.ones((4, 2))})
    np.testing.assert_array_equal(saved["input_to_exc"].w[:], 1.0)
    np.testing.assert_array_equal(saved["input_to_exc"].delay[:], first["input_to_exc"].delay[:])


def test_saved_weights_of_the_wrong_shape_are_an_error():
    with pytest.raises(
        ParameterError, match=r"input_to_exc.w has shape \(2, 4\), expected \(4, 2\)"
    ):
        build(
            load_variant("diehl_cook_2015"),
            "frozen",
            saved_state={"input_to_exc.w": np.ones((2, 4))},
        )


def test_normalisation_target_joins_the_normalised_pathway_namespace():
    variant = load_variant("diehl_cook_2015")
    built = build(variant, "train", normalisation_target=78)
    assert built.namespaces["input_to_exc"]["normalisation_target"] == 78.0
    assert "weight_sum" in built["exc"].variables
    # the parameter file's value does not leak into the namespace of an unnormalised build
    assert "normalisation_target" not in build(variant, "train").namespaces["input_to_exc"]
    assert variant_normalisation_target(variant) == 78.0


def test_variant_without_a_normalisation_target_has_none(tmp_path):
    equations = shipped_equations_dir()
    text = (equations / "diehl_cook_2015.params.toml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("normalisation_target")]
    (tmp_path / "p.params.toml").write_text("\n".join(lines) + "\n")
    variant_text = (equations / "diehl_cook_2015.variant.toml").read_text()
    variant_text = variant_text.replace(
        'parameters = "diehl_cook_2015.params.toml"', 'parameters = "p.params.toml"'
    )
    for path in equations.glob("*.eq"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "p.variant.toml").write_text(variant_text)
    assert variant_normalisation_target(load_variant(str(tmp_path / "p.variant.toml"))) is None


def test_pathway_without_a_fixed_weight_draws_its_weights(tmp_path):
    equations = shipped_equations_dir()
    parameters = (equations / "diehl_cook_2015.params.toml").read_text()
    fixed = 'weight = {value = "17.0", source = "code (ref 1.3)"}\n'
    assert fixed in parameters
    (tmp_path / "diehl_cook_2015.params.toml").write_text(parameters.replace(fixed, ""))
    variant_path = tmp_path / "diehl_cook_2015.variant.toml"
    variant_path.write_text((equations / "diehl_cook_2015.variant.toml").read_text())
    variant = load_variant(variant_path)
    weights = np.asarray(build(variant, "frozen", n_exc=3)["inh_to_exc"].w[:])
    assert np.all((weights >= 0.3 * 0.01) & (weights <= 0.3 * 1.01)) and weights.std() > 0
    # a single inhibitory neuron has no all-but-self synapse: nothing is written
    assert not build(variant, "frozen", n_exc=1)["inh_to_exc"].active
