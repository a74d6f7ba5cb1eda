"""Where a training slot's time goes: Brian2's per-code-object timers, per network size.

For each size, trains the standalone engine (profiling build) on the first MNIST training
images with the full protocol and prints the seconds spent in each code object, as a share
of the total and as microseconds per slot.  The timers themselves cost time, so the total is
larger than in ``benchmarks/scaling.py``; the shares are what this script is for.

Run from the repository root (MNIST must be fetched: ``make data``)::

    python benchmarks/profile_codeobjects.py --sizes 100 400 --images 300
"""

import argparse
import tempfile
import time

from diehl_cook.data import load
from diehl_cook.model import SlotTiming, load_variant
from diehl_cook.simulation import ProtocolSettings, run_phase
from diehl_cook.simulation.standalone import StandaloneEngine


def profile_size(n_exc, n_images, chunk_slots, seed, variant_name):
    """Train ``n_exc`` neurons on ``n_images`` images; return (profile, slots run, wall s)."""
    images, _ = load("mnist", "train")
    images = images.reshape(len(images), -1)[:n_images]
    engine = StandaloneEngine(
        load_variant(variant_name),
        n_input=images.shape[1],
        n_exc=n_exc,
        settings=ProtocolSettings(),
        timing=SlotTiming(),
        model_seed=seed,
        build_root=tempfile.mkdtemp(prefix="diehl_cook_profile_"),
        profile=True,
    )
    totals = {}
    run_chunk = engine.run_chunk

    def run_and_add_profile(*args, **kwargs):
        result = run_chunk(*args, **kwargs)
        for name, seconds in engine.last_profile.items():
            totals[name] = totals.get(name, 0.0) + seconds
        return result

    engine.run_chunk = run_and_add_profile
    start = time.perf_counter()
    records, _, _ = run_phase(
        engine,
        "train",
        images,
        learned_state=None,
        seed=seed,
        chunk_slots=chunk_slots,
        progress=False,
    )
    wall = time.perf_counter() - start
    # the last chunk stops once its images are done: the slots run are those used
    slots_run = records.n_slots
    return dict(sorted(totals.items(), key=lambda item: -item[1])), slots_run, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--images", type=int, default=300, help="training images per size")
    parser.add_argument("--chunk", type=int, default=100, help="slots per chunk")
    parser.add_argument("--variant", default="diehl_cook_2015")
    parser.add_argument("--top", type=int, default=12, help="code objects shown per size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for n_exc in args.sizes:
        profile, slots_run, wall = profile_size(
            n_exc, args.images, args.chunk, args.seed, args.variant
        )
        total = sum(profile.values())
        print(
            f"\n## {n_exc} neurons ({args.variant}), {args.images} images, {slots_run} slots, "
            f"timed code objects {total:.2f} s of {wall:.2f} s wall"
        )
        print("| code object | share | us per slot |")
        print("|---|---|---|")
        for name, seconds in list(profile.items())[: args.top]:
            print(f"| {name} | {100 * seconds / total:.1f} % | {1e6 * seconds / slots_run:.0f} |")


if __name__ == "__main__":
    main()
