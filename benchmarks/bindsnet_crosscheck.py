"""Cross-check the capozzi_study variant against BindsNET itself (issue #12; not run in CI).

Both networks are trained on the same first ``--n-train`` MNIST training images (dataset
order, one epoch) with the study's settings (capozzi-study-as-run.md, sections 2 and 3): 100
neurons, 250 ms per image at dt = 1 ms, no rest, no retry, rate = pixel / 255 x 128 Hz, state
reset after every image, theta and weights kept, weights normalised to 78.4.  Then both are
shown the first ``--n-test`` test images with learning off.  The script compares

* the mean number of excitatory spikes per image, and the fraction of images with none
  (training and test);
* the test accuracy with neuron labels from the training responses (each neuron: the class
  of its highest mean count over the training images, the same code for both sides:
  :mod:`diehl_cook.labelling`), and for this package also with the labels of its own
  frozen labelling pass over the same training images.

BindsNET runs in its own virtual environment (it needs torch), for example::

    python3 -m venv /tmp/bn
    /tmp/bn/bin/pip install torch==2.14.1 torchvision==0.29.1 bindsnet==0.3.4
    .venv/bin/python benchmarks/bindsnet_crosscheck.py --bindsnet-python /tmp/bn/bin/python

The BindsNET side is this same file run with ``--worker`` by that interpreter (it imports
only numpy, torch and bindsnet).  The random streams differ between the two simulators, so
only statistics are compared.  On 2 busy cores BindsNET (torch, 1 thread) took about 0.3-1 s
per image; the standalone Brian2 program 17-26 ms.

Measured here (``--n-train 3000 --n-test 1000 --seed 0``, the 5,000/2,000 default did not
fit the session's CPU time):

| | train: spikes/image | train: no spike | test: spikes/image | test: no spike | accuracy |
|---|---|---|---|---|---|
| BindsNET 0.3.4 | 23.69 | 0.0% | 16.38 | 0.0% | 75.50% |
| diehl_cook capozzi_study | 23.70 | 0.0% | 17.22 | 0.0% | 76.90% |

(accuracy with labels from the training responses; 78.90% with this package's frozen
labelling pass).  Mean spikes per block of 100 training images agreed within 3% over the
first 500 images (27.5 vs 27.5 for the first 100).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

N_EXC = 100
PRESENTATION_MS = 250
INTENSITY = 128.0


def _worker(data_path: Path, out_path: Path, seed: int, threads: int) -> None:
    """Train and test BindsNET's DiehlAndCook2015 as the study's eth_mnist script does."""
    import torch
    from bindsnet.encoding import PoissonEncoder
    from bindsnet.models import DiehlAndCook2015
    from bindsnet.network.monitors import Monitor

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    data = np.load(data_path)
    network = DiehlAndCook2015(
        n_inpt=784,
        n_neurons=N_EXC,
        exc=22.5,
        inh=120.0,  # eth_mnist.py's value (the class default is 17.5)
        dt=1.0,
        norm=78.4,
        theta_plus=0.05,
        inpt_shape=(1, 28, 28),
    )
    monitor = Monitor(network.layers["Ae"], state_vars=["s"], time=PRESENTATION_MS)
    network.add_monitor(monitor, name="Ae_spikes")
    encoder = PoissonEncoder(time=PRESENTATION_MS, dt=1.0)

    partial = out_path.with_suffix(".partial.npz")

    def present(images, learning):
        network.train(learning)
        counts = np.zeros((len(images), N_EXC), dtype=np.uint16)
        started = time.perf_counter()
        for index, image in enumerate(images):
            datum = torch.from_numpy(
                (image.reshape(1, 28, 28) / 255.0 * INTENSITY).astype(np.float32)
            )
            spikes = encoder(datum).view(PRESENTATION_MS, 1, 1, 28, 28)
            network.run(inputs={"X": spikes}, time=PRESENTATION_MS)
            counts[index] = monitor.get("s").sum(0).view(-1).numpy()
            network.reset_state_variables()
            if (index + 1) % 500 == 0:
                # the counts so far, for a look at a long run before it ends
                np.savez(partial, counts=counts[: index + 1], learning=learning)
                print(f"bindsnet: {index + 1}/{len(images)}", file=sys.stderr, flush=True)
        return counts, time.perf_counter() - started

    train_counts, train_s = present(data["train_images"], True)
    test_counts, test_s = present(data["test_images"], False)
    np.savez(
        out_path,
        train_counts=train_counts,
        test_counts=test_counts,
        train_s=train_s,
        test_s=test_s,
        weights=network.connections["X", "Ae"].pipeline[0].value.numpy(),
        theta=network.layers["Ae"].theta.numpy(),
    )


def _spike_statistics(counts):
    totals = np.asarray(counts, dtype=np.int64).sum(axis=1)
    return float(totals.mean()), float((totals == 0).mean())


def _accuracy(train_counts, train_labels, test_counts, test_labels):
    from diehl_cook.labelling import accuracy, assign_labels, predict

    assignments = assign_labels(train_counts, train_labels, 10)
    return accuracy(test_labels, predict(test_counts, assignments, 10))


def _run_brian2(out, n_train, n_test, seed, engine):
    from diehl_cook.config import load_config
    from diehl_cook.pipeline import run
    from diehl_cook.run_folder import RunFolder

    config, source = load_config(
        "study_mnist",
        [
            f"data.n_train={n_train}",
            f"data.n_label={n_train}",
            f"data.n_test={n_test}",
            f"simulation.seed={seed}",
            f"simulation.engine={engine}",
            f"output.runs_dir={out}",
            "output.name=brian2",
            "output.record_spike_times=0",
            "simulation.progress=false",
        ],
    )
    started = time.perf_counter()
    run_dir, metrics = run(config, source, resume=True)
    folder = RunFolder(run_dir)
    train = folder.read_phase_records("train")
    test = folder.read_phase_records("test")
    return train, test, metrics, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bindsnet-python", default="/tmp/bn/bin/python")
    parser.add_argument("--out", default="runs/crosscheck")
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of BindsNET")
    parser.add_argument("--engine", default="standalone", help="this package's engine")
    parser.add_argument("--worker", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(Path(args.worker[0]), Path(args.worker[1]), args.seed, args.threads)
        return

    from diehl_cook.config import load_config
    from diehl_cook.data import load_configured

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    data_config = load_config("study_mnist")[0]["data"]
    train_images, train_labels = load_configured(data_config, "train")
    test_images, test_labels = load_configured(data_config, "test")
    train_images = train_images[: args.n_train].reshape(args.n_train, -1)
    test_images = test_images[: args.n_test].reshape(args.n_test, -1)
    train_labels, test_labels = train_labels[: args.n_train], test_labels[: args.n_test]
    data_path = out / "data.npz"
    np.savez(data_path, train_images=train_images, test_images=test_images)

    bindsnet_path = out / "bindsnet.npz"
    worker = None
    if not bindsnet_path.exists():
        command = [args.bindsnet_python, __file__, "--worker", str(data_path), str(bindsnet_path)]
        command += ["--seed", str(args.seed), "--threads", str(args.threads)]
        worker = subprocess.Popen(command)  # runs while this package trains
    train, test, metrics, brian2_s = _run_brian2(
        out, args.n_train, args.n_test, args.seed, args.engine
    )
    if worker is not None and worker.wait() != 0:
        raise SystemExit(f"the BindsNET worker failed ({worker.returncode})")
    bindsnet = np.load(bindsnet_path)

    sides = {
        "BindsNET 0.3.4": (bindsnet["train_counts"], bindsnet["test_counts"]),
        "diehl_cook capozzi_study": (train["exc_counts"], test["exc_counts"]),
    }
    rows = {}
    for name, (train_counts, test_counts) in sides.items():
        train_mean, train_silent = _spike_statistics(train_counts)
        test_mean, test_silent = _spike_statistics(test_counts)
        rows[name] = {
            "train_mean_exc_spikes": train_mean,
            "train_fraction_silent": train_silent,
            "test_mean_exc_spikes": test_mean,
            "test_fraction_silent": test_silent,
            "accuracy_labels_from_training": _accuracy(
                train_counts, train_labels, test_counts, test_labels
            ),
        }
    rows["diehl_cook capozzi_study"]["accuracy_labels_from_frozen_pass"] = metrics["test"][
        "accuracy"
    ]
    rows["BindsNET 0.3.4"]["seconds"] = float(bindsnet["train_s"] + bindsnet["test_s"])
    rows["diehl_cook capozzi_study"]["seconds"] = brian2_s
    result = {"n_train": args.n_train, "n_test": args.n_test, "seed": args.seed, "rows": rows}
    (out / "crosscheck.json").write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"{args.n_train} training, {args.n_test} test MNIST images, seed {args.seed}\n\n"
        "| | train: spikes/image | train: no spike | test: spikes/image | test: no spike "
        "| accuracy (labels from training) |\n|---|---|---|---|---|---|"
    )
    for name, row in rows.items():
        print(
            f"| {name} | {row['train_mean_exc_spikes']:.2f} | "
            f"{100 * row['train_fraction_silent']:.1f}% | {row['test_mean_exc_spikes']:.2f} | "
            f"{100 * row['test_fraction_silent']:.1f}% | "
            f"{100 * row['accuracy_labels_from_training']:.2f}% |"
        )
    frozen = rows["diehl_cook capozzi_study"]["accuracy_labels_from_frozen_pass"]
    print(f"\ndiehl_cook with labels from its frozen labelling pass: {100 * frozen:.2f}%")


if __name__ == "__main__":
    main()
