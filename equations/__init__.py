"""Brian2 equation files (components), model variants and parameter files.

This folder holds data, not code: see README.md here for the file format.
"""
