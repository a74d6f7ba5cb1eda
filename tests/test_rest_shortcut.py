"""The rest shortcut (protocol.rest_shortcut): the end of every rest in closed form.

The state one step into the second slot is compared between a network that simulates the
whole 150 ms rest and one that simulates 30 ms of it and applies the equation files'
``[rest_shortcut]`` sections for the other 120 ms.
"""

import brian2
import numpy as np
import pytest
from brian2 import SpikeMonitor, second

from diehl_cook.errors import ComponentError, ParameterError
from diehl_cook.model import SlotTiming, build_network, load_parameters, load_variant
from diehl_cook.simulation import ProtocolSettings, run_phase
from diehl_cook.simulation.runtime import RuntimeEngine

FAITHFUL = SlotTiming()
SHORTCUT = SlotTiming(rest_shortcut=0.120)
VARIANT = {"input.input": "input_regular.eq"}
EXC_VARIABLES = ("v", "g_exc", "g_inh", "theta", "post_trace_1", "post_trace_2")


def _first_slot_then_one_step(timing, stop_at_rest_end=False, variant_name="diehl_cook_2015"):
    """Run one slot with a strong regular input, then one step; return the exc/inh state.

    With ``stop_at_rest_end``, also return the conductances at the end of the simulated
    part of the rest (where the shortcut takes over).
    """
    variant = load_variant(variant_name, VARIANT)
    rng = np.random.default_rng(3)
    built = build_network(
        variant,
        "train",
        n_input=64,
        n_exc=4,
        timing=timing,
        saved_state={"input_to_exc.w": rng.random((64, 4)), "exc.theta": np.full(4, 0.02)},
    )
    built["input"].rate = rng.uniform(20, 60, 64) * brian2.Hz
    for name in built.rest_shortcut_groups:  # no rest to skip before the first slot
        assert float(built[name].skipped_rest_[:]) == 0
    spikes = SpikeMonitor(built["exc"])
    built.network.add(spikes)
    brian2.defaultclock.dt = timing.dt * second
    at_rest_end = {}
    if stop_at_rest_end:
        built.network.run(timing.slot_duration * second, namespace={})
        at_rest_end = {
            name: np.asarray(getattr(built["exc"], name + "_")[:]).copy()
            for name in ("g_exc", "g_inh", "v")
        }
        built.network.run(timing.dt * second, namespace={})
    else:
        built.network.run((timing.slot_duration + timing.dt) * second, namespace={})
    state = {name: np.asarray(getattr(built["exc"], name + "_")[:]) for name in EXC_VARIABLES}
    state["inh.v"] = np.asarray(built["inh"].v_[:])
    return state, int(spikes.num_spikes), at_rest_end


@pytest.mark.parametrize("variant_name", ["diehl_cook_2015", "diehl_cook_target_rate"])
def test_the_shortcut_state_matches_the_simulated_rest(variant_name):
    simulated, n_spikes, _ = _first_slot_then_one_step(FAITHFUL, variant_name=variant_name)
    shortcut, n_spikes_shortcut, at_jump = _first_slot_then_one_step(
        SHORTCUT, True, variant_name=variant_name
    )
    assert n_spikes > 0 and n_spikes_shortcut == n_spikes  # the traces and theta moved
    assert simulated["post_trace_1"].max() > 0
    # linear decays: the closed form is exact up to rounding
    for name in ("theta", "post_trace_1", "post_trace_2", "g_exc", "g_inh"):
        np.testing.assert_allclose(shortcut[name], simulated[name], rtol=1e-9, atol=1e-300)
    # v: the closed form drops the conductance terms of the skipped part.  Their whole effect
    # is at most the integral of g(t) |E - v| / tau_membrane with g decaying from its value at
    # the jump: g_jump * tau_g * |E - v| / tau_membrane for each conductance.
    parameters = load_parameters(load_variant(variant_name, VARIANT).parameters_path)
    exc = parameters["exc"].namespace
    tau_m = float(exc["tau_membrane"])
    v = at_jump["v"]
    bound = (
        at_jump["g_exc"] * float(exc["tau_g_exc"]) * np.abs(float(exc["E_exc"]) - v)
        + at_jump["g_inh"] * float(exc["tau_g_inh"]) * np.abs(float(exc["E_inh"]) - v)
    ) / tau_m
    deviation = np.abs(shortcut["v"] - simulated["v"])
    assert np.all(deviation <= 1.01 * bound + 1e-12), (deviation, bound)
    # and it is small: far below a microvolt here
    assert deviation.max() < 1e-6
    np.testing.assert_allclose(shortcut["inh.v"], simulated["inh.v"], atol=1e-9)


def test_a_training_run_with_the_shortcut_gives_the_same_spikes():
    settings = ProtocolSettings()
    variant = load_variant("diehl_cook_2015", VARIANT)
    images = (np.random.default_rng(5).random((3, 64)) < 0.4) * 255
    results = {}
    for label, timing in (("faithful", FAITHFUL), ("shortcut", SHORTCUT)):
        engine = RuntimeEngine(
            variant, n_input=64, n_exc=4, settings=settings, timing=timing, codegen_target="numpy"
        )
        # one chunk: a chunk start re-initialises v and the conductances (both protocols)
        results[label] = run_phase(
            engine, "train", images, learned_state=None, seed=1, chunk_slots=4, progress=False
        )
    (faithful, faithful_state, _), (shortcut, shortcut_state, _) = results.values()
    assert faithful.exc_counts.sum() > 0
    np.testing.assert_array_equal(shortcut.exc_counts, faithful.exc_counts)
    np.testing.assert_array_equal(shortcut.retries, faithful.retries)
    np.testing.assert_allclose(
        shortcut_state["input_to_exc.w"], faithful_state["input_to_exc.w"], atol=1e-12
    )
    # the phase's last chunk runs one step of an idle slot, whose start applies the
    # skipped rest of the last image: theta is the faithful one
    np.testing.assert_allclose(shortcut_state["exc.theta"], faithful_state["exc.theta"], rtol=1e-9)


def test_a_component_without_a_shortcut_section_is_named(tmp_path):
    component = tmp_path / "threshold_leaky.eq"
    component.write_text(
        "# Adaptive threshold without a rest shortcut.\n"
        "# implements: test\n# provides: theta\n# requires: v\n"
        "[model]\ndtheta/dt = -theta / tau_theta : volt\n"
        "[threshold]\nv > v_threshold + theta - theta_offset\n"
        "[reset]\ntheta += theta_plus\n"
    )
    variant = load_variant("diehl_cook_2015", {**VARIANT, "exc.threshold": str(component)})
    build_network(variant, "train", n_input=4, n_exc=2, timing=FAITHFUL)  # off: fine
    with pytest.raises(ComponentError, match=r"threshold_leaky\.eq.*\[rest_shortcut\]"):
        build_network(variant, "train", n_input=4, n_exc=2, timing=SHORTCUT)


def test_the_shortcut_must_fit_in_the_rest():
    with pytest.raises(ParameterError, match="rest_shortcut must lie between 0 and the rest"):
        SlotTiming(rest_shortcut=0.2)
    assert SHORTCUT.steps_per_slot == 760 and FAITHFUL.steps_per_slot == 1000
