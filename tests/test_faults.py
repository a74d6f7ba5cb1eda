"""Faults: runs killed at random moments, damaged state, a full disk, two runs of one name, NaN.

The kill harness (:func:`test_runs_killed_at_random_moments_resume_to_identical_results`)
runs ``python -m diehl_cook run <cfg> --resume`` and ``analyze`` as subprocesses (runtime
engine, numpy code generation, 8 neurons, a synthetic MNIST-format dataset) and kills them
with SIGKILL: at seeded random delays, and at seeded fault points of
:func:`diehl_cook.atomic.fault_point` (inside checkpoint writes, around folder renames, at
chunk starts, while ``analyze`` writes), chosen through ``DIEHL_COOK_FAULT_KILL``.  After
every kill it resumes; at the end the run folder must equal an uninterrupted run's, file by
file and array by array, except the fields of :data:`EXCLUDED_METRICS`; and no resumed
process may run more than one chunk that an earlier process had started.
"""

import concurrent.futures
import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from diehl_cook.atomic import FAULT_KILL_ENV, FAULT_LOG_ENV, atomic_write_text
from diehl_cook.errors import (
    CheckpointError,
    ConfigError,
    DiehlCookWarning,
    MissingRunFileError,
    NumericalError,
    RunFolderBusyError,
    RunFolderError,
    StorageError,
)
from diehl_cook.run_folder import RunFolder
from diehl_cook.simulation import ChunkRecords, ControllerState, ProtocolSettings, run_phase
from diehl_cook.simulation.protocol import decide

#: ``metrics.json`` fields that differ between an uninterrupted run and a resumed one: the
#: wall-clock timings, the lists of what the process that finished a phase ran itself
#: (``chunk_wall_s``, ``chunk_images``: chunks run in that call), and the git commit of the
#: code (provenance: it changes when someone commits while the test runs).
EXCLUDED_METRICS = (
    "wall_time_s",
    "ms_per_image",
    "compile_seconds",
    "chunk_wall_s",
    "chunk_images",
    "git_commit",
)

TINY_CONFIG = """\
[model]
variant = "diehl_cook_2015"
n_exc = 8
[data]
dataset = "mnist"
folder = "data"
n_train = 6
n_label = 4
n_test = 4
[protocol]
presentation = "100 ms"
rest = "20 ms"
[simulation]
engine = "runtime"
codegen_target = "numpy"
chunk_slots = 2
seed = 3
progress = false
[output]
name = "tiny"
runs_dir = "runs"
record_spike_times = 2
"""


# -- helpers ------------------------------------------------------------------------------


def _tiny_project(folder):
    """A working folder with ``tiny.toml`` and its synthetic dataset ``data/``."""
    from conftest import write_synthetic_mnist

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.toml").write_text(TINY_CONFIG)
    write_synthetic_mnist(folder / "data")
    return folder


def _strip_excluded(value):
    if isinstance(value, dict):
        return {k: _strip_excluded(v) for k, v in value.items() if k not in EXCLUDED_METRICS}
    return value


def _snapshot(run_dir):
    """Every file of a run folder by relative path: arrays, stripped metrics or bytes."""
    run_dir = Path(run_dir)
    files = {}
    for path in sorted(run_dir.rglob("*")):
        relative = path.relative_to(run_dir).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in Path(relative).parts):
            continue
        if path.suffix == ".npz":
            with np.load(path) as saved:
                files[relative] = {name: saved[name] for name in saved.files}
        elif path.name == "metrics.json":
            files[relative] = _strip_excluded(json.loads(path.read_text()))
        else:
            files[relative] = path.read_bytes()
    return files


def _assert_identical(snapshot, reference, where):
    assert sorted(snapshot) == sorted(reference), where
    for name, expected in reference.items():
        actual = snapshot[name]
        if isinstance(expected, dict) and name.endswith(".npz"):
            assert sorted(actual) == sorted(expected), f"{where}: {name}"
            for array in expected:
                assert actual[array].dtype == expected[array].dtype, f"{where}: {name}:{array}"
                np.testing.assert_array_equal(
                    actual[array], expected[array], err_msg=f"{where}: {name}:{array}"
                )
        else:
            assert actual == expected, f"{where}: {name} differs"


def _assert_readable(folder):
    """Every visible file under ``folder`` is complete (atomic writes): it parses."""
    for path in Path(folder).rglob("*"):
        if path.is_dir() or path.name.startswith(".") or ".analysis." in str(path):
            continue
        if path.suffix == ".npz":
            with np.load(path) as saved:
                for name in saved.files:
                    saved[name]
        elif path.suffix == ".json":
            json.loads(path.read_text())


@dataclass
class _Process:
    """One CLI process of the harness: what was asked of it and how it ended."""

    stage: str
    kill: str
    returncode: int
    stderr: str
    pid: int
    seconds: float

    @property
    def killed(self):
        return self.returncode == -signal.SIGKILL


@dataclass
class _Chain:
    """A run driven to its end through kills (one folder, one fault log)."""

    folder: Path
    log: Path
    processes: list = field(default_factory=list)


def _cli(folder, log, arguments, kill_spec=None, delay=None, on_start=None):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DIEHL_COOK_F")}
    env[FAULT_LOG_ENV] = str(log)
    if kill_spec:
        env[FAULT_KILL_ENV] = kill_spec
    process = subprocess.Popen(
        [sys.executable, "-m", "diehl_cook", *arguments],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if on_start is not None:
        on_start(process)
    if delay is not None:
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=600)
    return process.returncode, stderr, process.pid


STAGES = (
    ("run", ("run", "tiny.toml", "--resume")),
    ("analyze", ("analyze", "runs/tiny")),
    ("analyze again", ("analyze", "runs/tiny")),  # replaces the first analysis/
)

#: Kill points: (stage, what is hit, fault-point pattern, largest n), in the order the run
#: reaches them.  ``n`` is drawn from 1 ... largest n: kill at the n-th matching point.
KILL_POINTS = (
    ("run", "train: chunk start", "chunk *train-epoch0", 5),
    ("run", "train: inside a checkpoint write", "write-partial *train-epoch0/chunk_", 4),
    ("run", "train: inside a checkpoint write", "write-partial *train-epoch0/state_", 4),
    ("run", "train: checkpoint written, not renamed", "write-done *train-epoch0/state_", 4),
    ("run", "train: inside the records write", "write-partial *incomplete/records/train", 1),
    ("run", "train: inside the last metrics write", "write-partial *incomplete/metrics.json", 1),
    ("run", "folder rename: before removing checkpoints", "remove *incomplete/checkpoints", 1),
    ("run", "folder rename: before the rename", "rename *tiny.incomplete", 1),
    ("run", "folder rename: just after the rename", "renamed *runs/tiny", 1),
    ("run", "label: chunk start", "chunk *checkpoints/label", 3),
    ("run", "label: inside a checkpoint write", "write-partial *checkpoints/label/state_", 3),
    ("run", "label: inside the assignments write", "write-partial *assignments.npz", 1),
    ("run", "test: chunk start", "chunk *checkpoints/test", 3),
    ("run", "test: inside a checkpoint write", "write-partial *checkpoints/test/chunk_", 3),
    ("run", "test: inside the spike-times write", "write-partial *test_spike_trains", 1),
    ("run", "test: before removing its checkpoints", "remove *checkpoints/test", 1),
    ("analyze", "analyze: while writing", "analysis-write", 12),
    ("analyze again", "analyze: while writing", "analysis-write", 12),
    ("analyze again", "analyze: folder swap", "rename *analysis", 2),
    ("analyze again", "analyze: removing the old analysis", "remove *analysis.old", 1),
)


def _plan(rng, n_targeted, n_timed, stages=STAGES):
    """Seeded kill plan: targeted points in run order, then timed kills, stage by stage.

    Each item is ``(stage, what, DIEHL_COOK_FAULT_KILL value or None, delay or None)``.  One
    point of every kind (train, folder rename, label, test, analyze) is always drawn, the
    rest at random.  Every targeted point lies ahead of the previous kill, so which points
    are hit does not depend on timing; the timed kills come after a stage's targeted ones.
    """
    stages = [name for name, _ in stages]
    points = [point for point in KILL_POINTS if point[0] in stages]
    kinds = sorted({what.partition(":")[0] for _, what, _, _ in points})
    forced = {
        int(rng.choice([k for k, point in enumerate(points) if point[1].startswith(kind)]))
        for kind in kinds
    }
    rest = [k for k in range(len(points)) if k not in forced]
    extra = rng.choice(rest, size=max(0, min(n_targeted - len(forced), len(rest))), replace=False)
    plan = []
    for index in sorted(forced | {int(k) for k in extra}):
        stage, what, pattern, largest = points[index]
        plan.append((stage, what, f"{int(rng.integers(1, largest + 1))}:{pattern}", None))
    for _ in range(n_timed):
        stage = stages[int(rng.integers(0, len(stages)))]
        delay = float(rng.uniform(1.0, 9.0 if stage == "run" else 5.0))
        after = [k for k, item in enumerate(plan) if stages.index(item[0]) <= stages.index(stage)]
        plan.insert(after[-1] + 1 if after else 0, (stage, "a random moment", None, delay))
    return plan


def _drive(chain, plan, on_first_start=None, stages=STAGES):
    """Run every stage to its end, killing processes as ``plan`` says."""
    pending = list(plan)
    for stage, arguments in stages:
        while True:
            kill = pending[0] if pending and pending[0][0] == stage else None
            what, spec, delay = (kill[1], kill[2], kill[3]) if kill else ("", None, None)
            started = time.monotonic()
            returncode, stderr, pid = _cli(
                chain.folder, chain.log, arguments, spec, delay, on_first_start
            )
            on_first_start = None
            seconds = time.monotonic() - started
            process = _Process(stage, what if kill else "", returncode, stderr, pid, seconds)
            chain.processes.append(process)
            if kill:
                pending.pop(0)
            if process.killed:
                _assert_readable(chain.folder / "runs")
                continue
            assert returncode == 0, f"{stage} ended with {returncode}:\n{stderr}"
            assert "Traceback" not in stderr and "warning:" not in stderr, stderr
            pending = [item for item in pending if item[0] != stage]
            break


def _chunk_events(log):
    """``[(pid, chunk)]`` of every chunk start in a fault log, in order."""
    events = []
    for line in Path(log).read_text().splitlines():
        pid, _, label = line.partition(" ")
        if label.startswith("chunk "):
            events.append((int(pid), label.removeprefix("chunk ")))
    return events


def _chunks_redone(log):
    """Per process after the first: chunks it started that an earlier process had started."""
    started, redone, order = set(), {}, []
    for pid, chunk in _chunk_events(log):
        if pid not in redone:
            redone[pid] = 0
            order.append(pid)
        if chunk in started and pid != order[0]:
            redone[pid] += 1
        started.add(chunk)
    return redone


def _with_tiny_config(folder, updates):
    text = (folder / "tiny.toml").read_text()
    for old, new in updates.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "tiny.toml").write_text(text)


# -- the kill harness -----------------------------------------------------------------------


@pytest.mark.slow
def test_runs_killed_at_random_moments_resume_to_identical_results(tmp_path):
    reference = _Chain(_tiny_project(tmp_path / "reference"), tmp_path / "reference.log")
    _drive(reference, [], stages=STAGES[:2])
    assert max(_chunks_redone(reference.log).values()) == 0
    expected = _snapshot(reference.folder / "runs" / "tiny")
    assert {"state.npz", "records/train.npz", "records/label.npz", "records/test.npz"} <= set(
        expected
    )
    assert "analysis/summary.md" in expected and "metrics.json" in expected
    # no output names an absolute path of this machine (the test folder, the repository)
    repository = str(Path(__file__).resolve().parents[1])
    for name, content in expected.items():
        if isinstance(content, bytes) and not name.endswith(".png"):
            text = content.decode("utf-8")
            assert str(tmp_path) not in text and repository not in text, name
    metrics_text = json.dumps(expected["metrics.json"])
    assert str(tmp_path) not in metrics_text and repository not in metrics_text

    chains = [
        _Chain(_tiny_project(tmp_path / f"chain{index}"), tmp_path / f"chain{index}.log")
        for index in range(2)
    ]
    busy = {}

    def second_run_of_the_same_name(first):
        """While the first run is stopped (SIGSTOP) in its training, start a second one."""
        config = chains[0].folder / "runs" / "tiny.incomplete" / "config.toml"
        deadline = time.monotonic() + 300
        while not config.is_file() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGSTOP)
        try:
            assert first.poll() is None, "the first run ended before the second one started"
            busy["result"] = _cli(chains[0].folder, tmp_path / "second.log", STAGES[0][1])
        finally:
            first.send_signal(signal.SIGCONT)

    def drive(index):
        rng = np.random.default_rng(1500 + index)
        hook, stages = None, STAGES
        if index == 0:  # only one chain replaces an analysis (the folder swap)
            hook, stages = second_run_of_the_same_name, STAGES[:2]
        plan = _plan(rng, n_targeted=11, n_timed=3, stages=stages)
        _drive(chains[index], plan, on_first_start=hook, stages=stages)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for outcome in [pool.submit(drive, index) for index in range(2)]:
            outcome.result()

    killed = [process for chain in chains for process in chain.processes if process.killed]
    redone = {chain.folder.name: _chunks_redone(chain.log) for chain in chains}
    print(f"\nkill harness: {len(killed)} kills")
    for chain in chains:
        for process in chain.processes:
            outcome = "killed" if process.killed else f"exit {process.returncode}"
            again = redone[chain.folder.name].get(process.pid, 0)
            print(
                f"  {chain.folder.name} {process.stage:14} {process.seconds:5.1f} s {outcome:7} "
                f"{again} chunk(s) redone  {process.kill}"
            )
    for chain in chains:
        final = chain.folder / "runs" / "tiny"
        _assert_identical(_snapshot(final), expected, chain.folder.name)
        assert not [path for path in final.rglob(".*")], "temporary files left behind"
        assert not (chain.folder / "runs" / "tiny.incomplete").exists()
        assert max(redone[chain.folder.name].values()) <= 1, redone
    hit = {process.kill.partition(":")[0] for process in killed}
    assert len(killed) >= 20
    assert {"train", "label", "test", "analyze", "folder rename"} <= hit
    assert any("checkpoint write" in process.kill for process in killed)
    returncode, stderr, _ = busy["result"]
    assert returncode == 2 and stderr.startswith("error: ") and "another process" in stderr


# -- damaged checkpoints (a deterministic engine without Brian2) ----------------------------


class _FakeEngine:
    """A deterministic engine: spikes and weight changes drawn from each chunk's seed.

    ``poison`` = ``(call, name, value)`` puts ``value`` into the variable ``name`` (learned
    state or ``exc.v``) at the ``call``-th chunk, for the NaN guard.
    """

    name = "fake"

    def __init__(self, n_input=6, n_exc=3, poison=None):
        self.settings = ProtocolSettings(min_spikes=3, max_retries=2)
        self.n_input, self.n_exc = n_input, n_exc
        self.poison = poison
        self.calls = 0

    def learned_state_shapes(self):
        return {"input_to_exc.w": (self.n_input, self.n_exc), "exc.theta": (self.n_exc,)}

    def run_chunk(self, phase, images, controller, learned_state, seed, n_slots, **_):
        self.calls += 1
        rng = np.random.default_rng(seed)
        state = learned_state or {
            "input_to_exc.w": np.full((self.n_input, self.n_exc), 0.5),
            "exc.theta": np.zeros(self.n_exc),
        }
        rows = {key: [] for key in ("position", "intensity", "retries", "exc", "input")}
        for _ in range(n_slots):
            controller, _ = decide(controller, self.settings)
            position = controller.position
            pixels = images[position] if 0 <= position < len(images) else np.zeros(self.n_input)
            exc = rng.integers(0, 3, size=self.n_exc).astype(np.uint16)
            rows["position"].append(position)
            rows["intensity"].append(controller.intensity)
            rows["retries"].append(controller.retries)
            rows["exc"].append(exc)
            rows["input"].append((np.asarray(pixels) > 0).astype(np.uint16))
            controller = ControllerState(
                position, controller.intensity, controller.retries, int(exc.sum())
            )
        shape = (self.n_input, self.n_exc)
        state = {
            "input_to_exc.w": state["input_to_exc.w"] + rng.normal(0, 0.01, shape),
            "exc.theta": state["exc.theta"] + 1e-3 * np.sum(rows["exc"], axis=0),
        }
        final_values = {"exc.v": np.full(self.n_exc, -0.065)}
        if self.poison is not None and self.poison[0] == self.calls:
            _, name, value = self.poison
            target = final_values if name == "exc.v" else state
            target[name] = target[name].copy()
            target[name].flat[0] = value
        records = ChunkRecords(
            np.array(rows["position"], dtype=np.int64),
            np.array(rows["intensity"]),
            np.array(rows["retries"], dtype=np.int64),
            np.array(rows["exc"], dtype=np.uint16),
            np.array(rows["input"], dtype=np.uint16),
            final_values=final_values,
        )
        return records, controller, state


IMAGES = (np.random.default_rng(4).random((12, 6)) < 0.5) * 255


def _phase(engine, checkpoint_dir=None, **options):
    kwargs = dict(learned_state=None, seed=7, chunk_slots=3, progress=False)
    kwargs.update(options)
    return run_phase(engine, "train", IMAGES, checkpoint_dir=checkpoint_dir, **kwargs)


def _assert_same_phase(result, expected):
    (records, state, _), (expected_records, expected_state, _) = result, expected
    for name in ("image_index", "exc_counts", "input_counts", "intensity", "retries"):
        np.testing.assert_array_equal(getattr(records, name), getattr(expected_records, name))
    assert records.n_slots == expected_records.n_slots
    for name, value in expected_state.items():
        np.testing.assert_array_equal(state[name], value)


def _contents(folder):
    """Every file under ``folder`` by relative path, with its bytes."""
    folder = Path(folder)
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path):
    path.write_bytes(b"not a zip archive at all" * 10)


def _nan_state(path):
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    arrays["exc.theta"] = arrays["exc.theta"] * np.nan
    np.savez(path, **arrays)


@pytest.mark.parametrize("damage", [_truncate, _garbage, _nan_state])
def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path, damage):
    expected = _phase(_FakeEngine())
    assert _phase(_FakeEngine(), tmp_path, max_chunks=3)[0] is None
    newest = tmp_path / "state_000002.npz"
    damage(newest)
    engine = _FakeEngine()
    with pytest.warns(DiehlCookWarning, match=r"state_000002\.npz: damaged checkpoint"):
        result = _phase(engine, tmp_path)
    _assert_same_phase(result, expected)
    assert (tmp_path / "state_000002.npz.damaged").is_file()  # kept aside, not overwritten
    assert engine.calls == expected[2]["n_chunks"] - 2  # chunk 2 and the rest, once


def test_a_damaged_chunk_record_without_a_good_checkpoint_is_an_error_and_changes_nothing(
    tmp_path,
):
    _phase(_FakeEngine(), tmp_path, max_chunks=3)
    _truncate(tmp_path / "chunk_000000.npz")  # needed by every checkpoint
    before = _contents(tmp_path)
    with pytest.raises(CheckpointError, match=r"chunk_000000\.npz: unreadable") as raised:
        _phase(_FakeEngine(), tmp_path)
    assert "no good checkpoint left" in str(raised.value) and "nothing was changed" in str(
        raised.value
    )
    assert _contents(tmp_path) == before


def _rewrite_progress(path, **changes):
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    progress = json.loads(str(arrays["__progress__"]))
    progress.update(changes)
    arrays["__progress__"] = np.array(json.dumps(progress))
    np.savez_compressed(path, **arrays)


def test_a_checkpoint_of_another_version_is_refused_by_name(tmp_path):
    _phase(_FakeEngine(), tmp_path, max_chunks=2)
    _rewrite_progress(tmp_path / "state_000001.npz", format=99)
    before = _contents(tmp_path)
    with pytest.raises(CheckpointError, match=r"state_000001\.npz: written by another version"):
        _phase(_FakeEngine(), tmp_path)
    assert _contents(tmp_path) == before


def test_a_checkpoint_written_with_other_settings_is_refused(tmp_path):
    _phase(_FakeEngine(), tmp_path, max_chunks=2)
    before = _contents(tmp_path)
    with pytest.raises(CheckpointError, match=r"chunk_slots = 3, but this run has chunk_slots"):
        _phase(_FakeEngine(), tmp_path, chunk_slots=4)
    assert _contents(tmp_path) == before


def test_a_checkpoint_of_the_previous_layout_still_resumes(tmp_path):
    expected = _phase(_FakeEngine())
    _phase(_FakeEngine(), tmp_path, max_chunks=2)
    with np.load(tmp_path / "state_000001.npz") as saved:
        arrays = {name: saved[name] for name in saved.files}
    progress = json.loads(str(arrays.pop("__progress__")))
    for key in ("format", "phase", "seed", "chunk_slots", "n_images"):
        del progress[key]
    (tmp_path / "progress.json").write_text(json.dumps(progress))
    np.savez_compressed(tmp_path / "learned_state.npz", **arrays)
    for path in tmp_path.glob("state_*.npz"):
        path.unlink()
    _assert_same_phase(_phase(_FakeEngine(), tmp_path), expected)
    assert not (tmp_path / "progress.json").exists()  # replaced by the current layout


# -- a full disk -----------------------------------------------------------------------------


def _assert_disk_full_then_resumed(tmp_path, checkpoint_dir, fill, free):
    expected = _phase(_FakeEngine())
    _phase(_FakeEngine(), checkpoint_dir, max_chunks=2)
    newest = _contents(checkpoint_dir)
    fill()
    with pytest.raises(StorageError, match="no space left on device") as raised:
        _phase(_FakeEngine(), checkpoint_dir)
    assert "chunk_000002.npz" in str(raised.value) or "state_000002.npz" in str(raised.value)
    assert "an older version, if any, is unchanged" in str(raised.value)
    after = _contents(checkpoint_dir)
    assert not [name for name in after if name.endswith(".tmp")]  # no temporary left
    for name, content in newest.items():
        assert after[name] == content  # nothing good overwritten
    free()
    _assert_same_phase(_phase(_FakeEngine(), checkpoint_dir), expected)


def test_a_full_disk_during_a_checkpoint_simulated(tmp_path, monkeypatch):
    """ENOSPC from the file system, simulated: ``os.fsync`` of the atomic write fails."""
    import diehl_cook.atomic

    real_fsync = os.fsync
    full = {"on": False}

    def fsync(handle):
        if full["on"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(handle)

    monkeypatch.setattr(diehl_cook.atomic.os, "fsync", fsync)
    _assert_disk_full_then_resumed(
        tmp_path,
        tmp_path / "checkpoints",
        lambda: full.update(on=True),
        lambda: full.update(on=False),
    )


def test_a_full_disk_during_a_checkpoint_on_a_real_small_tmpfs(tmp_path):
    """ENOSPC from a real 512 KiB tmpfs filled up (skipped where mounting is not allowed)."""
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    filler = mount_point / "filler"

    def fill():
        with open(filler, "wb", buffering=0) as stream:
            try:
                while True:
                    stream.write(b"\0" * 4096)
            except OSError as error:
                assert error.errno == errno.ENOSPC

    try:
        _assert_disk_full_then_resumed(
            tmp_path, mount_point / "checkpoints", fill, lambda: filler.unlink()
        )
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


# -- the NaN guard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value, kind", [("exc.theta", np.nan, "NaN"), ("exc.v", np.inf, "infinite")]
)
def test_nan_or_infinite_state_stops_the_phase_naming_the_variable(tmp_path, name, value, kind):
    engine = _FakeEngine(poison=(3, name, value))
    with pytest.raises(NumericalError, match=rf"train: {name} became {kind} in chunk 2 \(1 of"):
        _phase(engine, tmp_path)
    assert sorted(path.name for path in tmp_path.glob("state_*")) == [
        "state_000000.npz",
        "state_000001.npz",
    ]
    assert not (tmp_path / "chunk_000002.npz").exists()  # nothing of the bad chunk written


def test_an_equation_that_makes_v_infinite_stops_a_real_run(tmp_path):
    from diehl_cook.model import load_variant
    from diehl_cook.simulation.runtime import RuntimeEngine

    shipped = Path(load_variant("diehl_cook_2015").roles["exc"]["train"]["membrane"])
    text = shipped.read_text()
    model_line = next(line for line in text.splitlines() if line.startswith("dv/dt"))
    unstable = model_line.replace("/ tau_membrane :", "/ tau_membrane + v * 1e5 / second :")
    assert unstable != model_line
    path = tmp_path / "unstable_membrane.eq"
    path.write_text(text.replace(model_line, unstable))
    variant = load_variant("diehl_cook_2015", {"exc.membrane": str(path)})
    engine = RuntimeEngine(
        variant, n_input=16, n_exc=2, settings=ProtocolSettings(), codegen_target="numpy"
    )
    images = (np.random.default_rng(0).random((2, 16)) < 0.5) * 255
    with pytest.raises(NumericalError, match=r"train: exc\.v became (NaN|infinite) in chunk 0"):
        run_phase(
            engine,
            "train",
            images,
            learned_state=None,
            seed=0,
            chunk_slots=1,
            progress=False,
            checkpoint_dir=tmp_path / "checkpoints",
        )
    assert not list((tmp_path / "checkpoints").iterdir())  # no NaN written anywhere


# -- the build cache -------------------------------------------------------------------------


class _FakeDevice:
    """Stands in for Brian2's standalone device: ``compile_source`` writes ``main``."""

    def __init__(self):
        self.compiled = []

    def compile_source(self, directory, compiler, debug, clean):
        self.compiled.append(clean)
        (Path(directory) / "main").write_bytes(b"\x7fELF program " * 100)


def test_a_damaged_build_in_the_cache_is_detected_and_rebuilt_from_scratch(tmp_path):
    from diehl_cook.simulation.build_cache import STAMP_NAME, compile_if_changed, source_digest

    (tmp_path / "makefile").write_text("all:\n")
    (tmp_path / "main.cpp").write_text("int main() { return 0; }\n")
    device = _FakeDevice()
    assert compile_if_changed(device, tmp_path) and device.compiled == [False]
    assert not compile_if_changed(device, tmp_path)  # unchanged: reused
    _truncate(tmp_path / "main")
    with pytest.warns(DiehlCookWarning, match=r"main: damaged build in the build cache"):
        assert compile_if_changed(device, tmp_path)
    assert device.compiled == [False, True]  # compiled again, clean
    assert not compile_if_changed(device, tmp_path)
    (tmp_path / STAMP_NAME).write_text("{garbage")
    with pytest.warns(DiehlCookWarning, match=rf"{STAMP_NAME}: damaged stamp"):
        assert compile_if_changed(device, tmp_path)
    assert device.compiled == [False, True, True]
    # a stamp of the previous version (the digest alone) is trusted, and upgraded
    (tmp_path / STAMP_NAME).write_text(source_digest(tmp_path) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not compile_if_changed(device, tmp_path)
    assert "binary" in json.loads((tmp_path / STAMP_NAME).read_text())


class _BrokenObjectsDevice(_FakeDevice):
    """An incremental build fails (a damaged object file); a clean one works, or not."""

    def __init__(self, clean_works=True):
        super().__init__()
        self.clean_works = clean_works

    def compile_source(self, directory, compiler, debug, clean):
        if not clean or not self.clean_works:
            self.compiled.append(clean)
            raise RuntimeError("Project compilation failed (error code: 2)")
        super().compile_source(directory, compiler, debug, clean)


def test_a_build_that_fails_incrementally_is_compiled_again_from_scratch(tmp_path):
    from diehl_cook.errors import BuildCacheError
    from diehl_cook.simulation.build_cache import compile_if_changed

    (tmp_path / "makefile").write_text("all:\n")
    (tmp_path / "main.cpp").write_text("int main() { return 0; }\n")
    device = _BrokenObjectsDevice()
    assert compile_if_changed(device, tmp_path) and device.compiled == [False, True]
    (tmp_path / "main.cpp").write_text("int main() { return 1; }\n")
    with pytest.raises(BuildCacheError, match="does not compile .*Project compilation failed"):
        compile_if_changed(_BrokenObjectsDevice(clean_works=False), tmp_path)


# -- run folders: another version, damage, two runs of one name ----------------------------


def _smoke_config(folder, synthetic_mnist, *extra):
    from diehl_cook.config import load_config

    return load_config(
        "smoke",
        [
            f"data.folder={synthetic_mnist}",
            "data.n_train=4",
            "data.n_label=4",
            "data.n_test=4",
            "model.n_exc=4",
            "simulation.chunk_slots=4",
            "output.name=point",
            f"output.runs_dir={folder}",
            *extra,
        ],
    )


def test_a_half_written_run_folder_of_another_version_is_refused_and_kept(
    tmp_path, synthetic_mnist
):
    from diehl_cook.config import dump_config
    from diehl_cook.pipeline import run

    config, source = _smoke_config(tmp_path, synthetic_mnist)
    work = tmp_path / "point.incomplete"
    (work / "checkpoints" / "train-epoch0").mkdir(parents=True)
    (work / "config.toml").write_text("[simulation]\nturbo = true\n")
    (work / "checkpoints" / "train-epoch0" / "progress.json").write_text('{"chunks": 3}')
    before = _contents(work)
    with pytest.raises(ConfigError, match=r"point\.incomplete/config\.toml: unknown key"):
        run(config, source, resume=True)
    assert _contents(work) == before
    (work / "config.toml").unlink()  # a config of this version, checkpoints of another
    RunFolder(work).write_config(dump_config(config))
    before = _contents(work)
    with pytest.raises(CheckpointError, match=r"learned_state\.npz: missing; no earlier"):
        run(config, source, resume=True)
    assert _contents(work) == before


def test_a_damaged_file_of_a_finished_run_is_named(tmp_path, synthetic_mnist):
    from diehl_cook.pipeline import evaluate, label, train

    config, source = _smoke_config(tmp_path, synthetic_mnist)
    run_dir = train(config, source)
    state = RunFolder(run_dir).state_path
    _truncate(state)
    with pytest.raises(RunFolderError, match=r"state\.npz: damaged or not an \.npz file"):
        label(run_dir)
    state.unlink()
    with pytest.raises(MissingRunFileError, match=r"state\.npz: missing \(the run folder"):
        label(run_dir)
    with pytest.raises(MissingRunFileError, match=r"assignments\.npz: missing"):
        evaluate(run_dir)
    with pytest.raises(MissingRunFileError, match=r"elsewhere: run folder not found"):
        evaluate(tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()


def test_a_second_run_of_the_same_name_refuses_while_the_first_holds_the_lock(
    tmp_path, synthetic_mnist
):
    from diehl_cook.pipeline import train

    config, source = _smoke_config(tmp_path, synthetic_mnist)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from diehl_cook.run_folder import RunFolder
                with RunFolder({str(tmp_path / "point")!r}).lock():
                    print("locked", flush=True)
                    sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunFolderBusyError, match="another process is writing this run"):
            train(config, source)
        assert not (tmp_path / "point.incomplete").exists()  # nothing written
    finally:
        holder.communicate("", timeout=30)
    # the lock is free once its holder is gone (as after a kill)
    with RunFolder(tmp_path / "point").lock(), RunFolder(tmp_path / "point").lock():
        pass  # and re-entrant within a process


def test_a_run_killed_before_its_config_was_written_starts_again(tmp_path, synthetic_mnist):
    from diehl_cook.pipeline import train

    config, source = _smoke_config(tmp_path, synthetic_mnist)
    (tmp_path / "point.incomplete").mkdir()
    (tmp_path / "point.incomplete" / f".config.toml.x{os.getpid()}.tmp").write_text("half")
    run_dir = train(config, source, resume=True)
    assert RunFolder(run_dir).has_config() and not list(run_dir.rglob(".*"))


def test_atomic_writes_leave_the_old_file_when_they_fail(tmp_path, monkeypatch):
    import diehl_cook.atomic

    path = tmp_path / "metrics.json"
    atomic_write_text(path, "old")

    def refuse(source, destination):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), destination)

    monkeypatch.setattr(diehl_cook.atomic.os, "replace", refuse)
    with pytest.raises(StorageError, match=r"metrics\.json: cannot write \(Permission denied"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]
