"""Deprecated: use :mod:`diehl_cook.analysis.time_binned` (this alias goes in the next release).

The spike-train file format (:class:`~diehl_cook.run_folder.RecordedSpikes`) is defined in
:mod:`diehl_cook.run_folder`.
"""

import warnings

from .analysis.time_binned import (  # noqa: F401
    RecordedSpikes,
    load_recorded_spikes,
    time_binned_information,
)

__all__ = ["RecordedSpikes", "load_recorded_spikes", "time_binned_information"]

warnings.warn(
    "diehl_cook.time_binned is deprecated; import from diehl_cook.analysis.time_binned",
    DeprecationWarning,
    stacklevel=2,
)
