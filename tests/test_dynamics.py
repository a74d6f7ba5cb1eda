"""Closed-form checks of the shipped equation files: membranes, threshold adaptation, STDP,
normalisation and connectivity. Every test builds its network from the .eq files."""

import math

import brian2
import numpy as np
import pytest
from brian2 import NeuronGroup, SpikeMonitor, Synapses, TimedArray, ms, second

from diehl_cook.model import (
    SlotTiming,
    build_network,
    connection_indices,
    load_parameters,
    load_variant,
    read_component,
    shipped_equations_dir,
)

EQUATIONS = shipped_equations_dir()
TIMING = SlotTiming()


def _variant_with_parameters(tmp_path, variant_name, replacements, overrides=None):
    """Copy a shipped variant and its parameter file to tmp_path, replacing some values."""
    variant_text = (EQUATIONS / f"{variant_name}.variant.toml").read_text()
    parameters_text = (EQUATIONS / f"{variant_name}.params.toml").read_text()
    for old, new in replacements.items():
        assert old in parameters_text, old
        parameters_text = parameters_text.replace(old, new)
    (tmp_path / f"{variant_name}.params.toml").write_text(parameters_text)
    variant_path = tmp_path / f"{variant_name}.variant.toml"
    variant_path.write_text(variant_text)
    return load_variant(variant_path, overrides)


def _run(built, duration):
    brian2.defaultclock.dt = TIMING.dt * second
    built.network.run(duration, namespace={})


def test_poster_membrane_crosses_threshold_after_predicted_input_spike(tmp_path):
    # one input neuron at 100 Hz (regular), weight 1: each spike adds 0.6 mV to v;
    # from v_reset = -65 mV the threshold -52 mV is exceeded (strictly) by spike 22
    variant = load_variant("capozzi_poster", {"input.input": "input_regular.eq"})
    built = build_network(
        variant,
        "frozen",
        n_input=1,
        n_exc=1,
        saved_state={"input_to_exc.w": [[1.0]], "exc.theta": [0.0]},
    )
    built["input"].rate = 100 * brian2.Hz
    spikes = SpikeMonitor(built["exc"])
    inputs = SpikeMonitor(built["input"])
    built.network.add(spikes, inputs)
    _run(built, 300 * ms)
    gap = 13.0  # mV
    n_needed = math.floor(gap / 0.6) + 1
    input_times = np.asarray(inputs.t / ms)
    np.testing.assert_allclose(input_times[:3], [5.0, 15.0, 25.0])
    # the exc neuron integrates the n-th input spike in that step and fires one step later
    expected = input_times[n_needed - 1] + TIMING.dt * 1000
    assert n_needed == 22
    assert spikes.t[0] / ms == pytest.approx(expected)


@pytest.mark.parametrize("method", ["euler", "exponential_euler"])
def test_conductance_membrane_crosses_threshold_at_closed_form_time(tmp_path, method):
    # constant excitatory conductance G (no decay): v relaxes towards
    # v_inf = (v_rest + G E_exc) / (1 + G) with time constant tau / (1 + G)
    conductance = 0.5
    variant = _variant_with_parameters(
        tmp_path,
        "diehl_cook_2015",
        {
            'tau_g_exc = {value = "1 ms"': 'tau_g_exc = {value = "1e12 ms"',
            'v = {value = "-105 mV"': 'v = {value = "-65 mV"',
            'method = {value = "exponential_euler"': f'method = {{value = "{method}"',
        },
    )
    built = build_network(
        variant, "frozen", n_input=1, n_exc=1, saved_state={"exc.theta": [0.020]}
    )
    built["exc"].g_exc = conductance
    spikes = SpikeMonitor(built["exc"])
    built.network.add(spikes)
    _run(built, 300 * ms)
    v_rest, v_threshold, e_exc, tau = -65.0, -52.0, 0.0, 100.0
    dt = TIMING.dt * 1000
    v_inf = (v_rest + conductance * e_exc) / (1 + conductance)
    gap_ratio = (v_threshold - v_inf) / (v_rest - v_inf)
    if method == "exponential_euler":
        # exact for constant g: v(t) - v_inf = (v_rest - v_inf) exp(-t (1 + G) / tau)
        crossing = -tau / (1 + conductance) * math.log(gap_ratio)
        # the spike is reported at the start of the step during which v crosses
        expected = math.floor(crossing / dt) * dt
    else:
        # forward Euler: v_n - v_inf = (v_rest - v_inf) (1 - dt (1 + G) / tau)^n; the
        # first n with v_n above threshold is computed in step n - 1, reported at its start
        n_first = math.floor(math.log(gap_ratio) / math.log(1 - dt * (1 + conductance) / tau)) + 1
        expected = (n_first - 1) * dt
    assert spikes.t[0] / ms == pytest.approx(expected)


def test_theta_grows_by_theta_plus_per_spike_and_decays(tmp_path):
    variant = _variant_with_parameters(
        tmp_path,
        "capozzi_poster",
        {'tau_theta = {value = "1e7 ms"': 'tau_theta = {value = "200 ms"'},
        {"input.input": "input_regular.eq"},
    )
    built = build_network(
        variant, "train", n_input=1, n_exc=1, saved_state={"input_to_exc.w": [[1.0]]}
    )
    built["input"].rate = 400 * brian2.Hz
    spikes = SpikeMonitor(built["exc"])
    built.network.add(spikes)
    duration = 400 * ms
    _run(built, duration)
    spike_times = np.asarray(spikes.t / second)
    assert len(spike_times) >= 3
    tau_theta, theta_plus, dt = 0.2, 0.05e-3, TIMING.dt
    end = float(duration / second)
    # theta jumps in the reset at the end of the spike's step, then decays exactly
    expected = sum(theta_plus * math.exp(-(end - (t + dt)) / tau_theta) for t in spike_times)
    assert built["exc"].theta_[0] == pytest.approx(expected, rel=1e-9)


def test_target_rate_theta_is_its_start_plus_theta_plus_per_spike_minus_the_target(tmp_path):
    # neuron 0 is driven and fires; neuron 1 has no input and never fires
    variant = load_variant(
        "diehl_cook_target_rate",
        {"input.input": "input_regular.eq"},
        parameter_overrides={"exc.target_rate": "50 Hz"},
    )
    built = build_network(
        variant, "train", n_input=1, n_exc=2, saved_state={"input_to_exc.w": [[1.0, 0.0]]}
    )
    built["input"].rate = 400 * brian2.Hz
    spikes = SpikeMonitor(built["exc"])
    built.network.add(spikes)
    duration = 400 * ms
    _run(built, duration)
    counts = np.bincount(np.asarray(spikes.i), minlength=2)
    assert counts[0] >= 3 and counts[1] == 0
    theta_start, theta_plus, target_rate = 20e-3, 0.05e-3, 50.0
    end = float(duration / second)
    # dtheta/dt is a constant: theta(T) = theta(0) + theta_plus (n - target_rate T), whatever
    # the spike times
    expected = theta_start + theta_plus * (counts - target_rate * end)
    np.testing.assert_allclose(built["exc"].theta_[:], expected, rtol=1e-9)


def _forced_group(name, spike_steps, component_lines, namespace, n_steps):
    """A one-neuron group that spikes at the given steps, with extra model/reset lines."""
    pattern = np.zeros(n_steps + 1)
    pattern[list(spike_steps)] = 1
    schedule = TimedArray(pattern, dt=TIMING.dt * second)
    model = "\n".join(["g_exc : 1", "v : volt", *component_lines["model"]])
    group = NeuronGroup(
        1,
        model,
        threshold="schedule(t) > 0.5",
        reset="\n".join(component_lines["reset"]) or None,
        namespace={**namespace, "schedule": schedule},
        method="exact",
        name=name,
    )
    return group


def _stdp_network(component_name, pre_steps, post_steps, initial_weight, n_steps):
    component = read_component(EQUATIONS / component_name)
    transmit = read_component(EQUATIONS / "transmit_excitatory.eq")
    parameters = load_parameters(
        EQUATIONS
        / (
            "diehl_cook_2015.params.toml"
            if "triplet" in component_name or "pair" in component_name
            else "capozzi_poster.params.toml"
        )
    )["input_to_exc"].namespace

    def side(prefix):
        return {
            "model": [line.text for line in component.lines(f"{prefix}.model")],
            "reset": [line.text for line in component.lines(f"{prefix}.reset")],
        }

    pre = _forced_group("pre", pre_steps, side("pre"), parameters, n_steps)
    post = _forced_group("post", post_steps, side("post"), parameters, n_steps)
    synapses = Synapses(
        pre,
        post,
        model="\n".join(line.text for c in (transmit, component) for line in c.lines("model")),
        on_pre="\n".join(line.text for c in (transmit, component) for line in c.lines("on_pre")),
        on_post="\n".join(line.text for line in component.lines("on_post")) or None,
        namespace=parameters,
        name="stdp",
    )
    synapses.connect()
    synapses.w = initial_weight
    if "t_last_arrival" in synapses.variables:
        synapses.t_last_arrival = -1e6 * second
    network = brian2.Network(pre, post, synapses)
    brian2.defaultclock.dt = TIMING.dt * second
    network.run(n_steps * TIMING.dt * second, namespace={})
    return float(synapses.w[0]), parameters


def test_triplet_stdp_closed_form():
    # post at step 20, pre at step 60, post at step 100: depression at the pre spike by
    # nu_pre * post1, potentiation at the second post spike by nu_post * pre * post2(before)
    dt = TIMING.dt
    w0 = 0.5
    weight, p = _stdp_network("stdp_triplet_minimal.eq", [60], [20, 100], w0, 200)
    tau_pre, tau_1, tau_2 = (float(p[name]) for name in ("tau_pre", "tau_post_1", "tau_post_2"))
    after_pre = w0 - p["nu_pre"] * math.exp(-(60 - 20) * dt / tau_1)
    expected = after_pre + p["nu_post"] * math.exp(-(100 - 60) * dt / tau_pre) * math.exp(
        -(100 - 20) * dt / tau_2
    )
    assert weight == pytest.approx(expected, rel=1e-12)
    assert weight != pytest.approx(w0)


def test_pair_stdp_closed_form():
    # post at step 20, pre at step 60, post at step 100, post at step 101: the same
    # depression as the triplet rule; each post spike potentiates by nu_post * pre,
    # whatever the time since the previous post spike (no post2 factor)
    dt = TIMING.dt
    w0 = 0.5
    weight, p = _stdp_network("stdp_pair_nearest.eq", [60], [20, 100, 130], w0, 200)
    tau_pre, tau_1 = float(p["tau_pre"]), float(p["tau_post_1"])
    expected = w0 - p["nu_pre"] * math.exp(-(60 - 20) * dt / tau_1)
    for post_step in (100, 130):
        expected += p["nu_post"] * math.exp(-(post_step - 60) * dt / tau_pre)
    assert weight == pytest.approx(expected, rel=1e-12)
    # a single post spike after a pre spike potentiates (the triplet rule: not at all)
    single, _ = _stdp_network("stdp_pair_nearest.eq", [60], [100], w0, 200)
    assert single == pytest.approx(w0 + p["nu_post"] * math.exp(-40 * dt / tau_pre), rel=1e-12)
    triplet_single, _ = _stdp_network("stdp_triplet_minimal.eq", [60], [100], w0, 200)
    assert triplet_single == pytest.approx(w0, abs=1e-15)


def test_power_law_stdp_closed_form():
    # two pre spikes then a post spike: dw = eta (x_pre - x_target)(w_max - w)^mu
    dt = TIMING.dt
    w0 = 0.3
    weight, p = _stdp_network("stdp_power_law.eq", [10, 30], [50], w0, 100)
    tau = float(p["tau_pre"])
    trace = math.exp(-(50 - 10) * dt / tau) + math.exp(-(50 - 30) * dt / tau)
    expected = w0 + p["eta"] * (trace - p["x_target"]) * (p["w_max"] - w0) ** p["mu"]
    assert weight == pytest.approx(expected, rel=1e-12)
    # below the target trace the same rule depresses
    weight_low, _ = _stdp_network("stdp_power_law.eq", [10], [90], w0, 100)
    assert weight_low < w0


@pytest.mark.parametrize("variant_name", ["diehl_cook_2015", "capozzi_poster"])
def test_normalisation_sets_column_sums(variant_name):
    variant = load_variant(variant_name)
    built = build_network(
        variant, "train", n_input=30, n_exc=4, model_seed=3, normalisation_target=7.8
    )
    brian2.defaultclock.dt = TIMING.dt * second
    built.network.run(TIMING.dt * second, namespace={})
    weights = built.read_state(["input_to_exc.w"])["input_to_exc.w"]
    np.testing.assert_allclose(weights.sum(axis=0), 7.8, rtol=1e-12)


def test_connectivity_patterns_and_delays():
    sources, targets = connection_indices("one_to_one", 4, 4)
    np.testing.assert_array_equal(sources, targets)
    sources, targets = connection_indices("all_but_self", 4, 4)
    assert len(sources) == 12 and not np.any(sources == targets)
    assert {(int(a), int(b)) for a, b in zip(sources, targets, strict=True)} == {
        (a, b) for a in range(4) for b in range(4) if a != b
    }
    built = build_network(load_variant("diehl_cook_2015"), "train", n_input=20, n_exc=5)
    synapses = built["input_to_exc"]
    assert len(synapses) == 100
    delays = np.asarray(synapses.delay / ms)
    assert delays.min() >= 0 and delays.max() <= 10 and delays.std() > 1
    np.testing.assert_array_equal(built["exc_to_inh"].i[:], built["exc_to_inh"].j[:])
    np.testing.assert_allclose(built["exc_to_inh"].w[:], 10.4)
    np.testing.assert_allclose(built["inh_to_exc"].w[:], 17.0)
    assert not np.any(built["inh_to_exc"].i[:] == built["inh_to_exc"].j[:])
    weights = np.asarray(synapses.w[:])
    assert weights.min() >= 0.003 and weights.max() <= 0.303


def test_presynaptic_arrival_times_restart_in_the_past_at_each_slot():
    # at a slot start no synapse has an arrival yet: its trace exp(-(t - t_last)/tau_pre)
    # must be 0, not exp(-t/tau_pre) as an arrival time of 0 would give
    built = build_network(load_variant("diehl_cook_2015"), "train", n_input=6, n_exc=2)
    _run(built, TIMING.dt * second)
    arrivals = np.asarray(built["input_to_exc"].t_last_arrival_[:])
    np.testing.assert_allclose(arrivals, -1000 * 0.020)
    assert math.exp(-(TIMING.dt - arrivals.max()) / 0.020) == 0.0
