"""Train, label and evaluate: one function per command, each reading and writing a run folder.

Run folder (``<runs_dir>/<name>/``)::

    config.toml            resolved configuration
    state.npz              learned state: ``input_to_exc.w`` (n_input, n_exc), ``exc.theta`` (V)
    records/train.npz      per-presentation spike counts of every input and excitatory neuron,
    records/label.npz      with image index, class label, intensity and retries
    records/test.npz
    records/test_spike_trains.npz  spike times (input, exc, inh) of the first test images
    assignments.npz        class of every excitatory neuron (-1: never fired)
    predictions.npz        predicted and true class of every test image
    confusion_matrix.csv   rows: true class, columns: predicted class
    metrics.json           accuracy, counts, timings, seed, versions, git commit

Training writes into ``<name>.incomplete/`` with checkpoints after every chunk; the folder is
renamed to ``<name>/`` when training finishes, so a run folder without the suffix always holds
a complete training.  Every file is written atomically (temporary file, then rename).
"""

import datetime
import json
import platform
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from . import __version__
from .atomic import atomic_save_npz, atomic_write_text
from .config import dump_config, load_config
from .errors import ConfigError
from .labelling import accuracy, assign_labels, confusion_matrix, predict

__all__ = ["evaluate", "label", "run", "train", "load_run_config"]

INCOMPLETE_SUFFIX = ".incomplete"


def _git_commit():
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def _versions():
    import brian2
    import scipy

    return {
        "diehl_cook": __version__,
        "brian2": brian2.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }


def _dataset_split(config, split, count):
    from .datasets import load_configured

    data = config["data"]
    images, labels = load_configured(data, split)
    if count:
        if count > len(images):
            raise ConfigError(
                f"data.n_{'test' if split == 'test' else 'train'} = {count} but the {split} "
                f"split of {data['dataset']} has {len(images)} images"
            )
        images, labels = images[:count], labels[:count]
    return images.reshape(len(images), -1), labels


def _make_engine(config, n_input):
    from .builder import SlotTiming
    from .components import load_variant
    from .protocol import ProtocolSettings
    from .quantities import parse_quantity

    model, protocol, simulation = config["model"], config["protocol"], config["simulation"]
    variant = load_variant(model["variant"], model["components"])
    timing = SlotTiming(
        dt=float(parse_quantity(protocol["dt"])),
        presentation=float(parse_quantity(protocol["presentation"])),
        rest=float(parse_quantity(protocol["rest"])),
    )
    settings = ProtocolSettings(
        min_spikes=protocol["min_spikes"],
        intensity_start=protocol["intensity_start"],
        intensity_step=protocol["intensity_step"],
        max_retries=protocol["max_retries"],
        normalisation_target=protocol["normalisation_target"],
    )
    common = dict(
        n_input=n_input,
        n_exc=model["n_exc"],
        settings=settings,
        timing=timing,
        model_seed=simulation["seed"],
    )
    if simulation["engine"] == "runtime":
        from .runtime_engine import RuntimeEngine

        return RuntimeEngine(variant, codegen_target=simulation["codegen_target"], **common)
    from .standalone_engine import StandaloneEngine

    return StandaloneEngine(variant, **common)


def _save_records(path, records, labels):
    atomic_save_npz(
        path,
        image_index=records.image_index,
        labels=np.asarray(labels)[records.image_index],
        exc_counts=records.exc_counts,
        input_counts=records.input_counts,
        intensity=records.intensity,
        retries=records.retries,
        n_slots=np.array(records.n_slots),
    )


def _update_metrics(run_dir, updates):
    path = Path(run_dir) / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(metrics.get(key), dict):
            metrics[key].update(value)
        else:
            metrics[key] = value
    atomic_write_text(path, json.dumps(metrics, indent=2, sort_keys=True))
    return metrics


def load_run_config(run_dir):
    """Read the resolved config of a run folder."""
    run_dir = Path(run_dir)
    path = run_dir / "config.toml"
    if not path.is_file():
        raise ConfigError(f"{run_dir}: not a run folder (no config.toml)")
    config, _ = load_config(path)
    return config


def _run_dir_for(config, config_source):
    output = config["output"]
    name = output["name"]
    if not name:
        stem = config_source.stem if config_source else "run"
        name = f"{stem}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    return Path(output["runs_dir"]) / name


def train(config, config_source=None, *, resume=False, run_dir=None, max_chunks=None):
    """Train a network and write its run folder.

    Parameters
    ----------
    config : dict
        Resolved config (:func:`diehl_cook.config.load_config`).
    config_source : pathlib.Path, optional
        The config file (names the run folder by default).
    resume : bool, optional
        Continue the incomplete run folder of the same name from its last checkpoint.
    run_dir : pathlib.Path, optional
        Run folder to use instead of ``<runs_dir>/<name>``.
    max_chunks : int, optional
        Stop after this many chunks (leaves the run incomplete; for tests of resuming).

    Returns
    -------
    pathlib.Path or None
        The complete run folder, or None if stopped by ``max_chunks``.
    """
    from .simulation import run_phase

    final_dir = Path(run_dir) if run_dir is not None else _run_dir_for(config, config_source)
    work_dir = final_dir.with_name(final_dir.name + INCOMPLETE_SUFFIX)
    if final_dir.exists():
        raise ConfigError(f"{final_dir}: run folder exists already (choose another name)")
    if work_dir.exists() and not resume:
        raise ConfigError(
            f"{work_dir}: an interrupted run with this name exists; continue it with "
            "`train --resume` or delete it"
        )
    if resume and not work_dir.exists():
        raise ConfigError(f"{work_dir}: nothing to resume")
    work_dir.mkdir(parents=True, exist_ok=True)
    if resume:
        config = load_run_config(work_dir)
    else:
        atomic_write_text(work_dir / "config.toml", dump_config(config))
    images, labels = _dataset_split(config, "train", config["data"]["n_train"])
    engine = _make_engine(config, images.shape[1])
    simulation = config["simulation"]
    learned_state = None
    epoch_records = []
    started = time.perf_counter()
    for epoch in range(simulation["epochs"]):
        records, learned_state, timings = run_phase(
            engine,
            "train",
            images,
            learned_state=learned_state,
            seed=simulation["seed"] + 1000 * epoch,
            chunk_slots=simulation["chunk_slots"],
            checkpoint_dir=work_dir / "checkpoints" / f"train-epoch{epoch}",
            progress=simulation["progress"],
            max_chunks=max_chunks,
        )
        if records is None:
            return None
        epoch_records.append((records, timings))
    final_records = epoch_records[-1][0]
    (work_dir / "records").mkdir(exist_ok=True)
    _save_records(work_dir / "records" / "train.npz", final_records, labels)
    atomic_save_npz(work_dir / "state.npz", **learned_state)
    n_images = len(images) * simulation["epochs"]
    wall = time.perf_counter() - started
    _update_metrics(
        work_dir,
        {
            "seed": simulation["seed"],
            "engine": engine.name,
            "variant": engine.variant.name,
            "n_exc": config["model"]["n_exc"],
            "dataset": config["data"]["dataset"],
            "versions": _versions(),
            "git_commit": _git_commit(),
            "train": {
                "n_images": n_images,
                "n_slots": int(sum(t["n_slots"] for _, t in epoch_records)),
                "wall_time_s": wall,
                "ms_per_image": 1000 * wall / n_images,
                "compile_seconds": getattr(engine, "compile_seconds", {}),
                "mean_exc_spikes": float(final_records.exc_counts.sum(axis=1).mean()),
            },
        },
    )
    shutil.rmtree(work_dir / "checkpoints", ignore_errors=True)
    work_dir.rename(final_dir)
    return final_dir


def _save_spike_trains(path, records, labels, n_recorded, config):
    """Write the recorded spike times of the first ``n_recorded`` presentations."""
    from .quantities import parse_quantity

    protocol = config["protocol"]
    arrays = {
        "image_index": records.image_index[:n_recorded],
        "labels": np.asarray(labels)[:n_recorded],
        "presentation_s": np.array(float(parse_quantity(protocol["presentation"]))),
        "rest_s": np.array(float(parse_quantity(protocol["rest"]))),
    }
    for layer, trains in records.spike_trains.items():
        arrays[f"{layer}_presentation"] = trains.row
        arrays[f"{layer}_neuron"] = trains.neuron
        arrays[f"{layer}_time_s"] = trains.time
    atomic_save_npz(path, **arrays)


def _frozen_pass(run_dir, phase, split, count_key, engine=None, record_spikes_images=0):
    from .simulation import run_phase

    config = load_run_config(run_dir)
    images, labels = _dataset_split(config, split, config["data"][count_key])
    engine = engine or _make_engine(config, images.shape[1])
    with np.load(Path(run_dir) / "state.npz") as saved:
        learned_state = {name: saved[name] for name in saved.files}
    compiled_before = set(getattr(engine, "compile_seconds", {}))
    records, _, timings = run_phase(
        engine,
        phase,
        images,
        learned_state=learned_state,
        seed=config["simulation"]["seed"],
        chunk_slots=config["simulation"]["chunk_slots"],
        checkpoint_dir=Path(run_dir) / "checkpoints" / phase,
        progress=config["simulation"]["progress"],
        record_spikes_images=record_spikes_images,
    )
    (Path(run_dir) / "records").mkdir(exist_ok=True)
    _save_records(Path(run_dir) / "records" / f"{phase}.npz", records, labels)
    shutil.rmtree(Path(run_dir) / "checkpoints" / phase, ignore_errors=True)
    timings["ms_per_image"] = 1000 * timings["wall_time_s"] / len(images)
    timings["compile_seconds"] = {
        key: seconds
        for key, seconds in getattr(engine, "compile_seconds", {}).items()
        if key not in compiled_before
    }
    return config, records, labels[records.image_index], timings


def label(run_dir, engine=None):
    """Label every excitatory neuron from a frozen pass over training images.

    Writes ``records/label.npz`` and ``assignments.npz`` and returns the assignments.
    ``engine`` lets :func:`run` share one compiled frozen program with :func:`evaluate`.
    """
    from .datasets import dataset_info

    config, records, labels, timings = _frozen_pass(run_dir, "label", "train", "n_label", engine)
    n_classes = dataset_info(config["data"]["dataset"]).n_classes
    assignments = assign_labels(records.exc_counts, labels, n_classes)
    atomic_save_npz(Path(run_dir) / "assignments.npz", assignments=assignments)
    per_class = np.bincount(assignments[assignments >= 0], minlength=n_classes)
    _update_metrics(
        run_dir,
        {
            "label": {
                "n_images": len(labels),
                "n_unassigned": int((assignments < 0).sum()),
                "neurons_per_class": per_class.tolist(),
                **timings,
            }
        },
    )
    return assignments


def evaluate(run_dir, engine=None):
    """Classify the test images with the neuron labels; write accuracy and confusion matrix.

    Returns
    -------
    dict
        The run's metrics, with ``test.accuracy`` (0-1).
    """
    from .datasets import dataset_info

    assignments_path = Path(run_dir) / "assignments.npz"
    if not assignments_path.is_file():
        raise ConfigError(f"{run_dir}: no assignments.npz; run `label` first")
    with np.load(assignments_path) as saved:
        assignments = saved["assignments"]
    n_recorded = load_run_config(run_dir)["output"]["record_spike_times"]
    config, records, labels, timings = _frozen_pass(
        run_dir, "test", "test", "n_test", engine, record_spikes_images=n_recorded
    )
    if records.spike_trains:
        _save_spike_trains(
            Path(run_dir) / "records" / "test_spike_trains.npz",
            records,
            labels,
            min(n_recorded, len(labels)),
            config,
        )
    n_classes = dataset_info(config["data"]["dataset"]).n_classes
    predictions = predict(records.exc_counts, assignments, n_classes)
    matrix = confusion_matrix(labels, predictions, n_classes)
    atomic_save_npz(
        Path(run_dir) / "predictions.npz", predicted=predictions, true=labels.astype(np.int64)
    )
    header = "true\\predicted," + ",".join(str(c) for c in range(n_classes))
    rows = [f"{c}," + ",".join(str(v) for v in matrix[c]) for c in range(n_classes)]
    atomic_write_text(Path(run_dir) / "confusion_matrix.csv", "\n".join([header, *rows]) + "\n")
    return _update_metrics(
        run_dir,
        {
            "test": {
                "accuracy": accuracy(labels, predictions),
                "n_images": len(labels),
                "mean_exc_spikes": float(records.exc_counts.sum(axis=1).mean()),
                "retry_fraction": float((records.retries > 0).mean()),
                **timings,
            }
        },
    )


def run(config, config_source=None, run_dir=None, resume=False):
    """Train, label and evaluate in turn; return the run folder and its metrics.

    Parameters
    ----------
    config : dict
        Resolved config (:func:`diehl_cook.config.load_config`).
    config_source : pathlib.Path, optional
        The config file (names the run folder by default).
    run_dir : pathlib.Path, optional
        Run folder to use instead of ``<runs_dir>/<name>``.
    resume : bool, optional
        Do only what is missing: continue an interrupted training, label and evaluate a run
        that lacks them, and return a finished run as it is.  Needs a fixed run folder
        (``output.name`` or ``run_dir``).  Default: False (the run folder must be new).

    Returns
    -------
    run_dir : pathlib.Path
    metrics : dict
    """
    from .datasets import dataset_info

    if resume and run_dir is None and not config["output"]["name"]:
        raise ConfigError("run --resume needs a fixed run folder: set output.name")
    final_dir = Path(run_dir) if run_dir is not None else _run_dir_for(config, config_source)
    if not (resume and final_dir.exists()):
        incomplete = final_dir.with_name(final_dir.name + INCOMPLETE_SUFFIX)
        final_dir = train(
            config, config_source, run_dir=final_dir, resume=resume and incomplete.exists()
        )
    metrics_path = final_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    if "accuracy" in metrics.get("test", {}) and (final_dir / "assignments.npz").is_file():
        return final_dir, metrics
    height, width = dataset_info(config["data"]["dataset"]).image_shape
    frozen_engine = _make_engine(load_run_config(final_dir), height * width)
    if not (final_dir / "assignments.npz").is_file() or "label" not in metrics:
        label(final_dir, frozen_engine)
    metrics = evaluate(final_dir, frozen_engine)
    return final_dir, metrics
