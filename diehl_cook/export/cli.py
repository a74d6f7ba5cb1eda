"""The ``export`` subcommand: ``python -m diehl_cook export RUN_DIR --format nwb|neo``."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``export`` to its subparser."""
    parser.add_argument(
        "run_dir", help="evaluated run folder (with records/test_spike_trains.npz)"
    )
    parser.add_argument(
        "--format",
        dest="export_format",
        choices=["nwb", "neo"],
        default="nwb",
        help="nwb: an NWB file (pynwb); neo: a Neo block, pickled (.pkl, default) or NIX "
        "(.nix). Default: nwb",
    )
    parser.add_argument(
        "--output",
        default=None,
        metavar="PATH",
        help="file to write (default: RUN_DIR/export/<run name>.nwb or .neo.pkl)",
    )
    parser.add_argument(
        "--layers",
        nargs="+",
        choices=["input", "exc", "inh"],
        default=["input", "exc", "inh"],
        help="neo only: layers whose spike trains to write (default: all three)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")


def run(arguments: argparse.Namespace) -> str:
    """Export as ``arguments`` say; return the line to print (the file written)."""
    from . import read_run, to_nwb, write_neo

    if arguments.export_format == "nwb":
        path = to_nwb(arguments.run_dir, arguments.output, overwrite=arguments.overwrite)
    else:
        path = write_neo(
            arguments.run_dir,
            arguments.output,
            layers=arguments.layers,
            overwrite=arguments.overwrite,
        )
    exported = read_run(arguments.run_dir, model_files=False)
    return (
        f"{arguments.export_format}: {path} ({path.stat().st_size / 1e6:.2f} MB; "
        f"{exported.n_presentations} of {exported.n_test} test presentations, the recorded ones)"
    )
