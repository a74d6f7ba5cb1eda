"""Loading one split of a dataset: :func:`load` and :func:`load_configured`.

Every dataset is returned the same way: an ``(n, h, w)`` ``uint8`` image array and an
``(n,)`` ``int64`` label array.  The data come from one of two routes:

* ``source="local"``: a folder of the standard distribution files, read by the readers of
  :mod:`diehl_cook.data.readers` (IDX files for MNIST and Fashion-MNIST, plain or gzipped;
  CIFAR-10 binary batches or python pickled batches, plain or gzipped), which
  :func:`~diehl_cook.data.fetching.fetch` fills.
* ``source="tfds"``: TensorFlow Datasets' ``tfds.data_source``, which reads prepared
  ArrayRecord files without TensorFlow.  Preparing a dataset (its first use) downloads it, so
  it needs the internet and may need further packages; an already prepared TFDS data
  directory works offline.

CIFAR-10 is converted to grayscale by :func:`~diehl_cook.data.readers.rgb_to_gray`.
``tensorflow_datasets`` is imported only when ``source="tfds"`` is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .checksums import verify_checksums
from .locate import _check_split, _describe_expected, _locate
from .readers import (
    _check_labels,
    read_cifar_binary,
    read_cifar_pickle,
    read_idx_images,
    read_idx_labels,
    rgb_to_gray,
)
from .registry import SOURCES, DatasetSpec, PathLike, dataset_dir, dataset_info

__all__ = ["load", "load_configured"]


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
    spec = dataset_info(name)
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
