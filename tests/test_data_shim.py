"""The deprecated module diehl_cook.datasets re-exports the public names of diehl_cook.data."""

from __future__ import annotations

import diehl_cook.data as data
import diehl_cook.datasets as datasets
from diehl_cook import errors


def test_shim_reexports_the_public_names():
    assert datasets.__all__ == data.__all__
    for name in data.__all__:
        assert getattr(datasets, name) is getattr(data, name), name


def test_dataset_error_lives_in_errors():
    assert data.DatasetError is errors.DatasetError is datasets.DatasetError
    assert issubclass(errors.DatasetError, ValueError)
