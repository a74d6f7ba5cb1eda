"""Output paths of the exporters, and writing a file through a temporary name."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from ..errors import DiehlCookError
from ..run_folder import RunFolder

__all__ = ["EXPORT_DIR", "default_path", "write_through_temporary"]

#: Folder of a run folder that the exports go into by default.
EXPORT_DIR = "export"


def default_path(run_dir: str | os.PathLike, suffix: str) -> Path:
    """``<run_dir>/export/<run name><suffix>``: where an export goes by default."""
    folder = RunFolder(run_dir)
    return folder.path / EXPORT_DIR / f"{folder.complete.name}{suffix}"


def write_through_temporary(
    path: str | os.PathLike, write: Callable[[Path], None], *, overwrite: bool
) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``.

    A reader sees either no file (or the old one) or the complete export.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    write : callable
        Writes the file at the path it is given (in the same folder as ``path``).
    overwrite : bool
        Replace an existing file; otherwise an existing file is an error.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    DiehlCookError
        If ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise DiehlCookError(f"{path} exists; choose another --output or pass --overwrite")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent
    )
    os.close(handle)
    os.unlink(temporary)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path
