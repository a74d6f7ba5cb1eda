r"""Information analysis of a finished run folder: the study's Tables 1 and 2, and more.

:func:`analyze_run` reads a run folder (layout in :mod:`diehl_cook.run_folder`) and writes
``<run_dir>/analysis/``:

``table2.md``, ``table2.csv``, ``table2.json``
    Per class, over that class's test presentations: which output neurons (a) spiked, (b) have
    a plug-in mutual information (MI) > 0 with at least one input neuron (the study's
    criterion), (c) have a *significant* MI with at least one input neuron (exact permutation
    p-values, corrected by BH-FDR over all pairs, or by the per-output max statistic).
``neurons.csv``, ``neurons.json``
    Per output neuron, over all test presentations: entropies, information about the class
    and its significance, and the correlation of its MI map with its weight map.
``mi_maps.npz``
    The MI between every input and every output (bits), behind ``mi_vs_weights.png``.
``table1.md``
    This run's test accuracy next to the study's (Capozzi et al.) and Diehl & Cook's.
``summary.md``
    A short account of the criteria and the results.
``receptive_fields.png``, ``mi_vs_weights.png``, ``theta.png``, ``confusion_matrix.png``
    Figures drawn by :mod:`diehl_cook.plotting` (the last when the run folder has
    ``confusion_matrix.csv``).

Variables
---------
One sample is one test presentation (350 ms window; sample definition (b) of
:mod:`diehl_cook.information`). :math:`X_i` = "input neuron ``i`` spiked at least once",
:math:`Y_j` = "output neuron ``j`` spiked at least once" (binary), and for the class
information the response is output ``j``'s spike count. All information values are plug-in
estimates in bits.

Why column (c)
--------------
A plug-in MI estimate is exactly 0 only when the count table is exactly independent or one
variable is constant. A silent output is constant, so it has MI 0 with everything; an output
that spiked in some (not all) presentations almost surely has MI > 0 with some input, even
when it is independent of all of them. So with plug-in estimates, "spiked" and "MI > 0 with
some input" select the same neurons *by construction* (information-theory reference notes,
section 4.3). Only a significance test separates real dependence from estimation noise; the
exceptions to the equality are outputs that spiked in *every* presentation of the class
(constant, so MI 0) and the improbable exactly independent tables.

Modules
-------
:mod:`~diehl_cook.analysis.records`
    :class:`RunRecords` and :func:`load_run_records`, read through
    :class:`~diehl_cook.run_folder.RunFolder`.
:mod:`~diehl_cook.analysis.neuron_sets`
    The statistics: :func:`class_neuron_sets`, :func:`neuron_information`,
    :func:`map_weight_correlation`, :func:`jaccard_index`.
:mod:`~diehl_cook.analysis.time_binned`
    Time-binned MI from recorded spike times.
:mod:`~diehl_cook.analysis.study_table`
    The study's Table 2 in its own form (``table2_study.*``: MI over the 1 ms bins of the
    first test image of each class, in nats, summed over inputs) and tested beside it
    (circular-shift null, BH-FDR); then over the first ``k`` images of each class.
:mod:`~diehl_cook.analysis.report`, :mod:`~diehl_cook.analysis.writers`
    The texts (Tables 1 and 2, summary) and their CSV, JSON and Markdown formats.
:mod:`~diehl_cook.analysis.figures`
    The figures.
:mod:`~diehl_cook.analysis.reference`
    The study's and Diehl & Cook's accuracies.
:mod:`~diehl_cook.analysis.analyze`
    :func:`analyze_run`, which runs them all.

The package needs numpy, scipy and matplotlib only (no Brian2).
"""

from .analyze import analyze_run
from .neuron_sets import (
    MI_TOLERANCE_BITS,
    class_neuron_sets,
    jaccard_index,
    map_weight_correlation,
    neuron_information,
)
from .records import RunRecords, image_shape_for, load_run_records
from .reference import DIEHL_COOK_ACCURACY, DIEHL_COOK_REFERENCE, STUDY_ACCURACY
from .study_table import (
    study_record_count,
    study_record_indices,
    study_table,
    study_table_texts,
)
from .time_binned import RecordedSpikes, load_recorded_spikes, time_binned_information

__all__ = [
    "DIEHL_COOK_ACCURACY",
    "DIEHL_COOK_REFERENCE",
    "MI_TOLERANCE_BITS",
    "STUDY_ACCURACY",
    "RecordedSpikes",
    "RunRecords",
    "analyze_run",
    "class_neuron_sets",
    "image_shape_for",
    "jaccard_index",
    "load_recorded_spikes",
    "load_run_records",
    "map_weight_correlation",
    "neuron_information",
    "study_record_count",
    "study_record_indices",
    "study_table",
    "study_table_texts",
    "time_binned_information",
]
