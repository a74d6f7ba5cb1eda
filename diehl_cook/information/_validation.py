"""Argument checks and label encoding shared by the :mod:`diehl_cook.information` modules.

Private module: the checks raise ``ValueError`` with the messages documented by
the public functions, and :func:`_encode_variable` turns one discrete variable
(1-D, or the rows of a 2-D array as joint symbols) into integer codes
``0 .. n_symbols - 1``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike

#: Anything :func:`numpy.random.default_rng` accepts: a seed, a generator or None.
RandomState = int | np.random.Generator | np.random.SeedSequence | None


def _log_of_base(base: float) -> float:
    """Return ``ln(base)`` after checking that ``base`` is a valid logarithm base."""
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise ValueError(f"base must be a real number, got {base!r}")
    base = float(base)
    if not math.isfinite(base) or base <= 0.0 or base == 1.0:
        raise ValueError(f"base must be finite, positive and different from 1, got {base!r}")
    return math.log(base)


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def _check_n_permutations(n_permutations: int) -> int:
    if (
        isinstance(n_permutations, bool)
        or not isinstance(n_permutations, numbers.Integral)
        or n_permutations < 1
    ):
        raise ValueError(f"n_permutations must be a positive integer, got {n_permutations!r}")
    return int(n_permutations)


def _check_label_values(values: np.ndarray, name: str) -> np.ndarray:
    """Validate discrete labels; integral floats are returned as int64."""
    kind = values.dtype.kind
    if kind == "f":
        if np.isnan(values).any():
            raise ValueError(f"{name} contains NaN; discrete labels are required")
        if not np.isfinite(values).all():
            raise ValueError(f"{name} contains infinite values; discrete labels are required")
        if (values != np.floor(values)).any():
            raise ValueError(
                f"{name} contains non-integer floats; discretise it first "
                "(e.g. with numpy.digitize) or pass integer labels"
            )
        if values.size and np.abs(values).max() > 2.0**53:
            raise ValueError(f"{name} contains float labels too large to be exact integers")
        return values.astype(np.int64)
    if kind == "O":
        for value in values.flat:
            if isinstance(value, (float, np.floating)):
                if math.isnan(value):
                    raise ValueError(f"{name} contains NaN; discrete labels are required")
                if not float(value).is_integer():
                    raise ValueError(f"{name} contains non-integer floats; discretise it first")
        return values
    if kind in "biuUSMm":
        return values
    raise ValueError(f"{name} has unsupported dtype {values.dtype}; discrete labels are required")


def _unique_codes(values: np.ndarray, name: str) -> tuple[np.ndarray, int]:
    """Codes ``0 .. n_symbols - 1`` of the distinct values of a 1-D array."""
    try:
        uniques, inverse = np.unique(values, return_inverse=True)
    except TypeError as error:
        raise ValueError(f"{name} contains labels that cannot be compared: {error}") from error
    return inverse.reshape(-1).astype(np.int64), int(uniques.size)


def _encode_variable(values: ArrayLike, name: str) -> tuple[np.ndarray, int]:
    """Encode a 1-D variable, or the rows of a 2-D one as joint symbols, as int codes."""
    if scipy.sparse.issparse(values):
        raise ValueError(
            f"{name} must be a dense array; use mutual_information_matrix for sparse input"
        )
    array = np.asarray(values)
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (n_samples,) or 2-D (n_samples, n_components), "
            f"got shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one sample is needed")
    if array.ndim == 2 and array.shape[1] == 0:
        raise ValueError(f"{name} has no columns")
    array = _check_label_values(array, name)
    if array.ndim == 1:
        return _unique_codes(array, name)
    codes, n_symbols = _unique_codes(array[:, 0], name)
    for column in range(1, array.shape[1]):
        column_codes, n_column_symbols = _unique_codes(array[:, column], name)
        codes, n_symbols = _unique_codes(codes * n_column_symbols + column_codes, name)
    return codes, n_symbols


def _check_same_length(length_x: int, length_y: int, name_x: str, name_y: str) -> None:
    if length_x != length_y:
        raise ValueError(
            f"{name_x} and {name_y} must have the same number of samples (axis 0), "
            f"got {length_x} and {length_y}"
        )


def _generator(rng: RandomState) -> np.random.Generator:
    return np.random.default_rng(rng)
