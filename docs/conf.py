"""Sphinx configuration of the diehl_cook documentation (``make docs``)."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

import diehl_cook  # noqa: E402

project = "diehl_cook"
author = "the diehl_cook developers"
copyright = "the diehl_cook developers"
release = version = diehl_cook.__version__

import os  # noqa: E402

extensions = [
    "myst_nb",  # MyST Markdown pages and the notebooks (tutorials/, copied by make docs)
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "diehl_cook_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "_templates", "_ext"]
templates_path = ["_templates"]

# Notebooks: executed at every build on the tiny run that make docs creates
# (DIEHL_COOK_RUN_DIR); an error in a cell fails the build
nb_execution_mode = "force" if os.environ.get("DIEHL_COOK_RUN_DIR") else "off"
nb_execution_timeout = 300
nb_execution_raise_on_error = True

# Markdown pages (MyST): $...$ and $$...$$ maths, ```{directive} blocks, header anchors
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# the included README and ARCHITECTURE link to repository files, which are not pages here
suppress_warnings = ["myst.xref_missing"]

# API reference: one page per module, members defined in it (not re-exports)
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "ignore-module-all": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc docstrings give the types
autodoc_mock_imports = []
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"diehl_cook {release}"
html_theme_options = {
    "description": "Diehl & Cook (2015) STDP network in Brian2, with information analysis",
    "fixed_sidebar": True,
}
html_static_path = []
