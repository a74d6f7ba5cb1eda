"""A skip mark for tests that need a dataset in the local cache (``make data-all``)."""

import pytest

from diehl_cook.data import DatasetError, load


def needs_dataset(name):
    """Return a ``skipif`` mark: skip unless ``name``'s test split loads from the cache."""
    try:
        load(name, "test", source="local")
    except DatasetError:
        available = False
    else:
        available = True
    return pytest.mark.skipif(
        not available, reason=f"{name} not fetched (python -m diehl_cook data fetch {name})"
    )
