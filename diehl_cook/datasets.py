"""Deprecated: the datasets now live in the subpackage :mod:`diehl_cook.data`.

This module is kept for one release so that ``from diehl_cook.datasets import load`` and the
like keep working; it only re-exports the public names of :mod:`diehl_cook.data` (and
:class:`~diehl_cook.errors.DatasetError`).  Import from :mod:`diehl_cook.data` instead.

Module-level settings are not mirrored: to change :data:`FASHION_MNIST_SYSTEM_DIR` for
:func:`fetch` (e.g. in a test), set it on :mod:`diehl_cook.data.fetching`.
"""

from .data import (
    DATA_DIR_ENV,
    DATASETS,
    FASHION_MNIST_SYSTEM_DIR,
    SOURCES,
    SPLITS,
    DatasetError,
    DatasetSpec,
    dataset_dir,
    dataset_info,
    default_data_dir,
    fetch,
    load,
    load_configured,
    locate_files,
    read_cifar_binary,
    read_cifar_pickle,
    read_idx_images,
    read_idx_labels,
    read_sha256sums,
    rgb_to_gray,
    sha256_file,
    verify_checksums,
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
