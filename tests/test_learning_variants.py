"""Variants that learn better than the faithful model (issue #11; slow).

The pair-STDP variant learns CIFAR-10 where the faithful model does not, and target-rate
homeostasis of the threshold does better on MNIST.

On CIFAR-10, both variants are trained on the same subset with the same seed and the same
protocol (``diehl_cook/configs/cifar10.toml``).  The faithful ``diehl_cook_2015``'s winners
fire mostly single spikes, which the triplet rule never potentiates, so its weight maps
stay the initial noise; ``diehl_cook_pair`` potentiates at every postsynaptic spike.  The
margins asserted are safe fractions of what this test measured here (seed 0, in the
comments); the README's figures come from the sweeps in ``results/sweeps``.
"""

import numpy as np
import pytest
from dataset_marks import needs_dataset  # tests/dataset_marks.py

from diehl_cook import pipeline
from diehl_cook.config import load_config
from diehl_cook.run_folder import RunFolder

pytestmark = [pytest.mark.slow, pytest.mark.standalone]

SUBSET = [
    "data.n_label=1000",
    "data.n_test=1000",
    "simulation.chunk_slots=5000",
    "output.record_spike_times=0",
    "simulation.progress=false",
]


def _neighbour_correlation(weights, side=32):
    """Median over neurons of the correlation of horizontally adjacent weights (1 channel)."""
    maps = weights.T.reshape(weights.shape[1], side, side)
    return float(np.median([np.corrcoef(m[:, 1:].ravel(), m[:, :-1].ravel())[0, 1] for m in maps]))


def _train(tmp_path, config_name, variant, n_train):
    """Run ``config_name`` with ``variant`` on the subset; return its folder and metrics."""
    config, source = load_config(
        config_name,
        [
            *SUBSET,
            f"data.n_train={n_train}",
            f"model.variant={variant}",
            f"output.runs_dir={tmp_path}",
            f"output.name={variant}",
        ],
    )
    return pipeline.run(config, source)


def _run(tmp_path, variant):
    run_dir, metrics = _train(tmp_path, "cifar10", variant, n_train=1500)
    weights = RunFolder(run_dir).read_state()["input_to_exc.w"]
    return metrics, _neighbour_correlation(np.asarray(weights))


@needs_dataset("cifar10")
def test_pair_stdp_learns_cifar10_where_the_triplet_rule_does_not(tmp_path):
    faithful, faithful_structure = _run(tmp_path, "diehl_cook_2015")
    pair, pair_structure = _run(tmp_path, "diehl_cook_pair")
    print(
        f"faithful {faithful['test']['accuracy']:.4f} (structure {faithful_structure:.3f}), "
        f"pair {pair['test']['accuracy']:.4f} (structure {pair_structure:.3f})"
    )
    # the faithful maps stay i.i.d.-like noise, the pair maps become smooth: median
    # neighbour correlation measured 0.001 against 0.358; unlearned (Moran's I) 100 against 3
    assert abs(faithful_structure) < 0.05
    assert pair_structure > 0.2
    assert pair["learning"]["n_unlearned"] <= faithful["learning"]["n_unlearned"] - 50
    # test accuracy measured 12.6 % (faithful) against 17.7 % (pair): 5.1 points
    assert pair["test"]["accuracy"] >= faithful["test"]["accuracy"] + 0.03


@needs_dataset("mnist")
def test_target_rate_homeostasis_beats_the_faithful_model_on_mnist(tmp_path):
    _, faithful = _train(tmp_path, "mnist", "diehl_cook_2015", n_train=2000)
    _, target_rate = _train(tmp_path, "mnist", "diehl_cook_target_rate", n_train=2000)
    print(
        f"faithful {faithful['test']['accuracy']:.4f} ({faithful['train']['n_slots']} slots), "
        f"target rate {target_rate['test']['accuracy']:.4f} "
        f"({target_rate['train']['n_slots']} slots)"
    )
    # test accuracy (1,000 images) measured 42.80 % (faithful, 2,052 slots) against 72.90 %
    # (target rate 0.3 Hz, 2,006 slots), seed 0: 30.1 points; asserted: half of that
    assert target_rate["test"]["accuracy"] >= faithful["test"]["accuracy"] + 0.15
