"""Tests of the diehl_cook.information package surface: re-exports and no Brian2 import."""

import subprocess
import sys

import diehl_cook.information as information
from diehl_cook.information import discretise, estimators, significance

PUBLIC_NAMES = [
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


def test_package_reexports_every_public_name_of_its_modules():
    assert information.__all__ == PUBLIC_NAMES
    modules = (estimators, significance, discretise)
    assert sorted(sum((module.__all__ for module in modules), [])) == sorted(PUBLIC_NAMES)
    for module in modules:
        for name in module.__all__:
            assert getattr(information, name) is getattr(module, name)


def test_importing_the_package_does_not_import_brian2():
    code = "import sys, diehl_cook.information; assert 'brian2' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
