"""Export the recorded test presentations of a run folder to an NWB file (pynwb).

Layout of the file (times in seconds on one axis: recorded presentation ``k`` starts at
``k * (presentation + rest)``)::

    session_description          which presentations are exported, and the time axis
    protocol                     config.toml, verbatim (the model and the protocol)
    units                        excitatory and inhibitory neurons: spike_times, layer
                                 ("exc" / "inh"), neuron_index; resolution = dt
    intervals/trials             one row per recorded presentation (the presentation
                                 window): image_index, label, intensity, retries
    processing/input/input_units the input layer's spike times (a Units table):
                                 neuron_index; one unit per input neuron
    processing/network/excitatory_state   learned state, one row per excitatory neuron:
                                 theta (V), input_weights (n_input,), assigned_class
    processing/network/model_files        text of the variant's files (name, text)
    notes                        metrics.json (accuracy, timings, versions, git commit)

The input spikes are kept out of ``units``: the input layer is the stimulus (Poisson
trains drawn from the pixels), not neurons of the network, and tools that read
``nwbfile.units`` as the recorded cells would count 784 stimulus channels among them.  A
``Units`` table in a processing module keeps the same ragged spike-time layout (readable
with the same calls, e.g. ``nwbfile.processing["input"]["input_units"].to_dataframe()``)
and passes the validator, which a second top-level ``units`` table would not.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np

from ._files import default_path, write_through_temporary
from ._run import LAYER_NAMES, ExportedRun, read_run, require

__all__ = ["to_nwb"]

#: DOI of Diehl & Cook (2015).
PAPER_DOI = "doi:10.3389/fncom.2015.00099"


def _units_table(pynwb, hdmf, run: ExportedRun, layers, name, description, compression):
    """Build a ``Units`` table with the spike times of ``layers``, one unit per neuron."""
    trains = [times for layer in layers for times in run.spike_times_by_neuron(layer)]
    n_units = len(trains)
    flat = np.concatenate(trains) if trains else np.empty(0)
    spike_times = hdmf.common.VectorData(
        name="spike_times",
        description="spike times of each unit (s, on the export's time axis)",
        data=_compressed(hdmf, flat, compression),
    )
    spike_times_index = hdmf.common.VectorIndex(
        name="spike_times_index",
        data=np.cumsum([len(times) for times in trains], dtype=np.int64),
        target=spike_times,
    )
    obs_intervals = hdmf.common.VectorData(
        name="obs_intervals",
        description="the whole time axis: every unit is observed in every recorded slot",
        data=np.tile([0.0, run.duration_s], (n_units, 1)),
    )
    obs_intervals_index = hdmf.common.VectorIndex(
        name="obs_intervals_index",
        data=np.arange(1, n_units + 1, dtype=np.int64),
        target=obs_intervals,
    )
    layer_names = [layer for layer in layers for _ in range(run.spikes.n_neurons[layer])]
    columns = [
        spike_times,
        spike_times_index,
        obs_intervals,
        obs_intervals_index,
        hdmf.common.VectorData(
            name="neuron_index",
            description="index of the neuron within its layer",
            data=np.concatenate(
                [np.arange(run.spikes.n_neurons[layer], dtype=np.int64) for layer in layers]
            ),
        ),
    ]
    if len(layers) > 1:
        columns.append(
            hdmf.common.VectorData(
                name="layer",
                description="layer of the neuron: "
                + ", ".join(f"{layer!r} ({LAYER_NAMES[layer]})" for layer in layers),
                data=layer_names,
            )
        )
    return pynwb.misc.Units(
        name=name,
        description=description,
        resolution=run.dt_s,
        id=hdmf.common.ElementIdentifiers(name="id", data=np.arange(n_units, dtype=np.int64)),
        columns=columns,
    )


def _compressed(hdmf, data, compression):
    """Wrap ``data`` for HDF5 compression (``compression`` None: leave it as it is)."""
    if compression is None or np.size(data) == 0:
        return data
    from hdmf.backends.hdf5 import H5DataIO

    return H5DataIO(data, compression=compression, shuffle=True)


def _add_trials(nwbfile, run: ExportedRun) -> None:
    """One trial per recorded presentation: its presentation window and its image."""
    nwbfile.add_trial_column("image_index", "index of the test image within the test set")
    nwbfile.add_trial_column("label", "class of the test image")
    nwbfile.add_trial_column(
        "intensity", "input intensity of the accepted presentation (rate = pixel / 8 x this, Hz)"
    )
    nwbfile.add_trial_column(
        "retries", "failed slots (too few excitatory spikes) before this presentation"
    )
    spikes = run.spikes
    for k, onset in enumerate(run.onsets):
        nwbfile.add_trial(
            start_time=float(onset),
            stop_time=float(onset + spikes.presentation_s),
            image_index=int(spikes.image_index[k]),
            label=int(spikes.labels[k]),
            intensity=float(run.intensity[k]),
            retries=int(run.retries[k]),
        )


def _state_table(hdmf, run: ExportedRun, compression):
    """Tabulate the learned state of the excitatory neurons, one row per neuron.

    Returns the table and the arrays of ``state.npz`` that are not per excitatory neuron.
    """
    n_exc = run.spikes.n_neurons["exc"]
    columns = [
        hdmf.common.VectorData(
            name="neuron_index",
            description="index of the excitatory neuron (the units table's neuron_index)",
            data=np.arange(n_exc, dtype=np.int64),
        )
    ]
    state = dict(run.state)
    if "exc.theta" in state:
        columns.append(
            hdmf.common.VectorData(
                name="theta",
                description="adaptive threshold increment theta after training (V)",
                data=np.asarray(state.pop("exc.theta"), dtype=float),
            )
        )
    if "input_to_exc.w" in state:
        weights = np.asarray(state.pop("input_to_exc.w"), dtype=float)
        columns.append(
            hdmf.common.VectorData(
                name="input_weights",
                description="learned weights of the input-to-excitatory synapses onto this "
                "neuron, one per input neuron (input_units neuron_index order); the run "
                "folder's state.npz holds them as input_to_exc.w (n_input x n_exc)",
                data=_compressed(hdmf, np.ascontiguousarray(weights.T), compression),
            )
        )
    assignments_path = run.path / "assignments.npz"
    if assignments_path.is_file():
        with np.load(assignments_path) as saved:
            if "assignments" in saved.files:
                columns.append(
                    hdmf.common.VectorData(
                        name="assigned_class",
                        description="class assigned in labelling (-1: never fired)",
                        data=np.asarray(saved["assignments"], dtype=np.int64),
                    )
                )
    others = {}
    for name, values in sorted(state.items()):
        values = np.asarray(values)
        if values.ndim < 1 or values.shape[-1] != n_exc:
            others[name] = values
        else:
            columns.append(
                hdmf.common.VectorData(
                    name=name.replace(".", "_"),
                    description=f"learned state {name} (state.npz)",
                    data=np.moveaxis(values, -1, 0),
                )
            )
    table = hdmf.common.DynamicTable(
        name="excitatory_state",
        description="learned state of the excitatory neurons after training (state.npz)",
        id=hdmf.common.ElementIdentifiers(name="id", data=np.arange(n_exc, dtype=np.int64)),
        columns=columns,
    )
    return table, others


def _model_files_table(hdmf, run: ExportedRun):
    """Tabulate the text of the variant's files: variant, parameters, every component."""
    names = list(run.model_files)
    return hdmf.common.DynamicTable(
        name="model_files",
        description="the model variant's files (variant, parameter and equation files), "
        "verbatim, as found when exporting",
        id=hdmf.common.ElementIdentifiers(name="id", data=np.arange(len(names), dtype=np.int64)),
        columns=[
            hdmf.common.VectorData(name="file_name", description="file name", data=names),
            hdmf.common.VectorData(
                name="text", description="file contents", data=[run.model_files[n] for n in names]
            ),
        ],
    )


def build_nwbfile(run: ExportedRun, *, compression: str | None = "gzip"):
    """Build the in-memory ``pynwb.NWBFile`` of a run (layout: the module docstring).

    Parameters
    ----------
    run : ExportedRun
        What :func:`diehl_cook.export.read_run` read from the run folder.
    compression : str or None, optional
        HDF5 filter of the spike times and weights.  Default: ``"gzip"``.

    Returns
    -------
    pynwb.NWBFile
    """
    require("pynwb")
    import hdmf.common
    import pynwb
    import pynwb.misc

    from .. import __version__

    config = run.config
    model = config.get("model", {})
    data = config.get("data", {})
    n_exc = run.spikes.n_neurons["exc"]
    nwbfile = pynwb.NWBFile(
        session_description=run.coverage(),
        identifier=str(uuid.uuid4()),
        session_start_time=run.created,
        session_id=run.name,
        experiment_description=(
            f"Simulation of the unsupervised STDP spiking network of Diehl & Cook (2015), "
            f"model variant {model.get('variant', '?')!r}: "
            f"{run.spikes.n_neurons['input']} Poisson input neurons, {n_exc} excitatory and "
            f"{run.spikes.n_neurons['inh']} inhibitory neurons, dataset "
            f"{data.get('dataset', '?')!r}; recorded on the test images after training "
            f"(STDP off, theta frozen). Model files: processing/network/model_files."
        ),
        protocol=run.config_text,
        notes="metrics.json of the run:\n" + json.dumps(run.metrics, indent=1, sort_keys=True),
        stimulus_notes=(
            "Each test image drives the input layer as Poisson spike trains "
            "(rate = pixel / 8 x intensity Hz) during the presentation window, then a rest "
            "with no input; the input spike times are in processing/input/input_units."
        ),
        keywords=["spiking neural network", "STDP", "Brian2", "simulation", "Diehl & Cook"],
        related_publications=[PAPER_DOI],
        source_script=f"diehl_cook {__version__} (git {run.metrics.get('git_commit', '?')})",
        source_script_file_name="python -m diehl_cook export",
    )
    nwbfile.units = _units_table(
        pynwb,
        hdmf,
        run,
        ("exc", "inh"),
        "units",
        "the network's excitatory and inhibitory neurons (column layer)",
        compression,
    )
    _add_trials(nwbfile, run)
    input_module = nwbfile.create_processing_module(
        "input", "spike times of the input layer (the stimulus: Poisson trains of the pixels)"
    )
    input_module.add(
        _units_table(
            pynwb,
            hdmf,
            run,
            ("input",),
            "input_units",
            "input neurons, one per pixel (ON/OFF encodings: per channel and pixel), in "
            "the order of the input_weights columns",
            compression,
        )
    )
    network = nwbfile.create_processing_module(
        "network", "learned state of the network and the files of its model"
    )
    table, others = _state_table(hdmf, run, compression)
    network.add(table)
    for name, values in others.items():
        nwbfile.add_scratch(values, name=name, description=f"learned state {name} (state.npz)")
    if run.model_files:
        network.add(_model_files_table(hdmf, run))
    return nwbfile


def to_nwb(
    run_dir: str | os.PathLike,
    path: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    compression: str | None = "gzip",
) -> Path:
    """Write the recorded test presentations of a run folder as an NWB file.

    The file holds the excitatory and inhibitory spike times (``units``, with the layer as
    a column), the input spike times (``processing/input/input_units``), one trial per
    recorded presentation (image index, class, intensity, retries), the learned weights
    and θ (``processing/network/excitatory_state``) and ``config.toml`` (``protocol``).
    Only the presentations with recorded spike times (``output.record_spike_times``) are
    exported; the file's session description says so.

    Parameters
    ----------
    run_dir : str or os.PathLike
        An evaluated run folder with ``records/test_spike_trains.npz``.
    path : str or os.PathLike, optional
        The file to write.  Default: ``<run_dir>/export/<run name>.nwb``.
    overwrite : bool, optional
        Replace an existing file.  Default: False.
    compression : str or None, optional
        HDF5 filter of the spike times and weights.  Default: ``"gzip"``.

    Returns
    -------
    pathlib.Path
        The file written (it passes ``pynwb.validate``).

    Raises
    ------
    diehl_cook.errors.RunFolderError
        If the run folder has no recorded spike times or lacks another file it needs.
    diehl_cook.errors.DiehlCookError
        If pynwb is not installed (``pip install "diehl_cook[export]"``), or ``path``
        exists and ``overwrite`` is False.

    Examples
    --------
    >>> from diehl_cook.export import to_nwb
    >>> to_nwb("runs/demo")  # doctest: +SKIP
    PosixPath('runs/demo/export/demo.nwb')
    """
    pynwb = require("pynwb")
    run = read_run(run_dir)
    path = Path(path) if path is not None else default_path(run_dir, ".nwb")
    nwbfile = build_nwbfile(run, compression=compression)

    def write(temporary: Path) -> None:
        with pynwb.NWBHDF5IO(temporary, "w") as io:
            io.write(nwbfile)

    return write_through_temporary(path, write, overwrite=overwrite)
