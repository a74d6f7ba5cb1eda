"""Experiment configurations shipped with the package (TOML files)."""
