"""The ``analyze`` command: :func:`analyze_run` writes ``<run_dir>/analysis/``."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..atomic import fault_point, remove_tree, rename_folder
from ..errors import UsageError
from ..information import spiked
from ..run_folder import AnalysisFiles, RunFolder
from .figures import save_figures
from .learning import WINS_FIGURE, learning_outputs, save_wins_figure
from .neuron_sets import class_neuron_sets, map_weight_correlation, neuron_information
from .records import load_run_records
from .report import neuron_rows, summary_text, table1_text, table2_texts, time_binned_texts
from .study_table import study_table_texts, time_step_of_config
from .time_binned import time_binned_information
from .writers import csv_text, json_text

__all__ = ["analyze_run"]


def _replace_folder(temporary: Path, final: Path) -> None:
    """Move ``temporary`` to ``final``, replacing an older ``final`` folder."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        rename_folder(final, old / final.name)
    rename_folder(temporary, final)
    if old is not None:
        remove_tree(old)


def _recover_interrupted(folder: RunFolder) -> None:
    """Tidy what a killed ``analyze`` left: restore the old ``analysis/``, drop temporaries."""
    final = folder.analysis_dir
    for old in sorted(folder.path.glob(f".{final.name}.old-*")):
        if not final.exists() and (old / final.name).is_dir():
            rename_folder(old / final.name, final)
        remove_tree(old)
    for temporary in folder.path.glob(f".{final.name}.tmp-*"):
        remove_tree(temporary)


#: Input→output lags (ms) of the time-binned analysis, where the rest period allows them.
DEFAULT_LAGS_MS = (0.0, 5.0, 10.0, 20.0)


def _check_arguments(alpha, n_permutations, bin_ms, lags_ms):
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must lie in (0, 1), got {alpha!r}")
    if n_permutations < 1:
        raise UsageError(f"n_permutations must be >= 1, got {n_permutations!r}")
    if not bin_ms > 0:
        raise UsageError(f"--bin-ms must be positive, got {bin_ms!r}")
    if lags_ms is not None and any(not lag >= 0 for lag in lags_ms):
        raise UsageError(f"--lags-ms must be >= 0, got {list(lags_ms)!r}")


def _holding_the_run_lock(analyze):
    """Run ``analyze`` holding the run folder's lock (not while a run writes into it)."""

    @functools.wraps(analyze)
    def locked(run_dir, **options):
        _check_arguments(
            options.get("alpha", 0.05),
            options.get("n_permutations", 200),
            options.get("bin_ms", 5.0),
            options.get("lags_ms"),
        )
        folder = RunFolder(run_dir)
        if not folder.is_dir():
            return analyze(run_dir, **options)  # load_run_records names the missing folder
        with folder.lock(required=False):
            _recover_interrupted(folder)
            return analyze(run_dir, **options)

    return locked


@_holding_the_run_lock
def analyze_run(
    run_dir: str | os.PathLike,
    *,
    alpha: float = 0.05,
    n_permutations: int = 200,
    seed: int = 0,
    bin_ms: float = 5.0,
    lags_ms: Sequence[float] | None = None,
    study_presentations: int = 5,
) -> list[Path]:
    """Write the information analysis of a finished run into ``<run_dir>/analysis/``.

    Parameters
    ----------
    run_dir : str or os.PathLike
        Run folder with ``records/test.npz`` and ``state.npz``; ``config.toml``,
        ``metrics.json``, ``assignments.npz`` and ``confusion_matrix.csv`` are used when
        present.
    alpha : float, optional
        Significance level: FDR of the BH corrections and family-wise level of the
        max-statistic test. Default: 0.05.
    n_permutations : int, optional
        Permutations of the max-statistic test (per class) and of the class-label test
        (per neuron). Default: 200.
    seed : int, optional
        Seed of all permutations; the analysis is deterministic given the seed.
        Default: 0.
    bin_ms : float, optional
        Bin width (ms) of the time-binned analysis.  Default: 5.
    lags_ms : sequence of float, optional
        Input→output lags (ms) of the time-binned analysis, each at most the run's rest
        period.  Default (None): those of :data:`DEFAULT_LAGS_MS` (0, 5, 10 and 20 ms)
        that fit in the rest period; 0 only for a run without rest (the study's protocol).
    study_presentations : int, optional
        ``k`` of the second study table: the first ``k`` test images of every class
        (:mod:`diehl_cook.analysis.study_table`).  Default: 5; 1: the study's table only.

    Returns
    -------
    list of pathlib.Path
        The files written: ``table2.md``, ``table2.csv``, ``table2.json``, ``neurons.csv``,
        ``neurons.json``, ``mi_maps.npz``, ``table1.md``, ``summary.md``,
        ``receptive_fields.png``, ``mi_vs_weights.png``, ``theta.png`` and, when the run
        has ``confusion_matrix.csv``, ``confusion_matrix.png``; when the run recorded
        spike times (``records/test_spike_trains.npz``), also ``time_binned.md``,
        ``time_binned.csv`` and ``time_binned.json``
        (:func:`diehl_cook.analysis.time_binned.time_binned_information`) and the study's
        Table 2 in its own form, tested beside it: ``table2_study.md``, ``.json``, ``.csv``
        (:mod:`diehl_cook.analysis.study_table`).

    Raises
    ------
    FileNotFoundError
        If the run folder, ``records/test.npz`` or ``state.npz`` is missing.
    ValueError
        If an array is missing or the shapes disagree, or ``alpha`` is not in (0, 1).

    Notes
    -----
    The folder is built in a temporary folder next to it and moved into place at the end,
    so ``analysis/`` is either the previous complete analysis or the new one. See the
    notes of :mod:`diehl_cook.analysis` for the variables and criteria. On a 100-neuron
    run with 10,000 test images the analysis takes well under a minute on one core.
    """
    records = load_run_records(run_dir)
    class_rows = class_neuron_sets(
        spiked(records.input_counts),
        spiked(records.exc_counts),
        records.labels,
        alpha=alpha,
        n_permutations=n_permutations,
        seed=seed,
        class_names=records.class_names,
    )
    information = neuron_information(
        records.input_counts,
        records.exc_counts,
        records.labels,
        alpha=alpha,
        n_permutations=n_permutations,
        seed=seed,
    )
    mi_maps = information["input_output_information_bits"]
    correlation = map_weight_correlation(mi_maps, records.weights)

    texts = table2_texts(class_rows, alpha=alpha, n_permutations=n_permutations, seed=seed)
    header, rows = neuron_rows(records, information, correlation)
    texts[AnalysisFiles.NEURONS_CSV] = csv_text(header, rows)
    texts[AnalysisFiles.NEURONS_JSON] = json_text(
        {
            "description": "Per output neuron, over all test presentations",
            "units": {
                "entropy": "bits",
                "information": "bits",
                "theta": "mV",
            },
            "criteria": {
                "entropy_count_bits": "plug-in H of the spike count per presentation",
                "entropy_spiked_bits": "plug-in H of 'spiked at least once' per presentation",
                "class_information_bits": "plug-in I(spike count; class label)",
                "class_information_pvalue": f"Monte-Carlo permutation of the class labels, "
                f"{n_permutations} permutations, p = (1 + #exceeding) / (1 + n)",
                "class_information_significant_bh": f"BH-FDR {alpha:g} across neurons",
                "mi_map": "per input pixel, plug-in I(input spiked; output spiked)",
                "mi_weight_correlation": "Pearson r between MI map and weight map "
                "(null when a map is constant)",
            },
            "alpha": alpha,
            "n_permutations": n_permutations,
            "seed": seed,
            "image_shape": list(records.image_shape),
            "neurons": [dict(zip(header, row, strict=True)) for row in rows],
        }
    )
    table1, accuracy = table1_text(records)
    texts[AnalysisFiles.TABLE1] = table1
    learning_texts, learning, wins = learning_outputs(records)
    texts.update(learning_texts)
    folder = records.folder
    if folder.has_spike_trains():
        spikes = folder.read_spike_trains(
            n_neurons={"input": records.input_counts.shape[1], "exc": records.exc_counts.shape[1]}
        )
        if lags_ms is None:
            lags_ms = [lag for lag in DEFAULT_LAGS_MS if lag / 1000 <= spikes.rest_s + 1e-12]
        try:
            time_binned_rows = time_binned_information(
                spikes, bin_s=bin_ms / 1000, lags_s=[lag / 1000 for lag in lags_ms], alpha=alpha
            )
        except ValueError as error:
            raise UsageError(
                f"{folder.spike_trains_path}: --bin-ms {bin_ms:g} / --lags-ms "
                f"{' '.join(f'{lag:g}' for lag in lags_ms)}: {error}"
            ) from None
        texts.update(time_binned_texts(spikes, time_binned_rows, bin_ms=bin_ms, alpha=alpha))
        texts.update(
            study_table_texts(
                spikes,
                records.labels,
                n_input=records.n_input,
                n_exc=records.n_exc,
                step_s=time_step_of_config(records.config),
                per_class=study_presentations,
                alpha=alpha,
                class_names=records.class_names,
            )
        )

    final = folder.analysis_dir
    temporary = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=folder.path))
    try:
        for name, text in texts.items():
            fault_point(f"analysis-write {temporary / name}")
            (temporary / name).write_text(text, encoding="utf-8")
        with open(temporary / AnalysisFiles.MI_MAPS, "wb") as stream:
            np.savez_compressed(
                stream,
                input_output_information_bits=mi_maps,
                image_shape=np.array(records.image_shape),
            )
        fault_point(f"analysis-write {temporary / 'figures'}")
        figure_names = save_figures(temporary, records, information, correlation)
        if wins is not None:
            save_wins_figure(temporary / WINS_FIGURE, *wins)
            figure_names.append(WINS_FIGURE)
        file_names = [*texts, AnalysisFiles.MI_MAPS, *figure_names, AnalysisFiles.SUMMARY]
        summary = summary_text(
            records,
            class_rows,
            information,
            correlation,
            accuracy,
            alpha=alpha,
            n_permutations=n_permutations,
            seed=seed,
            file_names=file_names,
        )
        if learning is not None:
            summary += (
                "\n## Learning\n\n"
                f"Over the last training epoch, {learning['n_never_fired']} of "
                f"{learning['n_exc']} neurons never fired, {learning['n_never_won']} never won a "
                f"presentation, and {learning['n_unlearned']} have an unstructured weight map "
                f"(Moran's I <= {learning['threshold']:.4f}; `learning.csv`, `wins.png`).\n"
            )
        fault_point(f"analysis-write {temporary / AnalysisFiles.SUMMARY}")
        (temporary / AnalysisFiles.SUMMARY).write_text(summary, encoding="utf-8")
        temporary.chmod(0o755)
        _replace_folder(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return [final / name for name in file_names]
