"""Train, label and evaluate: one function per command, each reading and writing a run folder.

The run folder's layout and the formats of its files are defined by
:class:`diehl_cook.run_folder.RunFolder`.

Training writes into ``<name>.incomplete/`` with checkpoints after every chunk; the folder is
renamed to ``<name>/`` when training finishes, so a run folder without the suffix always holds
a complete training.  Every file is written atomically (temporary file, then rename).
"""

import datetime
import platform
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from . import __version__
from .config import dump_config, load_config
from .data import dataset_info, load_configured
from .encodings import Encoding, load_encoding
from .errors import ConfigError
from .experiment import Experiment
from .labelling import accuracy, assign_labels, confusion_matrix, predict
from .learning_diagnostics import learning_summary
from .model import load_variant
from .run_folder import RunFolder
from .simulation import make_engine, run_phase

__all__ = ["evaluate", "label", "run", "train", "load_run_config"]


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


def _run_encoding(config, folder, training_images=None):
    """Return the run's input encoding: from ``encoding.json``, or calibrated and saved.

    A new run loads ``data.encoding`` and fixes its data-derived gain on the training images
    (``training_images``); every later pass of the run (labelling, testing, a resumed
    training) reads the same calibrated encoding back, so all splits share one gain.
    """
    saved = folder.read_encoding()
    if saved is not None:
        return Encoding(
            kind=saved["kind"], parameters=saved["parameters"], calibration=saved["calibration"]
        )
    name = config["data"]["encoding"]
    try:
        encoding = load_encoding(name)
    except ValueError as error:
        raise ConfigError(f"data.encoding = {name!r}: {error}") from None
    if encoding.needs_calibration:
        if training_images is None:
            raise ConfigError(
                f"{folder.path}: no {folder.encoding_path.name} (the calibrated "
                f"{encoding.kind} encoding); train the run first"
            )
        image_shape = dataset_info(config["data"]["dataset"]).image_shape
        encoding = encoding.calibrated(training_images, image_shape)
        folder.write_encoding(encoding.to_dict())
    return encoding


def _encoded(config, encoding, images):
    """``images`` (n, pixels) in the run's encoding: (n, n_inputs) intensities 0-255."""
    if encoding.kind == "plain":
        return images
    return encoding.encode(images, dataset_info(config["data"]["dataset"]).image_shape)


def _make_engine(config, n_input):
    """Create the engine of a resolved config, for ``n_input`` inputs."""
    experiment = Experiment.from_config(config)
    model, simulation = experiment.model, experiment.simulation
    variant = load_variant(model.variant, model.components, parameter_overrides=model.parameters)
    return make_engine(
        simulation.engine,
        variant,
        codegen_target=simulation.codegen_target,
        n_input=n_input,
        n_exc=model.n_exc,
        settings=experiment.protocol.settings,
        timing=experiment.protocol.timing,
        model_seed=simulation.seed,
    )


def _save_records(folder, phase, records, labels):
    folder.write_phase_records(
        phase,
        image_index=records.image_index,
        labels=np.asarray(labels)[records.image_index],
        exc_counts=records.exc_counts,
        input_counts=records.input_counts,
        intensity=records.intensity,
        retries=records.retries,
        n_slots=records.n_slots,
    )


def load_run_config(run_dir):
    """Read the resolved config of a run folder."""
    folder = RunFolder(run_dir)
    if not folder.has_config():
        raise ConfigError(f"{folder.path}: not a run folder (no {folder.config_path.name})")
    config, _ = load_config(folder.config_path)
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
    final_dir = Path(run_dir) if run_dir is not None else _run_dir_for(config, config_source)
    work = RunFolder(final_dir).incomplete
    work_dir = work.path
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
        work.write_config(dump_config(config))
    images, labels = _dataset_split(config, "train", config["data"]["n_train"])
    encoding = _run_encoding(config, work, training_images=images)
    images = _encoded(config, encoding, images)
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
            checkpoint_dir=work.checkpoint_dir("train", epoch=epoch),
            progress=simulation["progress"],
            max_chunks=max_chunks,
        )
        if records is None:
            return None
        epoch_records.append((records, timings))
    final_records = epoch_records[-1][0]
    _save_records(work, "train", final_records, labels)
    work.write_state(learned_state)
    n_images = len(images) * simulation["epochs"]
    wall = time.perf_counter() - started
    learning = learning_summary(
        final_records.exc_counts,
        learned_state["input_to_exc.w"],
        dataset_info(config["data"]["dataset"]).image_shape,
        encoding.n_channels,
    )["summary"]
    work.update_metrics(
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
                "compile_seconds": engine.compile_seconds,
                "mean_exc_spikes": float(final_records.exc_counts.sum(axis=1).mean()),
            },
            # did every neuron learn (diehl_cook.learning_diagnostics; last epoch's records)
            "learning": learning,
        },
    )
    shutil.rmtree(work.checkpoints_dir, ignore_errors=True)
    work_dir.rename(final_dir)
    return final_dir


def _frozen_pass(run_dir, phase, split, count_key, engine=None, record_spikes_images=0):
    folder = RunFolder(run_dir)
    config = load_run_config(run_dir)
    images, labels = _dataset_split(config, split, config["data"][count_key])
    images = _encoded(config, _run_encoding(config, folder), images)
    engine = engine or _make_engine(config, images.shape[1])
    learned_state = folder.read_state()
    compiled_before = set(engine.compile_seconds)
    records, _, timings = run_phase(
        engine,
        phase,
        images,
        learned_state=learned_state,
        seed=config["simulation"]["seed"],
        chunk_slots=config["simulation"]["chunk_slots"],
        checkpoint_dir=folder.checkpoint_dir(phase),
        progress=config["simulation"]["progress"],
        record_spikes_images=record_spikes_images,
    )
    _save_records(folder, phase, records, labels)
    shutil.rmtree(folder.checkpoint_dir(phase), ignore_errors=True)
    timings["ms_per_image"] = 1000 * timings["wall_time_s"] / len(images)
    timings["compile_seconds"] = {
        key: seconds
        for key, seconds in engine.compile_seconds.items()
        if key not in compiled_before
    }
    return config, records, labels[records.image_index], timings


def label(run_dir, engine=None):
    """Label every excitatory neuron from a frozen pass over training images.

    Writes ``records/label.npz`` and ``assignments.npz`` and returns the assignments.
    ``engine`` lets :func:`run` share one compiled frozen program with :func:`evaluate`.
    """
    config, records, labels, timings = _frozen_pass(run_dir, "label", "train", "n_label", engine)
    n_classes = dataset_info(config["data"]["dataset"]).n_classes
    assignments = assign_labels(records.exc_counts, labels, n_classes)
    folder = RunFolder(run_dir)
    folder.write_assignments(assignments)
    per_class = np.bincount(assignments[assignments >= 0], minlength=n_classes)
    folder.update_metrics(
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
    from .model import parse_quantity

    folder = RunFolder(run_dir)
    if not folder.has_assignments():
        raise ConfigError(f"{run_dir}: no {folder.assignments_path.name}; run `label` first")
    assignments = folder.read_assignments()
    n_recorded = load_run_config(run_dir)["output"]["record_spike_times"]
    config, records, labels, timings = _frozen_pass(
        run_dir, "test", "test", "n_test", engine, record_spikes_images=n_recorded
    )
    if records.spike_trains:
        n_kept = min(n_recorded, len(labels))
        folder.write_spike_trains(
            records.image_index[:n_kept],
            np.asarray(labels)[:n_kept],
            float(parse_quantity(config["protocol"]["presentation"])),
            float(parse_quantity(config["protocol"]["rest"])),
            records.spike_trains,
        )
    n_classes = dataset_info(config["data"]["dataset"]).n_classes
    predictions = predict(records.exc_counts, assignments, n_classes)
    matrix = confusion_matrix(labels, predictions, n_classes)
    folder.write_predictions(predictions, labels.astype(np.int64))
    folder.write_confusion_matrix(matrix)
    return folder.update_metrics(
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
    if resume and run_dir is None and not config["output"]["name"]:
        raise ConfigError("run --resume needs a fixed run folder: set output.name")
    final_dir = Path(run_dir) if run_dir is not None else _run_dir_for(config, config_source)
    if not (resume and final_dir.exists()):
        incomplete = RunFolder(final_dir).incomplete
        final_dir = train(
            config, config_source, run_dir=final_dir, resume=resume and incomplete.exists()
        )
    folder = RunFolder(final_dir)
    metrics = folder.read_metrics(missing_ok=True)
    if "accuracy" in metrics.get("test", {}) and folder.has_assignments():
        return final_dir, metrics
    image_shape = dataset_info(config["data"]["dataset"]).image_shape
    encoding = _run_encoding(config, RunFolder(final_dir))
    frozen_engine = _make_engine(load_run_config(final_dir), encoding.n_inputs(image_shape))
    if not folder.has_assignments() or "label" not in metrics:
        label(final_dir, frozen_engine)
    metrics = evaluate(final_dir, frozen_engine)
    return final_dir, metrics
