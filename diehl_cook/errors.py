"""Exception types shared by the package."""

__all__ = ["ComponentError", "ConfigError", "ParameterError"]


class ComponentError(ValueError):
    """An equation (component) file or a model variant is malformed or inconsistent.

    The message always names the file and, where one applies, the line.
    """


class ParameterError(ValueError):
    """A parameter file holds a malformed or missing value."""


class ConfigError(ValueError):
    """An experiment configuration is invalid (unknown key, bad value, missing file)."""
