"""The generated pages of the documentation site (docs/_ext), without building it."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import diehl_cook_pages as pages  # noqa: E402

from diehl_cook.experiment import describe_keys  # noqa: E402
from diehl_cook.model import shipped_equations_dir  # noqa: E402

EQUATION_FILES = sorted(shipped_equations_dir().glob("*.eq"))


@pytest.mark.parametrize("path", EQUATION_FILES, ids=lambda path: path.name)
def test_every_line_of_every_equation_file_renders_as_maths(path):
    info = pages.read_equation_file(path)
    assert info["description"]
    for section, lines in info["sections"].items():
        rendered, failed = pages.section_latex(section, lines)
        assert failed == [], f"{path.name} [{section}]: not rendered: {failed}"
        assert len(rendered) >= len(lines) > 0


def test_a_differential_equation_becomes_a_derivative():
    rendered = pages.model_line_latex(
        "dv/dt = ((v_rest - v) + g_exc * (E_exc - v)) / tau_membrane : volt (unless refractory)"
    )
    assert rendered[0].startswith(r"\frac{\mathrm{d}v}{\mathrm{d}t} &= ")
    assert r"\tau_{\mathrm{membrane}}" in rendered[0]
    assert "volt; unless refractory" in rendered[0]
    assert pages.statement_latex("theta += theta_plus") == (
        r"\theta &\leftarrow \theta + \theta_{\mathrm{plus}}"
    )


def test_names_pre_and_post_suffixes_and_parameters():
    assert pages.name_latex("g_exc_post") == r"g_{\mathrm{exc}}^{(\mathrm{post})}"
    assert pages.name_latex("tau_pre") == r"\tau_{\mathrm{pre}}"  # a parameter, not a pre variable
    assert pages.name_latex("next_spike_time") == r"\mathit{next\_spike\_time}"


def test_the_equations_page_has_every_file_and_the_variants_link_to_them():
    equations, paths = pages.equations_rst()
    assert paths == EQUATION_FILES
    labels = set(re.findall(r"^\.\. _(eq-[\w-]+):$", "\n".join(equations), re.M))
    assert labels == {pages.equation_label(path) for path in EQUATION_FILES}
    variants, _ = pages.variants_rst()
    linked = set(re.findall(r"<(eq-[\w-]+)>`", "\n".join(variants)))
    assert linked and linked <= labels


def test_the_configuration_reference_lists_every_key():
    text = "\n".join(pages.config_reference_rst())
    for key, _, _ in describe_keys():
        assert f"``{key}``" in text
    assert '``"diehl_cook_2015"``' in text and "``true``" in text


def test_the_files_the_docs_include_have_their_markers():
    readme = (ROOT / "README.md").read_text()
    # docs/getting_started.md includes the README between these two headings
    assert readme.index("## Two commands") < readme.index("## Using it")
    assert (ROOT / "ARCHITECTURE.md").is_file()
    assert (ROOT / "equations" / "README.md").is_file()
