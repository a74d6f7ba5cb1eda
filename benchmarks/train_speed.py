"""Training speed of the runtime and standalone engines, side by side in one run.

Both engines train the same model (``diehl_cook_2015`` by default, the full protocol:
350 ms presentation, 150 ms rest, retries, normalisation, STDP, theta) on the first MNIST
training images, one after the other, with the same seed.  For each engine and network
size it prints:

* compilation time (C++ build of the standalone program; Cython compilation for the
  runtime engine), measured on its own and excluded from the speed figures;
* the median over chunks of milliseconds per training image (retries included, since a
  retried image costs more slots) and per slot;
* images, slots and the retry fraction.

The speed-up is the ratio of the two medians of milliseconds per image.

Run from the repository root (MNIST must be fetched: ``make data``)::

    python benchmarks/train_speed.py                       # 100 and 400 neurons
    python benchmarks/train_speed.py --sizes 100 --standalone-images 1000

A one-core figure: the standalone program is single-threaded; run nothing else heavy at
the same time.
"""

import argparse
import statistics
import tempfile
import time

import numpy as np

from diehl_cook.data import load
from diehl_cook.model import SlotTiming, load_variant
from diehl_cook.simulation import ControllerState, ProtocolSettings, run_phase
from diehl_cook.simulation.runtime import RuntimeEngine
from diehl_cook.simulation.standalone import StandaloneEngine


def _measure(engine, images, chunk_slots, seed):
    """Compile, then train on ``images`` in chunks; return the figures of one engine."""
    start = time.perf_counter()
    # a zero-image chunk of the same length builds (or loads) the program or the
    # Cython extensions without counting towards the speed
    engine.run_chunk(
        "train",
        images[:0],
        ControllerState.initial(engine.settings),
        None,
        seed,
        chunk_slots,
    )
    compile_s = time.perf_counter() - start
    records, _, timings = run_phase(
        engine,
        "train",
        images,
        learned_state=None,
        seed=seed,
        chunk_slots=chunk_slots,
        progress=False,
    )
    per_image = [
        1000 * wall / n_images
        for wall, n_images in zip(timings["chunk_wall_s"], timings["chunk_images"], strict=True)
        if n_images > 0
    ]
    # every chunk runs chunk_slots slots, the last one included (idle slots are padding)
    per_slot = [1000 * wall / chunk_slots for wall in timings["chunk_wall_s"]]
    return {
        "compile_s": compile_s,
        "ms_per_image": statistics.median(per_image),
        "ms_per_slot": statistics.median(per_slot),
        "n_images": len(images),
        "n_slots": records.n_slots,
        "retry_fraction": float(np.mean(records.retries > 0)),
        "wall_s": timings["wall_time_s"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="diehl_cook_2015")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    parser.add_argument(
        "--standalone-images", type=int, default=2000, help="training images per size"
    )
    parser.add_argument("--standalone-chunk", type=int, default=250, help="slots per chunk")
    parser.add_argument("--runtime-images", type=int, default=24)
    parser.add_argument("--runtime-chunk", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--build-dir",
        default=None,
        help="standalone build cache (default: a fresh temporary folder, so that the "
        "compile time is measured)",
    )
    args = parser.parse_args()

    variant = load_variant(args.variant)
    images, _ = load("mnist", "train")
    images = images.reshape(len(images), -1)
    settings = ProtocolSettings()
    timing = SlotTiming()
    build_dir = args.build_dir or tempfile.mkdtemp(prefix="diehl_cook_bench_")
    rows = []
    for n_exc in args.sizes:
        common = dict(
            n_input=images.shape[1],
            n_exc=n_exc,
            settings=settings,
            timing=timing,
            model_seed=args.seed,
        )
        standalone = StandaloneEngine(variant, build_root=build_dir, **common)
        figures = _measure(
            standalone, images[: args.standalone_images], args.standalone_chunk, args.seed
        )
        rows.append(("standalone", n_exc, figures))
        print(_format_row(*rows[-1]), flush=True)
        runtime = RuntimeEngine(variant, codegen_target="cython", **common)
        figures = _measure(runtime, images[: args.runtime_images], args.runtime_chunk, args.seed)
        rows.append(("runtime", n_exc, figures))
        print(_format_row(*rows[-1]), flush=True)

    print()
    print(f"variant {args.variant}, dt {timing.dt * 1000:g} ms, MNIST, seed {args.seed}")
    print(
        "| engine | n_exc | compile (s) | ms/image (median) | ms/slot (median) "
        "| images | slots | retried | wall (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(_format_row(*row))
    print()
    by_size = {}
    for engine_name, n_exc, figures in rows:
        by_size.setdefault(n_exc, {})[engine_name] = figures["ms_per_image"]
    for n_exc, medians in by_size.items():
        if {"standalone", "runtime"} <= set(medians):
            ratio = medians["runtime"] / medians["standalone"]
            print(f"speed-up, {n_exc} neurons: standalone is {ratio:.1f}x the runtime engine")


def _format_row(engine_name, n_exc, figures):
    return (
        f"| {engine_name} | {n_exc} | {figures['compile_s']:.1f} | "
        f"{figures['ms_per_image']:.2f} | {figures['ms_per_slot']:.2f} | "
        f"{figures['n_images']} | {figures['n_slots']} | "
        f"{100 * figures['retry_fraction']:.1f}% | {figures['wall_s']:.1f} |"
    )


if __name__ == "__main__":
    main()
