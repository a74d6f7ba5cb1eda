"""Readers of the standard dataset file formats, and the grayscale conversion of CIFAR-10.

* IDX files (MNIST and Fashion-MNIST): :func:`read_idx_images` and :func:`read_idx_labels`.
* CIFAR-10 batches: :func:`read_cifar_binary` (``data_batch_1.bin`` ...) and
  :func:`read_cifar_pickle` (the python pickled ``data_batch_1`` ...; only numpy arrays and
  plain containers are unpickled).

Every reader accepts the plain file or a gzipped one (name ending in ``.gz``) and raises
:class:`~diehl_cook.errors.DatasetError` whose message names the file, with its full path,
and says what is wrong with it (missing, truncated, wrong magic number, bad labels ...).

CIFAR-10 is converted to grayscale by the ITU-R BT.601 luminance,
``Y = 0.299 R + 0.587 G + 0.114 B``, rounded to the nearest integer (halves round up); see
:func:`rgb_to_gray`.
"""

from __future__ import annotations

import gzip
import importlib
import io
import pickle
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DatasetError
from .registry import PathLike

__all__ = [
    "read_cifar_binary",
    "read_cifar_pickle",
    "read_idx_images",
    "read_idx_labels",
    "rgb_to_gray",
]

_IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_CIFAR_SIDE = 32
_CIFAR_PIXELS = 3 * _CIFAR_SIDE * _CIFAR_SIDE  # 3072: R, G and B planes, row-major
_CIFAR_RECORD = 1 + _CIFAR_PIXELS  # 1 label byte, then the pixels
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    """Read a whole file, decompressing it when its name ends in ``.gz``."""
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    if path.name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as handle:
                return handle.read()
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(
                f"{path}: cannot decompress this gzip file ({exc}); it is truncated or corrupt"
            ) from exc
    return path.read_bytes()


def _size_error(path: Path, actual: int, expected: int, what: str) -> DatasetError:
    size_kind = "decompressed size" if path.name.endswith(".gz") else "size"
    if actual < expected:
        problem = f"truncated: {size_kind} {actual} bytes, expected {expected} bytes ({what})"
    else:
        problem = (
            f"{actual - expected} unexpected trailing bytes: {size_kind} {actual} bytes, "
            f"expected {expected} bytes ({what})"
        )
    return DatasetError(f"{path}: {problem}")


def _check_labels(where: Path | str, labels: np.ndarray, n_classes: int) -> None:
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = int(np.flatnonzero((labels < 0) | (labels >= n_classes))[0])
        raise DatasetError(
            f"{where}: label {int(labels[bad])} at index {bad} is outside 0..{n_classes - 1}"
        )


def _read_idx_header(path: Path, data: bytes, magic: int, n_dims: int, what: str) -> list[int]:
    header_size = 4 + 4 * n_dims
    if len(data) < header_size:
        raise _size_error(path, len(data), header_size, f"at least the {what} IDX header")
    (found,) = struct.unpack(">I", data[:4])
    if found != magic:
        hint = ""
        if found == _IDX_LABELS_MAGIC and magic == _IDX_IMAGES_MAGIC:
            hint = "; this looks like an IDX label file"
        elif found == _IDX_IMAGES_MAGIC and magic == _IDX_LABELS_MAGIC:
            hint = "; this looks like an IDX image file"
        elif data[:2] == _GZIP_MAGIC:
            hint = "; the file is gzip-compressed: give it a .gz suffix"
        raise DatasetError(
            f"{path}: wrong IDX magic number for an {what} file: expected {magic} "
            f"(0x{magic:08x}), found {found} (0x{found:08x}){hint}"
        )
    return list(struct.unpack(f">{n_dims}I", data[4:header_size]))


def read_idx_images(path: PathLike) -> np.ndarray:
    """Read an IDX image file (magic number 2051), plain or gzipped (``.gz``).

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(n, rows, cols)``.

    Raises
    ------
    DatasetError
        If the file is missing, not gzip when named ``.gz``, has the wrong magic number, or
        its (decompressed) size is not exactly ``16 + n * rows * cols`` bytes.
    """
    path = Path(path)
    data = _read_bytes(path)
    n, rows, cols = _read_idx_header(path, data, _IDX_IMAGES_MAGIC, 3, "image")
    expected = 16 + n * rows * cols
    if len(data) != expected:
        raise _size_error(path, len(data), expected, f"16-byte header + {n} images {rows}x{cols}")
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows, cols)
    return images.copy()


def read_idx_labels(path: PathLike) -> np.ndarray:
    """Read an IDX label file (magic number 2049), plain or gzipped (``.gz``).

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``train-labels-idx1-ubyte`` or ``train-labels-idx1-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(n,)``.

    Raises
    ------
    DatasetError
        If the file is missing, has the wrong magic number, or its (decompressed) size is not
        exactly ``8 + n`` bytes.
    """
    path = Path(path)
    data = _read_bytes(path)
    (n,) = _read_idx_header(path, data, _IDX_LABELS_MAGIC, 1, "label")
    expected = 8 + n
    if len(data) != expected:
        raise _size_error(path, len(data), expected, f"8-byte header + {n} labels")
    return np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64)


def _planar_to_hwc(planar: np.ndarray) -> np.ndarray:
    """Turn ``(n, 3072)`` rows of R, G, B planes into a ``(n, 32, 32, 3)`` array (a view)."""
    return planar.reshape(-1, 3, _CIFAR_SIDE, _CIFAR_SIDE).transpose(0, 2, 3, 1)


def read_cifar_binary(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a CIFAR-10 binary batch (``data_batch_1.bin`` ...), plain or gzipped.

    Each record is 1 label byte followed by 3072 bytes: the R, G and B 32x32 planes,
    row-major.

    Parameters
    ----------
    path : str or os.PathLike
        The batch file.

    Returns
    -------
    images : numpy.ndarray
        ``uint8`` array of shape ``(n, 32, 32, 3)`` (RGB).
    labels : numpy.ndarray
        ``int64`` array of shape ``(n,)``.

    Raises
    ------
    DatasetError
        If the file is missing or empty, its (decompressed) size is not a whole number of
        3073-byte records (truncated), or a label lies outside 0..9.
    """
    path = Path(path)
    data = _read_bytes(path)
    n_records, left_over = divmod(len(data), _CIFAR_RECORD)
    if n_records == 0 or left_over:
        size_kind = "decompressed size" if path.name.endswith(".gz") else "size"
        raise DatasetError(
            f"{path}: truncated or not a CIFAR-10 binary batch: {size_kind} {len(data)} bytes "
            f"is not a whole, non-zero number of {_CIFAR_RECORD}-byte records (1 label byte + "
            f"{_CIFAR_PIXELS} pixel bytes); {n_records} whole records and {left_over} bytes "
            f"left over (expected {(n_records + 1) * _CIFAR_RECORD} bytes for "
            f"{n_records + 1} records)"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(n_records, _CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    _check_labels(path, labels, 10)
    return np.ascontiguousarray(_planar_to_hwc(records[:, 1:])), labels


# Globals a CIFAR-10 python batch may reference: numpy arrays only.  Anything else (which a
# malicious pickle would need to run code) is refused.
_PICKLE_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that only builds plain containers and numpy arrays."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return getattr(importlib.import_module(module), name)


def read_cifar_pickle(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a CIFAR-10 python pickled batch (``data_batch_1`` ...), plain or gzipped.

    The batch is a dict with ``b'data'``, a ``(n, 3072)`` ``uint8`` array of R, G, B planes,
    and ``b'labels'``, a list of ``n`` ints (str keys are accepted too).  Only numpy arrays and
    plain containers are unpickled; any other global is refused.

    Parameters
    ----------
    path : str or os.PathLike
        The batch file.

    Returns
    -------
    images : numpy.ndarray
        ``uint8`` array of shape ``(n, 32, 32, 3)`` (RGB).
    labels : numpy.ndarray
        ``int64`` array of shape ``(n,)``.

    Raises
    ------
    DatasetError
        If the file is missing, cannot be unpickled (e.g. truncated), lacks the keys, has a
        wrong shape, disagreeing counts or labels outside 0..9.
    """
    path = Path(path)
    raw = _read_bytes(path)
    try:
        batch = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # unpickling garbage can raise almost anything
        raise DatasetError(
            f"{path}: cannot unpickle a CIFAR-10 python batch ({type(exc).__name__}: {exc}); "
            "the file is truncated, corrupt or not a pickled batch"
        ) from exc
    if not isinstance(batch, dict):
        raise DatasetError(f"{path}: a CIFAR-10 python batch is a dict, found {type(batch)}")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        raise DatasetError(f"{path}: the pickled batch lacks the key b'data' or b'labels'")
    data = np.asarray(data)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _CIFAR_PIXELS:
        raise DatasetError(
            f"{path}: b'data' must be a uint8 array of shape (n, {_CIFAR_PIXELS}), "
            f"found {data.dtype} {data.shape}"
        )
    if data.shape[0] != labels.shape[0]:
        raise DatasetError(
            f"{path}: b'data' holds {data.shape[0]} images but b'labels' {labels.shape[0]} labels"
        )
    _check_labels(path, labels, 10)
    return np.ascontiguousarray(_planar_to_hwc(data)), labels


def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """Convert RGB ``uint8`` images to grayscale by the ITU-R BT.601 luminance.

    ``Y = 0.299 R + 0.587 G + 0.114 B``, rounded to the nearest integer with halves rounded
    up.  It is computed exactly in integer arithmetic, ``(299 R + 587 G + 114 B + 500) //
    1000``, so the result does not depend on floating-point rounding; it always lies in
    0..255.

    Parameters
    ----------
    rgb : numpy.ndarray
        ``uint8`` array whose last axis holds R, G, B, e.g. ``(n, 32, 32, 3)``.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of the same shape without the last axis.
    """
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"rgb_to_gray expects a last axis of length 3, got shape {rgb.shape}")
    total = rgb[..., 0].astype(np.int32) * 299
    total += rgb[..., 1].astype(np.int32) * 587
    total += rgb[..., 2].astype(np.int32) * 114
    total += 500
    total //= 1000
    return total.astype(np.uint8)
