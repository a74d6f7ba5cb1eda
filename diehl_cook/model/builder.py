"""Assemble the Brian2 network of a model variant.

The builder turns composed components (:mod:`diehl_cook.model.components`) and a parameter
file (:mod:`diehl_cook.model.parameters`) into NeuronGroups and Synapses, with fixed names
(``input``, ``exc``, ``inh``, ``input_to_exc``, ``exc_to_inh``, ``inh_to_exc``), explicit
namespaces, connectivity, delays and initial weights.  It is device-agnostic: the same call
works under Brian2's runtime device (Cython code generation by default) and under
``cpp_standalone``.

Every pathway is initialised by the same rule, read from its ``[<pathway>.connectivity]``
table:

* with a ``weight`` entry, every synapse starts with that weight;
* without one, the initial weights are drawn as ``weight_scale * (U(0, 1) + weight_offset)``
  (defaults 0.3 and 0.01, Diehl & Cook's), unless the saved state gives ``<pathway>.w``;
* with ``delay_max > 0``, the delays are drawn from U(``delay_min``, ``delay_max``).

The draws come from two random streams seeded by ``model_seed``, one for weights and one for
delays, consumed pathway by pathway in the order of :data:`PATHWAYS`.

It also adds the parts of the simulation protocol that are the same for both engines and run
at the start of every presentation slot (presentation + rest):

* ``in_presentation`` (input and excitatory groups): 1 during the presentation window;
* ``presentation_count`` (input and excitatory groups): spikes in the current presentation;
* the components' ``[slot_start]`` statements (for example the first input spike);
* in the training phase, the normalisation of each excitatory neuron's input weights
  (:data:`NORMALISED_PATHWAY`) to a fixed sum (Diehl & Cook: 78), through ``run_regularly``
  operations.

Two options of the parameter file change how spikes are made and delivered, for models from
clock-driven simulators (BindsNET); the shipped ``diehl_cook_2015`` and ``capozzi_poster``
variants use neither:

* ``max_spikes_per_step = k`` in ``[<group>.group]``: when more than ``k`` neurons of the group
  cross the threshold in one step, only ``k`` of them, chosen uniformly at random, spike
  (:func:`_add_spike_selection`); ``reset_all_crossers = 1`` runs the group's own
  ``[reset]`` statements on every neuron that crossed, as BindsNET's ``one_spike`` does;
* ``delay_steps = d`` in ``[<pathway>.connectivity]``: the spikes of step ``n`` act in step
  ``n + d``, after that step's state update and before its threshold test, on both the
  presynaptic and the postsynaptic pathway (:func:`_schedule_pathway`).

A pathway with the connection pattern ``all_but_self_population`` (:data:`POPULATION_PATTERN`)
is all-but-self computed from the number of presynaptic spikes per step, with 3 N synapses
instead of N (N - 1) and the same effect in the same slot (:func:`_build_population_pathway`;
``diehl_cook_2015_population`` uses it for ``inh_to_exc``).

Decisions between slots (next image or retry at a higher intensity) belong to the engines
(:mod:`diehl_cook.simulation.runtime`, :mod:`diehl_cook.simulation.standalone`).
"""

from dataclasses import dataclass, field

import numpy as np

from ..errors import ComponentError, ParameterError
from .components import GROUPS, PATHWAYS, compose_model
from .parameters import SYNAPSE_ORDERS
from .rest_shortcut import (
    SKIPPED_REST,
    add_rest_shortcut_operations,
    check_rest_shortcut_sections,
    rest_shortcut_model_lines,
    rest_shortcut_namespace,
)
from .validation import check_lines

__all__ = [
    "CROSSING_EVENT",
    "DEFAULT_RATE_PER_PIXEL",
    "NORMALISED_PATHWAY",
    "POPULATION_PATTERN",
    "PROTOCOL_VARIABLES",
    "BuiltNetwork",
    "SlotTiming",
    "build_network",
    "connection_indices",
    "connection_order",
    "initial_input_weights",
    "variant_normalisation_target",
    "variant_rate_per_pixel",
]

#: Variables the protocol adds to groups; they satisfy components' ``requires:``.
PROTOCOL_VARIABLES = {
    "input": {"in_presentation", "presentation_count"},
    "exc": {"in_presentation", "presentation_count"},
}
#: The pathway whose weights are normalised at every slot start of the training phase (its
#: namespace gets ``normalisation_target``, its postsynaptic group a ``weight_sum`` variable).
NORMALISED_PATHWAY = "input_to_exc"
#: ``run_regularly`` order at slot start: engine bookkeeping runs before these.
ORDER_SLOT_RESET = 0
ORDER_NORMALISE = 5
#: Input rate per unit of pixel value (Hz) when the variant's ``[input]`` table gives no
#: ``rate_per_pixel``: Diehl & Cook's pixel / 8 x intensity (ref 1.5).
DEFAULT_RATE_PER_PIXEL = 0.125
#: Event of a group with ``max_spikes_per_step``: its threshold condition was met.
CROSSING_EVENT = "crossing"
#: Event of a group with ``reset_all_crossers``: the neuron crossed in this step.
_CROSSED_EVENT = "crossed"
#: ``before_thresholds`` order of the spike selection: pathways with ``delay_steps``
#: deliver first (Brian2's orders -1 and 1), then the crossing test, the draw, the ranking.
ORDER_CROSSING_TEST = 10
ORDER_CROSSING_DRAW = 11
ORDER_CROSSING_RANK = 12
#: Connection pattern computed from the number of presynaptic spikes per step
#: (:func:`_build_population_pathway`): all-but-self with one uniform weight, no delay.
POPULATION_PATTERN = "all_but_self_population"
#: Event of a population pathway's counter: some presynaptic neuron spiked in this step.
POPULATION_EVENT = "population_spikes"
#: ``synapses`` orders of a population pathway, after every pathway's own (-1 and 1): the
#: counter's event test, the delivery to the targets, the counter's reset.
ORDER_POPULATION_TEST = 10
ORDER_POPULATION_DELIVER = 11
ORDER_POPULATION_CLEAR = 12


@dataclass(frozen=True)
class SlotTiming:
    """Timing of one presentation slot.

    Attributes
    ----------
    dt : float
        Simulation time step, in seconds.  Default: 0.5 ms (Diehl & Cook's code).
    presentation : float
        Duration of the input presentation, in seconds.  Default: 350 ms.
    rest : float
        Duration of the rest with no input, in seconds.  Default: 150 ms.
    rest_shortcut : float
        The last part of the rest, in seconds, that is not simulated but applied in closed
        form at the next slot start (:mod:`diehl_cook.model.rest_shortcut`).  Default: 0
        (the whole rest is simulated, as in Diehl & Cook's code).
    """

    dt: float = 0.5e-3
    presentation: float = 0.350
    rest: float = 0.150
    rest_shortcut: float = 0.0

    def __post_init__(self):
        if not 0 <= self.rest_shortcut <= self.rest:
            raise ParameterError(
                f"protocol.rest_shortcut must lie between 0 and the rest ({self.rest * 1e3:g} "
                f"ms), got {self.rest_shortcut * 1e3:g} ms"
            )

    @property
    def simulated_rest(self):
        """The part of the rest that is simulated, in seconds."""
        return self.rest - self.rest_shortcut

    @property
    def steps_per_slot(self):
        """Number of time steps simulated in one slot."""
        return int(round((self.presentation + self.simulated_rest) / self.dt))

    @property
    def steps_per_presentation(self):
        """Number of time steps in the presentation window."""
        return int(round(self.presentation / self.dt))

    @property
    def slot_duration(self):
        """Slot duration in seconds (a whole number of steps)."""
        return self.steps_per_slot * self.dt


@dataclass
class BuiltNetwork:
    """The Brian2 objects of one network, by name.

    Attributes
    ----------
    network : brian2.Network
        Holds every object below (and whatever the engine adds).
    objects : dict
        ``"input"``, ``"exc"``, ``"inh"``, ``"input_to_exc"``, ``"exc_to_inh"``,
        ``"inh_to_exc"`` and the slot operations.
    namespaces : dict
        The explicit namespace of each group and pathway.
    phase : str
        ``"train"`` or ``"frozen"``.
    timing : SlotTiming
        The slot timing the network was built for.
    indices : dict of str to tuple of numpy.ndarray
        Per pathway, the presynaptic and postsynaptic index of every synapse, in synapse
        order.
    sizes : dict of str to int
        Number of neurons of each group.
    slot_clock : brian2.Clock
        The clock of the slot-start operations (one tick per slot, ``slot_duration``).
    rest_shortcut_groups : list of str
        Groups with the ``skipped_rest`` variable of the rest shortcut (none when it is off).
    """

    network: object
    objects: dict
    namespaces: dict
    phase: str
    timing: SlotTiming
    indices: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    slot_clock: object = None
    rest_shortcut_groups: list = field(default_factory=list)

    def __getitem__(self, name):
        return self.objects[name]

    def synapse_values(self, pathway, matrix):
        """Flatten an (n_pre, n_post) matrix into the synapse order of ``pathway``."""
        sources, targets = self.indices[pathway]
        return np.asarray(matrix)[sources, targets]

    def read_state(self, names):
        """Read state variables after a run.

        Parameters
        ----------
        names : iterable of str
            ``"<group>.<variable>"``; synaptic variables come back as (n_pre, n_post)
            matrices, neuronal ones as arrays, both as plain floats in SI units.

        Returns
        -------
        dict of str to numpy.ndarray
        """
        state = {}
        for name in names:
            owner, _, variable = name.partition(".")
            values = np.array(getattr(self.objects[owner], variable + "_")[:], dtype=float)
            if owner in self.indices:
                sources, targets = self.indices[owner]
                pre, post = PATHWAYS[owner]
                matrix = np.zeros((self.sizes[pre], self.sizes[post]))
                matrix[sources, targets] = values
                values = matrix
            state[name] = values
        return state


def initial_input_weights(n_input, n_exc, scale, offset, rng):
    """Draw the initial input weights ``scale * (U(0, 1) + offset)``.

    The builder draws them so for every pathway without a fixed ``weight`` (in the shipped
    variants, ``input_to_exc``).

    Parameters
    ----------
    n_input, n_exc : int
        Numbers of presynaptic (input) and postsynaptic (excitatory) neurons.
    scale, offset : float
        Diehl & Cook: 0.3 and 0.01, so weights lie in [0.003, 0.303].
    rng : numpy.random.Generator
        Source of the random draws.

    Returns
    -------
    numpy.ndarray
        Weights, shape (n_input, n_exc), dimensionless.
    """
    return scale * (rng.random((n_input, n_exc)) + offset)


def connection_indices(pattern, n_pre, n_post):
    """Presynaptic and postsynaptic indices of a connection pattern, in synapse order.

    Parameters
    ----------
    pattern : {"all_to_all", "one_to_one", "all_but_self", "all_but_self_population"}
        ``all_but_self_population`` gives the connection that the population form of
        :func:`build_network` computes (the same as ``all_but_self``).
    n_pre, n_post : int
        Group sizes.

    Returns
    -------
    sources, targets : numpy.ndarray
        int32 arrays of equal length.  Explicit indices keep the synapse order known in
        Python, which the standalone engine needs to pass weights in and read them out.
    """
    if pattern == "all_to_all":
        sources, targets = np.nonzero(np.ones((n_pre, n_post), dtype=bool))
    elif pattern == "one_to_one":
        if n_pre != n_post:
            raise ParameterError(f"one_to_one needs equal sizes, got {n_pre} and {n_post}")
        sources = targets = np.arange(n_pre)
    elif pattern in ("all_but_self", POPULATION_PATTERN):
        # the population form computes the same connection without these synapses
        sources, targets = np.nonzero(~np.eye(n_pre, n_post, dtype=bool))
    else:
        raise ParameterError(f"unknown connectivity pattern {pattern!r}")
    return sources.astype(np.int32), targets.astype(np.int32)


def connection_order(sources, targets, synapse_order, delay_steps=None):
    """Order a pathway's synapses in memory.

    Parameters
    ----------
    sources, targets : numpy.ndarray
        Presynaptic and postsynaptic indices (:func:`connection_indices`), sorted by
        presynaptic, then postsynaptic index.
    synapse_order : {"pre", "pre_delay"}
        ``"pre"``: as given (Brian2's order).  ``"pre_delay"``: by presynaptic index, then by
        delay in time steps, then by postsynaptic index.  A presynaptic spike reaches its
        synapses in one group per delay step; in this order each group is one contiguous run
        of synapse indices (every per-synapse array is read and written in sequence), in
        Brian2's order a group is spread over the whole row, one cache line per synapse.
        The network is the same: every synapse keeps its weight and delay (they are drawn
        per (pre, post) pair); only the order of additions to a conductance within a step
        changes, which changes sums in their last bits.
    delay_steps : numpy.ndarray, optional
        (n_pre, n_post) delays in time steps.  Without delays ``"pre_delay"`` is ``"pre"``.

    Returns
    -------
    sources, targets : numpy.ndarray
        The same pairs, in the chosen order.
    """
    if synapse_order not in SYNAPSE_ORDERS:
        raise ParameterError(
            f"synapse_order: expected one of {SYNAPSE_ORDERS}, got {synapse_order!r}"
        )
    if synapse_order == "pre" or delay_steps is None or not len(sources):
        return sources, targets
    order = np.lexsort((targets, delay_steps[sources, targets], sources))
    return sources[order], targets[order]


def build_network(
    variant,
    phase,
    *,
    n_input,
    n_exc,
    timing=None,
    model_seed=0,
    saved_state=None,
    normalisation_target=None,
):
    """Build the network of ``variant`` for one phase.

    Parameters
    ----------
    variant : diehl_cook.model.Variant
        The model variant.
    phase : {"train", "frozen"}
        ``"train"``: STDP and threshold adaptation as the variant defines them for training.
        ``"frozen"``: the variant's frozen components (labelling and testing).
    n_input : int
        Number of input neurons (784 for 28x28 images, 1024 for 32x32).
    n_exc : int
        Number of excitatory neurons (and of inhibitory neurons).
    timing : SlotTiming, optional
        Slot timing; sets the protocol constants.  Default: ``SlotTiming()``.
    model_seed : int, optional
        Seed of the initial weights and of the delays (separate streams, so the delays are
        the same whether the weights are drawn or loaded).  Default: 0.
    saved_state : dict, optional
        ``{"input_to_exc.w": (n_input, n_exc) array, "exc.theta": (n_exc,) array in volt}``
        and so on: values that replace initial values (the learned state).  Arrays of
        synaptic variables are indexed (presynaptic, postsynaptic).
    normalisation_target : float, optional
        Dimensionless sum that, in the training phase, every excitatory neuron's input
        weights (the synapses of :data:`NORMALISED_PATHWAY` onto it) are scaled to at each
        slot start; Diehl & Cook use 78 for 784 inputs.  It becomes the
        ``normalisation_target`` entry of that pathway's namespace.  None (the default): no
        normalisation.  The frozen phase normalises too when the pathway's table sets
        ``normalise_in_frozen_phase = 1`` (BindsNET normalises after every sample, learning
        or not; on frozen weights this is a no-op after the first slot).  A variant's own
        value is ``normalisation_target`` in the pathway's table of its parameter file
        (:func:`variant_normalisation_target`); the engines pass it, or the experiment's
        override.

    Returns
    -------
    BuiltNetwork

    Raises
    ------
    ComponentError, ParameterError
        For inconsistent components or parameters; messages name the file and line.
    """
    from brian2 import Network

    timing = timing or SlotTiming()
    initial = _InitialState.create(model_seed, saved_state)
    parameters = variant.parameters()
    composed = compose_model(variant, phase, protocol_variables=PROTOCOL_VARIABLES)
    if timing.rest_shortcut > 0:
        check_rest_shortcut_sections(composed)
    sizes = {"input": n_input, "exc": n_exc, "inh": n_exc}
    normalise = normalisation_target is not None and (
        phase == "train" or _normalises_in_frozen_phase(parameters)
    )
    objects, namespaces = _build_groups(composed, parameters, sizes, timing, normalise)
    indices = {}
    for name in PATHWAYS:
        namespaces[name] = _pathway_namespace(
            name, parameters[name], normalisation_target if normalise else None
        )
        objects[name], indices[name] = _build_pathway(
            name,
            composed[name],
            parameters[name],
            namespaces[name],
            objects,
            sizes,
            initial,
            timing,
        )
    _set_initial_values(objects, parameters, variant.parameters_path, phase)
    _apply_saved_state(objects, indices, initial.saved_state)
    slot_clock = _add_slot_start_operations(objects, composed, timing)
    rest_shortcut_groups = add_rest_shortcut_operations(objects, composed, timing, slot_clock)
    if normalise:
        _add_normalisation(objects, slot_clock)
    network = Network(*objects.values())
    return BuiltNetwork(
        network,
        objects,
        namespaces,
        phase,
        timing,
        indices,
        sizes,
        slot_clock=slot_clock,
        rest_shortcut_groups=rest_shortcut_groups,
    )


@dataclass(frozen=True)
class _InitialState:
    """Where a network's initial values come from.

    Attributes
    ----------
    weight_rng, delay_rng : numpy.random.Generator
        Separate streams for the drawn weights and delays, both seeded by ``model_seed``.
    saved_state : dict
        The saved state still to apply; a pathway whose weights are drawn takes its
        ``<pathway>.w`` out (see :func:`_initialise_weights`).
    """

    weight_rng: np.random.Generator
    delay_rng: np.random.Generator
    saved_state: dict

    @classmethod
    def create(cls, model_seed, saved_state):
        weight_rng = np.random.default_rng([int(model_seed), 0])
        delay_rng = np.random.default_rng([int(model_seed), 1])
        return cls(weight_rng, delay_rng, dict(saved_state or {}))


# --------------------------------------------------------------------------------------------
# neuron groups


def _build_groups(composed, parameters, sizes, timing, with_weight_sum):
    """Build the neuron groups, in the order of :data:`GROUPS`, with their namespaces.

    A group's namespace joins its own parameter table, the tables of the pathways that add
    ``[pre.*]``/``[post.*]`` code to it and the protocol constants.
    """
    protocol_constants = {
        "steps_per_slot": timing.steps_per_slot,
        "steps_per_presentation": timing.steps_per_presentation,
        **rest_shortcut_namespace(timing),
    }
    objects, namespaces = {}, {}
    for name in GROUPS:
        tables = [(name, parameters[name].namespace)]
        tables += [(p, parameters[p].namespace) for p in composed[name].contributing_pathways]
        tables.append(("protocol", protocol_constants))
        namespaces[name] = _merge_namespaces(name, tables)
        objects[name] = _make_neuron_group(
            name,
            composed[name],
            sizes[name],
            parameters[name],
            namespaces[name],
            with_weight_sum,
            extra_model=_population_target_lines(name, parameters)
            + rest_shortcut_model_lines(composed[name], timing),
        )
        objects.update(_add_spike_selection(objects[name], parameters[name].settings))
    return objects, namespaces


def _merge_namespaces(owner, tables):
    merged = {}
    for _table_owner, table in tables:
        for name, value in table.items():
            if name in merged and not np.all(merged[name] == value):
                raise ParameterError(
                    f"parameter {name!r} of {owner!r} has different values in the tables of "
                    f"{[o for o, _ in tables]}"
                )
            merged[name] = value
    return merged


def _protocol_lines(name, with_weight_sum):
    if name not in PROTOCOL_VARIABLES:
        return [], ""
    normalised_group = PATHWAYS[NORMALISED_PATHWAY][1]
    extra = ["weight_sum : 1"] if (name == normalised_group and with_weight_sum) else []
    window = (
        "in_presentation = int(timestep(t, dt) % steps_per_slot < steps_per_presentation)"
        " : 1 (shared)"
    )
    count = "presentation_count : integer"
    increment = "presentation_count += int(in_presentation > 0)"
    return [window, count, *extra], increment


def _spike_limit(settings):
    """``(max_spikes_per_step, reset_all_crossers)`` of a group's settings; 0: no limit."""
    limit = settings.get("max_spikes_per_step", 0)
    if float(limit) < 0 or float(limit) != int(float(limit)):
        raise ParameterError(f"max_spikes_per_step must be a whole number >= 0, got {limit}")
    return int(float(limit)), bool(float(settings.get("reset_all_crossers", 0)))


def _own_and_side_resets(composed):
    """Split a group's ``[reset]`` lines into its own components' and the pathways' ones."""
    own_paths = {component.path for component in composed.components}
    lines = composed.sections.get("reset", [])
    own = "\n".join(line.text for line in lines if line.path in own_paths)
    side = "\n".join(line.text for line in lines if line.path not in own_paths)
    return own, side


def _make_neuron_group(
    name, composed, n_neurons, parameters, namespace, with_weight_sum, extra_model=()
):
    """Create the NeuronGroup of ``composed``; see :func:`_add_spike_selection` for a limit.

    Without ``max_spikes_per_step`` the group's spike condition is its ``[threshold]`` and
    every ``[reset]`` line runs on a spike.  With it, the threshold defines the
    :data:`CROSSING_EVENT`, and a neuron spikes when it crossed in this step and fewer than
    ``max_spikes_per_step`` crossers drew a higher priority; with ``reset_all_crossers``
    the group's own ``[reset]`` lines run on every crosser (the ``crossed`` event) and only
    the pathways' ``[post.reset]``/``[pre.reset]`` lines and the spike count on a spike.
    ``extra_model`` holds the builder's own variables of the group (the step stamps of
    :func:`_population_target_lines`).
    """
    from brian2 import NeuronGroup

    protocol_model, count_statement = _protocol_lines(name, with_weight_sum)
    model = "\n".join([composed.code("model"), *protocol_model, *extra_model])
    if "threshold" not in composed.sections:
        origin = ", ".join(str(component.path) for component in composed.components)
        raise ComponentError(f"group {name!r} has no [threshold] (components: {origin})")
    threshold = composed.code("threshold")
    reset = "\n".join(filter(None, [composed.code("reset"), count_statement]))
    settings = parameters.settings
    limit, reset_all_crossers = _spike_limit(settings)
    events, own_reset = {}, ""
    if limit:
        model += "\nspike_priority : 1\nspike_rank : integer\ncrossing_step : integer"
        events[CROSSING_EVENT] = threshold
        threshold = f"crossing_step == timestep(t, dt) and spike_rank < {limit}"
        if reset_all_crossers:
            own_reset, side_reset = _own_and_side_resets(composed)
            events[_CROSSED_EVENT] = "crossing_step == timestep(t, dt)"
            reset = "\n".join(filter(None, [side_reset, count_statement]))
    refractory = settings.get("refractory", 0.0)
    try:
        group = NeuronGroup(
            n_neurons,
            model,
            threshold=threshold,
            reset=reset,
            refractory=refractory if np.any(refractory) else False,
            method=settings.get("method", "exact"),
            namespace=namespace,
            events=events or None,
            name=name,
        )
        if reset_all_crossers and limit and own_reset:
            group.run_on_event(_CROSSED_EVENT, own_reset, when="resets")
    except Exception as error:
        origin = ", ".join(str(component.path) for component in composed.components)
        raise ComponentError(f"cannot build group {name!r} from {origin}: {error}") from error
    sections = composed.sections
    if SKIPPED_REST not in group.variables:  # rest shortcut off: its lines are not used
        sections = {key: lines for key, lines in sections.items() if key != "rest_shortcut"}
    check_lines(sections, group)
    return group


def _add_spike_selection(group, settings):
    """Let at most ``max_spikes_per_step`` neurons of ``group`` spike in one step.

    The mechanism, all in the ``before_thresholds`` slot of every step, after the
    pathways with ``delay_steps`` have delivered:

    1. the group's threshold condition is tested as the :data:`CROSSING_EVENT`;
    2. every neuron that crossed draws a priority ``rand()`` and sets its rank to 0;
    3. synapses from every neuron to every other one, triggered by the crossing event, add 1
       to the rank of each neuron with a lower priority (ties, of probability 2**-53 or so,
       go to the lower index);
    4. the spike condition is "crossed in this step and rank < max_spikes_per_step".

    So exactly ``min(crossers, k)`` neurons spike, the ``k`` highest priorities, a uniformly
    random ``k``-subset of the crossers.  The cost is one pass over ``n - 1`` synapses per
    crossing neuron, nothing in a step without crossings; the same objects run under the
    runtime and the standalone devices.

    Returns
    -------
    dict of str to brian2.BrianObject
        The selection synapses (``<group>_spike_selection``); empty without a limit or with
        a single neuron (which never competes).
    """
    from brian2 import Synapses

    limit, _ = _spike_limit(settings)
    if not limit:
        return {}
    group.crossing_step = -1  # no crossing yet (0 would read as a crossing in step 0)
    group.set_event_schedule(CROSSING_EVENT, when="before_thresholds", order=ORDER_CROSSING_TEST)
    group.run_on_event(
        CROSSING_EVENT,
        "spike_priority = rand()\nspike_rank = 0\ncrossing_step = timestep(t, dt)",
        when="before_thresholds",
        order=ORDER_CROSSING_DRAW,
    )
    if len(group) < 2:
        return {}
    selection = Synapses(
        group,
        group,
        on_pre="spike_rank_post += int(spike_priority_pre > spike_priority_post or "
        "(spike_priority_pre == spike_priority_post and i < j))",
        on_event=CROSSING_EVENT,
        namespace={},
        name=f"{group.name}_spike_selection",
    )
    sources, targets = connection_indices("all_but_self", len(group), len(group))
    selection.connect(i=sources, j=targets)
    selection.pre.when = "before_thresholds"
    selection.pre.order = ORDER_CROSSING_RANK
    return {selection.name: selection}


# --------------------------------------------------------------------------------------------
# pathways


def variant_normalisation_target(variant):
    """Return the variant's normalisation target, or None if its parameter file has none.

    Parameters
    ----------
    variant : diehl_cook.model.Variant

    Returns
    -------
    float or None
        ``normalisation_target`` of the :data:`NORMALISED_PATHWAY` table (dimensionless).
    """
    value = variant.parameters()[NORMALISED_PATHWAY].namespace.get("normalisation_target")
    return None if value is None else float(value)


def variant_rate_per_pixel(variant):
    """Return the input rate per unit of pixel value of the variant, in Hz.

    An input neuron of pixel value ``p`` (0-255) fires at ``p * rate_per_pixel * intensity``
    Hz (:func:`diehl_cook.simulation.protocol.input_rates`).

    Parameters
    ----------
    variant : diehl_cook.model.Variant

    Returns
    -------
    float
        ``rate_per_pixel`` of the variant's ``[input]`` table, in Hz; without one,
        :data:`DEFAULT_RATE_PER_PIXEL` (1/8 Hz, Diehl & Cook's pixel / 8 x intensity).
    """
    value = variant.parameters()["input"].namespace.get("rate_per_pixel")
    return DEFAULT_RATE_PER_PIXEL if value is None else float(value)


def _normalises_in_frozen_phase(parameters):
    """Whether the normalised pathway's table asks for normalisation in the frozen phase."""
    flag = parameters[NORMALISED_PATHWAY].namespace.get("normalise_in_frozen_phase", 0)
    return bool(float(flag))


def _pathway_namespace(pathway, pathway_parameters, normalisation_target):
    """Return the namespace of ``pathway``: its table, plus the normalisation target."""
    namespace = dict(pathway_parameters.namespace)
    namespace.pop("normalisation_target", None)
    namespace.pop("normalise_in_frozen_phase", None)
    if pathway == NORMALISED_PATHWAY and normalisation_target is not None:
        namespace["normalisation_target"] = float(normalisation_target)
    return namespace


def _build_pathway(
    pathway, composed, pathway_parameters, namespace, objects, sizes, initial, timing
):
    """Build, connect, check and initialise the Synapses of one pathway.

    A pathway with the :data:`POPULATION_PATTERN` is built by
    :func:`_build_population_pathway` instead.

    Returns
    -------
    synapses : brian2.Synapses
    indices : tuple of numpy.ndarray
        Presynaptic and postsynaptic index of every synapse, in synapse order.
    """
    if pathway_parameters.connectivity["pattern"] == POPULATION_PATTERN:
        return _build_population_pathway(
            pathway, composed, pathway_parameters, namespace, objects, sizes, initial
        )
    from brian2 import second

    pre, post = PATHWAYS[pathway]
    synapses = _make_synapses(pathway, composed, objects[pre], objects[post], namespace)
    connectivity = pathway_parameters.connectivity
    shape = (sizes[pre], sizes[post])
    delays = _draw_delays(connectivity, shape, initial.delay_rng)
    synapse_order = connectivity.get("synapse_order", "pre")
    sources, targets = connection_order(
        *connection_indices(connectivity["pattern"], *shape),
        synapse_order,
        # in time steps, rounded as Brian2's spike queue rounds them; only "pre_delay" reads them
        None if delays is None or synapse_order == "pre" else np.floor(delays / timing.dt + 0.5),
    )
    if len(sources):
        synapses.connect(i=sources, j=targets)
    else:
        synapses.active = False  # e.g. all-but-self with a single neuron
    check_lines(composed.sections, synapses)
    _initialise_weights(pathway, synapses, connectivity, (sources, targets), shape, initial)
    if delays is not None and len(sources):
        synapses.delay[:] = delays[sources, targets] * second
    _schedule_pathway(pathway, synapses, connectivity, timing)
    return synapses, (sources, targets)


def _population_target_lines(group, parameters):
    """Model lines the population pathways onto ``group`` add to it (see below).

    One ``<pathway>_self_step : integer`` per pathway with the :data:`POPULATION_PATTERN`:
    the time step in which the presynaptic neuron of the same index last spiked.
    """
    return [
        f"{pathway}_self_step : integer"
        for pathway, (_pre, post) in PATHWAYS.items()
        if post == group and parameters[pathway].connectivity.get("pattern") == POPULATION_PATTERN
    ]


def _build_population_pathway(
    pathway, composed, pathway_parameters, namespace, objects, sizes, initial
):
    """Build an all-but-self pathway with a uniform weight from the spike count of a step.

    With one weight ``w`` on every synapse and no delay, the all-but-self Synapses give
    target ``j`` the effect of one spike ``(number of presynaptic spikes in the step) -
    (1 if presynaptic neuron j spiked)`` times, in the ``synapses`` slot of the step.  For
    an ``[on_pre]`` of increments (``g_inh_post += w``) this is the effect of one spike
    times that number, which needs 3 N synapses instead of N (N - 1):

    1. ``<pathway>_count``: synapses from every presynaptic neuron to a one-element group
       ``<pathway>_counter``, ``spike_count_post += 1`` (the pathway's own slot and order);
    2. ``<pathway>_self``: one-to-one synapses that stamp the target with the step of the
       spike of the presynaptic neuron of its index (``<pathway>_self_step``);
    3. at order :data:`ORDER_POPULATION_TEST`, the counter's :data:`POPULATION_EVENT`
       (``spike_count > 0``); on it, the synapses named ``<pathway>`` (counter to every
       target, with the component's ``[model]``, the weight and the namespace) run each
       increment times ``spike_count_pre - int(<pathway>_self_step_post == timestep(t,
       dt))`` (:data:`ORDER_POPULATION_DELIVER`), and the counter returns to 0
       (:data:`ORDER_POPULATION_CLEAR`).

    The amounts are those of the Synapses form, added in the same slot of the same step;
    only the rounding of two or more spikes' sum in one step can differ (one addition of
    ``k w`` instead of ``k`` additions of ``w``).  A step without presynaptic spikes costs
    one comparison.

    Returns
    -------
    synapses : brian2.Synapses
        The delivering synapses (counter to targets); the helpers go into ``objects``.
    indices : tuple of numpy.ndarray
        Their presynaptic (always 0, the counter) and postsynaptic indices.

    Raises
    ------
    ParameterError, ComponentError
        For a pathway that the population form cannot compute exactly (see
        :func:`_population_effect`).
    """
    from brian2 import NeuronGroup, Synapses

    pre, post = PATHWAYS[pathway]
    n_pre, n_post = sizes[pre], sizes[post]
    if n_pre != n_post:
        raise ParameterError(
            f"{pathway}: {POPULATION_PATTERN} needs equal sizes, got {n_pre} and {n_post}"
        )
    connectivity = pathway_parameters.connectivity
    stamp = f"{pathway}_self_step"
    effect = _population_effect(
        pathway,
        composed,
        connectivity,
        f"(spike_count_pre - int({stamp}_post == timestep(t, dt)))",
    )
    counter = NeuronGroup(
        1,
        "spike_count : integer",
        events={POPULATION_EVENT: "spike_count > 0"},
        namespace={},
        name=f"{pathway}_counter",
    )
    counter.set_event_schedule(POPULATION_EVENT, when="synapses", order=ORDER_POPULATION_TEST)
    counter.run_on_event(
        POPULATION_EVENT, "spike_count = 0", when="synapses", order=ORDER_POPULATION_CLEAR
    )
    everyone = np.arange(n_pre, dtype=np.int32)
    counting = Synapses(
        objects[pre],
        counter,
        on_pre="spike_count_post += 1",
        namespace={},
        name=f"{pathway}_count",
    )
    counting.connect(i=everyone, j=np.zeros(n_pre, dtype=np.int32))
    marking = Synapses(
        objects[pre],
        objects[post],
        on_pre=f"{stamp}_post = timestep(t, dt)",
        namespace={},
        name=f"{pathway}_self",
    )
    marking.connect(i=everyone, j=everyone)
    setattr(objects[post], stamp, -1)  # no spike yet (0 would read as a spike in step 0)
    try:
        synapses = Synapses(
            counter,
            objects[post],
            model=composed.code("model"),
            on_pre=effect,
            on_event=POPULATION_EVENT,
            namespace=namespace,
            method="exact",
            name=pathway,
        )
    except Exception as error:
        origin = ", ".join(str(c.path) for c in composed.components)
        raise ComponentError(f"cannot build pathway {pathway!r} from {origin}: {error}") from error
    sources, targets = np.zeros(n_post, dtype=np.int32), np.arange(n_post, dtype=np.int32)
    synapses.connect(i=sources, j=targets)
    synapses.pre.when = "synapses"
    synapses.pre.order = ORDER_POPULATION_DELIVER
    check_lines(composed.sections, synapses)
    _initialise_weights(
        pathway, synapses, connectivity, (sources, targets), (n_pre, n_post), initial
    )
    objects.update({counter.name: counter, counting.name: counting, marking.name: marking})
    return synapses, (sources, targets)


#: Names a population pathway's increments may not read: they differ between the
#: all-but-self synapses and the delivering ones (presynaptic index and counts), or draw.
_POPULATION_FORBIDDEN = {"i", "N_incoming", "N_outgoing", "N_pre", "rand", "randn"}


def _population_effect(pathway, composed, connectivity, multiplier):
    """Return the ``[on_pre]`` of a population pathway, each increment times ``multiplier``.

    The form is exact when every spike adds the same amount: a uniform ``weight``, no
    delay, and an ``[on_pre]`` of increments ``x_post += expr`` (or ``-=``) whose ``expr``
    reads no presynaptic variable, no incremented variable and nothing of
    :data:`_POPULATION_FORBIDDEN`; no ``[on_post]`` or ``[slot_start]``.

    Raises
    ------
    ParameterError
        Without a ``weight``, or with a delay.
    ComponentError
        For a line the form cannot scale; the message names the file and the line.
    """
    from brian2.parsing.statements import parse_statement
    from brian2.utils.stringtools import get_identifiers

    table = f"[{pathway}.connectivity]"
    if "weight" not in connectivity:
        raise ParameterError(f"{table}: {POPULATION_PATTERN} needs one uniform 'weight'")
    for key in ("delay_max", "delay_steps"):
        if float(connectivity.get(key, 0.0)) > 0:
            raise ParameterError(f"{table}: {POPULATION_PATTERN} allows no delay ({key})")
    for section in ("on_post", "slot_start"):
        if composed.sections.get(section):
            line = composed.sections[section][0]
            raise ComponentError(
                f"{line.location}: [{section}] cannot be used with the {POPULATION_PATTERN} "
                f"pattern of {pathway!r} (only [model] and increments in [on_pre])"
            )
    increments = []
    for line in composed.sections.get("on_pre", []):
        variable, operator, expression, _comment = parse_statement(line.text)
        if operator not in ("+=", "-=") or not variable.endswith("_post"):
            raise ComponentError(
                f"{line.location}: the {POPULATION_PATTERN} pattern of {pathway!r} scales "
                f"increments of postsynaptic variables ('x_post += ...'), not {line.text!r}"
            )
        increments.append((line, variable, operator, expression))
    modified = {variable for _line, variable, _operator, _expression in increments}
    statements = []
    for line, variable, operator, expression in increments:
        names = get_identifiers(expression)
        unusable = sorted(
            name
            for name in names
            if name.endswith("_pre") or name in modified or name in _POPULATION_FORBIDDEN
        )
        if unusable:
            raise ComponentError(
                f"{line.location}: the {POPULATION_PATTERN} pattern of {pathway!r} needs the "
                f"same increment for every spike; {line.text!r} reads {unusable}"
            )
        statements.append(f"{variable} {operator} ({expression}) * {multiplier}")
    return "\n".join(statements)


def _schedule_pathway(pathway, synapses, connectivity, timing):
    """Apply ``delay_steps`` of ``[<pathway>.connectivity]`` (absent or 0: Brian2's default).

    With ``delay_steps = d >= 1`` the spikes of step ``n`` act in step ``n + d`` *before* the
    threshold test of that step and after its state update, as in a clock-driven simulator
    whose layers read the previous step's spikes (BindsNET): a delta synapse that adds ``w``
    to ``v`` then moves ``v`` by exactly ``w`` before the target's next threshold test, not
    by ``w`` decayed over a step.  Both pathways (``on_pre`` and ``on_post``) move to the
    ``before_thresholds`` slot, where the source's spike space still holds the previous
    step's spikes, with a delay of ``(d - 1) dt``; ``on_pre`` runs before ``on_post``.
    Random delays (``delay_max > 0``) cannot be combined with it.
    """
    from brian2 import second

    steps = float(connectivity.get("delay_steps", 0))
    if not steps:
        return
    if steps < 1 or steps != int(steps):
        raise ParameterError(f"{pathway}: delay_steps must be a whole number >= 1, got {steps}")
    if float(connectivity.get("delay_max", 0.0)) > 0:
        raise ParameterError(f"{pathway}: delay_steps and delay_max > 0 exclude each other")
    for synaptic_pathway in synapses._pathways:  # the on_pre and on_post pathways
        synaptic_pathway.when = "before_thresholds"
        if steps > 1 and len(synapses):
            synaptic_pathway.delay[:] = (int(steps) - 1) * timing.dt * second


def _make_synapses(pathway, composed, pre_group, post_group, namespace):
    from brian2 import Synapses

    try:
        return Synapses(
            pre_group,
            post_group,
            model=composed.code("model"),
            on_pre=composed.code("on_pre") or None,
            on_post=composed.code("on_post") or None,
            namespace=namespace,
            method="exact",
            name=pathway,
        )
    except Exception as error:
        origin = ", ".join(str(c.path) for c in composed.components)
        raise ComponentError(f"cannot build pathway {pathway!r} from {origin}: {error}") from error


def _initialise_weights(pathway, synapses, connectivity, indices, shape, initial):
    """Set the initial weights of a pathway (see the module docstring for the rule).

    A pathway with a fixed ``weight`` gets it on every synapse; the saved state, if it has
    ``<pathway>.w``, is applied later with the rest of the saved state.  Any other pathway
    takes ``<pathway>.w`` out of the saved state or, without it, draws its weights from the
    weight stream (a full (n_pre, n_post) matrix, so the draw does not depend on the
    connectivity pattern).
    """
    sources, targets = indices
    if "weight" in connectivity:
        if len(sources):
            synapses.w[:] = float(connectivity["weight"])
        return
    weights = initial.saved_state.pop(f"{pathway}.w", None)
    if weights is None:
        scale = float(connectivity.get("weight_scale", 0.3))
        offset = float(connectivity.get("weight_offset", 0.01))
        weights = initial_input_weights(*shape, scale, offset, initial.weight_rng)
    weights = np.asarray(weights, dtype=float)
    if weights.shape != shape:
        raise ParameterError(f"{pathway}.w has shape {weights.shape}, expected {shape}")
    if len(sources):  # Brian2 refuses writes to a pathway without synapses
        synapses.w[:] = weights[sources, targets]


def _draw_delays(connectivity, shape, rng):
    """Delays U(delay_min, delay_max) in seconds, (pre, post); None unless ``delay_max > 0``."""
    delay_min = float(connectivity.get("delay_min", 0.0))
    delay_max = float(connectivity.get("delay_max", 0.0))
    if delay_max > 0:
        return rng.uniform(delay_min, delay_max, size=shape)
    return None


# --------------------------------------------------------------------------------------------
# initial values and saved state


def _set_initial_values(objects, parameters, parameters_path, phase):
    """Set the ``[<name>.initial]`` values of the parameter file."""
    for name in (*GROUPS, *PATHWAYS):
        for variable, value in parameters[name].initial.items():
            if variable not in objects[name].variables:
                raise ParameterError(
                    f"{parameters_path} [{name}.initial]: {name!r} has no variable "
                    f"{variable!r} in phase {phase!r}"
                )
            setattr(objects[name], variable, value)


def _apply_saved_state(objects, indices, saved_state):
    """Write the saved state; synaptic matrices are read at the pathway's indices."""
    for key, value in saved_state.items():
        owner, _, variable = key.partition(".")
        if owner not in objects or variable not in objects[owner].variables:
            raise ParameterError(f"saved state {key!r} names no variable of the network")
        if owner in indices:
            value = np.asarray(value)[indices[owner]]
        getattr(objects[owner], variable + "_")[:] = np.asarray(value, dtype=float)


# --------------------------------------------------------------------------------------------
# slot-start operations


def _add_slot_start_operations(objects, composed, timing):
    """Add each group's and pathway's ``[slot_start]`` statements; return the slot clock.

    Groups with protocol variables also reset ``presentation_count`` first.
    """
    from brian2 import Clock, second

    # one named clock for all slot operations: auto-named clocks ("clock_1", ...) would change
    # the generated code from build to build and defeat the standalone build cache
    slot_clock = Clock(dt=timing.slot_duration * second, name="slot_clock")
    for name in (*GROUPS, *PATHWAYS):
        statements = composed[name].code("slot_start")
        if name in PROTOCOL_VARIABLES:
            statements = "\n".join(["presentation_count = 0", statements])
        # a pathway without synapses (all-but-self on one neuron) is inactive: skip it
        if statements.strip() and getattr(objects[name], "active", True):
            objects[f"{name}_slot_start"] = objects[name].run_regularly(
                statements,
                clock=slot_clock,
                when="start",
                order=ORDER_SLOT_RESET,
                name=f"{name}_slot_start",
            )
    return slot_clock


def _add_normalisation(objects, slot_clock):
    """Scale the weights onto every neuron of the normalised pathway's target to a fixed sum."""
    group_name = PATHWAYS[NORMALISED_PATHWAY][1]
    group = objects[group_name]
    synapses = objects[NORMALISED_PATHWAY]
    if "weight_sum" not in group.variables:
        raise ComponentError(f"normalisation needs the 'weight_sum' variable on {group_name!r}")
    objects["normalise_reset"] = group.run_regularly(
        "weight_sum = 0",
        clock=slot_clock,
        when="start",
        order=ORDER_NORMALISE,
        name="normalise_reset",
    )
    objects["normalise_sum"] = synapses.run_regularly(
        "weight_sum_post += w",
        clock=slot_clock,
        when="start",
        order=ORDER_NORMALISE + 1,
        name="normalise_sum",
    )
    objects["normalise_scale"] = synapses.run_regularly(
        "w = w * normalisation_target / (weight_sum_post + int(weight_sum_post <= 0))",
        clock=slot_clock,
        when="start",
        order=ORDER_NORMALISE + 2,
        name="normalise_scale",
    )
