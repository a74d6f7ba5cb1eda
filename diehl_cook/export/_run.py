"""What the exporters read from a run folder: one object with the recorded presentations.

The exporters (:mod:`diehl_cook.export.nwb`, :mod:`diehl_cook.export.neo_block`) write the
same content; this module reads it once, through :class:`diehl_cook.run_folder.RunFolder`.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DiehlCookError, RunFolderError
from ..run_folder import RecordedSpikes, RunFolder

__all__ = ["EXPORT_EXTRA", "ExportedRun", "read_run", "require"]

#: The pip command that installs the exporters' dependencies.
EXPORT_EXTRA = 'pip install "diehl_cook[export]"'

#: Full names of the layers, for descriptions.
LAYER_NAMES = {
    "input": "Poisson input (one neuron per pixel or ON/OFF channel)",
    "exc": "excitatory",
    "inh": "inhibitory",
}


def require(module: str):
    """Import ``module`` (``pynwb``, ``neo``, ...) or say how to install it.

    Parameters
    ----------
    module : str
        Name of the module to import.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    DiehlCookError
        If the module is not installed; the message names the extra that installs it.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise DiehlCookError(
            f"exporting needs {module}, which is not installed: {EXPORT_EXTRA}"
        ) from error


@dataclass
class ExportedRun:
    """The recorded test presentations of a run, on one time axis (all times in seconds).

    Recorded presentation ``k`` occupies the slot ``[k * slot_s, (k + 1) * slot_s)``: the
    presentation window ``[onset, onset + presentation_s)``, then the rest.  Retried slots
    are not recorded and not on the axis.

    Attributes
    ----------
    name : str
        Name of the run folder.
    path : pathlib.Path
        The run folder.
    spikes : diehl_cook.run_folder.RecordedSpikes
        The spike trains, times from each presentation's onset, with the size of every layer.
    intensity : (n_presentations,) numpy.ndarray of float
        Input intensity of each recorded presentation.
    retries : (n_presentations,) numpy.ndarray of int
        Failed slots (too few excitatory spikes) before it.
    n_test : int
        Test presentations of the run (all of them, recorded or not).
    dt_s : float
        Simulation time step: the resolution of every spike time.
    config : dict
        The resolved configuration (``config.toml``).
    config_text : str
        The text of ``config.toml``.
    state : dict of str to numpy.ndarray
        The learned state (``state.npz``): ``input_to_exc.w``, ``exc.theta``, ...
    metrics : dict
        ``metrics.json`` (empty if absent).
    model_files : dict of str to str
        Text of the variant file, its parameter file and every component file, by name
        (empty when the variant's files cannot be found).
    created : datetime.datetime
        When the run started (the time of ``config.toml``), in UTC.
    """

    name: str
    path: Path
    spikes: RecordedSpikes
    intensity: np.ndarray
    retries: np.ndarray
    n_test: int
    dt_s: float
    config: dict
    config_text: str
    state: dict
    metrics: dict
    model_files: dict = field(default_factory=dict)
    created: datetime.datetime | None = None

    @property
    def n_presentations(self) -> int:
        """Number of recorded presentations (the ones exported)."""
        return self.spikes.n_presentations

    @property
    def slot_s(self) -> float:
        """Duration of one slot on the time axis: presentation plus rest (s)."""
        return self.spikes.presentation_s + self.spikes.rest_s

    @property
    def onsets(self) -> np.ndarray:
        """Onset of each recorded presentation on the time axis (s)."""
        return np.arange(self.n_presentations) * self.slot_s

    @property
    def duration_s(self) -> float:
        """Length of the time axis: one slot per recorded presentation (s)."""
        return self.n_presentations * self.slot_s

    def spike_times(self, layer: str, neuron: int | None = None) -> np.ndarray:
        """Spike times of a layer (or of one of its neurons) on the time axis, sorted (s)."""
        trains = self.spikes.layers[layer]
        times = self.onsets[trains.row] + trains.time if len(trains.row) else trains.time
        keep = slice(None) if neuron is None else trains.neuron == neuron
        return np.sort(times[keep])

    def spike_times_by_neuron(self, layer: str) -> list[np.ndarray]:
        """Sorted spike times (s, on the time axis) of every neuron of ``layer``, in order."""
        trains = self.spikes.layers[layer]
        times = self.onsets[trains.row] + trains.time if len(trains.row) else trains.time
        order = np.lexsort((times, trains.neuron))
        neurons, times = trains.neuron[order], times[order]
        bounds = np.searchsorted(neurons, np.arange(self.spikes.n_neurons[layer] + 1))
        return [times[start:stop] for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]

    def coverage(self) -> str:
        """One sentence: which presentations the export holds, and how they are laid out."""
        spikes = self.spikes
        return (
            f"Spike times of the first {self.n_presentations} of the {self.n_test} test "
            f"presentations of run {self.name!r} (those recorded: output.record_spike_times = "
            f"{self.config.get('output', {}).get('record_spike_times', '?')}); the others "
            f"have spike counts only, in the run folder (records/test.npz). Presentations "
            f"are laid end to end on one time axis: presentation k starts at "
            f"k * {self.slot_s:g} s ({spikes.presentation_s:g} s of input, then "
            f"{spikes.rest_s:g} s of rest); retried slots are not recorded."
        )


def _created(folder: RunFolder) -> datetime.datetime:
    """When the run started: the modification time of ``config.toml``, in UTC."""
    stamp = os.stat(folder.config_path).st_mtime
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC).replace(microsecond=0)


def _model_files(config: dict) -> dict[str, str]:
    """Text of the variant's files by name; empty if the variant cannot be loaded."""
    from ..errors import ComponentError
    from ..model.variants import load_variant

    model = config.get("model", {})
    try:
        variant = load_variant(model.get("variant", "diehl_cook_2015"), model.get("components"))
    except (ComponentError, OSError):
        return {}
    paths = [variant.path, variant.parameters_path]
    for group in variant.roles.values():
        for roles in group.values():
            paths.extend(path for path in roles.values() if path is not None)
    files = {}
    for path in paths:
        files.setdefault(Path(path).name, Path(path).read_text())
    return files


def read_run(run_dir: str | os.PathLike, *, model_files: bool = True) -> ExportedRun:
    """Read what the exporters need from a run folder.

    Parameters
    ----------
    run_dir : str or os.PathLike
        A run folder that has been evaluated with ``output.record_spike_times`` > 0.
    model_files : bool, optional
        Also read the text of the variant's equation and parameter files.  Default: True.

    Returns
    -------
    ExportedRun

    Raises
    ------
    RunFolderError
        If the folder, its ``config.toml``, ``records/test.npz``, ``state.npz`` or its
        spike trains (``records/test_spike_trains.npz``) are missing or damaged.
    """
    from ..model.quantities import parse_quantity

    folder = RunFolder(run_dir)
    if not folder.is_dir():
        raise RunFolderError(f"{folder.path}: no such run folder")
    if not folder.has_config():
        raise RunFolderError(f"{folder.path}: not a run folder (no {folder.CONFIG})")
    if not folder.has_records("test"):
        raise RunFolderError(
            f"{folder.path}: no {folder.records_path('test').relative_to(folder.path)}; "
            "run `evaluate` first"
        )
    if not folder.has_spike_trains():
        raise RunFolderError(
            f"{folder.path}: no spike times to export "
            f"({folder.spike_trains_path.relative_to(folder.path)} is missing); the run was "
            "evaluated with output.record_spike_times = 0. Run `evaluate` again on a run "
            "whose config.toml sets output.record_spike_times > 0"
        )
    config_text = folder.config_path.read_text()
    config = folder.read_config()
    try:
        records = folder.read_phase_records(
            "test", ("image_index", "exc_counts", "input_counts", "intensity", "retries")
        )
        state = folder.read_state()
        n_neurons = {
            "input": records["input_counts"].shape[1],
            "exc": records["exc_counts"].shape[1],
            "inh": records["exc_counts"].shape[1],
        }
        spikes = folder.read_spike_trains(n_neurons)
    except FileNotFoundError as error:
        raise RunFolderError(f"{folder.path}: {error}") from error
    except (ValueError, OSError) as error:
        raise RunFolderError(f"{folder.path}: damaged records: {error}") from error
    rows = {int(image): row for row, image in enumerate(records["image_index"])}
    missing = [int(image) for image in spikes.image_index if int(image) not in rows]
    if missing:
        raise RunFolderError(
            f"{folder.spike_trains_path}: test images {missing[:5]} have spike times but no "
            f"row in {folder.records_path('test')}"
        )
    recorded = np.array([rows[int(image)] for image in spikes.image_index], dtype=np.int64)
    return ExportedRun(
        name=folder.complete.name,
        path=folder.path,
        spikes=spikes,
        intensity=np.asarray(records["intensity"], dtype=float)[recorded],
        retries=np.asarray(records["retries"], dtype=np.int64)[recorded],
        n_test=len(records["image_index"]),
        dt_s=float(parse_quantity(config.get("protocol", {}).get("dt", "0.5 ms"))),
        config=config,
        config_text=config_text,
        state=state,
        metrics=folder.read_metrics(missing_ok=True),
        model_files=_model_files(config) if model_files else {},
        created=_created(folder),
    )
