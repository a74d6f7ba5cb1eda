"""Exception and warning types shared by the package.

Every error a user can cause (a bad config, equation file, parameter file, dataset, run
folder or command-line argument; a full disk; a broken model whose state becomes NaN) is a
:class:`DiehlCookError`, whose message names the file, key or value concerned.  The command
line prints it as one ``error:`` line and exits with status 2 (``--debug`` shows the
traceback).  Each subclass is also a :class:`ValueError` (or, for files that cannot be
written or found, an :class:`OSError`), as before.

Damaged state that the package can recover from (a truncated checkpoint with an earlier good
one, a damaged build in the build cache) is reported by a :class:`DiehlCookWarning` that
names the file, and the work goes on.
"""

__all__ = [
    "BuildCacheError",
    "CheckpointError",
    "ComponentError",
    "ConfigError",
    "DatasetError",
    "DiehlCookError",
    "DiehlCookWarning",
    "MissingRunFileError",
    "NumericalError",
    "ParameterError",
    "RunFolderBusyError",
    "RunFolderError",
    "StorageError",
    "UsageError",
]


class DiehlCookError(Exception):
    """Base class of the errors a user can cause; the message says what and where."""


class ComponentError(DiehlCookError, ValueError):
    """An equation (component) file or a model variant is malformed or inconsistent.

    The message always names the file and, where one applies, the line.
    """


class ParameterError(DiehlCookError, ValueError):
    """A parameter file holds a malformed or missing value."""


class ConfigError(DiehlCookError, ValueError):
    """An experiment configuration is invalid (unknown key, bad value, missing file)."""


class UsageError(DiehlCookError, ValueError):
    """A command-line or function argument is invalid (the message names it and its value)."""


class DatasetError(DiehlCookError, ValueError):
    """A dataset is unknown, missing, corrupt or inconsistent, or cannot be fetched.

    The message names the file (full path) or folder concerned and says what is wrong.
    """


class RunFolderError(DiehlCookError, ValueError):
    """A run folder is missing, incomplete, or lacks the file a command needs.

    The message names the folder and the missing or damaged file.
    """


class MissingRunFileError(RunFolderError, FileNotFoundError):
    """A run folder, or a file a command needs in it, does not exist."""


class RunFolderBusyError(RunFolderError):
    """Another process holds the lock of this run folder (a run with the same name)."""


class CheckpointError(RunFolderError):
    """A checkpoint is damaged, or was written by another version or other settings.

    Raised only when no earlier good checkpoint exists; nothing is overwritten.
    """


class BuildCacheError(DiehlCookError, RuntimeError):
    """A standalone program in the build cache is damaged and could not be rebuilt."""


class StorageError(DiehlCookError, OSError):
    """A file could not be written (disk full, no permission); the message names it.

    The previous version of the file, if any, is left as it was.
    """


class NumericalError(DiehlCookError, FloatingPointError):
    """A state variable (weights, theta, v) became NaN or infinite; the message names it."""


class DiehlCookWarning(UserWarning):
    """Damaged state that was detected and worked around (the message names the file)."""
