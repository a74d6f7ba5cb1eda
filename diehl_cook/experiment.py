"""A typed experiment: every configuration key, its type, default and meaning, written once.

An experiment config (a TOML file plus ``--set`` overrides, read by :mod:`diehl_cook.config`)
has five tables.  Each is a frozen dataclass here, whose fields are the table's keys:
:class:`ModelSection`, :class:`DataSection`, :class:`ProtocolSection`,
:class:`SimulationSection` and :class:`OutputSection`.  :func:`default_config` derives the
defaults of the TOML layer from them, and :meth:`Experiment.from_config` turns a validated
config into typed objects once, with the times parsed; the pipeline then passes those
objects (a :class:`~diehl_cook.model.SlotTiming`, a
:class:`~diehl_cook.simulation.ProtocolSettings`) down to the model and the engines.

The protocol's defaults are Diehl & Cook's values, kept where the protocol is defined
(:class:`~diehl_cook.simulation.ProtocolSettings`, :class:`~diehl_cook.model.SlotTiming`);
the fields below read them from there instead of repeating them.
"""

import dataclasses
from dataclasses import dataclass, field

from .model.builder import SlotTiming
from .simulation.protocol import ProtocolSettings

__all__ = [
    "DataSection",
    "Experiment",
    "ModelSection",
    "OutputSection",
    "ProtocolSection",
    "SimulationSection",
    "default_config",
    "describe_keys",
]


def _key(default, meaning, factory=None):
    """Declare a config key with its default and a one-line meaning."""
    if factory is not None:
        return field(default_factory=factory, metadata={"meaning": meaning})
    return field(default=default, metadata={"meaning": meaning})


def _milliseconds(seconds):
    """``0.0005`` -> ``"0.5 ms"``: a time of the protocol as the config writes it."""
    return f"{seconds * 1e3:g} ms"


@dataclass(frozen=True)
class ModelSection:
    """``[model]``: which network to build."""

    variant: str = _key("diehl_cook_2015", "shipped variant name or path of a .variant.toml")
    n_exc: int = _key(100, "excitatory (= inhibitory) neurons")
    components: dict = _key(
        None,
        '"<group>.<role>" = "file.eq": replace single components (paths relative to the '
        "config file, or shipped files)",
        factory=dict,
    )
    parameters: dict = _key(
        None,
        '"<table>.<name>" = "<number> <unit>": replace single values of the variant\'s '
        'parameter file, e.g. "exc.theta_plus" = "0.1 mV"',
        factory=dict,
    )


@dataclass(frozen=True)
class DataSection:
    """``[data]``: which images, from where, how many."""

    dataset: str = _key("mnist", "mnist, fashion_mnist or cifar10 (32x32 grayscale)")
    data_dir: str = _key(
        "", 'folder with <dataset>/ subfolders; "" = $DIEHL_COOK_DATA or ~/.cache/diehl_cook/data'
    )
    folder: str = _key(
        "", "folder holding the dataset's files directly (overrides data_dir), e.g. CIFAR-10's"
    )
    source: str = _key("auto", '"auto", "local" or "tfds" (tfds.data_source, no TensorFlow)')
    n_train: int = _key(1000, "training images per epoch (first n of the training split); 0 = all")
    n_label: int = _key(1000, "training images shown with learning off to label neurons; 0 = all")
    n_test: int = _key(10000, "test images; 0 = all")
    encoding: str = _key(
        "plain",
        'input encoding: "plain" (pixel rates), "on_off" (difference-of-Gaussians ON and OFF '
        "channels, 2 inputs per pixel) or the path of an encoding file",
    )


@dataclass(frozen=True)
class ProtocolSection:
    """``[protocol]``: the presentation protocol (Diehl & Cook's by default)."""

    dt: str = _key(_milliseconds(SlotTiming.dt), "time step")
    presentation: str = _key(_milliseconds(SlotTiming.presentation), "input window of a slot")
    rest: str = _key(_milliseconds(SlotTiming.rest), "rest after the input window")
    rest_shortcut: str = _key(
        _milliseconds(SlotTiming.rest_shortcut),
        "end of the rest applied in closed form instead of simulated (equation files' "
        "[rest_shortcut] sections); 0 ms = the whole rest simulated, as Diehl & Cook",
    )
    min_spikes: int = _key(
        ProtocolSettings.min_spikes, "fewer excitatory spikes: retry at a higher intensity"
    )
    intensity_start: float = _key(
        ProtocolSettings.intensity_start, "intensity of a new image; rate = pixel/8 x intensity Hz"
    )
    intensity_step: float = _key(ProtocolSettings.intensity_step, "intensity added per retry")
    max_retries: int = _key(
        ProtocolSettings.max_retries, "retries after which a presentation is accepted anyway"
    )
    normalisation_target: float = _key(
        0.0,
        "column sum of each excitatory neuron's input weights before every training slot; "
        "0 = the variant's value (78 in diehl_cook_2015)",
    )

    @property
    def timing(self):
        """The slot timing with the times parsed (:class:`~diehl_cook.model.SlotTiming`)."""
        from .model.quantities import parse_quantity

        return SlotTiming(
            dt=float(parse_quantity(self.dt)),
            presentation=float(parse_quantity(self.presentation)),
            rest=float(parse_quantity(self.rest)),
            rest_shortcut=float(parse_quantity(self.rest_shortcut)),
        )

    @property
    def settings(self):
        """The protocol constants (:class:`~diehl_cook.simulation.ProtocolSettings`)."""
        return ProtocolSettings(
            min_spikes=self.min_spikes,
            intensity_start=self.intensity_start,
            intensity_step=self.intensity_step,
            max_retries=self.max_retries,
            normalisation_target=self.normalisation_target or None,
        )


@dataclass(frozen=True)
class SimulationSection:
    """``[simulation]``: how the network is run."""

    engine: str = _key(
        "standalone",
        '"standalone" (one compiled program) or "runtime" (Python loop around Brian2 runs)',
    )
    codegen_target: str = _key("cython", 'runtime engine only: "cython" or "numpy"')
    chunk_slots: int = _key(1000, "slots (retries included) per chunk; a checkpoint after each")
    seed: int = _key(0, "seeds the weights, the delays and every chunk's spikes")
    epochs: int = _key(1, "passes over the training images")
    progress: bool = _key(True, "show progress bars (images/s, ETA)")
    threads: int = _key(
        1,
        "OpenMP threads of the standalone engine (1 = no OpenMP; slower here with 2, see README); "
        "ignored by the runtime engine",
    )


@dataclass(frozen=True)
class OutputSection:
    """``[output]``: where results go and what is recorded."""

    runs_dir: str = _key("runs", "folder that holds run folders (relative: to the working folder)")
    name: str = _key("", 'run folder name; "" = <config name>-<date>-<time>')
    record_spike_times: int = _key(
        100, "test images whose spike times (input, exc, inh) are recorded; 0 = none"
    )
    study_presentations: int = _key(
        0,
        "record spike times for the first k test images of every class as well (the "
        "study-form Table 2 of analyze); 0 = none",
    )
    study_label_interval: int = _key(
        0,
        "also score the test as the study did: neuron labels from the training responses "
        "(learning on), accumulated every k training images as BindsNET's eth_mnist does "
        "(test.study_labelling in metrics.json); 0 = off",
    )
    study_test_images: int = _key(
        0,
        "with study_label_interval: score only the first n test images (the study's test "
        "logs stop after about 3,300); 0 = all",
    )


#: Table name -> section class, in the order of the config file.
SECTIONS = {
    "model": ModelSection,
    "data": DataSection,
    "protocol": ProtocolSection,
    "simulation": SimulationSection,
    "output": OutputSection,
}


@dataclass(frozen=True)
class Experiment:
    """A whole resolved experiment, one typed section per table."""

    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    protocol: ProtocolSection = field(default_factory=ProtocolSection)
    simulation: SimulationSection = field(default_factory=SimulationSection)
    output: OutputSection = field(default_factory=OutputSection)

    @classmethod
    def from_config(cls, config):
        """Build the typed experiment from a resolved, validated config dict.

        Parameters
        ----------
        config : dict
            From :func:`diehl_cook.config.load_config` (every key present).

        Returns
        -------
        Experiment
        """
        return cls(**{table: SECTIONS[table](**config[table]) for table in SECTIONS})

    def to_config(self):
        """Return the nested dict form (the inverse of :meth:`from_config`)."""
        return {table: dataclasses.asdict(getattr(self, table)) for table in SECTIONS}


def default_config():
    """Every configuration key with its default, as nested dicts (a fresh copy each call)."""
    return Experiment().to_config()


def describe_keys():
    """Rows ``(key, default, meaning)`` of every configuration key, in file order.

    Used to generate the configuration reference of the documentation.

    Returns
    -------
    list of tuple
    """
    rows = []
    for table, section in SECTIONS.items():
        defaults = dataclasses.asdict(section())
        for item in dataclasses.fields(section):
            rows.append((f"{table}.{item.name}", defaults[item.name], item.metadata["meaning"]))
    return rows
