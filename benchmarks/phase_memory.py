"""Peak memory of a whole phase's records, kept per slot or per accepted presentation.

A training phase is run in chunks; each chunk's records have one row per slot (retries
included).  ``run_phase`` keeps of every chunk only its accepted presentations
(``ChunkRecords.accepted``) and joins them at the end (``PhaseRecords.from_accepted``).
Before, it held every chunk's slot records, joined them whole and then selected the accepted
rows (restated in the worker below).  This script measures both ways side by side, each in a
fresh process, on synthetic chunks of the shape of a whole MNIST epoch (60,000 images in
105,137 slots, as measured for 100 neurons, ``results/README.md``), and prints the peak
resident memory of each.  No network is simulated: the figures are the records' share of a
run's memory, on top of the engine's own (``benchmarks/scaling.py`` prints that).

Run from the repository root::

    python benchmarks/phase_memory.py --n-exc 6400
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

_WORKER = r"""
import json, resource, sys
import numpy as np
from diehl_cook.simulation import ChunkRecords, PhaseRecords, ProtocolSettings
from diehl_cook.simulation.protocol import accepted_slots
mode, n_exc, n_images, n_slots, chunk_slots = sys.argv[1], *map(int, sys.argv[2:6])
settings = ProtocolSettings()
rng = np.random.default_rng(0)
# which slots are retries: n_slots - n_images failed tries (fewer than min_spikes spikes)
failed = np.zeros(n_slots, bool)
failed[rng.choice(n_slots - 1, n_slots - n_images, replace=False)] = True  # last: accepted
position = np.cumsum(~failed) - (~failed)
retries = np.zeros(n_slots, np.int64)
kept, slot_chunks, slots_used = [], [], 0
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
for start in range(0, n_slots, chunk_slots):
    stop = min(start + chunk_slots, n_slots)
    counts = rng.integers(0, 3, (stop - start, n_exc), dtype=np.uint16)
    counts[failed[start:stop]] = 0
    counts[~failed[start:stop], 0] += settings.min_spikes
    chunk = ChunkRecords(
        position=position[start:stop],
        intensity=np.full(stop - start, 2.0),
        retries=retries[start:stop],
        exc_counts=counts,
        input_counts=rng.integers(0, 3, (stop - start, 784), dtype=np.uint16),
    )
    if mode == "accepted":
        kept.append(chunk.accepted(settings, n_images))
        slots_used += stop - start
    else:
        slot_chunks.append(chunk)
    del chunk, counts
if mode == "accepted":
    records = PhaseRecords.from_accepted(kept, slots_used)
else:
    # the code before: every slot's rows joined whole, then the accepted ones selected
    joined = {name: np.concatenate([getattr(c, name) for c in slot_chunks])
              for name in ("position", "intensity", "retries", "exc_counts", "input_counts")}
    order = np.flatnonzero(accepted_slots(ChunkRecords(**joined), settings, n_images))
    records = PhaseRecords(joined["position"][order], joined["exc_counts"][order],
                           joined["input_counts"][order], joined["intensity"][order],
                           joined["retries"][order], int((joined["position"] < n_images).sum()))
assert len(records.image_index) == n_images and records.n_slots == n_slots
print(json.dumps({
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "baseline_mb": baseline,
    "records_mb": (records.exc_counts.nbytes + records.input_counts.nbytes) / 2**20,
}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-exc", type=int, default=6400)
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--slots", type=int, default=105137, help="slots, retries included")
    parser.add_argument("--chunk", type=int, default=500, help="slots per chunk")
    args = parser.parse_args()
    sizes = [str(value) for value in (args.n_exc, args.images, args.slots, args.chunk)]
    print(
        f"{args.n_exc} neurons, {args.images} images in {args.slots} slots, chunks of "
        f"{args.chunk} slots; synthetic records, no simulation"
    )
    print("| records kept per chunk | peak RSS (MB) | of which the phase's records (MB) |")
    print("|---|---|---|")
    for mode, title in (
        ("slots", "every slot, joined whole (the code before)"),
        ("accepted", "accepted presentations only (now)"),
    ):
        completed = subprocess.run(
            [sys.executable, "-c", _WORKER, mode, *sizes],
            capture_output=True,
            text=True,
            cwd=str(REPOSITORY),
            check=True,
        )
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
        print(f"| {title} | {figures['peak_rss_mb']:.0f} | {figures['records_mb']:.0f} |")


if __name__ == "__main__":
    main()
