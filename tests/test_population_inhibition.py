"""The population form of an all-but-self pathway (builder, ``all_but_self_population``).

It must give the network of the Synapses form: the same amounts in the same slot of the
same step, so the same spikes and weights, in both engines.
"""

import brian2
import numpy as np
import pytest
from brian2 import SpikeMonitor, ms, mV, second

from diehl_cook.errors import ComponentError, ParameterError
from diehl_cook.model import SlotTiming, build_network, connection_indices, load_variant
from diehl_cook.simulation import ProtocolSettings, run_phase
from diehl_cook.simulation.runtime import RuntimeEngine

SYNAPSES_FORM = "diehl_cook_2015"
POPULATION_FORM = "diehl_cook_2015_population"
TIMING = SlotTiming()
REGULAR_INPUT = {"input.input": "input_regular.eq"}


@pytest.fixture(autouse=True)
def numpy_target():
    brian2.prefs.codegen.target = "numpy"
    brian2.defaultclock.dt = TIMING.dt * second


def _images(n_images, n_pixels, seed=0, dim=()):
    """Binary images (0 or 255); those in ``dim`` too faint for 5 spikes at intensity 2."""
    rng = np.random.default_rng(seed)
    images = ((rng.random((n_images, n_pixels)) < 0.3) * 255).astype(np.uint8)
    for index in dim:
        images[index] = (images[index] > 0) * 4
    return images


def test_the_variant_differs_only_in_the_inhibitory_pattern():
    synapses_form = load_variant(SYNAPSES_FORM)
    population_form = load_variant(POPULATION_FORM)
    assert population_form.parameters_path == synapses_form.parameters_path
    assert population_form.roles == synapses_form.roles
    ours, theirs = population_form.parameters(), synapses_form.parameters()
    assert ours["inh_to_exc"].connectivity == {
        "pattern": "all_but_self_population",
        "weight": 17.0,
    }
    for table in ours:
        if table != "inh_to_exc":
            assert ours[table].namespace == theirs[table].namespace
            assert ours[table].connectivity == theirs[table].connectivity


@pytest.mark.parametrize("n_exc", [1, 5])
def test_population_form_has_3n_synapses_instead_of_n_n_minus_1(n_exc):
    built = build_network(load_variant(POPULATION_FORM), "train", n_input=4, n_exc=n_exc)
    for name in ("inh_to_exc", "inh_to_exc_count", "inh_to_exc_self"):
        assert len(built[name]) == n_exc
    np.testing.assert_allclose(built["inh_to_exc"].w[:], 17.0)
    np.testing.assert_array_equal(built["inh_to_exc_self"].i[:], built["inh_to_exc_self"].j[:])
    assert len(built["inh_to_exc_counter"]) == 1
    # the connection it computes is the all-but-self one
    for computed, expected in zip(
        connection_indices("all_but_self_population", 4, 4),
        connection_indices("all_but_self", 4, 4),
        strict=True,
    ):
        np.testing.assert_array_equal(computed, expected)


def _volleys(name, volleys, n_exc=8):
    """Make the inhibitory neurons of each volley spike together, 3.3 ms apart.

    Returns the excitatory g_inh one step after each volley, shape (volleys, n_exc).
    """
    built = build_network(load_variant(name), "frozen", n_input=4, n_exc=n_exc)
    conductances = []
    for volley in volleys:
        v = np.full(n_exc, -60.0)
        v[volley] = -30.0  # above the threshold of -40 mV: spikes in the next step
        built["inh"].v = v * mV
        built.network.run(TIMING.dt * second, namespace={})
        conductances.append(np.asarray(built["exc"].g_inh[:]).copy())
        built.network.run(3.3 * ms, namespace={})
    return np.array(conductances)


def test_population_form_adds_w_times_the_spikes_of_the_others_in_the_same_step():
    volleys = [[0, 3, 5], [1, 2, 3, 4, 6], [7], list(range(8))]
    population = _volleys(POPULATION_FORM, volleys)
    synapses = _volleys(SYNAPSES_FORM, volleys)
    # the first volley reaches conductances that were 0: 17 x (3 - own spike), exactly
    np.testing.assert_array_equal(population[0], 17.0 * (3 - np.isin(np.arange(8), [0, 3, 5])))
    # later volleys add to decayed, non-integer conductances: k spikes in one step are one
    # addition of k w instead of k additions of w, so only the last bit may differ
    np.testing.assert_allclose(population, synapses, rtol=4e-16, atol=0)
    assert np.array_equal(population[2], synapses[2])  # one spike: the same addition


def _spikes_and_state(name, n_exc=20):
    built = build_network(
        load_variant(name, REGULAR_INPUT),
        "train",
        n_input=100,
        n_exc=n_exc,
        model_seed=2,
        normalisation_target=10.0,
    )
    built["input"].rate_[:] = np.random.default_rng(0).random(100) * 80
    monitors = {layer: SpikeMonitor(built[layer]) for layer in ("exc", "inh")}
    built.network.add(*monitors.values())
    built.network.run(2 * TIMING.slot_duration * second, namespace={})
    spikes = {
        layer: (np.array(monitor.i[:]), np.array(monitor.t_[:]))  # copies (Brian2 2.10)
        for layer, monitor in monitors.items()
    }
    state = {  # copies: Brian2 2.10's views die with the network
        "w": np.array(built["input_to_exc"].w[:]),
        "theta": np.array(built["exc"].theta_[:]),
        "v": np.array(built["exc"].v_[:]),
        "g_inh": np.array(built["exc"].g_inh[:]),
    }
    return spikes, state


def test_population_form_gives_the_same_spikes_and_state_over_two_slots():
    population_spikes, population_state = _spikes_and_state(POPULATION_FORM)
    synapses_spikes, synapses_state = _spikes_and_state(SYNAPSES_FORM)
    assert len(synapses_spikes["inh"][0]) > 5
    for layer in ("exc", "inh"):
        for ours, theirs in zip(population_spikes[layer], synapses_spikes[layer], strict=True):
            np.testing.assert_array_equal(ours, theirs)
    for name, values in synapses_state.items():
        np.testing.assert_array_equal(population_state[name], values, err_msg=name)


def test_engines_agree_with_the_synapses_form_including_a_retry():
    images = _images(5, 784, seed=3, dim=[2])
    kwargs = dict(learned_state=None, seed=1, chunk_slots=4, progress=False)
    results = {}
    for name in (SYNAPSES_FORM, POPULATION_FORM):
        engine = RuntimeEngine(
            load_variant(name, REGULAR_INPUT),
            n_input=784,
            n_exc=12,
            settings=ProtocolSettings(),
            codegen_target="numpy",
        )
        results[name] = run_phase(engine, "train", images, **kwargs)
    (synapses, synapses_state, _), (population, population_state, _) = results.values()
    assert population.retries[2] >= 1 and population.intensity[2] > 2.0
    np.testing.assert_array_equal(population.retries, synapses.retries)
    np.testing.assert_array_equal(population.exc_counts, synapses.exc_counts)
    np.testing.assert_array_equal(population.input_counts, synapses.input_counts)
    for key in ("input_to_exc.w", "exc.theta"):
        np.testing.assert_array_equal(population_state[key], synapses_state[key])


@pytest.mark.parametrize(
    "variant, overrides, error, message",
    [
        # the poster's inhibition is bounded below (clip): not a sum of equal increments
        ("capozzi_poster", {}, ComponentError, "scales increments"),
        # the study's pathways act one step later
        ("capozzi_study", {}, ParameterError, "delay_steps"),
        (
            SYNAPSES_FORM,
            {"inh_to_exc.connectivity.weight": "-1"},
            None,
            None,
        ),
    ],
)
def test_population_form_refuses_pathways_it_cannot_compute(variant, overrides, error, message):
    overrides = {"inh_to_exc.connectivity.pattern": "all_but_self_population", **overrides}
    loaded = load_variant(variant, parameter_overrides=overrides)
    if error is None:  # any uniform weight is fine
        built = build_network(loaded, "frozen", n_input=4, n_exc=3)
        np.testing.assert_allclose(built["inh_to_exc"].w[:], -1.0)
        return
    with pytest.raises(error, match=message):
        build_network(loaded, "frozen", n_input=4, n_exc=3)


WEIGHT_LINE = 'weight = {value = "17.0", source = "code (ref 1.3)"}'


@pytest.mark.parametrize(
    "replacement, message",
    [
        ('weight_scale = {value = "0.3", source = "test"}', "uniform 'weight'"),
        (WEIGHT_LINE + '\ndelay_max = {value = "1 ms", source = "test"}', "no delay"),
    ],
)
def test_population_form_needs_a_uniform_weight_and_no_delay(tmp_path, replacement, message):
    text = load_variant(SYNAPSES_FORM).parameters_path.read_text()
    assert text.count(WEIGHT_LINE) == 1  # the inh_to_exc weight
    parameters = tmp_path / "changed.params.toml"
    parameters.write_text(text.replace(WEIGHT_LINE, replacement))
    variant = tmp_path / "changed.variant.toml"
    variant.write_text(
        load_variant(POPULATION_FORM)
        .path.read_text()
        .replace("diehl_cook_2015.params.toml", str(parameters))
    )
    with pytest.raises(ParameterError, match=message):
        build_network(load_variant(variant), "frozen", n_input=4, n_exc=3)


@pytest.mark.standalone
def test_standalone_population_form_agrees_with_the_runtime_synapses_form(tmp_path):
    from diehl_cook.simulation.standalone import StandaloneEngine

    images = _images(5, 784, seed=3, dim=[2])
    kwargs = dict(learned_state=None, seed=1, chunk_slots=4, progress=False)
    standalone = StandaloneEngine(
        load_variant(POPULATION_FORM, REGULAR_INPUT),
        n_input=784,
        n_exc=12,
        settings=ProtocolSettings(),
        build_root=tmp_path,
    )
    population, population_state, _ = run_phase(standalone, "train", images, **kwargs)
    runtime = RuntimeEngine(
        load_variant(SYNAPSES_FORM, REGULAR_INPUT),
        n_input=784,
        n_exc=12,
        settings=ProtocolSettings(),
        codegen_target="numpy",
    )
    synapses, synapses_state, _ = run_phase(runtime, "train", images, **kwargs)
    assert population.retries[2] >= 1
    np.testing.assert_array_equal(population.retries, synapses.retries)
    np.testing.assert_array_equal(population.exc_counts, synapses.exc_counts)
    np.testing.assert_array_equal(population.input_counts, synapses.input_counts)
    np.testing.assert_allclose(
        population_state["input_to_exc.w"], synapses_state["input_to_exc.w"], atol=1e-12
    )
    np.testing.assert_allclose(
        population_state["exc.theta"], synapses_state["exc.theta"], rtol=1e-12
    )
