"""Wall time of diehl_cook.information on a Diehl & Cook sized problem.

784 binary inputs x 100 binary outputs over 10,000 seeded presentations:
input spike probabilities uniform in [0, 0.3], 20 outputs silent, the others
spiking with probability uniform in [0.005, 0.2]. Each measurement is run on
dense boolean arrays and on scipy.sparse CSR matrices.

Run from the repository root::

    python benchmarks/information_speed.py

Targets come from the project brief; the reference notes (section 5) measured
0.12-0.13 s for the dense MI matrix (float64, one thread) and 4.2 s for exact
p-values plus expected MI.
"""

import argparse
import time

import numpy as np
import scipy.sparse

from diehl_cook.information import (
    max_statistic_pvalues,
    mutual_information_matrix,
    permutation_pvalues,
)

N_PRESENTATIONS = 10_000
N_INPUTS = 784
N_OUTPUTS = 100
N_SILENT_OUTPUTS = 20


def make_spikes(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Independent binary inputs and outputs (n_presentations, n_neurons)."""
    rng = np.random.default_rng(seed)
    input_probabilities = rng.uniform(0.0, 0.3, size=N_INPUTS)
    output_probabilities = rng.uniform(0.005, 0.2, size=N_OUTPUTS)
    output_probabilities[:N_SILENT_OUTPUTS] = 0.0
    inputs = rng.random((N_PRESENTATIONS, N_INPUTS)) < input_probabilities
    outputs = rng.random((N_PRESENTATIONS, N_OUTPUTS)) < output_probabilities
    return inputs, outputs


def best_time(function, n_repeats: int) -> float:
    """Best wall time (seconds) over ``n_repeats`` calls."""
    timings = []
    for _ in range(n_repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument(
        "--max-statistic-permutations",
        type=int,
        default=10,
        help="permutations timed for max_statistic_pvalues (time per permutation is shown)",
    )
    arguments = parser.parse_args()

    inputs, outputs = make_spikes(arguments.seed)
    variants = {
        "dense": (inputs, outputs),
        "sparse": (scipy.sparse.csr_array(inputs), scipy.sparse.csr_array(outputs)),
    }
    density = inputs.mean()
    print(
        f"{N_INPUTS} inputs x {N_OUTPUTS} outputs ({N_SILENT_OUTPUTS} silent), "
        f"{N_PRESENTATIONS} presentations, input spike density {density:.3f}, "
        f"best of {arguments.repeats}"
    )
    rows = []
    reference = None
    for variant, (x_matrix, y_matrix) in variants.items():
        information = mutual_information_matrix(x_matrix, y_matrix)
        if reference is None:
            reference = information
        else:
            assert np.allclose(information, reference, rtol=1e-10, atol=1e-15)
        measurements = [
            (
                "mutual_information_matrix (plugin)",
                lambda x=x_matrix, y=y_matrix: mutual_information_matrix(x, y),
                arguments.repeats,
                0.5,
            ),
            (
                "mutual_information_matrix (miller_madow)",
                lambda x=x_matrix, y=y_matrix: mutual_information_matrix(
                    x, y, estimator="miller_madow"
                ),
                arguments.repeats,
                None,
            ),
            (
                "mutual_information_matrix (shuffle, exact)",
                lambda x=x_matrix, y=y_matrix: mutual_information_matrix(
                    x, y, estimator="shuffle"
                ),
                1,
                None,
            ),
            (
                "permutation_pvalues (exact, all pairs)",
                lambda x=x_matrix, y=y_matrix: permutation_pvalues(x, y, method="exact"),
                1,
                10.0,
            ),
        ]
        for name, function, n_repeats, target in measurements:
            seconds = best_time(function, n_repeats)
            rows.append((variant, name, seconds, target))
        n_permutations = arguments.max_statistic_permutations
        seconds = best_time(
            lambda x=x_matrix, y=y_matrix, n=n_permutations: max_statistic_pvalues(
                x, y, n_permutations=n, rng=0
            ),
            1,
        )
        rows.append(
            (variant, "max_statistic_pvalues, per permutation", seconds / n_permutations, None)
        )

    pvalues = permutation_pvalues(inputs, outputs, method="exact")
    print(
        f"independent data: {np.mean(pvalues < 0.05):.4f} of pairs with exact p < 0.05, "
        f"{int((reference > 0).any(axis=0).sum())} outputs with plug-in MI > 0, "
        f"{int(outputs.any(axis=0).sum())} outputs spiked"
    )
    print()
    print(f"{'input':<7} {'computation':<44} {'seconds':>9} {'target':>8}  status")
    print("-" * 80)
    for variant, name, seconds, target in rows:
        target_text = f"<= {target:g}" if target is not None else "-"
        status = "" if target is None else ("ok" if seconds <= target else "SLOW")
        print(f"{variant:<7} {name:<44} {seconds:>9.3f} {target_text:>8}  {status}")


if __name__ == "__main__":
    main()
