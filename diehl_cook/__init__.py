"""Unsupervised spiking network of Diehl & Cook (2015) in Brian2.

The package builds the network from plain-text Brian2 equation files (``equations/``),
trains it with spike-timing-dependent plasticity on MNIST, Fashion-MNIST or CIFAR-10,
labels its neurons, measures accuracy and analyses the recorded spikes with information
theory.

The front door, for scripts and notebooks::

    import diehl_cook as dc

    variant = dc.load_variant("diehl_cook_2015")           # equation and parameter files
    built = dc.build_network(variant, "train", n_input=784, n_exc=100)  # Brian2 objects
    config, source = dc.load_config("demo", ["data.n_train=500"])
    run_dir, metrics = dc.run(config, source)               # train, label, evaluate
    folder = dc.RunFolder(run_dir)                          # every file of a run folder
    weights = folder.read_state()["input_to_exc.w"]
    dc.analyze_run(run_dir)                                 # information tables, figures
    dc.mutual_information([0, 1, 1, 0], [0, 1, 1, 1])       # bits

Every name is imported when first used, so ``import diehl_cook`` stays cheap: Brian2 is
only imported by the modules that build or run networks.
"""

import importlib

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first access).
_PUBLIC = {
    # the model
    "load_variant": "diehl_cook.model",
    "compose_model": "diehl_cook.model",
    "build_network": "diehl_cook.model",
    "SlotTiming": "diehl_cook.model",
    # experiments
    "load_config": "diehl_cook.config",
    "Experiment": "diehl_cook.experiment",
    "train": "diehl_cook.pipeline",
    "label": "diehl_cook.pipeline",
    "evaluate": "diehl_cook.pipeline",
    "run": "diehl_cook.pipeline",
    "run_phase": "diehl_cook.simulation",
    "make_engine": "diehl_cook.simulation",
    "ProtocolSettings": "diehl_cook.simulation",
    # run folders and their analysis
    "RunFolder": "diehl_cook.run_folder",
    "analyze_run": "diehl_cook.analysis",
    "load_run_records": "diehl_cook.analysis",
    # data
    "load_dataset": ("diehl_cook.data", "load"),
    # information measures
    "entropy": "diehl_cook.information",
    "joint_entropy": "diehl_cook.information",
    "conditional_entropy": "diehl_cook.information",
    "mutual_information": "diehl_cook.information",
    "mutual_information_matrix": "diehl_cook.information",
    "class_information": "diehl_cook.information",
    "permutation_pvalues": "diehl_cook.information",
    "benjamini_hochberg": "diehl_cook.information",
    # errors
    "DiehlCookError": "diehl_cook.errors",
}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name):
    target = _PUBLIC.get(name)
    if target is None:
        raise AttributeError(f"module 'diehl_cook' has no attribute {name!r}")
    module_name, attribute = target if isinstance(target, tuple) else (target, name)
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
