r"""Entropy, mutual information and permutation significance for discrete spike variables.

This subpackage estimates Shannon entropies and mutual information (MI) between
*discrete* variables, such as "did input pixel ``i`` spike in this time bin" and
"did output neuron ``j`` spike in this time bin", and tests which of these
dependencies are statistically significant. It is pure numpy/scipy and does not
import Brian2. Every public name is importable from ``diehl_cook.information``:

* :mod:`~diehl_cook.information.estimators`: :func:`entropy`,
  :func:`joint_entropy`, :func:`conditional_entropy`,
  :func:`mutual_information`, :func:`mutual_information_matrix`,
  :func:`class_information`;
* :mod:`~diehl_cook.information.significance`:
  :func:`expected_permutation_information`, :func:`permutation_pvalues`,
  :func:`max_statistic_pvalues`, :func:`benjamini_hochberg`,
  :func:`benjamini_hochberg_qvalues`;
* :mod:`~diehl_cook.information.discretise`: :func:`spiked`,
  :func:`bin_spike_times`, :func:`count_spikes_in_windows`.

Conventions
-----------
* Samples are along axis 0 and variables (neurons) along axis 1: a recording is
  an ``(n_samples, n_neurons)`` array or scipy.sparse matrix.
* Values are discrete labels: booleans, integers (negative and non-contiguous
  values are fine), integral floats or strings. Non-integer floats and NaN are
  rejected: discretise continuous values first.
* Units are bits by default (``base=2``); ``base=numpy.e`` gives nats.
* Estimates are plug-in (maximum likelihood) estimates computed from integer
  count tables with :math:`0 \log 0 = 0`. Optional bias corrections
  (Miller-Madow, shuffle/permutation) are available via ``estimator``.

What a sample is
----------------
The discretisation decides what "information" means, so it is explicit here
(information-theory reference notes, sections 1 and 4.4):

(a) **Time bins.** :func:`bin_spike_times` turns spike monitors (neuron
    indices and spike times) into ``(n_bins, n_neurons)`` binary or count
    matrices. One sample is one time bin. Use ``lag`` to pair input bin ``t``
    with output bin ``t + lag``. This measures spike-timing coupling.
(b) **Presentations.** :func:`count_spikes_in_windows` counts spikes per
    stimulus presentation; :func:`spiked` turns counts into "spiked at all".
    One sample is one presentation (rate coding across stimuli).
(c) **Stimulus class.** A 1-D integer array of class labels, one per
    presentation; :func:`class_information` gives :math:`I(R_j; C)` for every
    neuron ``j``.

Estimators and tests
--------------------
* ``estimator="plugin"``, ``"miller_madow"`` or ``"shuffle"`` (mutual
  information only) selects the bias correction of the estimators.
* A plug-in MI is positive for almost any finite sample, even of independent
  variables: decide which dependencies are real with
  :func:`permutation_pvalues` and :func:`benjamini_hochberg` (false discovery
  rate), or with :func:`max_statistic_pvalues` (family-wise error rate).

References
----------
The numbers quoted in docstrings come from the project's information-theory
reference notes (``information-theory-reference.md``, "reference notes" below).

* Miller, G. (1955). Note on the bias of information estimates.
* Panzeri, S., Senatore, R., Montemurro, M. A. & Petersen, R. S. (2007).
  Correcting for the sampling bias problem in spike train information measures.
  J. Neurophysiol. 98, 1064-1072.
* Vinh, N. X., Epps, J. & Bailey, J. (2010). Information theoretic measures for
  clusterings comparison. JMLR 11, 2837-2854 (expected MI under permutation).
* Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate.
  J. R. Stat. Soc. B 57, 289-300.
* Nichols, T. E. & Holmes, A. P. (2002). Nonparametric permutation tests for
  functional neuroimaging. Hum. Brain Mapp. 15, 1-25 (max statistic).
* Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be zero.
  Stat. Appl. Genet. Mol. Biol. 9, 39.
"""

# The type aliases of the signatures stay importable from here, as before the split.
from ._validation import RandomState as RandomState
from .discretise import bin_spike_times, count_spikes_in_windows, spiked
from .estimators import EntropyEstimator as EntropyEstimator
from .estimators import InformationEstimator as InformationEstimator
from .estimators import (
    class_information,
    conditional_entropy,
    entropy,
    joint_entropy,
    mutual_information,
    mutual_information_matrix,
)
from .significance import (
    benjamini_hochberg,
    benjamini_hochberg_qvalues,
    expected_permutation_information,
    max_statistic_pvalues,
    permutation_pvalues,
)

__all__ = [
    "entropy",
    "joint_entropy",
    "conditional_entropy",
    "mutual_information",
    "mutual_information_matrix",
    "class_information",
    "expected_permutation_information",
    "permutation_pvalues",
    "max_statistic_pvalues",
    "benjamini_hochberg",
    "benjamini_hochberg_qvalues",
    "spiked",
    "bin_spike_times",
    "count_spikes_in_windows",
]
