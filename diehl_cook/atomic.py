"""Atomic file writes: write to a temporary file in the same folder, then rename.

A reader (or a resumed run) therefore sees either the old file or the complete new one,
never a half-written file.
"""

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_save_figure", "atomic_save_npz", "atomic_write_bytes", "atomic_write_text"]


def _atomic_write(path, write):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
