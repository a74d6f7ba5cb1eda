"""Tests of diehl_cook.config: defaults, shipped configs, files, --set overrides, validation."""

import copy
import re
import tomllib
from pathlib import Path

import pytest

from diehl_cook.config import (
    DEFAULTS,
    dump_config,
    load_config,
    parse_override,
    shipped_config_names,
)
from diehl_cook.errors import ConfigError


@pytest.fixture(autouse=True)
def reset_brian2():
    """No-op override of the conftest fixture: these tests build no Brian2 objects."""


@pytest.fixture
def pristine_defaults():
    saved = copy.deepcopy(DEFAULTS)
    yield
    assert saved == DEFAULTS, "load_config must not modify DEFAULTS"


def write(tmp_path, text, name="experiment.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_load(pristine_defaults):
    config, source = load_config()
    assert source is None
    assert config == DEFAULTS
    assert config is not DEFAULTS
    assert config["model"]["variant"] == "diehl_cook_2015"
    assert config["model"]["n_exc"] == 100
    assert config["protocol"]["normalisation_target"] == 0.0  # the variant's value
    assert config["simulation"]["engine"] == "standalone"


def test_shipped_config_names():
    assert {"demo", "smoke"} <= set(shipped_config_names())
    assert shipped_config_names() == sorted(shipped_config_names())


@pytest.mark.parametrize("name", shipped_config_names())
def test_every_shipped_config_loads(name, pristine_defaults):
    config, source = load_config(name)
    assert source.name == f"{name}.toml"
    assert source.is_file()
    assert set(config) == set(DEFAULTS)
    for table, entries in DEFAULTS.items():
        assert set(config[table]) == set(entries)


def test_smoke_config_values():
    config, _ = load_config("smoke")
    assert config["model"]["n_exc"] == 20
    assert config["data"]["n_train"] == 50
    assert config["simulation"]["engine"] == "runtime"
    assert config["simulation"]["codegen_target"] == "numpy"
    assert config["simulation"]["progress"] is False
    # keys the file does not give keep their defaults
    assert config["protocol"] == DEFAULTS["protocol"]
    assert config["data"]["source"] == "auto"


def test_config_by_path_and_relative_source(tmp_path, monkeypatch):
    path = write(tmp_path, "[model]\nn_exc = 7\n")
    config, source = load_config(path)
    assert config["model"]["n_exc"] == 7
    assert source == path.resolve()
    monkeypatch.chdir(tmp_path)
    config, source = load_config("experiment.toml")
    assert config["model"]["n_exc"] == 7
    assert source == path.resolve()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[model]\nn_exc = 5\nneurons = 5\n", "model.neurons"),
        ("[modle]\nn_exc = 5\n", "modle"),
        ("[simulation]\nengine = 'runtime'\n[simulation.extra]\nx = 1\n", "simulation.extra"),
        ("seed = 3\n", "seed"),
    ],
)
def test_unknown_key_in_file_names_file_and_key(tmp_path, text, key, pristine_defaults):
    path = write(tmp_path, text)
    with pytest.raises(
        ConfigError, match=re.escape(f"{path.resolve()}: unknown key {key!r} (known here: ")
    ):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[model]\nn_exc = "a"\n', "'model.n_exc' must be int, got 'a'"),
        ("[model]\nn_exc = 1.5\n", "'model.n_exc' must be int, got 1.5"),
        ("[model]\nn_exc = true\n", "'model.n_exc' must be int, got True"),
        ("[simulation]\nprogress = 1\n", "'simulation.progress' must be bool, got 1"),
        ("[protocol]\ndt = 0.5\n", "'protocol.dt' must be str, got 0.5"),
        ("model = 3\n", "'model' must be a table"),
        ("[model]\nn_exc = 0\n", "model.n_exc must be >= 1"),
        ("[data]\nn_train = -1\n", "data.n_train must be >= 0"),
        ("[simulation]\nengine = 'gpu'\n", "simulation.engine must be one of"),
        ("[data]\nsource = 'web'\n", "data.source must be one of"),
        ("[simulation]\nepochs = 0\n", "simulation.chunk_slots and epochs must be >= 1"),
        ("[protocol]\ndt = '0.5 mV'\n", "protocol.dt must be a time, got '0.5 mV'"),
        ("[protocol]\nrest = '150'\n", "protocol.rest must be a time"),
        ("[protocol]\npresentation = '350 msec'\n", "protocol.presentation: unknown unit 'msec'"),
        ("[model\n", "invalid TOML"),
    ],
)
def test_bad_value_in_file_names_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=re.escape(f"{path.resolve()}: {message}")):
        load_config(path)


def test_missing_or_unknown_config():
    with pytest.raises(ConfigError, match=re.escape("nowhere.toml: config file not found")):
        load_config("nowhere.toml")
    with pytest.raises(ConfigError, match="unknown config 'nowhere': .*shipped config.*demo"):
        load_config("nowhere")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model.n_exc=400", ("model.n_exc", 400)),
        ("data.dataset=fashion_mnist", ("data.dataset", "fashion_mnist")),
        ('data.dataset="fashion_mnist"', ("data.dataset", "fashion_mnist")),
        (" protocol.min_spikes = 3 ", ("protocol.min_spikes", 3)),
        ("simulation.progress=false", ("simulation.progress", False)),
        ("protocol.intensity_start=2.5", ("protocol.intensity_start", 2.5)),
        ("protocol.dt=0.25 ms", ("protocol.dt", "0.25 ms")),
        ("data.folder=a=b", ("data.folder", "a=b")),
        ("output.name=", ("output.name", "")),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["model.n_exc", "=3", " = 3", ""])
def test_parse_override_needs_key_and_value(text):
    with pytest.raises(
        ConfigError, match=re.escape(f"--set expects 'table.key=value', got {text!r}")
    ):
        parse_override(text)


def test_set_overrides(pristine_defaults):
    config, _ = load_config(
        None,
        [
            "model.n_exc=400",
            "data.dataset=fashion_mnist",
            "model.components.input_to_exc.plasticity=x.eq",
            "protocol.normalisation_target=80",
            "protocol.dt=0.25 ms",
        ],
    )
    assert config["model"]["n_exc"] == 400
    assert config["data"]["dataset"] == "fashion_mnist"
    # a --set path is relative to the working directory
    expected = {"input_to_exc.plasticity": str(Path("x.eq").resolve())}
    assert config["model"]["components"] == expected
    assert config["protocol"]["normalisation_target"] == 80.0
    assert isinstance(config["protocol"]["normalisation_target"], float)
    assert config["protocol"]["dt"] == "0.25 ms"


def test_set_overrides_apply_after_the_file_in_order(tmp_path):
    path = write(
        tmp_path,
        '[model]\nn_exc = 7\n[model.components]\n"exc.membrane" = "a.eq"\n',
    )
    config, _ = load_config(
        path,
        ["model.n_exc=9", "model.n_exc=11", "model.components.exc.frozen.threshold=b.eq"],
    )
    assert config["model"]["n_exc"] == 11
    # paths resolved: from the config file's folder, and from the working directory for --set
    assert config["model"]["components"] == {
        "exc.membrane": str((tmp_path / "a.eq").resolve()),
        "exc.frozen.threshold": str(Path("b.eq").resolve()),
    }


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.neurons=4", "unknown key 'model.neurons'"),
        ("modle.n_exc=4", "unknown key 'modle'"),
        ("model.n_exc.value=4", "'model.n_exc' must be int"),
        ('model.n_exc="a"', "'model.n_exc' must be int, got 'a'"),
        ("model.n_exc=a", "'model.n_exc' must be int, got 'a'"),
        ("model.n_exc=4.0", "'model.n_exc' must be int, got 4.0"),
        ("model.n_exc=true", "'model.n_exc' must be int, got True"),
        ("simulation.seed=[1, 2]", "'simulation.seed' must be int"),
        ("model.components=x.eq", "'model.components' must be a table"),
    ],
)
def test_bad_set_override_names_the_override(override, message, pristine_defaults):
    with pytest.raises(ConfigError, match=re.escape(f"--set {override}: {message}")):
        load_config(None, [override])


@pytest.mark.parametrize("engine", ["gpu", "Runtime", ""])
def test_invalid_engine(engine):
    with pytest.raises(ConfigError, match=r"simulation\.engine must be one of \('runtime', 'sta"):
        load_config(None, [f"simulation.engine={engine}"])


def test_invalid_engine_in_file_names_file(tmp_path):
    path = write(tmp_path, '[simulation]\nengine = "cpp"\n')
    with pytest.raises(ConfigError, match=re.escape(f"{path.resolve()}: simulation.engine")):
        load_config(path)


@pytest.mark.parametrize("engine", ["runtime", "standalone"])
def test_valid_engines(engine):
    config, _ = load_config(None, [f"simulation.engine={engine}"])
    assert config["simulation"]["engine"] == engine


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        (None, []),
        ("smoke", []),
        ("demo", []),
        (
            None,
            [
                "model.n_exc=400",
                "data.dataset=fashion_mnist",
                "model.components.input_to_exc.plasticity=x.eq",
                "model.components.exc.frozen.threshold=",
                'output.name="quote \\" and back\\\\slash"',
                'data.data_dir="/data/with space"',
                "protocol.intensity_step=0.1",
                "simulation.progress=false",
                "simulation.seed=123456789",
            ],
        ),
    ],
)
def test_dump_config_round_trip(tmp_path, name, overrides, pristine_defaults):
    config, _ = load_config(name, overrides)
    text = dump_config(config)
    assert tomllib.loads(text) == config
    path = write(tmp_path, text, "dumped.toml")
    reloaded, source = load_config(path)
    assert source == path.resolve()
    assert reloaded == config


def test_round_trip_keeps_special_characters():
    config, _ = load_config(None, ['output.name="quote \\" and back\\\\slash"'])
    assert config["output"]["name"] == 'quote " and back\\slash'
    assert tomllib.loads(dump_config(config))["output"]["name"] == 'quote " and back\\slash'


def test_dump_config_round_trip_with_newline():
    config, _ = load_config(None, ['output.name="line one\\nline two"'])
    assert config["output"]["name"] == "line one\nline two"
    assert tomllib.loads(dump_config(config)) == config
