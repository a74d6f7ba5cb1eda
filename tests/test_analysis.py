"""Tests of diehl_cook.analysis (run-folder information analysis) and diehl_cook.plotting."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from diehl_cook.analysis import (  # noqa: E402
    analyze_run,
    class_neuron_sets,
    image_shape_for,
    jaccard_index,
    map_weight_correlation,
)
from diehl_cook.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_mi_vs_weights,
    plot_raster,
    plot_theta_distribution,
    plot_weight_grid,
    tile_receptive_fields,
)

IMAGE_SHAPE = (8, 8)
N_INPUT = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
N_EXC = 12
N_SILENT = 4
N_CLASSES = 3
N_PER_CLASS = 200
N_PERMUTATIONS = 99

EXPECTED_FILES = [
    "table2.md",
    "table2.csv",
    "table2.json",
    "neurons.csv",
    "neurons.json",
    "table1.md",
    "mi_maps.npz",
    "receptive_fields.png",
    "mi_vs_weights.png",
    "theta.png",
    "summary.md",
]

SET_KEYS = {
    "spiked",
    "mi_positive",
    "significant_fdr",
    "significant_max_statistic",
    "significant_uncorrected",
}


def independent_counts(seed):
    """Labels and spike counts with outputs independent of the inputs; the last outputs silent."""
    rng = np.random.default_rng(seed)
    n_presentations = N_CLASSES * N_PER_CLASS
    labels = np.repeat(np.arange(N_CLASSES), N_PER_CLASS)
    rng.shuffle(labels)
    input_counts = rng.binomial(3, 0.15, size=(n_presentations, N_INPUT)).astype(np.uint16)
    input_counts[:, :3] = 0  # never-spiking border pixels: constant inputs
    exc_counts = rng.binomial(2, 0.12, size=(n_presentations, N_EXC)).astype(np.uint16)
    exc_counts[:, N_EXC - N_SILENT :] = 0
    return labels, input_counts, exc_counts


def dependent_counts(seed):
    """As :func:`independent_counts`, but output 0 copies input 20 (5 % of bits flipped).

    Outputs 1, 2, 3 fire (3 spikes) in every presentation of class 0, 1, 2 respectively and
    never otherwise: they carry class information, but within their class they are constant.
    """
    rng = np.random.default_rng(seed + 1000)
    labels, input_counts, exc_counts = independent_counts(seed)
    source = input_counts[:, 20] > 0
    flipped = rng.random(source.size) < 0.05
    exc_counts[:, 0] = (source ^ flipped) * 2
    for label in range(N_CLASSES):
        exc_counts[:, 1 + label] = np.where(labels == label, 3, 0)
    return labels, input_counts, exc_counts


def write_run(folder, labels, input_counts, exc_counts, seed=0):
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    (folder / "records").mkdir(parents=True)
    n_presentations = labels.size
    np.savez(
        folder / "records" / "test.npz",
        image_index=np.arange(n_presentations),
        labels=labels,
        exc_counts=exc_counts,
        input_counts=input_counts,
        intensity=np.full(n_presentations, 2.0),
        retries=np.zeros(n_presentations, dtype=np.int64),
        n_slots=np.array(n_presentations),
    )
    weights = rng.uniform(0.0, 0.3, size=(N_INPUT, N_EXC))
    np.savez(
        folder / "state.npz",
        **{"input_to_exc.w": weights, "exc.theta": rng.uniform(0.01, 0.04, N_EXC)},
    )
    assignments = rng.integers(-1, N_CLASSES, N_EXC)
    np.savez(folder / "assignments.npz", assignments=assignments)
    (folder / "config.toml").write_text('[data]\ndataset = "mnist"\n')
    metrics = {
        "dataset": "mnist",
        "variant": "diehl_cook_2015",
        "seed": seed,
        "n_exc": N_EXC,
        "test": {"accuracy": 0.4, "n_images": int(n_presentations)},
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


@pytest.fixture(scope="module")
def independent_run(tmp_path_factory):
    folder = write_run(tmp_path_factory.mktemp("independent") / "run", *independent_counts(1))
    outputs = analyze_run(folder, n_permutations=N_PERMUTATIONS, seed=0)
    return folder, outputs


@pytest.fixture(scope="module")
def dependent_run(tmp_path_factory):
    folder = write_run(tmp_path_factory.mktemp("dependent") / "run", *dependent_counts(2))
    outputs = analyze_run(folder, n_permutations=N_PERMUTATIONS, seed=0)
    return folder, outputs


def read_json(folder, name):
    return json.loads((folder / "analysis" / name).read_text())


# ---------------------------------------------------------------------------
# (1) Independent spikes: spiked == MI > 0, significant sets near empty
# ---------------------------------------------------------------------------


def test_independent_spiked_set_equals_plugin_mi_set(independent_run):
    folder, _ = independent_run
    classes = read_json(folder, "table2.json")["classes"]
    assert [row["class"] for row in classes] == list(range(N_CLASSES))
    for row in classes:
        assert row["n_presentations"] == N_PER_CLASS
        assert row["sets"]["spiked"] == list(range(N_EXC - N_SILENT))
        assert row["sets"]["mi_positive"] == row["sets"]["spiked"]
        assert row["spiked_equals_mi_positive"] is True
        assert row["jaccard"]["spiked_vs_mi_positive"] == 1.0
        assert row["n_inputs_varying"] == N_INPUT - 3


def test_independent_significant_sets_are_near_empty(independent_run):
    folder, _ = independent_run
    for row in read_json(folder, "table2.json")["classes"]:
        assert row["sizes"]["significant_fdr"] <= 1
        assert row["sizes"]["significant_max_statistic"] <= 2
        silent = set(range(N_EXC - N_SILENT, N_EXC))
        for key in SET_KEYS:
            assert not silent & set(row["sets"][key])
        # Without a correction almost every spiking output looks "significant".
        assert row["sizes"]["significant_uncorrected"] >= row["sizes"]["spiked"] - 2


def test_class_neuron_sets_counts_constant_pairs_in_the_bh_family():
    labels, input_counts, exc_counts = independent_counts(3)
    rows = class_neuron_sets(input_counts > 0, exc_counts > 0, labels, n_permutations=19, seed=5)
    again = class_neuron_sets(input_counts > 0, exc_counts > 0, labels, n_permutations=19, seed=5)
    assert rows == again
    for row in rows:
        assert row["n_significant_pairs"]["fdr"] <= 1
        assert row["sizes"]["spiked"] == N_EXC - N_SILENT


# ---------------------------------------------------------------------------
# (2) A dependent output is found by both corrections
# ---------------------------------------------------------------------------


def test_dependent_output_is_significant_in_every_class(dependent_run):
    folder, _ = dependent_run
    for row in read_json(folder, "table2.json")["classes"]:
        assert 0 in row["sets"]["significant_fdr"]
        assert 0 in row["sets"]["significant_max_statistic"]
        assert 0 in row["sets"]["mi_positive"]
        others_fdr = set(row["sets"]["significant_fdr"]) - {0}
        others_max = set(row["sets"]["significant_max_statistic"]) - {0}
        assert len(others_fdr) <= 1 and len(others_max) <= 2
        assert row["jaccard"]["spiked_vs_significant_fdr"] > 0


def test_dependent_output_mi_map_peaks_at_the_copied_input(dependent_run):
    folder, _ = dependent_run
    with np.load(folder / "analysis" / "mi_maps.npz") as archive:
        information = archive["input_output_information_bits"]
        image_shape = tuple(archive["image_shape"])
    assert information.shape == (N_INPUT, N_EXC)
    assert image_shape == IMAGE_SHAPE
    mi_map = information[:, 0].reshape(image_shape)
    assert mi_map.shape == IMAGE_SHAPE
    assert np.unravel_index(np.argmax(mi_map), IMAGE_SHAPE) == divmod(20, IMAGE_SHAPE[1])
    assert (information[:, N_EXC - N_SILENT :] == 0).all()
    assert (information[:3] == 0).all()  # constant inputs have MI 0


def test_output_spiking_in_every_presentation_is_the_exception(dependent_run):
    folder, _ = dependent_run
    for row in read_json(folder, "table2.json")["classes"]:
        always = [1 + row["class"]]
        assert row["spiked_in_every_presentation"] == always
        assert always[0] in row["sets"]["spiked"]
        assert always[0] not in row["sets"]["mi_positive"]
        assert row["sets"]["mi_positive"] == sorted(set(row["sets"]["spiked"]) - set(always))
        assert row["spiked_equals_mi_positive"] is False
    assert "spiked in every presentation" in (folder / "analysis" / "summary.md").read_text()


def test_class_selective_neurons_have_significant_class_information(dependent_run):
    # With 99 permutations the smallest p-value is 0.01, and BH over 12 neurons rejects
    # k hypotheses at p = 0.01 only when 0.01 <= k * 0.05 / 12, i.e. k >= 3: hence the
    # three class-selective neurons 1, 2, 3 of dependent_counts.
    folder, _ = dependent_run
    neurons = read_json(folder, "neurons.json")["neurons"]
    expected_entropy = -(1 / 3) * np.log2(1 / 3) - (2 / 3) * np.log2(2 / 3)
    for selective in neurons[1:4]:
        assert selective["class_information_significant_bh"] is True
        assert selective["class_information_pvalue"] == pytest.approx(1 / (1 + N_PERMUTATIONS))
        assert selective["class_information_bits"] == pytest.approx(expected_entropy)
        assert selective["entropy_count_bits"] == pytest.approx(expected_entropy)
        assert selective["entropy_spiked_bits"] == pytest.approx(expected_entropy)
    for silent in neurons[N_EXC - N_SILENT :]:
        assert silent["class_information_bits"] == 0.0
        assert silent["class_information_pvalue"] == 1.0
        assert silent["entropy_count_bits"] == 0.0
        assert silent["total_spikes"] == 0
        assert silent["mi_weight_correlation"] is None
    significant = [
        neuron["neuron"] for neuron in neurons if neuron["class_information_significant_bh"]
    ]
    assert significant == [1, 2, 3]


# ---------------------------------------------------------------------------
# (3) Output files and their keys
# ---------------------------------------------------------------------------


def test_all_output_files_exist(independent_run):
    folder, outputs = independent_run
    analysis = folder / "analysis"
    assert [path.name for path in outputs] == EXPECTED_FILES
    for path in outputs:
        assert path.parent == analysis
        assert path.is_file() and path.stat().st_size > 0
    assert sorted(path.name for path in analysis.iterdir()) == sorted(EXPECTED_FILES)
    assert not [path for path in folder.iterdir() if path.name.startswith(".analysis")]
    for name in ("receptive_fields.png", "mi_vs_weights.png", "theta.png"):
        assert (analysis / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table2_json_keys(independent_run):
    folder, _ = independent_run
    document = read_json(folder, "table2.json")
    assert {"criteria", "alpha", "n_permutations", "seed", "classes", "units"} <= set(document)
    assert document["units"] == "bits"
    assert document["n_permutations"] == N_PERMUTATIONS
    assert set(document["criteria"]) == SET_KEYS
    for row in document["classes"]:
        assert {
            "class",
            "class_name",
            "n_presentations",
            "n_inputs_varying",
            "sets",
            "sizes",
            "jaccard",
            "n_significant_pairs",
            "spiked_in_every_presentation",
            "spiked_equals_mi_positive",
        } <= set(row)
        assert set(row["sets"]) == SET_KEYS
        assert {key: len(value) for key, value in row["sets"].items()} == row["sizes"]
        assert set(row["jaccard"]) == {
            "spiked_vs_mi_positive",
            "spiked_vs_significant_fdr",
            "spiked_vs_significant_max_statistic",
        }


def test_neurons_json_keys_and_csv(independent_run):
    folder, _ = independent_run
    document = read_json(folder, "neurons.json")
    assert document["image_shape"] == list(IMAGE_SHAPE)
    assert len(document["neurons"]) == N_EXC
    expected_keys = {
        "neuron",
        "assignment",
        "theta_mV",
        "total_spikes",
        "fraction_spiked",
        "entropy_count_bits",
        "entropy_spiked_bits",
        "class_information_bits",
        "class_information_pvalue",
        "class_information_significant_bh",
        "mi_map_max_bits",
        "mi_map_sum_bits",
        "mi_weight_correlation",
    }
    for index, neuron in enumerate(document["neurons"]):
        assert set(neuron) == expected_keys
        assert neuron["neuron"] == index
        assert 10.0 <= neuron["theta_mV"] <= 40.0
    lines = (folder / "analysis" / "neurons.csv").read_text().splitlines()
    assert len(lines) == N_EXC + 1
    assert set(lines[0].split(",")) == expected_keys
    table2_lines = (folder / "analysis" / "table2.csv").read_text().splitlines()
    assert len(table2_lines) == N_CLASSES + 1


def test_markdown_states_criteria_and_tautology(independent_run):
    folder, _ = independent_run
    summary = (folder / "analysis" / "summary.md").read_text()
    assert "by construction" in summary
    assert "Benjamini-Hochberg" in summary and "max-statistic" in summary
    table1 = (folder / "analysis" / "table1.md").read_text()
    for figure in ("72 %", "46 %", "9 %", "82.9 %", "87.0 %", "40.0 %"):
        assert figure in table1
    assert "diehl-cook-reference.md" in table1
    table2 = (folder / "analysis" / "table2.md").read_text()
    assert "(b) MI > 0" in table2 and "(c) significant, BH-FDR" in table2


def test_rerun_is_deterministic_and_replaces_the_folder(independent_run):
    folder, _ = independent_run
    before = (folder / "analysis" / "table2.json").read_text()
    neurons_before = (folder / "analysis" / "neurons.json").read_text()
    (folder / "analysis" / "stale.txt").write_text("old")
    analyze_run(folder, n_permutations=N_PERMUTATIONS, seed=0)
    assert (folder / "analysis" / "table2.json").read_text() == before
    assert (folder / "analysis" / "neurons.json").read_text() == neurons_before
    assert not (folder / "analysis" / "stale.txt").exists()
    assert not [path for path in folder.iterdir() if path.name.startswith(".analysis")]


def test_recorded_spike_times_add_the_time_binned_tables(tmp_path):
    from diehl_cook.run_folder import RunFolder
    from diehl_cook.simulation import SpikeTrains

    labels, input_counts, exc_counts = dependent_counts(7)
    folder = RunFolder(write_run(tmp_path / "run", labels, input_counts, exc_counts))
    rng = np.random.default_rng(7)
    n_recorded = 3

    def trains(n_neurons, n_spikes):
        return SpikeTrains(
            rng.integers(0, n_recorded, n_spikes),
            rng.integers(0, n_neurons, n_spikes).astype(np.int32),
            rng.uniform(0.0, 0.5, n_spikes),
        )

    folder.write_spike_trains(
        np.arange(n_recorded),
        labels[:n_recorded],
        0.35,
        0.15,
        {"input": trains(N_INPUT, 400), "exc": trains(N_EXC, 60), "inh": trains(N_EXC, 30)},
    )
    outputs = analyze_run(folder, n_permutations=19, seed=0, lags_ms=(0.0, 5.0))
    names = [path.name for path in outputs]
    assert names[6:9] == ["time_binned.md", "time_binned.csv", "time_binned.json"]
    document = json.loads(folder.analysis_path("time_binned.json").read_text())
    assert document["n_presentations"] == n_recorded
    assert [row["lag_ms"] for row in document["rows"]] == [0.0, 5.0]
    assert all(row["n_samples"] == n_recorded * 70 for row in document["rows"])
    assert "time_binned.md" in folder.analysis_summary_path.read_text()


# ---------------------------------------------------------------------------
# (4) Missing files
# ---------------------------------------------------------------------------


def test_missing_records_file_is_named(tmp_path):
    folder = write_run(tmp_path / "run", *independent_counts(5))
    (folder / "records" / "test.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"records/test\.npz"):
        analyze_run(folder)
    assert not (folder / "analysis").exists()


def test_missing_state_file_is_named(tmp_path):
    folder = write_run(tmp_path / "run", *independent_counts(5))
    (folder / "state.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"state\.npz"):
        analyze_run(folder)


def test_missing_array_and_bad_shape_raise_value_error(tmp_path):
    labels, input_counts, exc_counts = independent_counts(6)
    folder = write_run(tmp_path / "run", labels, input_counts, exc_counts)
    np.savez(folder / "records" / "test.npz", labels=labels, input_counts=input_counts)
    with pytest.raises(ValueError, match="exc_counts"):
        analyze_run(folder)
    np.savez(
        folder / "records" / "test.npz",
        labels=labels,
        input_counts=input_counts,
        exc_counts=exc_counts[:, :5],
    )
    with pytest.raises(ValueError, match="input_to_exc.w"):
        analyze_run(folder)


# ---------------------------------------------------------------------------
# Helpers and plotting
# ---------------------------------------------------------------------------


def test_helpers():
    assert image_shape_for(784, "mnist") == (28, 28)
    assert image_shape_for(1024, "cifar10") == (32, 32)
    assert image_shape_for(64) == (8, 8)
    assert image_shape_for(12) == (1, 12)
    assert jaccard_index([0, 1], [1, 2]) == pytest.approx(1 / 3)
    assert jaccard_index([], []) is None
    information = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    weights = np.array([[0.0, 0.5], [2.0, 0.1], [4.0, 0.2]])
    correlation = map_weight_correlation(information, weights)
    assert correlation[0] == pytest.approx(1.0)
    assert np.isnan(correlation[1])


def test_plotting_functions_return_their_axes():
    rng = np.random.default_rng(0)
    figure = Figure()
    axes = figure.subplots(2, 3)
    weights = rng.random((N_INPUT, 5))
    assert plot_weight_grid(weights, IMAGE_SHAPE, ax=axes[0, 0]) is axes[0, 0]
    tiled = tile_receptive_fields(weights, IMAGE_SHAPE)
    assert tiled.shape == (2 * 9 - 1, 3 * 9 - 1)
    assert np.isnan(tiled).sum() > 0
    pair = plot_mi_vs_weights(rng.random(IMAGE_SHAPE), rng.random(IMAGE_SHAPE), axes=axes[0, 1:])
    assert pair == (axes[0, 1], axes[0, 2])
    theta_axes = plot_theta_distribution(rng.uniform(0.01, 0.04, 20), ax=axes[1, 0])
    assert theta_axes.get_xlabel() == "theta (mV)"
    assert plot_confusion_matrix(np.eye(3) * 5, ax=axes[1, 1]) is axes[1, 1]
    raster = plot_raster([0, 1, 1], [0.001, 0.002, 0.003], ax=axes[1, 2], color="red")
    assert raster is axes[1, 2]
    with pytest.raises(ValueError):
        plot_mi_vs_weights(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError):
        plot_weight_grid(weights, (7, 7))
    with pytest.raises(ValueError):
        plot_raster([0, 1], [0.1])


def test_plotting_without_axes_uses_pyplot():
    import matplotlib.pyplot as plt

    ax = plot_theta_distribution([0.02, 0.03])
    pair = plot_mi_vs_weights(np.ones((2, 2)), np.zeros((2, 2)))
    assert len(pair) == 2
    plt.close(ax.figure)
    plt.close(pair[0].figure)
