"""Train, label and evaluate: one function per command, each reading and writing a run folder.

The run folder's layout and the formats of its files are defined by
:class:`diehl_cook.run_folder.RunFolder`.

Training writes into ``<name>.incomplete/`` with checkpoints after every chunk; the folder is
renamed to ``<name>/`` when training finishes, so a run folder without the suffix always holds
a complete training.  Every file is written atomically (temporary file, then rename).

Each command holds the run's lock (:meth:`~diehl_cook.run_folder.RunFolder.lock`), so a
second run of the same name refuses.  A command killed at any moment can be run again (with
``--resume`` for ``train`` and ``run``): every phase's checkpoints stay until the phase's
last file is written, so the rerun redoes at most the chunk that was in progress.
"""

import datetime
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

from . import __version__
from .analysis.study_table import study_record_count
from .atomic import remove_tree, rename_folder
from .config import dump_config, load_config
from .data import dataset_info, load_configured
from .encodings import Encoding, load_encoding
from .errors import ConfigError, MissingRunFileError
from .experiment import Experiment
from .labelling import (
    accuracy,
    assign_labels,
    class_proportions,
    confusion_matrix,
    interval_assignments,
    predict,
)
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
    engine = make_engine(
        simulation.engine,
        variant,
        codegen_target=simulation.codegen_target,
        n_input=n_input,
        n_exc=model.n_exc,
        settings=experiment.protocol.settings,
        timing=experiment.protocol.timing,
        model_seed=simulation.seed,
        threads=simulation.threads,
    )
    engine.validate()  # both phases: a broken frozen-phase file fails before training
    return engine


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
    if not folder.is_dir():
        raise MissingRunFileError(f"{folder.path}: run folder not found")
    if not folder.has_config():
        raise MissingRunFileError(
            f"{folder.path}: not a run folder (no {folder.config_path.name})"
        )
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
    with RunFolder(final_dir).lock():
        return _train(config, final_dir, resume=resume, max_chunks=max_chunks)


def _training_finished(work):
    """Whether the training of ``work`` wrote its last file (``metrics.json`` with ``train``)."""
    return (
        work.has_records("train")
        and work.state_path.is_file()
        and "train" in work.read_metrics(missing_ok=True)
    )


def _finish_training(work, final_dir):
    """Drop the training checkpoints and rename ``<name>.incomplete`` to ``<name>``."""
    remove_tree(work.checkpoints_dir)
    rename_folder(work.path, final_dir)
    return final_dir


def _train(config, final_dir, *, resume, max_chunks):
    """Train into ``<final_dir>.incomplete``, holding the run's lock (see :func:`train`)."""
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
    new = not work_dir.exists()
    work_dir.mkdir(parents=True, exist_ok=True)
    if resume and work.has_config():
        config = load_run_config(work_dir)
        if _training_finished(work):  # killed after the last write of training
            return _finish_training(work, final_dir)
    else:  # a new run, or one killed before its config was written
        work.write_config(dump_config(config, relative_to=work_dir))
    try:
        images, labels = _dataset_split(config, "train", config["data"]["n_train"])
        encoding = _run_encoding(config, work, training_images=images)
        images = _encoded(config, encoding, images)
        engine = _make_engine(config, images.shape[1])
    except BaseException:
        if new:  # a new run with bad data or a broken model leaves no folder behind
            remove_tree(work_dir)
        raise
    simulation = config["simulation"]
    learned_state = None
    n_slots = 0
    started = time.perf_counter()
    for epoch in range(simulation["epochs"]):
        # only the last epoch's records are kept, as only they are analysed: one epoch's
        # spike counts take 60,000 x N x 2 bytes (770 MB at 6400 neurons, 15 passes)
        records = None
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
        n_slots += timings["n_slots"]
    _save_records(work, "train", records, labels)
    work.write_state(learned_state)
    n_images = len(images) * simulation["epochs"]
    wall = time.perf_counter() - started
    learning = learning_summary(
        records.exc_counts,
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
                "n_slots": int(n_slots),
                "wall_time_s": wall,
                "ms_per_image": 1000 * wall / n_images,
                "compile_seconds": engine.compile_seconds,
                "mean_exc_spikes": float(records.exc_counts.sum(axis=1).mean()),
            },
            # did every neuron learn (diehl_cook.learning_diagnostics; last epoch's records)
            "learning": learning,
        },
    )
    return _finish_training(work, final_dir)


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
    # the checkpoints go only when label/evaluate have written everything (a kill before
    # then resumes from them without running a chunk again)
    _save_records(folder, phase, records, labels)
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
    with _existing_run_folder(run_dir).lock():
        return _label(run_dir, engine)


def _existing_run_folder(run_dir):
    folder = RunFolder(run_dir)
    if not folder.is_dir():
        raise MissingRunFileError(f"{folder.path}: run folder not found")
    return folder


def _label(run_dir, engine):
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
    _drop_checkpoints(folder, "label")
    return assignments


def evaluate(run_dir, engine=None):
    """Classify the test images with the neuron labels; write accuracy and confusion matrix.

    Returns
    -------
    dict
        The run's metrics, with ``test.accuracy`` (0-1).
    """
    with _existing_run_folder(run_dir).lock():
        return _evaluate(run_dir, engine)


def _evaluate(run_dir, engine):
    from .model import parse_quantity

    folder = RunFolder(run_dir)
    if not folder.has_assignments():
        raise MissingRunFileError(
            f"{folder.assignments_path}: missing (the run is not labelled); run `label` first"
        )
    assignments = folder.read_assignments()
    run_config = load_run_config(run_dir)
    n_recorded = run_config["output"]["record_spike_times"]
    if run_config["output"]["study_presentations"] > 0:
        # the study-form Table 2 needs the first test images of every class
        _, test_labels = _dataset_split(run_config, "test", run_config["data"]["n_test"])
        n_recorded = study_record_count(
            test_labels, run_config["output"]["study_presentations"], n_recorded
        )
    config, records, labels, timings = _frozen_pass(
        run_dir, "test", "test", "n_test", engine, record_spikes_images=n_recorded
    )
    if records.spike_trains:
        n_kept = min(n_recorded, len(labels))
        folder.write_spike_trains(
            records.image_index[:n_kept],
            np.asarray(labels)[:n_kept],
            float(parse_quantity(config["protocol"]["presentation"])),
            # the part of the rest that was simulated (and recorded)
            float(parse_quantity(config["protocol"]["rest"]))
            - float(parse_quantity(config["protocol"].get("rest_shortcut", "0 ms"))),
            records.spike_trains,
        )
    n_classes = dataset_info(config["data"]["dataset"]).n_classes
    predictions = predict(records.exc_counts, assignments, n_classes)
    matrix = confusion_matrix(labels, predictions, n_classes)
    folder.write_predictions(predictions, labels.astype(np.int64))
    folder.write_confusion_matrix(matrix)
    study = _study_labelling(folder, run_config, records.exc_counts, labels, n_classes)
    weighted = _proportion_weighting_accuracy(
        folder, records.exc_counts, labels, assignments, n_classes
    )
    metrics = folder.update_metrics(
        {
            "test": {
                "accuracy": accuracy(labels, predictions),
                **({"accuracy_proportion_weighting": weighted} if weighted is not None else {}),
                "n_images": len(labels),
                "mean_exc_spikes": float(records.exc_counts.sum(axis=1).mean()),
                "retry_fraction": float((records.retries > 0).mean()),
                **timings,
                **({"study_labelling": study} if study else {}),
            }
        },
    )
    _drop_checkpoints(folder, "test")
    return metrics


def _proportion_weighting_accuracy(folder, test_counts, test_labels, assignments, n_classes):
    """Test accuracy of BindsNET's proportion-weighted readout; None without label records.

    The same labels as Diehl & Cook's vote (``assignments``), each neuron's count weighted by
    its share of the labelling pass's responses for the class
    (:func:`~diehl_cook.labelling.class_proportions`).  Reported beside ``test.accuracy``,
    which stays Diehl & Cook's vote.
    """
    try:
        label_records = folder.read_phase_records("label", required=("exc_counts", "labels"))
    except (FileNotFoundError, ValueError):  # a run labelled before the records were kept
        return None
    proportions = class_proportions(
        label_records["exc_counts"], label_records["labels"], n_classes
    )
    predicted = predict(test_counts, assignments, n_classes, proportions)
    return accuracy(test_labels, predicted)


def _study_labelling(folder, run_config, test_counts, test_labels, n_classes):
    """Score the test as the study did (``output.study_label_interval``); None when off.

    Labels from the training records by :func:`~diehl_cook.labelling.interval_assignments`,
    the prediction of :func:`~diehl_cook.labelling.predict` on the first
    ``output.study_test_images`` test images (all when 0).
    """
    interval = run_config["output"]["study_label_interval"]
    if interval <= 0:
        return None
    train = folder.read_phase_records("train", required=("exc_counts", "labels"))
    try:
        assignments = interval_assignments(
            train["exc_counts"], train["labels"], n_classes, interval
        )
    except ValueError as error:
        raise ConfigError(f"output.study_label_interval = {interval}: {error}") from None
    n_scored = run_config["output"]["study_test_images"] or len(test_labels)
    n_scored = min(n_scored, len(test_labels))
    scored = predict(np.asarray(test_counts)[:n_scored], assignments, n_classes)
    return {
        "accuracy": accuracy(np.asarray(test_labels)[:n_scored], scored),
        "n_images": int(n_scored),
        "label_interval": int(interval),
        "labels_from": "training responses, accumulated (BindsNET eth_mnist assign_labels)",
    }


def _drop_checkpoints(folder, phase):
    """Delete the checkpoints of a finished phase (and ``checkpoints/`` once it is empty)."""
    remove_tree(folder.checkpoint_dir(phase))
    try:
        folder.checkpoints_dir.rmdir()
    except OSError:  # absent, or still holds another phase's checkpoints
        pass


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
    with RunFolder(final_dir).lock():
        return _run(config, config_source, final_dir, resume)


def _run(config, config_source, final_dir, resume):
    """Train, label and evaluate ``final_dir``, holding its lock (see :func:`run`)."""
    if not (resume and final_dir.exists()):
        incomplete = RunFolder(final_dir).incomplete
        final_dir = train(
            config, config_source, run_dir=final_dir, resume=resume and incomplete.exists()
        )
    folder = RunFolder(final_dir)
    metrics = folder.read_metrics(missing_ok=True)
    if "accuracy" in metrics.get("test", {}) and folder.has_assignments():
        for phase in ("label", "test"):  # left by a kill after the phase's last write
            _drop_checkpoints(folder, phase)
        return final_dir, metrics
    image_shape = dataset_info(config["data"]["dataset"]).image_shape
    encoding = _run_encoding(config, RunFolder(final_dir))
    frozen_engine = _make_engine(load_run_config(final_dir), encoding.n_inputs(image_shape))
    if not folder.has_assignments() or "label" not in metrics:
        label(final_dir, frozen_engine)
    else:
        _drop_checkpoints(folder, "label")
    metrics = evaluate(final_dir, frozen_engine)
    return final_dir, metrics
