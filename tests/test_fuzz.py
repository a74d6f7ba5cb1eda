"""Property tests: random and mutated inputs to every reader give a result or our own error.

The readers of equation files, variants, parameter files and experiment configs, and the
model builder, get random text and mutations of the shipped files (lines deleted, repeated,
swapped, cut, tokens inserted, characters changed, values of other types).  Every input must
give either a valid result or a :class:`~diehl_cook.errors.DiehlCookError`, never another
exception.  Hypothesis is seeded (``derandomize=True``), so every run tries the same inputs.
"""

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diehl_cook.config import load_config
from diehl_cook.errors import DiehlCookError
from diehl_cook.model import load_parameters, load_variant, read_component, shipped_equations_dir

EQUATIONS = shipped_equations_dir()
COMPONENT_FILES = sorted(EQUATIONS.glob("*.eq"))
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Pieces of equation files, configs and TOML that mutations insert.
TOKENS = (
    "[model]",
    "[threshold]",
    "[reset]",
    "[on_pre]",
    "[on_post]",
    "[slot_start]",
    "[post.model]",
    "[pre.reset]",
    "[bogus]",
    "[",
    "]",
    "# provides: v",
    "# requires: w_post",
    "# provides:",
    "# requires: nothing_here",
    "# implements:",
    "dv/dt = -v / tau : volt",
    "v = 3*mV",
    "v > v_threshold",
    "x : 1",
    "w = clip(w, 0, w_max)",
    "theta += 1",
    "v_pre : volt",
    "g_post += w",
    "dx_post/dt = -x / tau : 1",
    "(",
    ")",
    ":",
    "=",
    "+=",
    "_pre",
    "_post",
    "3*mV",
    "2*ms",
    "5*Hz",
    "1*nS",
    "1/0",
    "exp(",
    "int(v)",
    "rand()",
    "i",
    "t",
    "dt",
    "lastspike",
    "not_refractory",
    "(unless refractory)",
    "volt",
    "second",
    "Hz",
    "siemens",
    "1e400",
    "nan",
    "inf",
    "-",
    "**",
    "\\",
    "'",
    '"',
    "\t",
    "\x00",
    "é",
    "= 1",
    '= "x"',
    "= [1, 2]",
    "= {a = 1}",
    "= true",
    '= "5 parsecs"',
    '= "-65 mV"',
)


_names = itertools.count()


@st.composite
def mutations(draw, text):
    """``text`` with 1-4 random edits."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(
            st.sampled_from(
                ["delete", "repeat", "swap", "insert", "character", "cut", "token", "blank"]
            )
        )
        if not lines:
            lines = [draw(st.sampled_from(TOKENS))]
        k = draw(st.integers(0, len(lines) - 1))
        if operation == "delete":
            del lines[k]
        elif operation == "repeat":
            lines.insert(k, lines[k])
        elif operation == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[k], lines[j] = lines[j], lines[k]
        elif operation == "insert":
            lines.insert(k, draw(st.sampled_from(TOKENS)))
        elif operation == "character" and lines[k]:
            position = draw(st.integers(0, len(lines[k]) - 1))
            character = draw(st.characters(codec="utf-8") | st.sampled_from("()[]:=+-*/#_ .\"'"))
            lines[k] = lines[k][:position] + character + lines[k][position + 1 :]
        elif operation == "cut":
            lines = lines[: k + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        elif operation == "token":
            position = draw(st.integers(0, len(lines[k])))
            token = draw(st.sampled_from(TOKENS))
            lines[k] = lines[k][:position] + token + lines[k][position:]
        else:
            lines[k] = ""
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


def _random_text():
    return st.lists(st.sampled_from(TOKENS) | st.text(max_size=30), min_size=0, max_size=12).map(
        "\n".join
    )


def _file(folder, suffix, text):
    path = Path(folder) / f"case_{next(_names)}{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def _our_error_or_result(read, *arguments):
    """Call ``read``; a DiehlCookError is a fine answer, anything else fails the test."""
    try:
        return read(*arguments)
    except DiehlCookError as error:
        assert str(error), "an error must say what is wrong"
        return None


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


# -- equation files ---------------------------------------------------------------------------


@settings(max_examples=200, **SETTINGS)
@given(data=st.data())
def test_mutated_equation_files_give_a_component_or_our_error(folder, data):
    shipped = data.draw(st.sampled_from(COMPONENT_FILES))
    text = data.draw(mutations(shipped.read_text()))
    path = _file(folder, ".eq", text)
    component = _our_error_or_result(read_component, path)
    if component is not None:
        assert component.path == path


@settings(max_examples=200, **SETTINGS)
@given(text=_random_text())
def test_random_equation_files_give_a_component_or_our_error(folder, text):
    _our_error_or_result(read_component, _file(folder, ".eq", text))


# -- variants and parameter files ---------------------------------------------------------


def _toml_values():
    scalars = (
        st.integers(-5, 5)
        | st.floats(allow_nan=True)
        | st.booleans()
        | st.sampled_from(["", "x.eq", "input_poisson.eq", "-65 mV", "5 parsecs", "1 / ms"])
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=4)


def _toml_literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(item) for item in value) + "]"
    return repr(value)


@st.composite
def retyped(draw, text):
    """A TOML file with some ``key = value`` lines given values of other types."""
    lines = text.splitlines()
    candidates = [k for k, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    for k in draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3)):
        key = lines[k].split(" = ", 1)[0]
        lines[k] = f"{key} = {_toml_literal(draw(_toml_values()))}"
    return "\n".join(lines) + "\n"


VARIANTS = sorted(EQUATIONS.glob("*.variant.toml"))
PARAMETER_FILES = sorted(EQUATIONS.glob("*.params.toml"))


@settings(max_examples=200, **SETTINGS)
@given(data=st.data())
def test_mutated_variants_give_a_variant_or_our_error(folder, data):
    shipped = data.draw(st.sampled_from(VARIANTS))
    text = data.draw(mutations(shipped.read_text()) | retyped(shipped.read_text()))
    path = _file(folder, ".variant.toml", text)
    overrides = data.draw(
        st.dictionaries(
            st.sampled_from(["exc.threshold", "inh.frozen.threshold", "exc", "a.b.c.d", "x.y"]),
            st.sampled_from(["", "threshold_fixed.eq", "nowhere.eq", "input_regular.eq"]),
            max_size=2,
        )
    )
    _our_error_or_result(load_variant, path, overrides)


@settings(max_examples=200, **SETTINGS)
@given(data=st.data())
def test_mutated_parameter_files_give_parameters_or_our_error(folder, data):
    shipped = data.draw(st.sampled_from(PARAMETER_FILES))
    text = data.draw(mutations(shipped.read_text()) | retyped(shipped.read_text()))
    path = _file(folder, ".params.toml", text)
    overrides = data.draw(
        st.dictionaries(
            st.sampled_from(["exc.theta_plus", "exc.group.method", "inh", "input_to_exc.x"]),
            _toml_values(),
            max_size=2,
        )
    )
    _our_error_or_result(load_parameters, path, True, overrides)


# -- experiment configs ---------------------------------------------------------------------


CONFIG_FILES = sorted((Path(__file__).parents[1] / "diehl_cook" / "configs").glob("*.toml"))


def _override():
    from diehl_cook.config import DEFAULTS

    keys = [f"{table}.{key}" for table, entries in DEFAULTS.items() for key in entries]
    keys += ["model.components.exc.threshold", "model.components.exc.frozen.threshold"] * 4
    keys += ["model.parameters.exc.theta_plus", "model.parameters.exc", "bogus", "a.b"] * 2
    values = st.sampled_from(
        ["1", "0", "-3", "1.5", "true", '"x"', "x", "[1]", "{}", "5 ms", "5 parsecs", "", "="]
    )
    return st.tuples(st.sampled_from(keys), values).map(lambda pair: f"{pair[0]}={pair[1]}")


@settings(max_examples=200, **SETTINGS)
@given(data=st.data())
def test_mutated_configs_and_overrides_give_a_config_or_our_error(folder, data):
    shipped = data.draw(st.sampled_from(CONFIG_FILES))
    text = data.draw(mutations(shipped.read_text()) | retyped(shipped.read_text()))
    path = _file(folder, ".toml", text)
    overrides = data.draw(st.lists(_override() | st.text(max_size=20), max_size=3))
    config = _our_error_or_result(load_config, path, overrides)
    if config is not None:
        resolved, source = config
        assert source == path.resolve() and set(resolved) >= {"model", "data", "simulation"}
        # what the pipeline does next with a valid config: the typed experiment, the model
        _our_error_or_result(_experiment_and_variant, resolved)


def _experiment_and_variant(config):
    from diehl_cook.experiment import Experiment

    experiment = Experiment.from_config(config)
    assert experiment.protocol.timing and experiment.protocol.settings
    model = experiment.model
    return load_variant(model.variant, model.components, parameter_overrides=model.parameters)


# -- the model built from a mutated component --------------------------------------------


ROLES = [
    (group, role, Path(path))
    for group, phases in load_variant("diehl_cook_2015").roles.items()
    for role, path in phases["train"].items()
]


@pytest.mark.slow
@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_a_variant_with_a_mutated_component_builds_and_runs_or_gives_our_error(folder, data):
    """What ``simulation.*Engine.validate`` does before every run: build, then one step."""
    from diehl_cook.model import SlotTiming
    from diehl_cook.simulation.engine import _build_tiny_network

    group, role, shipped = data.draw(st.sampled_from(ROLES))
    path = _file(folder, ".eq", data.draw(mutations(shipped.read_text())))
    phase = data.draw(st.sampled_from(["train", "frozen"]))

    def build():
        variant = load_variant("diehl_cook_2015", {f"{group}.{role}": str(path)})
        return _build_tiny_network(variant, phase, SlotTiming(), 78.0)

    _our_error_or_result(build)
