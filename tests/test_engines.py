"""The protocol, both engines, their equivalence, resuming and the standalone build cache."""

import numpy as np
import pytest

from diehl_cook.model import load_variant
from diehl_cook.simulation import (
    ChunkRecords,
    ControllerState,
    PhaseRecords,
    ProtocolSettings,
    SpikeTrains,
    chunk_seed,
    decide,
    input_rates,
    run_phase,
)
from diehl_cook.simulation.runtime import RuntimeEngine

SETTINGS = ProtocolSettings()


def test_decide_advances_or_retries_at_higher_intensity():
    state = ControllerState.initial(SETTINGS)
    state, accepted = decide(state, SETTINGS)
    assert accepted and state == ControllerState(0, 2.0, 0, 0)
    state, accepted = decide(ControllerState(0, 2.0, 0, 4), SETTINGS)
    assert not accepted and state == ControllerState(0, 3.0, 1, 0)
    state, accepted = decide(ControllerState(0, 3.0, 1, 5), SETTINGS)
    assert accepted and state == ControllerState(1, 2.0, 0, 0)
    state, accepted = decide(ControllerState(7, 22.0, 20, 0), SETTINGS)
    assert accepted and state.position == 8  # max_retries reached


def test_input_rates_follow_pixel_over_8_times_intensity():
    np.testing.assert_allclose(input_rates([0, 128, 255], 2.0), [0.0, 32.0, 63.75])


def test_chunk_seed_is_a_pure_function():
    assert chunk_seed(1, "train", 3) == chunk_seed(1, "train", 3)
    assert len({chunk_seed(1, "train", k) for k in range(50)}) == 50
    assert chunk_seed(1, "train", 0) != chunk_seed(1, "test", 0)


def test_phase_records_keep_accepted_slots_only():
    counts = np.array([[5, 0], [1, 1], [3, 3], [0, 0]], dtype=np.uint16)
    chunk = ChunkRecords(
        position=np.array([0, 1, 1, 2]),
        intensity=np.array([2.0, 2.0, 3.0, 2.0]),
        retries=np.array([0, 0, 1, 0]),
        exc_counts=counts,
        input_counts=np.zeros((4, 3), dtype=np.uint16),
    )
    records = PhaseRecords.from_chunks([chunk], SETTINGS, n_images=2)
    np.testing.assert_array_equal(records.image_index, [0, 1])
    np.testing.assert_array_equal(records.retries, [0, 1])
    assert records.n_slots == 3


def test_spike_trains_follow_their_accepted_presentations():
    # slot 1 is a failed try of image 1 (2 spikes < 5): its spikes are dropped, and the
    # spikes of slot 2 (the accepted retry) become presentation row 1
    counts = np.array([[5, 0], [1, 1], [3, 3]], dtype=np.uint16)
    slot_duration = 0.5
    exc = SpikeTrains.from_monitor(
        neuron=[0, 0, 1, 0, 1],
        time=[0.010, 0.5 + 0.020, 0.5 + 0.030, 1.0 + 0.040, 1.0 + 0.300],
        slot_duration=slot_duration,
    )
    np.testing.assert_array_equal(exc.row, [0, 1, 1, 2, 2])
    np.testing.assert_allclose(exc.time, [0.010, 0.020, 0.030, 0.040, 0.300])
    chunk = ChunkRecords(
        position=np.array([0, 1, 1]),
        intensity=np.array([2.0, 2.0, 3.0]),
        retries=np.array([0, 0, 1]),
        exc_counts=counts,
        input_counts=np.zeros((3, 3), dtype=np.uint16),
        spike_trains={"exc": exc},
    )
    restored = ChunkRecords.from_arrays(chunk.arrays())
    np.testing.assert_array_equal(restored.spike_trains["exc"].time, exc.time)
    records = PhaseRecords.from_chunks([restored], SETTINGS, n_images=2)
    trains = records.spike_trains["exc"]
    np.testing.assert_array_equal(trains.row, [0, 1, 1])
    np.testing.assert_array_equal(trains.neuron, [0, 0, 1])
    np.testing.assert_allclose(trains.time, [0.010, 0.040, 0.300])


def test_two_chunks_kept_as_accepted_parts_give_the_records_of_all_slots():
    # image 1 fails in chunk 0 (2 spikes) and is accepted at its retry in chunk 1; the
    # last slot of chunk 1 is idle (position 3 >= n_images): 4 slots used, 3 images
    first = ChunkRecords(
        position=np.array([0, 1]),
        intensity=np.array([2.0, 2.0]),
        retries=np.array([0, 0]),
        exc_counts=np.array([[5, 0], [1, 1]], dtype=np.uint16),
        input_counts=np.array([[1, 2], [3, 4]], dtype=np.uint16),
        spike_trains={
            "exc": SpikeTrains(np.array([0, 1]), np.array([0, 1]), np.array([0.1, 0.2]))
        },
    )
    second = ChunkRecords(
        position=np.array([1, 2, 3]),
        intensity=np.array([3.0, 2.0, 2.0]),
        retries=np.array([1, 0, 0]),
        exc_counts=np.array([[3, 3], [0, 6], [9, 9]], dtype=np.uint16),
        input_counts=np.array([[5, 6], [7, 8], [9, 9]], dtype=np.uint16),
        spike_trains={
            "exc": SpikeTrains(np.array([0, 1, 2]), np.array([1, 1, 0]), np.full(3, 0.3))
        },
    )
    parts = [chunk.accepted(SETTINGS, 3) for chunk in (first, second)]
    np.testing.assert_array_equal(parts[1].position, [1, 2])
    from_parts = PhaseRecords.from_accepted(parts, n_slots=4)
    from_slots = PhaseRecords.from_chunks([first, second], SETTINGS, n_images=3)
    for records in (from_parts, from_slots):
        np.testing.assert_array_equal(records.image_index, [0, 1, 2])
        np.testing.assert_array_equal(records.exc_counts, [[5, 0], [3, 3], [0, 6]])
        np.testing.assert_array_equal(records.input_counts, [[1, 2], [5, 6], [7, 8]])
        np.testing.assert_array_equal(records.intensity, [2.0, 3.0, 2.0])
        np.testing.assert_array_equal(records.retries, [0, 1, 0])
        assert records.n_slots == 4
        # the failed slot's spike (row 1 of chunk 0) and the idle slot's are dropped
        np.testing.assert_array_equal(records.spike_trains["exc"].row, [0, 1, 2])
        np.testing.assert_array_equal(records.spike_trains["exc"].neuron, [0, 1, 1])


def _counts_from_trains(trains, n_rows, n_neurons, window):
    counts = np.zeros((n_rows, n_neurons), dtype=np.int64)
    inside = trains.time < window
    np.add.at(counts, (trains.row[inside], trains.neuron[inside]), 1)
    return counts


def test_recorded_spike_times_match_the_counts_for_the_first_images():
    engine = _runtime_engine(load_variant("diehl_cook_2015"), 64, 4)
    state = {"input_to_exc.w": np.full((64, 4), 0.3), "exc.theta": np.full(4, 0.020)}
    records, _, _ = run_phase(
        engine,
        "test",
        _images(4, 64, seed=6),
        learned_state=state,
        seed=3,
        chunk_slots=2,
        progress=False,
        record_spikes_images=3,
    )
    assert set(records.spike_trains) == {"input", "exc", "inh"}
    window = engine.timing.presentation
    for layer, counts in (("input", records.input_counts), ("exc", records.exc_counts)):
        trains = records.spike_trains[layer]
        assert trains.row.max() == 2  # the fourth image was not recorded
        np.testing.assert_array_equal(
            _counts_from_trains(trains, 3, counts.shape[1], window), counts[:3]
        )
    assert len(records.spike_trains["inh"].row) > 0


def _images(n_images, n_pixels, seed=0, dim=()):
    rng = np.random.default_rng(seed)
    images = ((rng.random((n_images, n_pixels)) < 0.3) * 255).astype(np.uint8)
    for index in dim:
        images[index] = (images[index] > 0) * 4  # too faint for 5 spikes at intensity 2
    return images


def _runtime_engine(variant, n_input, n_exc):
    return RuntimeEngine(
        variant, n_input=n_input, n_exc=n_exc, settings=SETTINGS, codegen_target="numpy"
    )


def _assert_resume_gives_the_uninterrupted_result(engine, images, checkpoint_dir, **kwargs):
    """Stop a training phase after one chunk, resume it, compare with an uninterrupted run."""
    kwargs = dict(learned_state=None, progress=False, **kwargs)
    full, full_state, _ = run_phase(engine, "train", images, **kwargs)
    stopped, _, _ = run_phase(
        engine, "train", images, checkpoint_dir=checkpoint_dir, max_chunks=1, **kwargs
    )
    assert stopped is None and (checkpoint_dir / "state_000000.npz").is_file()
    resumed, resumed_state, _ = run_phase(
        engine, "train", images, checkpoint_dir=checkpoint_dir, **kwargs
    )
    np.testing.assert_array_equal(resumed.exc_counts, full.exc_counts)
    np.testing.assert_array_equal(resumed.input_counts, full.input_counts)
    np.testing.assert_array_equal(resumed_state["input_to_exc.w"], full_state["input_to_exc.w"])
    np.testing.assert_array_equal(resumed_state["exc.theta"], full_state["exc.theta"])


def test_runtime_resume_gives_the_uninterrupted_result(tmp_path):
    engine = _runtime_engine(load_variant("diehl_cook_2015"), 64, 4)
    _assert_resume_gives_the_uninterrupted_result(
        engine, _images(6, 64, seed=1), tmp_path, seed=5, chunk_slots=3
    )


def test_frozen_phase_changes_neither_weights_nor_theta():
    variant = load_variant("diehl_cook_2015")
    engine = _runtime_engine(variant, 64, 4)
    rng = np.random.default_rng(2)
    state = {"input_to_exc.w": rng.random((64, 4)) * 0.3, "exc.theta": np.full(4, 0.021)}
    records, new_state, _ = run_phase(
        engine,
        "label",
        _images(3, 64),
        learned_state=state,
        seed=0,
        chunk_slots=4,
        progress=False,
    )
    assert len(records.image_index) == 3
    np.testing.assert_array_equal(new_state["input_to_exc.w"], state["input_to_exc.w"])
    np.testing.assert_array_equal(new_state["exc.theta"], state["exc.theta"])


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    """One build cache for the standalone tests of this module."""
    return tmp_path_factory.mktemp("standalone_builds")


@pytest.mark.standalone
class TestStandalone:
    """Builds standalone programs (20-45 s each on 2 cores, then cached for the class)."""

    def _engine(self, variant, build_root, n_exc=12):
        from diehl_cook.simulation.standalone import StandaloneEngine

        return StandaloneEngine(
            variant, n_input=784, n_exc=n_exc, settings=SETTINGS, build_root=build_root
        )

    def test_engines_agree_on_deterministic_input_including_a_retry(self, build_root):
        variant = load_variant("diehl_cook_2015", {"input.input": "input_regular.eq"})
        images = _images(5, 784, seed=3, dim=[2])
        kwargs = dict(learned_state=None, seed=1, chunk_slots=4, progress=False)
        engine = self._engine(variant, build_root)
        standalone, standalone_state, _ = run_phase(engine, "train", images, **kwargs)
        runtime, runtime_state, _ = run_phase(
            _runtime_engine(variant, 784, 12), "train", images, **kwargs
        )
        # the program ran with the rewritten thresholders (diehl_cook.simulation.source_patches)
        code_objects = engine._project.directory / "code_objects"
        for layer in ("input", "exc", "inh"):
            source = (code_objects / f"{layer}_spike_thresholder_codeobject.cpp").read_text()
            assert "by blocks of 8 neurons" in source
        # ... the synaptic events' exp without the underflow path, the time constants' cached
        assert (
            "_diehl_cook_exp(" in (code_objects / "input_to_exc_post_codeobject.cpp").read_text()
        )
        for layer in ("exc", "inh"):
            source = (code_objects / f"{layer}_stateupdater_codeobject.cpp").read_text()
            assert "cache_constant_exps" in source
        assert standalone.retries[2] >= 1 and standalone.intensity[2] > 2.0
        np.testing.assert_array_equal(standalone.retries, runtime.retries)
        np.testing.assert_array_equal(standalone.exc_counts, runtime.exc_counts)
        np.testing.assert_array_equal(standalone.input_counts, runtime.input_counts)
        np.testing.assert_allclose(
            standalone_state["input_to_exc.w"], runtime_state["input_to_exc.w"], atol=1e-12
        )
        np.testing.assert_allclose(
            standalone_state["exc.theta"], runtime_state["exc.theta"], rtol=1e-12
        )

    def test_synapses_ordered_by_delay_give_the_spikes_of_brian2s_order(self, build_root):
        # 400 neurons: runs of about 400 / 21 synapses per delay step, so the spike queue
        # appends both short runs one by one and long ones at once
        images = _images(4, 784, seed=3, dim=[2])
        kwargs = dict(learned_state=None, seed=1, chunk_slots=4, progress=False)
        results, queues = {}, {}
        for order in ("pre", "pre_delay"):
            variant = load_variant(
                "diehl_cook_2015_population",
                {"input.input": "input_regular.eq"},
                parameter_overrides={"input_to_exc.connectivity.synapse_order": order},
            )
            engine = self._engine(variant, build_root, n_exc=400)
            results[order] = run_phase(engine, "train", images, **kwargs)
            queues[order] = (engine._project.directory / "brianlib" / "spikequeue.h").read_text()
        assert "one append per run" in queues["pre_delay"]
        # Brian2's order: Brian2's per-synapse loop, without its division
        assert "one append per run" not in queues["pre"] and "no division" in queues["pre"]
        assert "[(offset+delay)%queue.size()]" not in queues["pre"] + queues["pre_delay"]
        (default, default_state, _), (reordered, reordered_state, _) = results.values()
        assert default.retries[2] >= 1
        assert default.exc_counts.sum() > 20
        np.testing.assert_array_equal(reordered.retries, default.retries)
        np.testing.assert_array_equal(reordered.exc_counts, default.exc_counts)
        np.testing.assert_array_equal(reordered.input_counts, default.input_counts)
        # the additions to a conductance within a step come in another order
        for key in ("input_to_exc.w", "exc.theta"):
            np.testing.assert_allclose(reordered_state[key], default_state[key], rtol=1e-12)

    def test_engines_record_the_same_spike_times(self, build_root):
        variant = load_variant("diehl_cook_2015", {"input.input": "input_regular.eq"})
        state = {
            "input_to_exc.w": np.random.default_rng(8).random((784, 12)) * 0.3,
            "exc.theta": np.full(12, 0.020),
        }
        kwargs = dict(learned_state=state, seed=2, chunk_slots=3, progress=False)
        images = _images(3, 784, seed=4)
        standalone, _, _ = run_phase(
            self._engine(variant, build_root), "test", images, record_spikes_images=2, **kwargs
        )
        runtime, _, _ = run_phase(
            _runtime_engine(variant, 784, 12), "test", images, record_spikes_images=2, **kwargs
        )
        for layer in ("input", "exc", "inh"):
            ours, theirs = standalone.spike_trains[layer], runtime.spike_trains[layer]
            order_ours = np.lexsort((ours.neuron, ours.time, ours.row))
            order_theirs = np.lexsort((theirs.neuron, theirs.time, theirs.row))
            np.testing.assert_array_equal(ours.row[order_ours], theirs.row[order_theirs])
            np.testing.assert_array_equal(ours.neuron[order_ours], theirs.neuron[order_theirs])
            np.testing.assert_allclose(ours.time[order_ours], theirs.time[order_theirs], atol=1e-9)
        assert len(standalone.spike_trains["exc"].row) > 0
        np.testing.assert_array_equal(
            _counts_from_trains(standalone.spike_trains["exc"], 2, 12, 0.35),
            standalone.exc_counts[:2],
        )

    def test_normalisation_inside_standalone(self, build_root):
        variant = load_variant("diehl_cook_2015", {"input.input": "input_regular.eq"})
        engine = self._engine(variant, build_root)
        weights = np.random.default_rng(4).random((784, 12))
        # no images: no spikes, so the weights after the chunk are the normalised ones
        records, _, state = engine.run_chunk(
            "train",
            np.zeros((0, 784)),
            ControllerState.initial(SETTINGS),
            {"input_to_exc.w": weights},
            0,
            4,
        )
        assert records.exc_counts.sum() == 0
        # the chunk's stimulus file is removed after the run (the build cache does not grow)
        static_arrays = engine._project.directory / "static_arrays"
        assert list(static_arrays.glob("init_stimulus_values_*")) == []
        np.testing.assert_allclose(state["input_to_exc.w"].sum(axis=0), 78.0, rtol=1e-12)
        np.testing.assert_allclose(
            state["input_to_exc.w"] / weights,
            np.broadcast_to(78.0 / weights.sum(axis=0), weights.shape),
        )

    def test_a_chunk_stops_once_its_images_are_done(self, build_root):
        variant = load_variant("diehl_cook_2015", {"input.input": "input_regular.eq"})
        images = _images(2, 784, seed=3)
        state = {
            "input_to_exc.w": np.random.default_rng(8).random((784, 12)) * 0.3,
            "exc.theta": np.full(12, 0.020),
        }
        initial = ControllerState.initial(SETTINGS)
        engine = self._engine(variant, build_root)
        standalone, standalone_controller, standalone_state = engine.run_chunk(
            "train", images, initial, state, 1, 8
        )
        runtime, runtime_controller, runtime_state = _runtime_engine(variant, 784, 12).run_chunk(
            "train", images, initial, state, 1, 8
        )
        # two images accepted at the first try, then one idle slot, not six
        np.testing.assert_array_equal(standalone.position, [0, 1, 2])
        np.testing.assert_array_equal(runtime.position, [0, 1, 2])
        assert standalone.exc_counts[:2].sum(axis=1).min() >= SETTINGS.min_spikes
        np.testing.assert_array_equal(standalone.exc_counts, runtime.exc_counts)
        assert standalone_controller == runtime_controller
        np.testing.assert_allclose(
            standalone_state["exc.theta"], runtime_state["exc.theta"], rtol=1e-12
        )
        # the program's time loop reads the CPU clock once, after the loop
        network_source = (engine._project.directory / "network.cpp").read_text()
        assert "CPU clock read once, after the loop" in network_source
        assert network_source.count("std::clock()") == 3  # start, report, after the loop

    def test_standalone_resume_gives_the_uninterrupted_result(self, build_root, tmp_path):
        variant = load_variant("diehl_cook_2015")  # Poisson input: tests the chunk seeds
        _assert_resume_gives_the_uninterrupted_result(
            self._engine(variant, build_root),
            _images(6, 784, seed=5),
            tmp_path,
            seed=9,
            chunk_slots=4,
        )

    def test_cache_reuses_unchanged_builds_and_rebuilds_changed_equations(
        self, build_root, tmp_path
    ):
        import json
        import subprocess
        import sys

        from diehl_cook.model import shipped_equations_dir

        # a second new process, as a new run would be, finds the first one's build up to date
        script = (
            "import json, numpy as np\n"
            "from diehl_cook.model import load_variant\n"
            "from diehl_cook.simulation import ControllerState, ProtocolSettings\n"
            "from diehl_cook.simulation.standalone import StandaloneEngine\n"
            "v = load_variant('diehl_cook_2015', {'input.input': 'input_regular.eq'})\n"
            "s = ProtocolSettings()\n"
            "e = StandaloneEngine(v, n_input=784, n_exc=12, settings=s,"
            f" build_root={str(build_root)!r})\n"
            "e.run_chunk('train', np.zeros((0, 784)), ControllerState.initial(s), None, 0, 4)\n"
            "print(json.dumps(e.compile_seconds))\n"
        )

        def build_in_new_process():
            output = subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, check=True
            ).stdout
            return json.loads(output.strip().splitlines()[-1])

        build_in_new_process()  # builds, unless an earlier run left the same build
        compile_seconds = build_in_new_process()
        assert list(compile_seconds.values()) == [0.0]
        changed = tmp_path / "input_regular.eq"
        changed.write_text(
            (shipped_equations_dir() / "input_regular.eq")
            .read_text()
            .replace("t + 0.5 / (rate + rate_floor)", "t + 0.25 / (rate + rate_floor)")
        )
        changed_variant = load_variant("diehl_cook_2015", {"input.input": str(changed)})
        changed_engine = self._engine(changed_variant, build_root)
        run_phase(
            changed_engine,
            "train",
            _images(2, 784),
            learned_state=None,
            seed=1,
            chunk_slots=4,
            progress=False,
        )
        (changed_key,) = changed_engine.compile_seconds
        assert changed_key not in compile_seconds
        assert changed_engine.compile_seconds[changed_key] > 0.0

    def test_two_openmp_threads_give_the_spikes_of_one(self, build_root):
        from diehl_cook.simulation.standalone import StandaloneEngine

        variant = load_variant("diehl_cook_2015", {"input.input": "input_regular.eq"})
        engine = StandaloneEngine(
            variant, n_input=784, n_exc=12, settings=SETTINGS, build_root=build_root, threads=2
        )
        images = _images(5, 784, seed=3, dim=[2])
        kwargs = dict(learned_state=None, seed=1, chunk_slots=4, progress=False)
        threaded, threaded_state, _ = run_phase(engine, "train", images, **kwargs)
        assert engine._project.key.endswith("-threads2")
        # the slot-start sums over synapses run on one thread: no lost additions
        weights = np.random.default_rng(4).random((784, 12))
        _, _, normalised = engine.run_chunk(
            "train",
            np.zeros((0, 784)),
            ControllerState.initial(SETTINGS),
            {"input_to_exc.w": weights},
            0,
            4,
        )
        np.testing.assert_allclose(normalised["input_to_exc.w"].sum(axis=0), 78.0, rtol=1e-12)
        # one thread: the runtime engine, equal to the standalone one (test above)
        single, single_state, _ = run_phase(
            _runtime_engine(variant, 784, 12), "train", images, **kwargs
        )
        assert threaded.retries[2] >= 1
        np.testing.assert_array_equal(threaded.retries, single.retries)
        np.testing.assert_array_equal(threaded.exc_counts, single.exc_counts)
        np.testing.assert_array_equal(threaded.input_counts, single.input_counts)
        np.testing.assert_allclose(
            threaded_state["input_to_exc.w"], single_state["input_to_exc.w"], atol=1e-12
        )
        np.testing.assert_allclose(
            threaded_state["exc.theta"], single_state["exc.theta"], rtol=1e-12
        )
