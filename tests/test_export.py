"""Export of a run's recorded spikes to NWB (pynwb) and Neo (read back with Elephant)."""

import shutil
import sys

import numpy as np
import pytest

from diehl_cook.__main__ import main
from diehl_cook.errors import DiehlCookError, RunFolderError
from diehl_cook.export import read_run, to_neo, to_nwb, write_neo
from diehl_cook.run_folder import RunFolder

pynwb = pytest.importorskip("pynwb")
neo = pytest.importorskip("neo")

pytestmark = pytest.mark.data  # the tiny run trains on MNIST


def _recorded(run_dir):
    """Spike trains and test records of the run folder, straight from RunFolder."""
    folder = RunFolder(run_dir)
    records = folder.read_phase_records("test")
    n_exc = records["exc_counts"].shape[1]
    spikes = folder.read_spike_trains(
        {"input": records["input_counts"].shape[1], "exc": n_exc, "inh": n_exc}
    )
    return spikes, records


def _counts(trains, n_presentations, n_neurons, before=None):
    """``counts[presentation, neuron]`` of a layer (spikes before ``before`` s only)."""
    keep = np.ones(len(trains.row), bool) if before is None else trains.time < before
    counts = np.zeros((n_presentations, n_neurons), np.int64)
    np.add.at(counts, (trains.row[keep], trains.neuron[keep]), 1)
    return counts


@pytest.fixture(scope="module")
def nwb_path(tiny_run, tmp_path_factory):
    return to_nwb(tiny_run, tmp_path_factory.mktemp("nwb") / "tiny.nwb")


@pytest.fixture(scope="module")
def block(tiny_run):
    return to_neo(tiny_run)


# -- NWB ---------------------------------------------------------------------------------


def test_nwb_file_passes_the_validator(nwb_path):
    assert pynwb.validate(path=str(nwb_path)) == []


def test_nwb_units_trials_and_round_trip_counts(tiny_run, nwb_path):
    spikes, records = _recorded(tiny_run)
    n = spikes.n_presentations
    slot = spikes.presentation_s + spikes.rest_s
    with pynwb.NWBHDF5IO(str(nwb_path), "r") as io:
        nwbfile = io.read()
        units = nwbfile.units.to_dataframe()
        inputs = nwbfile.processing["input"]["input_units"].to_dataframe()
        trials = nwbfile.trials.to_dataframe()
        description = nwbfile.session_description
        assert nwbfile.units.resolution == pytest.approx(0.5e-3)
    assert f"first {n} of the {len(records['image_index'])} test presentations" in description
    assert "output.record_spike_times" in description

    # one row per neuron, the layer as a column
    assert list(units["layer"].value_counts().sort_index().items()) == [
        ("exc", spikes.n_neurons["exc"]),
        ("inh", spikes.n_neurons["inh"]),
    ]
    assert len(inputs) == spikes.n_neurons["input"]

    # one trial per recorded presentation, with its per-presentation records
    assert len(trials) == n
    np.testing.assert_allclose(trials["start_time"], np.arange(n) * slot)
    np.testing.assert_allclose(trials["stop_time"] - trials["start_time"], spikes.presentation_s)
    np.testing.assert_array_equal(trials["image_index"], spikes.image_index)
    np.testing.assert_array_equal(trials["label"], spikes.labels)
    rows = spikes.image_index  # the first test images
    np.testing.assert_array_equal(trials["intensity"], records["intensity"][rows])
    np.testing.assert_array_equal(trials["retries"], records["retries"][rows])

    # round trip: per layer, every spike of the run folder, and the per-trial counts
    tables = {
        "exc": units[units["layer"] == "exc"],
        "inh": units[units["layer"] == "inh"],
        "input": inputs,
    }
    for layer, table in tables.items():
        exported = np.zeros((n, spikes.n_neurons[layer]), np.int64)
        windowed = np.zeros_like(exported)
        for neuron, times in zip(table["neuron_index"], table["spike_times"], strict=True):
            times = np.asarray(times)
            exported[:, neuron] = np.bincount(
                np.floor(times / slot + 1e-9).astype(int), minlength=n
            )
            for k, trial in enumerate(trials.itertuples()):
                windowed[k, neuron] = np.sum(
                    (times >= trial.start_time) & (times < trial.stop_time)
                )
        trains = spikes.layers[layer]
        np.testing.assert_array_equal(exported, _counts(trains, n, spikes.n_neurons[layer]))
        assert exported.sum() == len(trains.row) > 0 or layer == "inh"
        if layer != "inh":  # the run folder counts input and exc spikes per presentation
            np.testing.assert_array_equal(windowed, records[f"{layer}_counts"][rows])


def test_nwb_holds_weights_theta_and_config(tiny_run, nwb_path):
    folder = RunFolder(tiny_run)
    state = folder.read_state()
    with pynwb.NWBHDF5IO(str(nwb_path), "r") as io:
        nwbfile = io.read()
        table = nwbfile.processing["network"]["excitatory_state"]
        weights = np.asarray(table["input_weights"].data[:])
        theta = np.asarray(table["theta"].data[:])
        assigned = np.asarray(table["assigned_class"].data[:])
        files = nwbfile.processing["network"]["model_files"].to_dataframe()
        protocol = nwbfile.protocol
    np.testing.assert_array_equal(weights, state["input_to_exc.w"].T)
    np.testing.assert_array_equal(theta, state["exc.theta"])
    np.testing.assert_array_equal(assigned, folder.read_assignments())
    assert protocol == folder.config_path.read_text()
    assert "diehl_cook_2015.params.toml" in set(files["file_name"])


# -- Neo and Elephant ----------------------------------------------------------------


def test_neo_block_has_one_segment_per_recorded_presentation(tiny_run, block):
    spikes, _ = _recorded(tiny_run)
    assert len(block.segments) == spikes.n_presentations
    assert f"first {spikes.n_presentations} of the 10 test presentations" in block.description
    n_trains = sum(spikes.n_neurons.values())
    for k, segment in enumerate(block.segments):
        assert len(segment.spiketrains) == n_trains
        assert segment.annotations["image_index"] == spikes.image_index[k]
        assert segment.annotations["label"] == spikes.labels[k]
        train = segment.spiketrains[0]
        assert train.units == neo.SpikeTrain([], units="s", t_stop=1).units
        assert set(train.annotations) >= {"layer", "neuron_index"}
    assert [group.name for group in block.groups] == ["input", "exc", "inh"]


def test_elephant_rates_and_counts_equal_the_run_folder(tiny_run, block):
    statistics = pytest.importorskip("elephant.statistics")
    import quantities as pq

    spikes, records = _recorded(tiny_run)
    n = spikes.n_presentations
    slot = (spikes.presentation_s + spikes.rest_s) * pq.s
    counts = {
        layer: _counts(trains, n, spikes.n_neurons[layer])
        for layer, trains in spikes.layers.items()
    }
    window = {
        layer: _counts(spikes.layers[layer], n, spikes.n_neurons[layer], spikes.presentation_s)
        for layer in ("input", "exc")
    }
    seen = {layer: 0 for layer in counts}
    for k, segment in enumerate(block.segments):
        presentation = segment.epochs[0]
        start = presentation.times[0]
        stop = start + presentation.durations[0]
        for train in segment.spiketrains:
            layer, neuron = train.annotations["layer"], train.annotations["neuron_index"]
            expected = counts[layer][k, neuron]
            rate = statistics.mean_firing_rate(train)
            assert rate.rescale(pq.Hz).magnitude == pytest.approx(
                (expected / slot).rescale(pq.Hz).magnitude
            )
            assert len(train) == expected
            if layer in window:
                in_window = statistics.mean_firing_rate(train.time_slice(start, stop))
                assert round(float(in_window * (stop - start))) == window[layer][k, neuron]
            seen[layer] += len(train)
    assert seen == {layer: len(trains.row) for layer, trains in spikes.layers.items()}
    np.testing.assert_array_equal(window["exc"], records["exc_counts"][spikes.image_index])


def test_neo_layers_can_be_chosen(tiny_run):
    block = to_neo(tiny_run, layers=["exc"])
    assert {train.annotations["layer"] for train in block.segments[0].spiketrains} == {"exc"}
    with pytest.raises(DiehlCookError, match="unknown layer"):
        to_neo(tiny_run, layers=["output"])


@pytest.mark.parametrize("suffix", [".pkl", ".nix"])
def test_neo_file_reads_back(tiny_run, tmp_path, suffix):
    if suffix == ".nix":
        pytest.importorskip("nixio")
    path = write_neo(tiny_run, tmp_path / f"tiny{suffix}", layers=["exc", "inh"])
    io = neo.io.PickleIO(str(path)) if suffix == ".pkl" else neo.io.NixIO(str(path), "ro")
    try:
        read = io.read_block()
    finally:
        if hasattr(io, "close"):
            io.close()
    expected = to_neo(tiny_run, layers=["exc", "inh"])
    assert len(read.segments) == len(expected.segments)
    for ours, theirs in zip(read.segments, expected.segments, strict=True):
        assert [len(t) for t in ours.spiketrains] == [len(t) for t in theirs.spiketrains]


# -- errors and the command line ------------------------------------------------------


@pytest.fixture
def run_without_spike_trains(tiny_run, tmp_path):
    copy = tmp_path / "no_trains"
    shutil.copytree(tiny_run, copy, ignore=shutil.ignore_patterns("analysis", "export"))
    RunFolder(copy).spike_trains_path.unlink()
    return copy


def test_a_run_without_spike_trains_is_a_clear_error(run_without_spike_trains, tmp_path):
    for export in (
        lambda: to_nwb(run_without_spike_trains, tmp_path / "x.nwb"),
        lambda: to_neo(run_without_spike_trains),
    ):
        with pytest.raises(RunFolderError, match="record_spike_times"):
            export()


@pytest.mark.parametrize("module", ["pynwb", "neo"])
def test_missing_dependency_names_the_extra(tiny_run, tmp_path, monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    export = to_nwb if module == "pynwb" else write_neo
    with pytest.raises(DiehlCookError, match=r"pip install \"diehl_cook\[export\]\""):
        export(tiny_run, tmp_path / ("x.nwb" if module == "pynwb" else "x.pkl"))


def test_export_command(tiny_run, tmp_path, capsys, run_without_spike_trains):
    output = tmp_path / "cli.nwb"
    assert main(["export", str(tiny_run), "--format", "nwb", "--output", str(output)]) == 0
    assert str(output) in capsys.readouterr().out
    assert pynwb.validate(path=str(output)) == []
    # an existing file is kept unless --overwrite
    assert main(["export", str(tiny_run), "--output", str(output)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", str(tiny_run), "--output", str(output), "--overwrite"]) == 0
    neo_out = tmp_path / "cli.neo.pkl"
    assert main(["export", str(tiny_run), "--format", "neo", "--output", str(neo_out)]) == 0
    assert neo_out.is_file()
    assert main(["export", str(run_without_spike_trains), "--format", "neo"]) == 2
    assert "record_spike_times" in capsys.readouterr().err


def test_read_run_lays_presentations_end_to_end(tiny_run):
    run = read_run(tiny_run)
    assert run.slot_s == pytest.approx(0.5)
    np.testing.assert_allclose(run.onsets, np.arange(run.n_presentations) * 0.5)
    assert run.n_test == 10
    assert run.n_presentations == 4
    times = run.spike_times("exc")
    assert np.all(np.diff(times) >= 0)
    assert times.max(initial=0) < run.duration_s
