"""sha256 checksums of dataset files: computing, reading ``SHA256SUMS`` files, verifying.

The checksums that apply to a dataset are those registered in ``DATASETS[name].checksums``;
for CIFAR-10 a ``SHA256SUMS`` file in the data folder takes precedence for the files it lists
(see ``DatasetSpec.accept_folder_sums``).  A ``.gz`` file also passes when its decompressed
content matches the checksum of the uncompressed name, since gzip bytes vary between
compressors.  A mismatch raises :class:`~diehl_cook.errors.DatasetError` giving the file, the
expected and the actual sha256.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

from ..errors import DatasetError
from .locate import locate_files
from .registry import DatasetSpec, PathLike, dataset_dir, dataset_info

__all__ = ["read_sha256sums", "sha256_file", "verify_checksums"]

_SUMS_FILE_NAME = "SHA256SUMS"


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
    spec = dataset_info(name)
    path = Path(folder).expanduser() if folder is not None else dataset_dir(name)
    checksums = _Checksums(spec, path)
    return {file: checksums.verify(file) for file in locate_files(name, split, path)}
