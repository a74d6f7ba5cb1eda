"""Export a run's recorded spikes to the formats of neuroscience tools: NWB and Neo.

Both exports hold the test presentations whose spike times were recorded
(``output.record_spike_times``, ``records/test_spike_trains.npz``), laid end to end on one
time axis: recorded presentation ``k`` starts at ``k * (presentation + rest)`` seconds.

- :func:`to_nwb` writes an NWB file (pynwb): excitatory and inhibitory neurons as the
  units table, the input layer as a second units table in ``processing/input``, one trial
  per presentation, the learned weights and θ, and ``config.toml``.
- :func:`to_neo` returns a ``neo.Block`` (one ``Segment`` per presentation, one
  ``SpikeTrain`` per neuron) that Elephant analyses directly; :func:`write_neo` saves it
  (NIX or pickle).

The dependencies are an optional extra: ``pip install "diehl_cook[export]"``.  From the
command line: ``python -m diehl_cook export RUN_DIR --format nwb|neo [--output PATH]``.
"""

from ._run import EXPORT_EXTRA, ExportedRun, read_run
from .neo_block import NEO_SUFFIXES, build_block, to_neo, write_neo
from .nwb import build_nwbfile, to_nwb

__all__ = [
    "EXPORT_EXTRA",
    "ExportedRun",
    "NEO_SUFFIXES",
    "build_block",
    "build_nwbfile",
    "read_run",
    "to_neo",
    "to_nwb",
    "write_neo",
]
