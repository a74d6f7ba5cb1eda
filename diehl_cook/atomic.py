"""Atomic file writes: write to a temporary file in the same folder, then rename.

A reader (or a resumed run) therefore sees either the old file or the complete new one,
never a half-written file.  A write that fails (a full disk, no permission) raises
:class:`~diehl_cook.errors.StorageError` naming the file, removes the temporary file and
leaves the old file as it was.

Fault injection
---------------
For the tests that kill a run at chosen moments (``tests/test_faults.py``), every atomic
write, every folder rename or removal of :func:`rename_folder` and :func:`remove_tree`, and
each chunk of a phase (:func:`diehl_cook.simulation.run_phase`) passes a *fault point*
(:func:`fault_point`) with a label such as ``write-partial runs/x/checkpoints/...``.  The
hook is inert unless one of two environment variables is set:

``DIEHL_COOK_FAULT_LOG=<file>``
    Append one line ``<pid> <label>`` per fault point to ``<file>``.
``DIEHL_COOK_FAULT_KILL=<n>`` or ``<n>:<text>``
    Send SIGKILL to this process at its ``n``-th fault point (1-based), or at the ``n``-th
    whose label contains ``<text>`` (``*`` matches anything, as in ``write-partial*state_``).

The labels: ``write`` (temporary file created, empty), ``write-partial`` (half of the
content on disk: the process dies in the middle of a write), ``write-done`` (complete, not
renamed yet), ``replaced`` (renamed into place), ``rename`` / ``renamed`` (before and after
a folder rename), ``remove`` (before a folder is deleted), ``chunk`` (before a chunk runs)
and ``analysis-write`` (before a file of ``analysis/`` is written).
"""

import errno
import fnmatch
import os
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np

from .errors import StorageError

__all__ = [
    "FAULT_KILL_ENV",
    "FAULT_LOG_ENV",
    "TEMPORARY_SUFFIX",
    "atomic_save_figure",
    "atomic_save_npz",
    "atomic_write_bytes",
    "atomic_write_text",
    "fault_point",
    "remove_tree",
    "rename_folder",
]

#: Suffix of the temporary files (``.<name>.<random>.tmp``); a process killed while writing
#: leaves one, which the next holder of the run's lock deletes.
TEMPORARY_SUFFIX = ".tmp"
#: Environment variable: kill this process at the n-th (matching) fault point.
FAULT_KILL_ENV = "DIEHL_COOK_FAULT_KILL"
#: Environment variable: file to which every fault point is appended.
FAULT_LOG_ENV = "DIEHL_COOK_FAULT_LOG"

_fault_counts = {}


def _fault_target():
    """``(n, text)`` of :data:`FAULT_KILL_ENV`, or None when unset or malformed."""
    spec = os.environ.get(FAULT_KILL_ENV, "")
    if not spec:
        return None
    count, _, text = spec.partition(":")
    try:
        return int(count), text
    except ValueError:
        return None


def fault_point(label, before_kill=None):
    """Pass a fault point: log it and kill the process here if the hook says so.

    Inert (one environment look-up) unless :data:`FAULT_LOG_ENV` or :data:`FAULT_KILL_ENV`
    is set; see the module notes.

    Parameters
    ----------
    label : str
        What is about to happen, e.g. ``"write-done runs/x/state.npz"``.
    before_kill : callable, optional
        Called just before the process kills itself at this point (e.g. to leave a file
        half-written).
    """
    log = os.environ.get(FAULT_LOG_ENV)
    target = _fault_target()
    if log is None and target is None:
        return
    if log:
        line = f"{os.getpid()} {label}\n".encode("utf-8", "backslashreplace")
        handle = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(handle, line)
        finally:
            os.close(handle)
    if target is None:
        return
    count, text = target
    if not fnmatch.fnmatchcase(label, f"*{text}*"):
        return
    _fault_counts[text] = _fault_counts.get(text, 0) + 1
    if _fault_counts[text] == count:
        if before_kill is not None:
            before_kill()
        os.kill(os.getpid(), signal.SIGKILL)


def _storage_error(path, error):
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        reason = "no space left on device"
    return StorageError(f"{path}: cannot write ({reason}); an older version, if any, is unchanged")


def _fsync_folder(folder):
    """Flush a folder's entries (the rename) to disk, where the platform allows it."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _atomic_write(path, write):
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
        )
    except OSError as error:
        raise _storage_error(path, error) from error
    try:
        fault_point(f"write {path}")
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()

            def _truncate_to_half(stream=stream):
                stream.truncate(stream.tell() // 2)
                stream.flush()

            fault_point(f"write-partial {path}", before_kill=_truncate_to_half)
            os.fsync(stream.fileno())
        fault_point(f"write-done {path}")
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, StorageError):
            raise _storage_error(path, error) from error
        raise
    _fsync_folder(path.parent)
    fault_point(f"replaced {path}")


def atomic_write_bytes(path, content):
    """Write ``content`` (bytes) to ``path`` atomically."""
    _atomic_write(path, lambda stream: stream.write(content))


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save_npz(path, **arrays):
    """Save arrays to a compressed ``.npz`` file atomically."""
    _atomic_write(path, lambda stream: np.savez_compressed(stream, **arrays))


def atomic_save_figure(path, figure, dpi=110):
    """Save a Matplotlib figure as PNG (tight bounding box) atomically."""
    _atomic_write(
        path, lambda stream: figure.savefig(stream, format="png", dpi=dpi, bbox_inches="tight")
    )


def rename_folder(source, destination):
    """Rename a folder (one atomic ``rename``), with fault points before and after.

    Raises
    ------
    StorageError
        If the rename fails (the message names both folders).
    """
    source, destination = Path(source), Path(destination)
    fault_point(f"rename {source} -> {destination}")
    try:
        os.rename(source, destination)
    except OSError as error:
        raise StorageError(
            f"{source}: cannot rename to {destination} ({error.strerror or error})"
        ) from error
    _fsync_folder(destination.parent)
    fault_point(f"renamed {destination}")


def remove_tree(path):
    """Delete a folder and everything in it, if it exists (with a fault point first)."""
    path = Path(path)
    if not path.exists():
        return
    fault_point(f"remove {path}")
    shutil.rmtree(path, ignore_errors=True)
