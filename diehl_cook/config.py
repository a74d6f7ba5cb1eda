"""Experiment configuration: TOML files, ``--set`` overrides and validation.

An experiment config has the tables ``[model]``, ``[data]``, ``[protocol]``,
``[simulation]`` and ``[output]``; their keys, types, defaults and meanings are the fields of
the dataclasses in :mod:`diehl_cook.experiment`, and :data:`DEFAULTS` lists them as dicts.  Unknown
keys, wrong types and bad values are errors that name the file and the key.  The resolved
config (defaults filled in, overrides applied) is written into every run folder.
"""

import copy
import importlib.resources
import json
import os
import tomllib
from pathlib import Path

from .data.registry import SOURCES
from .errors import ConfigError
from .experiment import default_config
from .model.quantities import parse_quantity

__all__ = [
    "DEFAULTS",
    "apply_values",
    "dump_config",
    "load_config",
    "parse_override",
    "shipped_config_names",
]

#: Every configuration key with its default value (from :mod:`diehl_cook.experiment`).
DEFAULTS = default_config()

_ENGINES = ("runtime", "standalone")
#: Tables of [model] whose keys are free ("<group>.<role>", "<table>.<name>"), checked later.
_FREE_TABLES = ("components", "parameters")


def shipped_config_names():
    """Names of the experiment configs shipped with the package."""
    folder = Path(str(importlib.resources.files("diehl_cook.configs")))
    return sorted(path.stem for path in folder.glob("*.toml"))


def _resolve_config_path(name_or_path):
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    if candidate.suffix == ".toml":
        raise ConfigError(f"{candidate}: config file not found")
    shipped = Path(str(importlib.resources.files("diehl_cook.configs"))) / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    raise ConfigError(
        f"unknown config {name_or_path!r}: not a file, and not a shipped config "
        f"({', '.join(shipped_config_names())})"
    )


def parse_override(text):
    """Split a ``--set`` argument ``"table.key=value"`` into its key and TOML value.

    The value is read as TOML (numbers, booleans, quoted strings, arrays); anything else is
    taken as a plain string.

    Examples
    --------
    >>> parse_override("model.n_exc=400")
    ('model.n_exc', 400)
    >>> parse_override("data.dataset=fashion_mnist")
    ('data.dataset', 'fashion_mnist')
    """
    key, separator, value_text = text.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"--set expects 'table.key=value', got {text!r}")
    try:
        value = tomllib.loads(f"value = {value_text.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = value_text.strip()
    return key.strip(), value


def _merge(target, updates, origin, path=()):
    for key, value in updates.items():
        location = ".".join((*path, key))
        if key not in target:
            known = ", ".join(sorted(target)) or "(none)"
            raise ConfigError(f"{origin}: unknown key {location!r} (known here: {known})")
        if isinstance(target[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: {location!r} must be a table")
            if path == ("model",) and key in _FREE_TABLES:
                _check_free_table(origin, location, value)
                target[key].update(value)
            else:
                _merge(target[key], value, origin, (*path, key))
            continue
        expected = type(target[key])
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{origin}: {location!r} must be {expected.__name__}, got {value!r}")
        target[key] = value


def _check_free_table(origin, location, table):
    """``[model.components]`` values are file names, ``[model.parameters]`` values numbers."""
    for name, value in table.items():
        if location.endswith("components"):
            ok = isinstance(value, str)
            what = "a file name (or '' to drop the role)"
        else:
            ok = isinstance(value, str | int | float) and not isinstance(value, bool)
            what = "a number or '<number> <unit>'"
        if not ok:
            raise ConfigError(f"{origin}: '{location}.{name}' must be {what}, got {value!r}")


def _set_dotted(updates, key, value):
    parts = key.split(".")
    if parts[0] == "model" and len(parts) > 2 and parts[1] in _FREE_TABLES:
        updates.setdefault("model", {}).setdefault(parts[1], {})[".".join(parts[2:])] = value
        return
    node = updates
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def apply_values(config, values, origin):
    """Return a copy of ``config`` with dotted keys set to typed values, validated.

    Parameters
    ----------
    config : dict
        A resolved config.
    values : dict
        ``{"table.key": value}``, values already typed (e.g. read from TOML).
    origin : str
        Named in error messages (e.g. the sweep file and point).

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        For an unknown key, a value of the wrong type or an invalid value.
    """
    updated = copy.deepcopy(config)
    for key, value in values.items():
        updates = {}
        _set_dotted(updates, key, value)
        _merge(updated, updates, origin)
    _validate(updated, origin)
    return updated


def _validate(config, origin):
    simulation, data, protocol = config["simulation"], config["data"], config["protocol"]
    if simulation["engine"] not in _ENGINES:
        raise ConfigError(f"{origin}: simulation.engine must be one of {_ENGINES}")
    if data["source"] not in SOURCES:
        raise ConfigError(f"{origin}: data.source must be one of {SOURCES}")
    for key in ("n_train", "n_label", "n_test"):
        if data[key] < 0:
            raise ConfigError(f"{origin}: data.{key} must be >= 0 (0 means all)")
    if config["model"]["n_exc"] < 1:
        raise ConfigError(f"{origin}: model.n_exc must be >= 1")
    if protocol["normalisation_target"] < 0:
        raise ConfigError(
            f"{origin}: protocol.normalisation_target must be >= 0 (0 means the variant's value)"
        )
    if simulation["threads"] < 1:
        raise ConfigError(f"{origin}: simulation.threads must be >= 1")
    if simulation["chunk_slots"] < 1 or simulation["epochs"] < 1:
        raise ConfigError(f"{origin}: simulation.chunk_slots and epochs must be >= 1")
    for key in ("dt", "presentation", "rest"):
        try:
            value = parse_quantity(protocol[key])
        except ValueError as error:
            raise ConfigError(f"{origin}: protocol.{key}: {error}") from None
        if getattr(value, "dim", None) is None or str(value.dim) != "s":
            raise ConfigError(f"{origin}: protocol.{key} must be a time, got {protocol[key]!r}")


def load_config(name_or_path=None, overrides=()):
    """Load an experiment config, apply ``--set`` overrides and validate it.

    Parameters
    ----------
    name_or_path : str or pathlib.Path, optional
        A TOML file, or the name of a shipped config (``"demo"``, ...).  None: defaults only.
    overrides : iterable of str
        ``"table.key=value"`` strings, applied in order after the file.

    Returns
    -------
    config : dict
        The resolved configuration (every key present).
    source : pathlib.Path or None
        The file it came from (relative paths in it resolve against its folder).

    Raises
    ------
    ConfigError
        For a missing file, invalid TOML, an unknown key, a value of the wrong type, or an
        invalid value.
    """
    config = copy.deepcopy(DEFAULTS)
    source = None
    if name_or_path is not None:
        source = _resolve_config_path(name_or_path)
        try:
            document = tomllib.loads(source.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{source}: invalid TOML: {error}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{source}: cannot read the config file ({error})") from None
        _merge(config, document, str(source))
        _resolve_file_references(config, document, source.parent)
    for text in overrides:
        key, value = parse_override(text)
        updates = {}
        _set_dotted(updates, key, value)
        _merge(config, updates, f"--set {text}")
        # a path on the command line is relative to the working directory
        _resolve_file_references(config, updates, Path.cwd())
    _validate(config, str(source) if source else "config")
    return config, source


def _from_folder(reference, folder, shipped_dir=None):
    """Resolve ``reference`` from ``folder`` if it is a relative path (see load_config).

    A relative path that names no file in ``folder`` but a shipped file (``shipped_dir``)
    stays as it is; one that names neither becomes the absolute path in ``folder``, so
    that the error about the missing file names where it was looked for.
    """
    if not isinstance(reference, str) or not reference:
        return reference
    path = Path(reference).expanduser()
    if path.is_absolute():
        return str(path)
    if (folder / path).is_file():
        return str((folder / path).resolve())
    if shipped_dir is not None and (shipped_dir / path).is_file():
        return reference
    return str((folder / path).resolve())


def _resolve_file_references(config, document, folder):
    """Resolve the equation files a config file names from the config file's folder.

    ``[model.components]`` values and a ``model.variant`` given as a ``.toml`` path are
    relative to the folder of the file that names them, wherever the command is started;
    ``--set`` values are relative to the working directory, like any command-line path
    (``folder``).  ``document`` holds the values to resolve (a file's, or one override's).
    """
    from .model.variants import shipped_equations_dir

    model = document.get("model", {}) if isinstance(document, dict) else {}
    if not isinstance(model, dict):
        return
    shipped = shipped_equations_dir()
    components = model.get("components", {})
    if isinstance(components, dict):
        for key in components:
            value = config["model"]["components"][key]
            config["model"]["components"][key] = _from_folder(value, folder, shipped)
    variant = model.get("variant")
    if isinstance(variant, str) and variant.endswith(".toml"):
        config["model"]["variant"] = _from_folder(variant, folder)


def _relative_file_references(config, folder):
    """Return a copy of ``config`` with absolute equation paths relative to ``folder``."""
    config = copy.deepcopy(config)
    model = config["model"]

    def relative(value):
        if isinstance(value, str) and value and Path(value).is_absolute():
            return os.path.relpath(value, folder)
        return value

    model["components"] = {key: relative(value) for key, value in model["components"].items()}
    if str(model["variant"]).endswith(".toml"):
        model["variant"] = relative(model["variant"])
    return config


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def dump_config(config, relative_to=None):
    """Write a resolved config as TOML text (readable back by :func:`load_config`).

    Parameters
    ----------
    config : dict
        A resolved config.
    relative_to : str or pathlib.Path, optional
        Folder the TOML file will be in: the absolute paths of equation files
        (``model.components``, a ``model.variant`` path) are written relative to it, so the
        file names no absolute path and reads back the same files.  Default: as they are.
    """
    if relative_to is not None:
        config = _relative_file_references(config, Path(relative_to).resolve())
    lines = []
    for table, entries in config.items():
        scalars = {k: v for k, v in entries.items() if not isinstance(v, dict)}
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in scalars.items())
        lines.append("")
        for key, value in entries.items():
            if isinstance(value, dict):
                lines.append(f"[{table}.{key}]")
                lines.extend(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items())
                lines.append("")
    return "\n".join(lines)
