"""Training cost against network size, side by side with an older revision, in one run.

For each network size (and number of threads), a fresh Python process trains the standalone
engine on the first MNIST training images with the full protocol (350 ms presentation,
150 ms rest, retries, normalisation, STDP, theta) and reports:

* ms per training image over the **whole phase**: every chunk, retries and the idle padding
  slots of the last chunk included, as a user waits for them (compilation excluded: a
  zero-image chunk builds the program first, and its time is reported apart);
* ms per slot (the same wall time over the slots run);
* CPU ms per training image: the user + system time of the compiled programs over the
  phase, per image.  On a shared machine the wall time also holds the time a program waited
  for a core; the CPU time does not, so it is the steadier figure for a side-by-side ratio
  (the programs still share caches and cores with whatever else runs);
* compile time, and the peak resident memory of the process and of the compiled program.

With ``--against REV`` the same measurements are made on commit ``REV`` of this repository,
exported into a temporary folder, interleaved with the current tree (old, new, old, new, ...)
so that both see the same machine load.  Each process gets a fresh build folder.  The
worker uses the import paths that every revision since the first has (``diehl_cook.protocol``,
``diehl_cook.standalone_engine``, ...), so any revision can be timed.

Run from the repository root (MNIST must be fetched: ``make data``)::

    python benchmarks/scaling.py --sizes 100 400 --images 2000
    python benchmarks/scaling.py --sizes 100 --images 2000 --against d2d602b --repeats 2
    python benchmarks/scaling.py --sizes 100 --threads 1 2
    python benchmarks/scaling.py --sizes 100 --against d2d602b --rest-shortcut-ms 120
    python benchmarks/scaling.py --sizes 100 400 1600 6400 --images 300 \
        --variant diehl_cook_2015_population
    python benchmarks/scaling.py --sizes 100 6400 --images 300 \
        --variant diehl_cook_2015_population --synapse-order pre_delay

Run nothing else heavy at the same time: the figures are only comparable within one run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

# Executed in a fresh interpreter with the tree under test first on sys.path.
_WORKER = r"""
import json, resource, sys, tempfile, time
tree, n_exc, n_images, chunk_slots, threads, seed, rest_shortcut_ms, variant = sys.argv[1:9]
synapse_order = sys.argv[9]
sys.path.insert(0, tree)
n_exc, n_images, chunk_slots, threads, seed = map(
    int, (n_exc, n_images, chunk_slots, threads, seed)
)
rest_shortcut_ms = float(rest_shortcut_ms)
import numpy as np
import diehl_cook
from diehl_cook.builder import SlotTiming
from diehl_cook.components import load_variant
from diehl_cook.datasets import load
from diehl_cook.protocol import ControllerState, ProtocolSettings
from diehl_cook.simulation import run_phase
from diehl_cook.standalone_engine import StandaloneEngine
assert diehl_cook.__file__.startswith(tree), diehl_cook.__file__
images, _ = load("mnist", "train")
images = images.reshape(len(images), -1)[:n_images]
timing = SlotTiming(rest_shortcut=rest_shortcut_ms / 1000) if rest_shortcut_ms else SlotTiming()
options = dict(n_input=images.shape[1], n_exc=n_exc, settings=ProtocolSettings(),
               timing=timing, model_seed=seed, build_root=tempfile.mkdtemp())
if threads > 1:
    options["threads"] = threads
# older trees know neither threads nor parameter overrides: pass them only when asked for
variant_options = (
    {"parameter_overrides": {"input_to_exc.connectivity.synapse_order": synapse_order}}
    if synapse_order else {}
)
try:
    engine = StandaloneEngine(load_variant(variant, **variant_options), **options)
except TypeError as error:
    print(json.dumps({"unsupported": str(error)}))
    sys.exit(0)
start = time.perf_counter()
engine.run_chunk("train", images[:0], ControllerState.initial(engine.settings), None, seed,
                 chunk_slots)
compile_s = time.perf_counter() - start
children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
records, _, timings = run_phase(engine, "train", images, learned_state=None, seed=seed,
                                chunk_slots=chunk_slots, progress=False)
children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
wall = sum(timings["chunk_wall_s"])
# CPU time of the compiled programs (user + system): unlike the wall time, it leaves out
# the time the program waited for a core that another process held
program_cpu = (children_after.ru_utime - children_before.ru_utime
               + children_after.ru_stime - children_before.ru_stime)
# a tree whose program stops a chunk once its images are done simulates only the slots used
# (and one step of the next); older trees run every slot of the last chunk
import inspect
import diehl_cook.standalone_engine as standalone_module
stops_early = "stop_when_done" in inspect.getsource(standalone_module.StandaloneEngine)
slots_run = records.n_slots if stops_early else chunk_slots * len(timings["chunk_wall_s"])
print(json.dumps({
    "compile_s": compile_s,
    "ms_per_image": 1000 * wall / n_images,
    "cpu_ms_per_image": 1000 * program_cpu / n_images,
    "ms_per_slot": 1000 * wall / slots_run,
    "n_slots": int(records.n_slots),
    "slots_run": slots_run,
    "mean_exc_spikes": float(records.exc_counts.sum(axis=1).mean()),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "peak_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def _export(revision, folder):
    """Write the tree of ``revision`` into ``folder``; return the folder."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", revision],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(folder, filter="data")
    # the package reads its equation files as diehl_cook.equations
    equations = Path(folder) / "diehl_cook" / "equations"
    if not equations.exists():
        equations.symlink_to(Path(folder) / "equations", target_is_directory=True)
    return Path(folder)


def _measure(
    tree,
    n_exc,
    n_images,
    chunk_slots,
    threads,
    seed,
    rest_shortcut_ms=0.0,
    variant="diehl_cook_2015",
    synapse_order="",
):
    environment = dict(os.environ, PYTHONPATH=str(tree))
    completed = subprocess.run(
        [sys.executable, "-c", _WORKER, str(tree), *map(str, (n_exc, n_images, chunk_slots))]
        + [str(threads), str(seed), str(rest_shortcut_ms), variant, synapse_order],
        capture_output=True,
        text=True,
        env=environment,
        cwd=str(tree),
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{tree} n_exc={n_exc}: worker failed\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--images", type=int, default=2000, help="training images per run")
    parser.add_argument("--chunk", type=int, default=500, help="slots per chunk")
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--against", default=None, help="git revision to time beside this tree")
    parser.add_argument("--repeats", type=int, default=1, help="runs per configuration")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--variant",
        default="diehl_cook_2015",
        help="model variant; diehl_cook_2015_population for 1600 and 6400 neurons (the "
        "Synapses form of the inhibition holds N(N-1) synapses: 41 million at 6400)",
    )
    parser.add_argument(
        "--rest-shortcut-ms",
        type=float,
        default=0.0,
        help="also time the current tree with protocol.rest_shortcut (ms), as 'shortcut'",
    )
    parser.add_argument(
        "--synapse-order",
        choices=["pre_delay"],
        default=None,
        help="also time the current tree with this synapse_order of the input pathway "
        "(input_to_exc.connectivity.synapse_order), labelled by it",
    )
    args = parser.parse_args()

    trees = {"current": REPOSITORY}
    if args.rest_shortcut_ms:
        trees["shortcut"] = REPOSITORY
    if args.synapse_order:
        trees[args.synapse_order] = REPOSITORY
    scratch = tempfile.TemporaryDirectory(prefix="diehl_cook_scaling_")
    if args.against:
        trees[args.against] = _export(args.against, Path(scratch.name) / "against")
    results = {}
    for n_exc in args.sizes:
        for threads in args.threads:
            for _ in range(args.repeats):
                for label, tree in reversed(list(trees.items())):
                    shortcut = args.rest_shortcut_ms if label == "shortcut" else 0.0
                    order = args.synapse_order if label == args.synapse_order else ""
                    figures = _measure(
                        tree,
                        n_exc,
                        args.images,
                        args.chunk,
                        threads,
                        args.seed,
                        shortcut,
                        args.variant,
                        order,
                    )
                    results.setdefault((label, n_exc, threads), []).append(figures)
                    print(label, n_exc, threads, json.dumps(figures), flush=True)

    print()
    print(
        f"MNIST, first {args.images} training images, chunks of {args.chunk} slots, "
        f"seed {args.seed}, variant {args.variant}; median of {args.repeats} run(s)"
    )
    print(
        "| tree | n_exc | threads | ms/image (whole phase) | CPU ms/image (program) | ms/slot "
        "| slots | compile (s) | peak RSS python / program (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    medians = {}
    for (label, n_exc, threads), runs in results.items():
        if any("unsupported" in run for run in runs):
            reason = next(run["unsupported"] for run in runs if "unsupported" in run)
            print(f"| {label} | {n_exc} | {threads} | not supported by this tree ({reason}) |||||")
            continue
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        medians[(label, n_exc, threads)] = median
        print(
            f"| {label} | {n_exc} | {threads} | {median['ms_per_image']:.2f} | "
            f"{median['cpu_ms_per_image']:.2f} | {median['ms_per_slot']:.2f} | "
            f"{median['n_slots']:.0f} | "
            f"{median['compile_s']:.1f} | {median['peak_rss_mb']:.0f} / "
            f"{median['peak_child_rss_mb']:.0f} |"
        )
    print()
    for (label, n_exc, threads), median in medians.items():
        if label != args.against and args.against and (args.against, n_exc, 1) in medians:
            old = medians[(args.against, n_exc, 1)]
            print(
                f"{n_exc} neurons, {threads} thread(s): {label} is "
                f"{old['ms_per_image'] / median['ms_per_image']:.2f}x {args.against} "
                f"(1 thread) in wall time per image, "
                f"{old['cpu_ms_per_image'] / median['cpu_ms_per_image']:.2f}x in CPU time"
            )
    base = {
        (label, threads): m
        for (label, n_exc, threads), m in medians.items()
        if label != args.against and n_exc == min(args.sizes)
    }
    for (label, n_exc, threads), median in medians.items():
        if n_exc != min(args.sizes) and (label, threads) in base:
            ratio = median["ms_per_image"] / base[(label, threads)]["ms_per_image"]
            print(
                f"cost per image, {label}, {n_exc} vs {min(args.sizes)} neurons "
                f"({threads} thread(s)): {ratio:.1f}x (work {n_exc / min(args.sizes):.0f}x)"
            )
    if args.synapse_order:
        for (label, n_exc, threads), median in medians.items():
            if label == args.synapse_order and ("current", n_exc, threads) in medians:
                old = medians[("current", n_exc, threads)]["ms_per_image"]
                print(
                    f"{n_exc} neurons, {threads} thread(s): synapse_order {label} is "
                    f"{old / median['ms_per_image']:.2f}x the default order"
                )
    scratch.cleanup()


if __name__ == "__main__":
    main()
