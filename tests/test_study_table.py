"""Table 2 in the study's form (diehl_cook.analysis.study_table): hand computations in nats,
exact zeros, entropies, the calibration of the circular-shift null, and the files."""

import json
import math
import time

import numpy as np
import pytest

from diehl_cook.analysis.study_table import (
    STUDY_MI_THRESHOLD_NATS,
    STUDY_TABLE_CSV,
    STUDY_TABLE_JSON,
    STUDY_TABLE_MD,
    binned_presentation,
    circular_shift_pvalues,
    format_neuron_set,
    study_information_matrix,
    study_record_count,
    study_record_indices,
    study_table,
    study_table_texts,
    time_step_of_config,
)
from diehl_cook.information import entropy
from diehl_cook.run_folder import RecordedSpikes
from diehl_cook.simulation import SpikeTrains

N_BINS = 250  # the study's 250 ms at 1 ms
STEP_S = 1e-3


def _train(spike_bins, n_bins=N_BINS):
    train = np.zeros(n_bins, dtype=bool)
    train[list(spike_bins)] = True
    return train


def _binary_mi_nats(n11, a, b, n):
    """Plug-in MI of two binary variables from the counts, written out cell by cell."""
    cells = [
        (n11, a, b),
        (a - n11, a, n - b),
        (b - n11, n - a, b),
        (n - a - b + n11, n - a, n - b),
    ]
    return sum(c / n * math.log(c * n / (row * column)) for c, row, column in cells if c > 0)


def test_study_mi_on_hand_made_trains_equals_the_hand_computation_in_nats():
    # input spikes in bins 10, 50, 90; output in bins 10 and 200: one coincidence
    x = _train([10, 50, 90])
    y = _train([10, 200])
    information = study_information_matrix(x[:, None], y[:, None])
    p11, p10, p01, p00 = 1 / 250, 2 / 250, 1 / 250, 246 / 250
    px1, py1 = 3 / 250, 2 / 250
    hand = (
        p11 * math.log(p11 / (px1 * py1))
        + p10 * math.log(p10 / (px1 * (1 - py1)))
        + p01 * math.log(p01 / ((1 - px1) * py1))
        + p00 * math.log(p00 / ((1 - px1) * (1 - py1)))
    )
    assert information[0, 0] == pytest.approx(hand, rel=1e-12)
    assert information[0, 0] == pytest.approx(_binary_mi_nats(1, 3, 2, 250), rel=1e-12)
    # summed over inputs, as the study does: a second input without a coincidence
    x2 = _train([100, 120, 140, 160])
    summed = study_information_matrix(np.column_stack([x, x2]), y[:, None]).sum(axis=0)
    expected = _binary_mi_nats(1, 3, 2, 250) + _binary_mi_nats(0, 4, 2, 250)
    assert summed[0] == pytest.approx(expected, rel=1e-12)
    assert summed[0] > STUDY_MI_THRESHOLD_NATS


def test_silent_output_has_exactly_zero():
    rng = np.random.default_rng(0)
    inputs = rng.random((N_BINS, 50)) < 0.1
    information = study_information_matrix(inputs, np.zeros((N_BINS, 1), dtype=bool))
    assert np.all(information == 0.0)
    assert information.sum() == 0.0


def test_copy_of_an_input_carries_that_inputs_entropy_at_lag_zero():
    rng = np.random.default_rng(1)
    inputs = rng.random((N_BINS, 20)) < 0.08
    inputs[:, 7] = _train([3, 40, 41, 99, 180])
    information = study_information_matrix(inputs, inputs[:, [7]])
    h = entropy(inputs[:, 7], base=math.e)
    assert information[7, 0] == pytest.approx(h, rel=1e-12)
    p = 5 / 250
    assert h == pytest.approx(-(p * math.log(p) + (1 - p) * math.log(1 - p)), rel=1e-12)
    # and the shift test puts it at the top of its null: p = 1/N
    summed, pvalues = circular_shift_pvalues([inputs], [inputs[:, [7]]], [0])
    assert pvalues[0] == pytest.approx(1 / N_BINS)
    assert summed[0] == pytest.approx(information[:, 0].sum(), rel=1e-12)


def _renewal_trains(rng, n_neurons, mean_interval, n_bins=N_BINS):
    """BindsNET-like trains: intervals max(Poisson(mean), 1) bins, first spike at I0 - 1."""
    trains = np.zeros((n_bins, n_neurons), dtype=bool)
    for neuron in range(n_neurons):
        position = max(rng.poisson(mean_interval), 1) - 1
        while position < n_bins:
            trains[position, neuron] = True
            position += max(rng.poisson(mean_interval), 1)
    return trains


def test_circular_shift_null_is_calibrated_on_independent_trains():
    # inputs: quasi-regular renewal trains (128 Hz and slower); the output: 1-5 spikes,
    # independent of them. At alpha = 0.05 about 5% of the outputs come out significant.
    rng = np.random.default_rng(2023)
    n_trials, alpha = 400, 0.05
    pvalues = []
    for _ in range(n_trials):
        inputs = _renewal_trains(rng, 40, rng.choice([7.8, 15.0, 40.0]))
        output = np.zeros((N_BINS, 1), dtype=bool)
        output[rng.choice(N_BINS, rng.integers(1, 6), replace=False), 0] = True
        pvalues.append(circular_shift_pvalues([inputs], [output], [0])[1][0])
    pvalues = np.asarray(pvalues)
    false_positive_rate = float(np.mean(pvalues <= alpha))
    assert 0.025 <= false_positive_rate <= 0.08, false_positive_rate
    assert pvalues.min() >= 1 / N_BINS
    # p-values spread over (0, 1] as a calibrated test's do
    assert 0.4 <= float(np.mean(pvalues <= 0.5)) <= 0.6


def test_a_driven_output_is_significant():
    # an output that fires one bin after a group of inputs spikes
    rng = np.random.default_rng(5)
    inputs = rng.random((N_BINS, 30)) < 0.04
    drive = np.flatnonzero(inputs[:, :5].sum(axis=1) >= 2)[:5]
    output = np.zeros((N_BINS, 1), dtype=bool)
    output[drive, 0] = True
    _, pvalues = circular_shift_pvalues([inputs], [output], [0])
    assert pvalues[0] <= 0.01


def test_record_indices_and_set_format():
    labels = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5, 9, 7, 3, 4]
    assert study_record_indices(labels).tolist() == [0, 1, 2, 3, 4, 7, 8, 11, 18]
    assert study_record_indices(labels, per_class=2).tolist() == [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 17, 18,
    ]  # fmt: skip
    assert study_record_count(labels, per_class=1) == 19
    assert study_record_count(labels, per_class=1, at_least=100) == 100
    assert study_record_count(labels, per_class=0, at_least=3) == 3
    assert format_neuron_set([52, 3, 31, 4, 29]) == "{3, 4, 29, 31, 52}"
    assert format_neuron_set([]) == "{}"
    assert time_step_of_config({"protocol": {"dt": "1 ms"}}) == pytest.approx(1e-3)
    assert time_step_of_config({}) == pytest.approx(1e-3)


def _recorded(image_index, labels, inputs, outputs, presentation_s=0.25):
    """RecordedSpikes from per-presentation (bins, neurons) binary matrices."""

    def layer(matrices):
        rows, neurons, times = [], [], []
        for row, matrix in enumerate(matrices):
            bins, cells = np.nonzero(matrix)
            rows.append(np.full(len(bins), row))
            neurons.append(cells)
            times.append(bins * STEP_S)
        return SpikeTrains(
            np.concatenate(rows).astype(np.int64),
            np.concatenate(neurons).astype(np.int32),
            np.concatenate(times),
        )

    empty = [np.zeros((N_BINS, 1), dtype=bool)] * len(labels)
    return RecordedSpikes(
        image_index=np.asarray(image_index),
        labels=np.asarray(labels),
        presentation_s=presentation_s,
        rest_s=0.0,
        layers={"input": layer(inputs), "exc": layer(outputs), "inh": layer(empty)},
        n_neurons={"input": inputs[0].shape[1], "exc": outputs[0].shape[1], "inh": 1},
    )


def _synthetic_run(seed=0, n_input=60, n_exc=8, n_images=12):
    """Recorded presentations of 3 classes: output 0 copies input 3, output 1 is random,
    outputs 2... are silent."""
    rng = np.random.default_rng(seed)
    labels = np.array([0, 1, 2] * (n_images // 3))
    inputs, outputs = [], []
    for _ in range(n_images):
        x = _renewal_trains(rng, n_input, 12.0)
        y = np.zeros((N_BINS, n_exc), dtype=bool)
        y[:, 0] = x[:, 3]
        y[rng.choice(N_BINS, 3, replace=False), 1] = True
        inputs.append(x)
        outputs.append(y)
    return _recorded(np.arange(n_images), labels, inputs, outputs), labels, inputs, outputs


def test_binning_puts_a_spike_of_step_k_in_bin_k():
    spikes, _, inputs, outputs = _synthetic_run()
    binned = binned_presentation(spikes, 2, "input", 60, STEP_S, N_BINS)
    np.testing.assert_array_equal(binned.toarray(), inputs[2])
    binned = binned_presentation(spikes, 2, "exc", 8, STEP_S, N_BINS)
    np.testing.assert_array_equal(binned.toarray(), outputs[2])


def test_study_table_sets():
    spikes, labels, _, _ = _synthetic_run()
    rows = study_table(spikes, labels, n_input=60, n_exc=8, step_s=STEP_S)
    assert [row.label for row in rows] == [0, 1, 2]
    assert [row.images for row in rows] == [[0], [1], [2]]
    for row in rows:
        assert row.spiked == row.has_mi == [0, 1]  # the study's tautology
        assert row.significant == [0]  # only the copy passes the shift test
        copy = next(item for item in row.neurons if item["neuron"] == 0)
        assert copy["p_value"] == pytest.approx(1 / N_BINS)
        assert copy["mi_bits"] == pytest.approx(copy["mi_nats"] / math.log(2))
    rows_k = study_table(spikes, labels, n_input=60, n_exc=8, step_s=STEP_S, per_class=3)
    assert [row.images for row in rows_k] == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert all(row.significant == [0] for row in rows_k)


def test_classes_not_recorded_are_reported():
    spikes, labels, _, _ = _synthetic_run()
    test_labels = np.concatenate([labels, [3]])  # class 3 exists in the test set only
    rows = study_table(spikes, test_labels, n_input=60, n_exc=8, step_s=STEP_S)
    assert rows[-1].label == 3 and rows[-1].images == [] and rows[-1].missing == 1
    assert rows[-1].spiked == rows[-1].has_mi == rows[-1].significant == []


def test_texts_in_the_studys_form():
    spikes, labels, _, _ = _synthetic_run()
    texts = study_table_texts(
        spikes, labels, n_input=60, n_exc=8, step_s=STEP_S, per_class=3, class_names="abc"
    )
    markdown = texts[STUDY_TABLE_MD]
    assert "| 0 (a) | 0 | {0, 1} | {0, 1} | {0} |" in markdown
    assert "The first 3 test images of every class" in markdown
    document = json.loads(texts[STUDY_TABLE_JSON])
    assert set(document["tables"]) == {"1", "3"}
    assert document["tables"]["1"][0]["has_mi"] == [0, 1]
    assert texts[STUDY_TABLE_CSV].splitlines()[1] == '1,0,0,"{0, 1}","{0, 1}",{0}'


def test_study_form_is_fast_at_full_size():
    # 10 classes, 784 inputs, 100 outputs, MNIST-like input density, 1-5 output spikes
    rng = np.random.default_rng(9)
    inputs, outputs = [], []
    for _ in range(10):
        x = np.zeros((N_BINS, 784), dtype=bool)
        active = rng.choice(784, 150, replace=False)
        x[:, active] = _renewal_trains(rng, 150, 7.8)
        y = np.zeros((N_BINS, 100), dtype=bool)
        for neuron in rng.choice(100, 4, replace=False):
            y[rng.choice(N_BINS, rng.integers(1, 4), replace=False), neuron] = True
        inputs.append(x)
        outputs.append(y)
    spikes = _recorded(np.arange(10), np.arange(10), inputs, outputs)
    start = time.perf_counter()
    texts = study_table_texts(
        spikes, np.arange(10), n_input=784, n_exc=100, step_s=STEP_S, per_class=1
    )
    assert time.perf_counter() - start < 10.0
    assert STUDY_TABLE_MD in texts


def test_analyze_writes_the_study_table(tmp_path):
    from diehl_cook.analysis import analyze_run
    from diehl_cook.run_folder import RunFolder

    spikes, labels, inputs, outputs = _synthetic_run(n_input=64)
    folder = RunFolder(tmp_path / "run")
    (folder.path / "records").mkdir(parents=True)
    n = len(labels)
    np.savez(
        folder.records_path("test"),
        image_index=np.arange(n),
        labels=labels,
        exc_counts=np.array([o.sum(axis=0) for o in outputs], dtype=np.uint16),
        input_counts=np.array([x.sum(axis=0) for x in inputs], dtype=np.uint16),
        intensity=np.full(n, 128.0),
        retries=np.zeros(n, dtype=np.int64),
        n_slots=np.array(n),
    )
    rng = np.random.default_rng(0)
    np.savez(
        folder.state_path,
        **{"input_to_exc.w": rng.random((64, 8)), "exc.theta": np.zeros(8)},
    )
    folder.config_path.write_text('[data]\ndataset = "mnist"\n[protocol]\ndt = "1 ms"\n')
    folder.write_spike_trains(spikes.image_index, spikes.labels, 0.25, 0.0, spikes.layers)
    # default lags: only those that fit in the rest period, here none but 0 (no rest)
    written = {path.name for path in analyze_run(folder.path, n_permutations=9)}
    assert {STUDY_TABLE_MD, STUDY_TABLE_JSON, STUDY_TABLE_CSV} <= written
    time_binned = folder.analysis_path("time_binned.csv").read_text().splitlines()
    assert len(time_binned) == 2 and time_binned[1].startswith("0")
    document = json.loads(folder.analysis_path(STUDY_TABLE_JSON).read_text())
    assert set(document["tables"]) == {"1", "5"}
    assert document["tables"]["1"][0]["significant"] == [0]
