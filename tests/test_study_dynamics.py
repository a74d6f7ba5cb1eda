"""The capozzi_study variant (BindsNET's DiehlAndCook2015 as the study ran it): closed-form and
reference-recurrence checks of its membrane, one-step delays, single winner, PostPre STDP and
input encoder, all built from the .eq files with the runtime device and numpy code generation.
"""

import math

import brian2
import numpy as np
import pytest
from brian2 import Hz, SpikeMonitor, StateMonitor, ms, mV
from scipy import stats

from diehl_cook.errors import ParameterError
from diehl_cook.model import SlotTiming, build_network, load_variant, shipped_equations_dir
from diehl_cook.model.builder import DEFAULT_RATE_PER_PIXEL, variant_rate_per_pixel
from diehl_cook.simulation import ControllerState, ProtocolSettings, input_rates
from diehl_cook.simulation.runtime import RuntimeEngine

EQUATIONS = shipped_equations_dir()
VARIANT = "capozzi_study"
#: The study's protocol: dt 1 ms, 250 ms per image, no rest (capozzi-study-as-run.md 2).
TIMING = SlotTiming(dt=1e-3, presentation=0.250, rest=0.0)
DT_MS = 1.0
#: BindsNET DiehlAndCookNodes / LIFNodes values (capozzi-study-as-run.md 3).
EXC = {"rest": -65.0, "reset": -60.0, "threshold": -52.0, "tau": 100.0, "refractory": 5}
THETA_PLUS_MV = 0.05


def _variant(tmp_path=None, replacements=None, overrides=None):
    """The study variant, optionally from a copy whose parameter file has replaced values."""
    if not replacements:
        return load_variant(VARIANT, overrides)
    parameters = (EQUATIONS / f"{VARIANT}.params.toml").read_text()
    for old, new in replacements.items():
        assert old in parameters, old
        parameters = parameters.replace(old, new)
    (tmp_path / f"{VARIANT}.params.toml").write_text(parameters)
    path = tmp_path / f"{VARIANT}.variant.toml"
    path.write_text((EQUATIONS / f"{VARIANT}.variant.toml").read_text())
    return load_variant(path, overrides)


def _build(variant, phase, n_input, n_exc, weight, **kwargs):
    brian2.defaultclock.dt = DT_MS * ms
    state = {"input_to_exc.w": np.full((n_input, n_exc), weight)}
    if phase == "frozen":
        state["exc.theta"] = np.zeros(n_exc)
    return build_network(
        variant,
        phase,
        n_input=n_input,
        n_exc=n_exc,
        timing=TIMING,
        saved_state=state,
        **kwargs,
    )


def _steps(monitor):
    return np.round(np.asarray(monitor.t / ms) / DT_MS).astype(int)


def _bindsnet_exc_reference(arrivals, n_steps, weight, theta=0.0):
    """BindsNET's DiehlAndCookNodes.forward for one neuron, step by step (reference 4.2).

    ``arrivals[m]`` is the summed weight of the spikes of step m - 1 (the one-step delay).
    Returns v after every step (mV) and the spike steps.
    """
    decay = math.exp(-DT_MS / EXC["tau"])
    v, refractory, trace, spikes = EXC["rest"], 0, [], []
    for step in range(n_steps):
        v = EXC["rest"] + (v - EXC["rest"]) * decay
        if refractory <= 0:
            v += weight * arrivals[step]
        refractory -= 1
        if v >= EXC["threshold"] + theta:
            refractory = EXC["refractory"]
            v = EXC["reset"]
            spikes.append(step)
        trace.append(v)
    return np.array(trace), spikes


@pytest.mark.parametrize("weight", [1.0, 15.0])
def test_current_based_membrane_follows_bindsnet_with_a_one_step_delay(weight):
    # one regular input into one exc neuron (frozen: no STDP, theta 0). Weight 1 stays below
    # threshold: v(m) = v_rest + sum over input steps s < m of w exp(-(m - s - 1) dt / tau),
    # a spike of step s moving v in step s + 1 by exactly w. Weight 15 makes every arrival
    # cross, then the 5 ms refractoriness drops the next arrivals: the same recurrence.
    variant = _variant(overrides={"input.input": "input_regular.eq"})
    built = _build(variant, "frozen", 1, 1, weight)
    built["input"].rate = 500 * Hz if weight > 5 else 100 * Hz
    inputs, spikes = SpikeMonitor(built["input"]), SpikeMonitor(built["exc"])
    voltage = StateMonitor(built["exc"], "v", record=0, when="end")
    built.network.add(inputs, spikes, voltage)
    n_steps = 100
    built.network.run(n_steps * DT_MS * ms, namespace={})
    input_steps = _steps(inputs)
    assert len(input_steps) >= 9
    arrivals = np.zeros(n_steps + 1)
    np.add.at(arrivals, input_steps + 1, 1.0)
    expected_v, expected_spikes = _bindsnet_exc_reference(arrivals, n_steps, weight)
    np.testing.assert_allclose(voltage.v[0] / mV, expected_v, rtol=0, atol=1e-9)
    assert list(_steps(spikes)) == expected_spikes
    if weight < 5:
        assert not expected_spikes
        decay = math.exp(-DT_MS / EXC["tau"])
        closed = [
            EXC["rest"] + sum(weight * decay ** (m - s - 1) for s in input_steps if s < m)
            for m in range(n_steps)
        ]
        np.testing.assert_allclose(voltage.v[0] / mV, closed, rtol=0, atol=1e-9)
    else:
        # every arrival outside the refractoriness fires: 1 spike per 3 input spikes
        assert len(expected_spikes) >= 10
        assert set(np.diff(expected_spikes)) == {6}


def test_inhibition_arrives_two_steps_after_the_excitatory_spike():
    # exc 0 fires in step s; its inh partner gets 22.5 mV in s + 1 (-60 + 22.5 > -40: fires);
    # exc 1 gets -120 mV in s + 2 (frozen, one input to exc 0 only)
    variant = _variant(overrides={"input.input": "input_regular.eq"})
    built = _build(variant, "frozen", 1, 2, 0.0)
    built["input_to_exc"].w = [15.0, 0.0]
    built["input"].rate = 40 * Hz
    exc, inh = SpikeMonitor(built["exc"]), SpikeMonitor(built["inh"])
    voltage = StateMonitor(built["exc"], "v", record=1, when="end")
    built.network.add(exc, inh, voltage)
    built.network.run(30 * ms, namespace={})  # one input spike, at 12.5 ms
    exc_step = int(_steps(exc)[0])
    assert list(exc.i) == [0] and list(_steps(inh)) == [exc_step + 1]
    v1 = voltage.v[0] / mV
    assert v1[exc_step + 1] == pytest.approx(EXC["rest"])
    assert v1[exc_step + 2] == pytest.approx(EXC["rest"] - 120.0)


def _winner_network(tmp_path, replacements=None, n_exc=5, inh_weight=None):
    """n_exc neurons that all cross in the step after every regular input spike (frozen)."""
    replacements = dict(replacements or {})
    if inh_weight is not None:
        replacements['weight = {value = "-120"'] = f'weight = {{value = "{inh_weight}"'
    variant = _variant(tmp_path, replacements, {"input.input": "input_regular.eq"})
    built = _build(variant, "frozen", 1, n_exc, 15.0)
    built["input"].rate = 100 * Hz  # every 10 steps; v relaxes to about -60.5 mV meanwhile
    inputs, spikes = SpikeMonitor(built["input"]), SpikeMonitor(built["exc"])
    built.network.add(inputs, spikes)
    return built, inputs, spikes


def test_single_winner_exactly_one_spike_and_uniform_choice(tmp_path):
    built, inputs, spikes = _winner_network(tmp_path)
    brian2.seed(12)
    n_trials = 600
    built.network.run(n_trials * 10 * DT_MS * ms, namespace={})
    steps = _steps(spikes)
    # every input spike makes all five cross one step later, and exactly one spikes
    np.testing.assert_array_equal(steps, _steps(inputs)[: len(steps)] + 1)
    assert len(steps) == n_trials
    counts = np.bincount(np.asarray(spikes.i), minlength=5)
    chi2 = stats.chisquare(counts)
    assert chi2.pvalue > 0.01, counts
    assert counts.min() > 0.8 * n_trials / 5 and counts.max() < 1.2 * n_trials / 5
    # the quirk: every crosser was reset and is refractory, so all stay in lock-step
    np.testing.assert_allclose(built["exc"].v_[:], built["exc"].v_[0])


def test_at_most_k_spikes_per_step(tmp_path):
    built, inputs, spikes = _winner_network(
        tmp_path, {'max_spikes_per_step = {value = "1"': 'max_spikes_per_step = {value = "2"'}
    )
    built.network.run(200 * DT_MS * ms, namespace={})
    steps = _steps(spikes)
    assert len(steps) > 0
    per_step = np.bincount(steps)
    assert set(per_step[per_step > 0]) == {2}


def test_without_reset_all_crossers_the_losers_spike_in_the_next_steps(tmp_path):
    # losers are not reset, stay above threshold and win one by one in the next steps
    built, inputs, spikes = _winner_network(
        tmp_path,
        {'reset_all_crossers = {value = "1"': 'reset_all_crossers = {value = "0"'},
        inh_weight=0,
    )
    built.network.run(12 * DT_MS * ms, namespace={})
    first = int(_steps(inputs)[0]) + 1
    assert list(_steps(spikes)) == [first + k for k in range(5)]
    assert sorted(spikes.i) == list(range(5))


def test_quirk_resets_and_raises_theta_of_every_crosser_but_one_spikes():
    # train phase: 20 inputs of weight 1 fire together, so +20 mV makes all five cross;
    # every crosser gets theta_plus, only the winner spikes and sets its STDP trace
    variant = _variant(overrides={"input.input": "input_regular.eq"})
    built = _build(variant, "train", 20, 5, 1.0)
    built["input"].rate = 100 * Hz
    spikes = SpikeMonitor(built["exc"])
    built.network.add(spikes)
    built.network.run(8 * DT_MS * ms, namespace={})
    assert len(spikes.i) == 1
    crossing_time = float(spikes.t[0] / brian2.second)
    tau_theta = 1e4  # s
    end = 8 * DT_MS / 1000
    np.testing.assert_allclose(
        built["exc"].theta_[:],
        THETA_PLUS_MV * 1e-3 * math.exp(-(end - DT_MS / 1000 - crossing_time) / tau_theta),
        rtol=1e-12,
    )
    np.testing.assert_allclose(built["exc"].last_reset_time_[:], crossing_time)
    post_times = np.asarray(built["exc"].stdp_post_spike_time_[:])
    winner = int(spikes.i[0])
    assert post_times[winner] == pytest.approx(crossing_time)
    assert np.all(np.delete(post_times, winner) < 0)


def test_postpre_stdp_closed_form_on_hand_made_pairings():
    # one input, one exc neuron, train phase, no normalisation. Pre spikes are placed by
    # setting the input's next spike step, post spikes by lifting v above threshold before
    # the step. BindsNET: at a pre spike of step p, w -= nu_pre x_post(p); at a post spike
    # of step q, w += nu_post x_pre(q); traces 1 at a spike, times exp(-dt/tau) per step,
    # including the spikes of that same step (the pair at step 30).
    built = _build(_variant(), "train", 1, 1, 0.5)
    built["input_to_exc"].w = 0.5
    pre_steps, post_steps = [10, 30, 52], [4, 20, 30, 41, 60]
    network = built.network
    network.run(DT_MS * ms, namespace={})  # step 0 (the slot start draws the first spike)
    built["input"].rate = 0 * Hz
    built["input"].next_spike_step = 10**9
    done = 1
    for step in sorted(set(pre_steps) | set(post_steps)):
        network.run((step - done) * DT_MS * ms, namespace={})
        done = step
        if step in pre_steps:
            built["input"].next_spike_step = step
        if step in post_steps:
            built["exc"].v = -40 * mV
    recorder = SpikeMonitor(built["exc"])
    network.add(recorder)
    network.run((max(pre_steps + post_steps) + 3 - done) * DT_MS * ms, namespace={})
    nu_pre, nu_post, tau = 1e-4, 1e-2, 20.0

    def trace(at, spikes):
        earlier = [s for s in spikes if s <= at]
        return math.exp(-(at - max(earlier)) * DT_MS / tau) if earlier else 0.0

    expected = 0.5
    for step in range(max(pre_steps + post_steps) + 1):
        if step in pre_steps:
            expected -= nu_pre * trace(step, post_steps)
        if step in post_steps:
            expected += nu_post * trace(step, pre_steps)
    assert float(built["input_to_exc"].w[0]) == pytest.approx(expected, rel=1e-12)
    assert expected != pytest.approx(0.5)


def test_input_encoder_draws_bindsnet_poisson_intervals():
    # a 128 Hz input (white pixel at intensity 128): intervals max(Poisson(1000/128), 1)
    # steps, at most one spike per step; a zero rate never spikes
    brian2.defaultclock.dt = DT_MS * ms
    n_input = 1000
    long_slot = SlotTiming(dt=1e-3, presentation=2.5, rest=0.0)  # 10 x the study's, less edge
    state = {"input_to_exc.w": np.zeros((n_input, 1)), "exc.theta": np.zeros(1)}
    built = build_network(
        _variant(), "frozen", n_input=n_input, n_exc=1, timing=long_slot, saved_state=state
    )
    rates = np.full(n_input, 128.0)
    rates[:100] = 0.0
    built["input"].rate_[:] = rates
    monitor = SpikeMonitor(built["input"])
    built.network.add(monitor)
    brian2.seed(3)
    built.network.run(long_slot.slot_duration * brian2.second, namespace={})
    neuron, step = np.array(monitor.i), _steps(monitor)
    assert not np.any(neuron < 100)
    assert len(set(zip(neuron, step, strict=True))) == len(neuron)  # one spike per step at most
    lam = 1000 / 128 / DT_MS
    order = np.lexsort((step, neuron))
    neuron, step = neuron[order], step[order]
    same = neuron[1:] == neuron[:-1]
    intervals = np.diff(step)[same]
    first = step[np.r_[True, ~same]]
    assert intervals.min() >= 1
    # mean and variance of max(Poisson(lam), 1): lam + e^-lam, about lam
    assert intervals.mean() == pytest.approx(lam + math.exp(-lam), abs=0.03)
    assert intervals.var() == pytest.approx(lam, rel=0.05)
    # the first spike falls in step I_0 - 1
    assert (first + 1).mean() == pytest.approx(lam + math.exp(-lam), abs=0.3)


def test_rate_law_is_the_variants_parameter():
    assert variant_rate_per_pixel(load_variant(VARIANT)) == pytest.approx(1 / 255)
    for name in ("diehl_cook_2015", "capozzi_poster"):
        assert variant_rate_per_pixel(load_variant(name)) == DEFAULT_RATE_PER_PIXEL
    np.testing.assert_allclose(input_rates([0, 255], 128, 1 / 255), [0.0, 128.0])
    pixels = np.arange(256.0)
    np.testing.assert_array_equal(input_rates(pixels, 3.0), pixels / 8.0 * 3.0)


def test_runtime_engine_shows_the_study_rates_without_retry_or_rest():
    engine = RuntimeEngine(
        load_variant(VARIANT),
        n_input=200,
        n_exc=3,
        settings=ProtocolSettings(min_spikes=0, intensity_start=128.0),
        timing=TIMING,
        codegen_target="numpy",
    )
    images = np.zeros((2, 200))
    images[:, 100:] = 255
    records, controller, _ = engine.run_chunk(
        "frozen",
        images,
        ControllerState.initial(engine.settings),
        {"input_to_exc.w": np.zeros((200, 3)), "exc.theta": np.zeros(3)},
        seed=1,
        n_slots=2,
    )
    np.testing.assert_array_equal(records.position, [0, 1])  # no retry
    assert records.input_counts[:, :100].sum() == 0
    # 250 steps / (lam + e^-lam) intervals, lam = 1000/128: about 31.9 spikes per slot
    assert records.input_counts[:, 100:].mean() == pytest.approx(250 / 7.8129, abs=1.0)


def test_frozen_phase_normalises_when_the_variant_asks(tmp_path):
    brian2.defaultclock.dt = DT_MS * ms
    weights = np.random.default_rng(0).random((30, 4))
    for name, normalised in (("capozzi_study", True), ("diehl_cook_2015", False)):
        built = build_network(
            load_variant(name),
            "frozen",
            n_input=30,
            n_exc=4,
            timing=TIMING,
            saved_state={"input_to_exc.w": weights, "exc.theta": np.zeros(4)},
            normalisation_target=7.84,
        )
        built.network.run(DT_MS * ms, namespace={})
        sums = built.read_state(["input_to_exc.w"])["input_to_exc.w"].sum(axis=0)
        if normalised:
            np.testing.assert_allclose(sums, 7.84, rtol=1e-12)
        else:
            np.testing.assert_allclose(sums, weights.sum(axis=0), rtol=1e-12)


def test_shipped_variants_keep_brian2s_schedule():
    for name in ("diehl_cook_2015", "capozzi_poster"):
        built = build_network(load_variant(name), "train", n_input=4, n_exc=3)
        assert "exc_spike_selection" not in built.objects
        assert not built["exc"].events.keys() - {"spike"}
        for pathway in ("input_to_exc", "exc_to_inh", "inh_to_exc"):
            assert {p.when for p in built[pathway]._pathways} == {"synapses"}


def test_delay_steps_and_random_delays_exclude_each_other(tmp_path):
    variant = _variant(
        tmp_path,
        {
            'weight_offset = {value = "0"': 'delay_max = {value = "5 ms", source = "test"}\n'
            'weight_offset = {value = "0"'
        },
    )
    with pytest.raises(ParameterError, match="delay_steps"):
        build_network(variant, "train", n_input=2, n_exc=2, timing=TIMING)


@pytest.mark.standalone
def test_standalone_engine_runs_the_study_protocol(tmp_path):
    # the compiled program: the study's rate law in the stimulus feed, no retry, at most one
    # excitatory spike per step (the selection under C++), weights normalised to 78.4
    from diehl_cook.simulation.standalone import StandaloneEngine

    engine = StandaloneEngine(
        load_variant(VARIANT),
        n_input=784,
        n_exc=10,
        settings=ProtocolSettings(min_spikes=0, intensity_start=128.0),
        timing=TIMING,
        build_root=tmp_path,
    )
    images = np.zeros((3, 784))
    images[:, 300:450] = 255
    records, _, state = engine.run_chunk(
        "train", images, ControllerState.initial(engine.settings), None, 1, 3, True
    )
    np.testing.assert_array_equal(records.position, [0, 1, 2])
    assert records.input_counts[:, :300].sum() == 0
    assert records.input_counts[:, 300:450].mean() == pytest.approx(250 / 7.8129, abs=1.0)
    exc = records.spike_trains["exc"]
    assert len(exc.row) > 0
    steps = np.round(exc.time / 1e-3).astype(int)
    assert len(set(zip(exc.row, steps, strict=True))) == len(exc.row)
    # normalised at the last slot start: the columns of neurons silent in that slot kept
    # their sum (no post spike, so no trace and no change), the others grew by STDP
    sums = state["input_to_exc.w"].sum(axis=0)
    silent = records.exc_counts[-1] == 0
    assert silent.any() and not silent.all()
    np.testing.assert_allclose(sums[silent], 78.4, rtol=1e-9)
    assert np.all(sums[~silent] > 78.4)
