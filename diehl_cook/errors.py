"""Exception types shared by the package.

Every error a user can cause (a bad config, equation file, parameter file, dataset or run
folder) is a :class:`DiehlCookError`, whose message names the file, key or value concerned.
The command line prints it as one ``error:`` line and exits with status 2 (``--debug`` shows
the traceback).  Each subclass is also a :class:`ValueError`, as before.
"""

__all__ = [
    "ComponentError",
    "ConfigError",
    "DatasetError",
    "DiehlCookError",
    "ParameterError",
    "RunFolderError",
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


class DatasetError(DiehlCookError, ValueError):
    """A dataset is unknown, missing, corrupt or inconsistent, or cannot be fetched.

    The message names the file (full path) or folder concerned and says what is wrong.
    """


class RunFolderError(DiehlCookError, ValueError):
    """A run folder is missing, incomplete, or lacks the file a command needs.

    The message names the folder and the missing or damaged file.
    """
