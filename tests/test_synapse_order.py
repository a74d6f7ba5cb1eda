"""The order of a pathway's synapses in memory (``synapse_order`` of its connectivity).

``pre_delay`` must give the network of Brian2's order: every (pre, post) pair keeps its
weight and delay, and a presynaptic spike reaches, per delay step, one contiguous run of
synapses.  Only the order of the additions to a conductance within one step changes.
"""

import brian2
import numpy as np
import pytest
from brian2 import SpikeMonitor, second

from diehl_cook.errors import ParameterError
from diehl_cook.model import SlotTiming, build_network, connection_indices, load_variant
from diehl_cook.model.builder import connection_order

TIMING = SlotTiming()
REGULAR_INPUT = {"input.input": "input_regular.eq"}
PRE_DELAY = {"input_to_exc.connectivity.synapse_order": "pre_delay"}


@pytest.fixture(autouse=True)
def numpy_target():
    brian2.prefs.codegen.target = "numpy"
    brian2.defaultclock.dt = TIMING.dt * second


def test_pre_delay_sorts_each_row_by_delay_then_target():
    sources, targets = connection_indices("all_to_all", 2, 4)
    delay_steps = np.array([[3, 0, 3, 1], [2, 2, 0, 2]])
    ordered = connection_order(sources, targets, "pre_delay", delay_steps)
    np.testing.assert_array_equal(ordered[0], [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(ordered[1], [1, 3, 0, 2, 2, 0, 1, 3])


def test_pre_order_and_pathways_without_delays_are_left_as_they_are():
    sources, targets = connection_indices("all_to_all", 3, 2)
    for order, delay_steps in (("pre", np.ones((3, 2))), ("pre_delay", None)):
        ordered = connection_order(sources, targets, order, delay_steps)
        np.testing.assert_array_equal(ordered[0], sources)
        np.testing.assert_array_equal(ordered[1], targets)


def test_unknown_order_is_refused_with_its_name():
    with pytest.raises(ParameterError, match="synapse_order.*'by_post'"):
        load_variant(
            "diehl_cook_2015",
            parameter_overrides={"input_to_exc.connectivity.synapse_order": "by_post"},
        ).parameters()


def _built(parameter_overrides):
    return build_network(
        load_variant("diehl_cook_2015", REGULAR_INPUT, parameter_overrides=parameter_overrides),
        "train",
        n_input=100,
        n_exc=20,
        model_seed=2,
        normalisation_target=10.0,
    )


def test_every_pair_keeps_its_weight_and_delay():
    default, reordered = _built(None), _built(PRE_DELAY)
    sources, targets = reordered.indices["input_to_exc"]
    assert not np.array_equal(targets, default.indices["input_to_exc"][1])
    for variable in ("w", "delay"):
        matrices = []
        for built in (default, reordered):
            values = np.array(getattr(built["input_to_exc"], variable)[:], dtype=float)
            matrix = np.full((100, 20), np.nan)
            matrix[built.indices["input_to_exc"]] = values
            matrices.append(matrix)
        np.testing.assert_array_equal(*matrices, err_msg=variable)
    steps = np.round(np.array(reordered["input_to_exc"].delay[:]) / (TIMING.dt * second))
    assert np.all(np.diff(steps.reshape(100, 20), axis=1) >= 0)  # sorted within each row


def _spikes_and_state(parameter_overrides):
    built = _built(parameter_overrides)
    built["input"].rate_[:] = np.random.default_rng(0).random(100) * 80
    monitors = {layer: SpikeMonitor(built[layer]) for layer in ("exc", "inh")}
    built.network.add(*monitors.values())
    built.network.run(2 * TIMING.slot_duration * second, namespace={})
    spikes = {layer: (np.array(m.i[:]), np.array(m.t_[:])) for layer, m in monitors.items()}
    return spikes, built.read_state(["input_to_exc.w", "exc.theta", "exc.v"])


def test_pre_delay_gives_the_same_spikes_and_state_over_two_slots():
    reordered_spikes, reordered_state = _spikes_and_state(PRE_DELAY)
    default_spikes, default_state = _spikes_and_state(None)
    assert len(default_spikes["exc"][0]) > 5
    for layer in ("exc", "inh"):
        for ours, theirs in zip(reordered_spikes[layer], default_spikes[layer], strict=True):
            np.testing.assert_array_equal(ours, theirs)
    # the additions to g_exc within a step come in another order: equal to rounding
    for name, values in default_state.items():
        np.testing.assert_allclose(reordered_state[name], values, rtol=1e-12, atol=0, err_msg=name)
