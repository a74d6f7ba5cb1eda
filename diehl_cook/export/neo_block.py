"""Export the recorded test presentations of a run folder as a Neo ``Block``.

One ``Segment`` per recorded presentation, holding one ``SpikeTrain`` per neuron of each
exported layer (units: s).  Segments lie end to end on one time axis, the same as in the
NWB export: segment ``k`` spans ``[k * slot, (k + 1) * slot)`` with ``slot`` the
presentation plus the rest, and every train of it has that ``t_start`` and ``t_stop``, so
``elephant.statistics.mean_firing_rate(train)`` is the neuron's spike count over the slot
duration.  Each segment has an ``Epoch`` named ``presentation`` with two intervals
(``presentation`` and ``rest``) and is annotated with the image index, class, intensity
and retries; each train is annotated with ``layer`` and ``neuron_index``.  The block has
one ``Group`` per layer gathering its trains across segments.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import DiehlCookError
from ..simulation.protocol import SPIKE_LAYERS
from ._files import default_path, write_through_temporary
from ._run import LAYER_NAMES, ExportedRun, read_run, require

__all__ = ["NEO_SUFFIXES", "build_block", "to_neo", "write_neo"]

#: File suffix -> the Neo IO class that :func:`write_neo` writes it with.
NEO_SUFFIXES = {".pkl": "PickleIO", ".nix": "NixIO"}


def _split_by_neuron(times: np.ndarray, neuron: np.ndarray, n_neurons: int) -> list[np.ndarray]:
    """Sorted spike times of every neuron ``0 ... n_neurons - 1``."""
    order = np.lexsort((times, neuron))
    neuron, times = neuron[order], times[order]
    bounds = np.searchsorted(neuron, np.arange(n_neurons + 1))
    return [times[start:stop] for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


def build_block(run: ExportedRun, layers: Sequence[str] = SPIKE_LAYERS):
    """Build the ``neo.Block`` of a run (see the module docstring for its layout).

    Parameters
    ----------
    run : ExportedRun
        What :func:`diehl_cook.export.read_run` read from the run folder.
    layers : sequence of str, optional
        Layers whose spike trains to include.  Default: ``input``, ``exc``, ``inh``.

    Returns
    -------
    neo.Block
    """
    neo = require("neo")
    import quantities as pq
    from neo.core.spiketrainlist import SpikeTrainList

    unknown = [layer for layer in layers if layer not in SPIKE_LAYERS]
    if unknown:
        raise DiehlCookError(f"unknown layer(s) {unknown}; expected some of {SPIKE_LAYERS}")
    spikes = run.spikes
    model = run.config.get("model", {})
    block = neo.Block(
        name=run.name,
        description=run.coverage(),
        file_origin=str(run.path),
        variant=str(model.get("variant", "")),
        dataset=str(run.config.get("data", {}).get("dataset", "")),
        n_test=int(run.n_test),
        presentation_s=float(spikes.presentation_s),
        rest_s=float(spikes.rest_s),
        dt_s=float(run.dt_s),
        config_toml=run.config_text,
    )
    groups = {
        layer: neo.Group(
            name=layer,
            description=f"{LAYER_NAMES[layer]} layer: one spike train per neuron and segment",
            allowed_types=[neo.SpikeTrain],
            layer=layer,
            n_neurons=int(spikes.n_neurons[layer]),
        )
        for layer in layers
    }
    block.groups.extend(groups.values())
    by_layer = {layer: [] for layer in layers}
    by_row = {}
    for layer in layers:
        trains = spikes.layers[layer]
        order = np.argsort(trains.row, kind="stable")
        bounds = np.searchsorted(trains.row[order], np.arange(run.n_presentations + 1))
        by_row[layer] = (trains, order, bounds)
    for k, onset in enumerate(run.onsets):
        t_start, t_stop = float(onset), float(onset + run.slot_s)
        segment = neo.Segment(
            name=f"presentation {k}: test image {int(spikes.image_index[k])}",
            description=f"recorded test presentation {k}",
            index=k,
            image_index=int(spikes.image_index[k]),
            label=int(spikes.labels[k]),
            intensity=float(run.intensity[k]),
            retries=int(run.retries[k]),
        )
        segment.epochs.append(
            neo.Epoch(
                times=[t_start, t_start + spikes.presentation_s] * pq.s,
                durations=[spikes.presentation_s, spikes.rest_s] * pq.s,
                labels=np.array(["presentation", "rest"]),
                name="presentation",
            )
        )
        start_q, stop_q = t_start * pq.s, t_stop * pq.s
        segment_trains = []
        for layer in layers:
            trains, order, bounds = by_row[layer]
            rows = order[bounds[k] : bounds[k + 1]]
            per_neuron = _split_by_neuron(
                trains.time[rows] + t_start, trains.neuron[rows], spikes.n_neurons[layer]
            )
            for neuron, times in enumerate(per_neuron):
                train = neo.SpikeTrain(
                    np.clip(times, t_start, t_stop),
                    units=pq.s,
                    t_start=start_q,
                    t_stop=stop_q,
                    name=f"{layer} {neuron}",
                    layer=layer,
                    neuron_index=neuron,
                )
                train.segment = segment
                segment_trains.append(train)
                by_layer[layer].append(train)
        # whole lists at once: appending one by one checks every train against the list
        # (quadratic in the number of trains)
        segment.spiketrains = SpikeTrainList(items=segment_trains, parent=segment)
        block.segments.append(segment)
    for layer, group in groups.items():
        group.spiketrains = SpikeTrainList(items=by_layer[layer])
    block.check_relationships()
    return block


def to_neo(run_dir: str | os.PathLike, layers: Sequence[str] = SPIKE_LAYERS):
    """Return the recorded test presentations of a run folder as a ``neo.Block``.

    One ``Segment`` per recorded presentation (``output.record_spike_times``), with one
    ``SpikeTrain`` (units: s) per neuron and layer, annotated with ``layer`` and
    ``neuron_index``.  The block's description says which presentations it holds.

    Parameters
    ----------
    run_dir : str or os.PathLike
        An evaluated run folder with ``records/test_spike_trains.npz``.
    layers : sequence of str, optional
        Layers to include.  Default: ``input``, ``exc``, ``inh``.

    Returns
    -------
    neo.Block

    Raises
    ------
    diehl_cook.errors.RunFolderError
        If the run folder has no recorded spike times or lacks another file it needs.
    diehl_cook.errors.DiehlCookError
        If neo is not installed (``pip install "diehl_cook[export]"``).

    Examples
    --------
    >>> import elephant.statistics
    >>> block = to_neo("runs/demo", layers=["exc"])  # doctest: +SKIP
    >>> elephant.statistics.mean_firing_rate(block.segments[0].spiketrains[0])  # doctest: +SKIP
    array(4.) * Hz
    """
    require("neo")
    return build_block(read_run(run_dir, model_files=False), layers)


def write_neo(
    run_dir: str | os.PathLike,
    path: str | os.PathLike | None = None,
    *,
    layers: Sequence[str] = SPIKE_LAYERS,
    overwrite: bool = False,
) -> Path:
    """Write :func:`to_neo`'s block to a file: pickle (``.pkl``) or NIX (``.nix``).

    Pickle (``neo.io.PickleIO``) is the default: small and quick (about 0.3 kB and 1 ms a
    spike train), read back with ``neo.io.PickleIO(path).read_block()`` by the same
    versions of Neo and Python.  NIX (``neo.io.NixIO``, needs nixio) is the portable
    format, but it costs about 20 kB and 20 ms a spike train: keep it for small exports
    (``layers=["exc", "inh"]``, few presentations).

    Parameters
    ----------
    run_dir : str or os.PathLike
        An evaluated run folder with ``records/test_spike_trains.npz``.
    path : str or os.PathLike, optional
        The file to write; its suffix chooses the Neo IO (:data:`NEO_SUFFIXES`).  Default:
        ``<run_dir>/export/<run name>.neo.pkl``.
    layers : sequence of str, optional
        Layers to include.  Default: ``input``, ``exc``, ``inh``.
    overwrite : bool, optional
        Replace an existing file.  Default: False.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    diehl_cook.errors.DiehlCookError
        For an unknown suffix, a missing dependency, or an existing file without
        ``overwrite`` (and :class:`~diehl_cook.errors.RunFolderError` as :func:`to_neo`).
    """
    path = Path(path) if path is not None else default_path(run_dir, ".neo.pkl")
    io_name = NEO_SUFFIXES.get(path.suffix)
    if io_name is None:
        raise DiehlCookError(
            f"{path}: unknown Neo file type {path.suffix!r}; use one of {', '.join(NEO_SUFFIXES)}"
        )
    if io_name == "NixIO":
        require("nixio")
    neo = require("neo")
    block = to_neo(run_dir, layers)

    def write(temporary: Path) -> None:
        if io_name == "NixIO":
            io = neo.io.NixIO(str(temporary), mode="ow")
        else:
            io = getattr(neo.io, io_name)(str(temporary))
        try:
            io.write_block(block)
        finally:
            if hasattr(io, "close"):
                io.close()

    return write_through_temporary(path, write, overwrite=overwrite)
