"""Parameter sweeps on Dask: every point one run folder, from a laptop to a cluster.

A sweep file (TOML) names a base experiment, values set for every point, and either axes
(the cartesian product is swept) or an explicit list of points::

    base = "demo"                 # shipped config name, or a path relative to this file
    name = "size_and_seed"        # default: the file name
    runs_dir = "runs/sweeps"      # default; the sweep's folder is <runs_dir>/<name>/

    [set]                         # for every point
    "data.n_train" = 2000

    [axes]                        # swept: 2 x 2 = 4 points
    "model.n_exc" = [100, 400]
    seed = [0, 1]                 # short names: seed, variant, dataset, n_exc

    # or, instead of [axes]:
    # [[points]]
    # "model.n_exc" = 100

:func:`run_sweep` submits one Dask task per point that is not finished yet.  A task runs
the point (train, label, evaluate, as ``run --resume``) and its information analysis, and
writes ``sweep_point.json`` into its run folder last, atomically: a point is finished
exactly when that file exists, so a second run of the sweep skips it.  A worker that dies
mid-point makes Dask run the task again elsewhere, and the point resumes from its last
checkpoint.  A point that raises is recorded in ``<sweep>/failures/<point>.txt`` and in the
summary; the other points go on.  Concurrent points that build the same standalone program
share its cache folder under a file lock, held while building and while running it
(:mod:`diehl_cook.simulation.standalone`), so points with the same model take turns.

The summary (``summary.csv``, ``summary.md``, ``summary.png``) has one row per finished
point: its parameters, test accuracy, mean information measures and wall time.
"""

from __future__ import annotations

import datetime
import itertools
import os
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_save_figure, atomic_write_text
from .errors import ConfigError
from .run_folder import AnalysisFiles, RunFolder

__all__ = ["Sweep", "SweepPoint", "SweepResult", "load_sweep", "run_point", "run_sweep"]

#: Short axis names and the config keys they stand for.
ALIASES = {
    "seed": "simulation.seed",
    "variant": "model.variant",
    "dataset": "data.dataset",
    "n_exc": "model.n_exc",
}
#: File in a point's run folder that marks it finished (written last).
FINISHED_NAME = RunFolder.SWEEP_POINT
#: Permutations of each point's information analysis: half of the default of
#: :func:`diehl_cook.analysis.analyze_run` (200), which keeps the analysis cheap next to the
#: point's run.  Kept at the value the sweep has always passed: another value would change
#: every point's p-values, significant sets and summary row.
ANALYSIS_N_PERMUTATIONS = 100


@dataclass(frozen=True)
class SweepPoint:
    """One point: its folder name, its swept values and its resolved config."""

    name: str
    values: dict
    config: dict


@dataclass
class Sweep:
    """A parsed sweep file."""

    name: str
    path: Path
    folder: Path
    axes: list
    points: list

    def point_dir(self, point):
        """Run folder of a point."""
        return self.folder / point.name


@dataclass
class SweepResult:
    """What :func:`run_sweep` did: the summary rows and the failures."""

    rows: list
    failures: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    ran: list = field(default_factory=list)
    wall_time_s: float = 0.0


def _full_key(key):
    return ALIASES.get(key, key)


def _value_text(value):
    text = str(value)
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in text)


def _point_name(values):
    if not values:
        return "base"
    flat = {}
    for key, value in values.items():
        # a table value ({"exc.theta_plus": "0.1 mV"}) is named by its entries; an empty
        # table ({}: the base's values) by its key
        if isinstance(value, dict):
            flat.update(value or {key: "none"})
        else:
            flat[key] = value
    return "__".join(f"{key.rpartition('.')[2]}={_value_text(v)}" for key, v in flat.items())


def load_sweep(path):
    """Read a sweep file and resolve the config of every point.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    Sweep

    Raises
    ------
    ConfigError
        For a missing or invalid file, both or neither of ``[axes]`` and ``[[points]]``, an
        empty axis, an unknown key or a bad value; the message names the file (and the
        point).
    """
    from .config import apply_values, load_config

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: sweep file not found")
    try:
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    unknown = set(document) - {"base", "name", "runs_dir", "set", "axes", "points"}
    if unknown:
        raise ConfigError(f"{path}: unknown sweep keys {sorted(unknown)}")
    if "base" not in document:
        raise ConfigError(f"{path}: 'base' (the experiment config to start from) is missing")
    base = document["base"]
    base_path = path.parent / base
    config, _ = load_config(base_path if base_path.suffix == ".toml" else base)
    fixed = {_full_key(key): value for key, value in document.get("set", {}).items()}
    config = apply_values(config, fixed, f"{path} [set]")
    axes = document.get("axes")
    listed = document.get("points")
    if (axes is None) == (listed is None):
        raise ConfigError(f"{path}: give either [axes] or [[points]], not both or neither")
    if axes is not None:
        axes = {_full_key(key): values for key, values in axes.items()}
        for key, values in axes.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{path}: axis {key!r} must be a non-empty list")
        combinations = [
            dict(zip(axes, combination, strict=True))
            for combination in itertools.product(*axes.values())
        ]
        axis_names = list(axes)
    else:
        combinations = [{_full_key(k): v for k, v in point.items()} for point in listed]
        axis_names = sorted({key for point in combinations for key in point})
    name = document.get("name", path.stem)
    runs_dir = Path(document.get("runs_dir", "runs/sweeps"))
    if not runs_dir.is_absolute():
        runs_dir = Path.cwd() / runs_dir
    points, names = [], set()
    for values in combinations:
        point_name = _point_name(values)
        if point_name in names:
            raise ConfigError(f"{path}: two points are both named {point_name!r}")
        names.add(point_name)
        point_config = apply_values(config, values, f"{path} point {point_name}")
        point_config["output"]["runs_dir"] = str(runs_dir / name)
        point_config["output"]["name"] = point_name
        point_config["simulation"]["progress"] = False
        points.append(SweepPoint(point_name, values, point_config))
    return Sweep(name, path, runs_dir / name, axis_names, points)


def _mean(values):
    values = [value for value in values if value is not None]
    return sum(values) / len(values) if values else None


def _information_means(folder):
    neurons = folder.read_analysis_json(AnalysisFiles.NEURONS_JSON)["neurons"]
    classes = folder.read_analysis_json(AnalysisFiles.TABLE2_JSON)["classes"]
    return {
        "mean_output_entropy_bits": _mean(row["entropy_spiked_bits"] for row in neurons),
        "mean_class_information_bits": _mean(row["class_information_bits"] for row in neurons),
        "n_neurons_with_class_information": sum(
            bool(row.get("class_information_significant_bh")) for row in neurons
        ),
        "mean_jaccard_spiked_vs_significant": _mean(
            row["jaccard"]["spiked_vs_significant_fdr"] for row in classes
        ),
        **_learning_counts(folder),
    }


def _learning_counts(folder):
    """Neurons that never fired and that did not learn (``metrics.json`` ``learning``)."""
    learning = folder.read_metrics(missing_ok=True).get("learning", {})
    return {key: learning.get(key) for key in ("n_never_fired", "n_unlearned")}


def run_point(config, run_dir, values):
    """Run one point to completion (resuming what exists) and analyse it.

    Runs in a Dask worker; returns the point's summary row, which is also written to
    ``<run_dir>/sweep_point.json`` (the finished marker).

    Parameters
    ----------
    config : dict
        The point's resolved config.
    run_dir : str or pathlib.Path
    values : dict
        The point's swept values (go into the row).

    Returns
    -------
    dict
    """
    from .analysis import analyze_run
    from .pipeline import run

    start = time.perf_counter()
    run_dir, metrics = run(config, run_dir=Path(run_dir), resume=True)
    folder = RunFolder(run_dir)
    if not folder.analysis_summary_path.is_file():
        analyze_run(folder.path, n_permutations=ANALYSIS_N_PERMUTATIONS)
    row = {
        **values,
        "point": folder.name,
        "accuracy": metrics["test"]["accuracy"],
        "accuracy_proportion_weighting": metrics["test"].get("accuracy_proportion_weighting"),
        **_information_means(folder),
        "run_wall_time_s": sum(
            metrics.get(phase, {}).get("wall_time_s", 0.0) for phase in ("train", "label", "test")
        ),
        "task_wall_time_s": time.perf_counter() - start,
        "worker_pid": os.getpid(),
    }
    folder.write_sweep_point(row)
    return row


def _brian2_import_plugin():
    from dask.distributed import WorkerPlugin

    class ImportBrian2(WorkerPlugin):
        """Import Brian2 in each worker's main thread, before any task runs.

        Brian2's ``__init__`` installs a SIGINT handler, which Python allows only in the
        main thread; Dask runs tasks in other threads.
        """

        name = "diehl_cook-import-brian2"

        def setup(self, worker):
            import brian2  # noqa: F401

    return ImportBrian2()


def _finished_row(run_dir):
    return RunFolder(run_dir).read_sweep_point()


def run_sweep(sweep, *, scheduler=None, n_workers=None, client=None, progress=True):
    """Run every unfinished point of a sweep on Dask, then write the summary.

    Parameters
    ----------
    sweep : Sweep
        From :func:`load_sweep`.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).  Default: a
        ``LocalCluster`` on this machine.
    n_workers : int, optional
        Workers of the local cluster (one thread each).  Default: the number of cores.
    client : distributed.Client, optional
        Use this client instead (``scheduler`` and ``n_workers`` are then ignored).
    progress : bool, optional
        Show points done, running and failed with an ETA.  Default: True.

    Returns
    -------
    SweepResult
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from tqdm.auto import tqdm

    start = time.perf_counter()
    sweep.folder.mkdir(parents=True, exist_ok=True)
    result = SweepResult(rows=[])
    pending = []
    for point in sweep.points:
        row = _finished_row(sweep.point_dir(point))
        if row is None:
            pending.append(point)
        else:
            result.skipped.append(point.name)
    own_client = None
    if pending and client is None:
        if scheduler:
            own_client = Client(scheduler)
        else:
            cluster = LocalCluster(
                n_workers=n_workers or os.cpu_count(), threads_per_worker=1, processes=True
            )
            own_client = Client(cluster)
        client = own_client
    try:
        if pending:
            client.register_plugin(_brian2_import_plugin())
            if client.dashboard_link:
                print(f"Dask dashboard: {client.dashboard_link}")
            futures = {
                client.submit(
                    run_point,
                    point.config,
                    str(sweep.point_dir(point)),
                    point.values,
                    key=f"sweep-{sweep.name}-{point.name}",
                    pure=False,
                    retries=1,
                ): point
                for point in pending
            }
            bar = tqdm(
                total=len(futures), desc=f"sweep {sweep.name}", unit="point", disable=not progress
            )
            failures_dir = sweep.folder / "failures"
            for future in as_completed(futures):
                point = futures[future]
                if future.status == "finished":
                    result.ran.append(point.name)
                    (failures_dir / f"{point.name}.txt").unlink(missing_ok=True)
                else:
                    error = future.exception()
                    text = "".join(
                        traceback.format_exception(type(error), error, future.traceback())
                    )
                    result.failures[point.name] = f"{type(error).__name__}: {error}"
                    failures_dir.mkdir(exist_ok=True)
                    atomic_write_text(failures_dir / f"{point.name}.txt", text)
                bar.update(1)
                bar.set_postfix(
                    done=len(result.ran),
                    running=sum(f.status == "pending" for f in futures),
                    failed=len(result.failures),
                )
            bar.close()
    finally:
        if own_client is not None:
            cluster = own_client.cluster
            own_client.close()
            if cluster is not None:
                cluster.close()
    for point in sweep.points:
        row = _finished_row(sweep.point_dir(point))
        if row is not None:
            result.rows.append(row)
    result.wall_time_s = time.perf_counter() - start
    write_summary(sweep, result)
    return result


def write_summary(sweep, result):
    """Write ``summary.csv``, ``summary.md`` and ``summary.png`` into the sweep's folder."""
    columns = [
        *sweep.axes,
        "accuracy",
        "accuracy_proportion_weighting",
        "mean_output_entropy_bits",
        "mean_class_information_bits",
        "n_neurons_with_class_information",
        "mean_jaccard_spiked_vs_significant",
        "n_never_fired",
        "n_unlearned",
        "run_wall_time_s",
        "point",
    ]

    def cell(value):
        if isinstance(value, float):
            return f"{value:.4g}"
        return "" if value is None else str(value)

    lines = [",".join(columns)]
    lines += [",".join(cell(row.get(column)) for column in columns) for row in result.rows]
    atomic_write_text(sweep.folder / "summary.csv", "\n".join(lines) + "\n")
    markdown = [
        f"# Sweep {sweep.name}",
        "",
        f"From `{sweep.path}`, written {datetime.datetime.now():%Y-%m-%d %H:%M}. "
        f"{len(result.rows)} of {len(sweep.points)} points finished; this call ran "
        f"{len(result.ran)}, skipped {len(result.skipped)} finished ones and took "
        f"{result.wall_time_s:.1f} s.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    markdown += [
        "| " + " | ".join(cell(row.get(column)) for column in columns) + " |"
        for row in result.rows
    ]
    if result.failures:
        markdown += ["", "## Failed points", ""]
        markdown += [
            f"- `{name}`: {message} (traceback in `failures/{name}.txt`)"
            for name, message in result.failures.items()
        ]
    atomic_write_text(sweep.folder / "summary.md", "\n".join(markdown) + "\n")
    if result.rows and sweep.axes:
        atomic_save_figure(sweep.folder / "summary.png", _summary_figure(sweep, result.rows))


def _summary_figure(sweep, rows):
    """Accuracy against the first non-seed axis, mean and spread over the other axes."""
    import numpy as np
    from matplotlib.figure import Figure

    axis = next((a for a in sweep.axes if a != "simulation.seed"), sweep.axes[0])
    groups = {}
    for row in rows:
        groups.setdefault(str(row.get(axis)), []).append(100 * row["accuracy"])
    labels = list(groups)
    means = [np.mean(groups[label]) for label in labels]
    spreads = [np.std(groups[label]) for label in labels]
    figure = Figure(figsize=(5, 3.5))
    ax = figure.add_subplot()
    ax.errorbar(range(len(labels)), means, yerr=spreads, fmt="o-", capsize=4)
    for index, label in enumerate(labels):
        ax.scatter([index] * len(groups[label]), groups[label], color="0.5", s=10, zorder=3)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(axis)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"sweep {sweep.name}: mean ± s.d. over the other axes (dots: points)", fontsize=8)
    return figure
