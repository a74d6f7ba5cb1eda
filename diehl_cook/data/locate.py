"""Finding a dataset's local files in its folder.

A dataset folder holds the standard distribution files of one dataset (the logical files of
``DatasetSpec.split_files``); each logical file may be present under any of its accepted names
(``DatasetSpec.candidates``: plain or gzipped; for CIFAR-10 binary or pickled).  A missing
folder or file raises :class:`~diehl_cook.errors.DatasetError` listing the expected files and
how to get them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DatasetError
from .registry import SPLITS, DatasetSpec, PathLike, dataset_dir, dataset_info

__all__ = ["locate_files"]


def _check_split(spec: DatasetSpec, split: str, where: Path | None = None) -> None:
    if split not in SPLITS:
        place = f" (data folder {where})" if where is not None else ""
        raise DatasetError(
            f"unknown split {split!r} for dataset {spec.name!r}{place}; "
            f"known splits: {', '.join(map(repr, SPLITS))}"
        )


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
    spec = dataset_info(name)
    path = Path(folder).expanduser() if folder is not None else dataset_dir(name)
    if split is None:
        stems = spec.all_stems()
    else:
        _check_split(spec, split, path)
        stems = spec.split_files[split]
    return list(_locate(spec, path, stems).values())
