"""Assemble the Brian2 network of a model variant.

The builder turns composed components (:mod:`diehl_cook.components`) and a parameter file
(:mod:`diehl_cook.parameters`) into NeuronGroups and Synapses, with fixed names (``input``,
``exc``, ``inh``, ``input_to_exc``, ``exc_to_inh``, ``inh_to_exc``), explicit namespaces,
connectivity, delays and initial weights.  It is device-agnostic: the same call works under
Brian2's runtime device (Cython code generation by default) and under ``cpp_standalone``.

It also adds the parts of the simulation protocol that are the same for both engines and run
at the start of every presentation slot (presentation + rest):

* ``in_presentation`` (input and excitatory groups): 1 during the presentation window;
* ``presentation_count`` (input and excitatory groups): spikes in the current presentation;
* the components' ``[slot_start]`` statements (for example the first input spike);
* in the training phase, the normalisation of each excitatory neuron's input weights to a
  fixed sum (Diehl & Cook: 78), through ``run_regularly`` operations.

Decisions between slots (next image or retry at a higher intensity) belong to the engines
(:mod:`diehl_cook.runtime_engine`, :mod:`diehl_cook.standalone_engine`).
"""

from dataclasses import dataclass, field

import numpy as np

from .components import PATHWAYS, compose_model
from .errors import ComponentError, ParameterError
from .parameters import load_parameters

__all__ = ["BuiltNetwork", "SlotTiming", "build_network", "initial_input_weights"]

#: Variables the protocol adds to groups; they satisfy components' ``requires:``.
PROTOCOL_VARIABLES = {
    "input": {"in_presentation", "presentation_count"},
    "exc": {"in_presentation", "presentation_count"},
}
#: ``run_regularly`` order at slot start: engine bookkeeping runs before these.
ORDER_SLOT_RESET = 0
ORDER_NORMALISE = 5


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
    """

    dt: float = 0.5e-3
    presentation: float = 0.350
    rest: float = 0.150

    @property
    def steps_per_slot(self):
        """Number of time steps in one slot."""
        return int(round((self.presentation + self.rest) / self.dt))

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
    """

    network: object
    objects: dict
    namespaces: dict
    phase: str
    timing: SlotTiming
    indices: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    slot_clock: object = None

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
            values = np.asarray(getattr(self.objects[owner], variable + "_")[:], dtype=float)
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

    Parameters
    ----------
    n_input, n_exc : int
        Numbers of input and excitatory neurons.
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
    extra = ["weight_sum : 1"] if (name == "exc" and with_weight_sum) else []
    window = (
        "in_presentation = int(timestep(t, dt) % steps_per_slot < steps_per_presentation)"
        " : 1 (shared)"
    )
    count = "presentation_count : integer"
    increment = "presentation_count += int(in_presentation > 0)"
    return [window, count, *extra], increment


def _resolve_line_variables(group, identifiers, newly_defined, line):
    from brian2.core.functions import DEFAULT_FUNCTIONS

    wanted = {name for name in identifiers if name not in newly_defined}
    try:
        return group.resolve_all(sorted(wanted), run_namespace={})
    except KeyError as error:
        unknown = [
            name
            for name in sorted(wanted)
            if name not in group.variables
            and name not in group.namespace
            and name not in DEFAULT_FUNCTIONS
        ]
        raise ComponentError(
            f"{line.location}: unknown variable {', '.join(unknown) or error} in "
            f"{line.text!r} (not defined by a component of {group.name!r} nor a parameter of "
            "its table)"
        ) from None


def _check_group_lines(group, composed):
    """Check identifiers and units line by line, so that errors can name file and line."""
    from brian2 import Equations, second
    from brian2.codegen.translation import analyse_identifiers
    from brian2.equations.equations import DIFFERENTIAL_EQUATION, SUBEXPRESSION
    from brian2.equations.unitcheck import check_dimensions, check_units_statements
    from brian2.parsing.expressions import parse_expression_dimensions
    from brian2.units.fundamentalunits import DimensionMismatchError
    from brian2.utils.stringtools import get_identifiers

    for section, lines in composed.sections.items():
        code_so_far = []
        for line in lines:
            try:
                if section == "model":
                    for equation in Equations(line.text).ordered:
                        if equation.type not in (DIFFERENTIAL_EQUATION, SUBEXPRESSION):
                            continue
                        expression = equation.expr.code
                        variables = _resolve_line_variables(
                            group, equation.identifiers, set(), line
                        )
                        expected = (
                            equation.dim / second.dim
                            if equation.type == DIFFERENTIAL_EQUATION
                            else equation.dim
                        )
                        check_dimensions(expression, expected, variables)
                elif section == "threshold":
                    variables = _resolve_line_variables(
                        group, get_identifiers(line.text), set(), line
                    )
                    parse_expression_dimensions(line.text, variables)
                else:
                    code_so_far.append(line.text)
                    code = "\n".join(code_so_far)
                    known = set(group.variables) | set(group.namespace or {})
                    newly_defined, used_known, unknown = analyse_identifiers(code, known)
                    variables = _resolve_line_variables(
                        group, set(used_known) | set(unknown), set(newly_defined), line
                    )
                    check_units_statements(code, variables)
            except DimensionMismatchError as error:
                raise ComponentError(
                    f"{line.location}: unit mismatch in {line.text!r}: {error}"
                ) from None
            except SyntaxError as error:
                raise ComponentError(f"{line.location}: {error}") from None


def _make_neuron_group(name, composed, n_neurons, parameters, namespace, with_weight_sum):
    from brian2 import NeuronGroup

    protocol_model, count_statement = _protocol_lines(name, with_weight_sum)
    model = "\n".join([composed.code("model"), *protocol_model])
    if "threshold" not in composed.sections:
        origin = ", ".join(str(component.path) for component in composed.components)
        raise ComponentError(f"group {name!r} has no [threshold] (components: {origin})")
    reset = "\n".join(filter(None, [composed.code("reset"), count_statement]))
    settings = parameters.settings
    refractory = settings.get("refractory", 0.0)
    try:
        group = NeuronGroup(
            n_neurons,
            model,
            threshold=composed.code("threshold"),
            reset=reset,
            refractory=refractory if np.any(refractory) else False,
            method=settings.get("method", "exact"),
            namespace=namespace,
            name=name,
        )
    except Exception as error:
        origin = ", ".join(str(component.path) for component in composed.components)
        raise ComponentError(f"cannot build group {name!r} from {origin}: {error}") from error
    _check_group_lines(group, composed)
    return group


def connection_indices(pattern, n_pre, n_post):
    """Presynaptic and postsynaptic indices of a connection pattern, in synapse order.

    Parameters
    ----------
    pattern : {"all_to_all", "one_to_one", "all_but_self"}
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
    elif pattern == "all_but_self":
        sources, targets = np.nonzero(~np.eye(n_pre, n_post, dtype=bool))
    else:
        raise ParameterError(f"unknown connectivity pattern {pattern!r}")
    return sources.astype(np.int32), targets.astype(np.int32)


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
    variant : diehl_cook.components.Variant
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
        Seed of the initial input weights and of the delays (separate streams, so the delays
        are the same whether the weights are drawn or loaded).  Default: 0.
    saved_state : dict, optional
        ``{"input_to_exc.w": (n_input, n_exc) array, "exc.theta": (n_exc,) array in volt}``
        and so on: values that replace initial values (the learned state).  Arrays of
        synaptic variables are indexed (presynaptic, postsynaptic).
    normalisation_target : float, optional
        In the training phase, the sum that every excitatory neuron's input weights are
        scaled to at each slot start.  None: no normalisation.

    Returns
    -------
    BuiltNetwork

    Raises
    ------
    ComponentError, ParameterError
        For inconsistent components or parameters; messages name the file and line.
    """
    from brian2 import Clock, Network, Synapses, second

    timing = timing or SlotTiming()
    weight_rng = np.random.default_rng([int(model_seed), 0])
    delay_rng = np.random.default_rng([int(model_seed), 1])
    indices = {}
    saved_state = dict(saved_state or {})
    parameters = load_parameters(variant.parameters_path)
    composed = compose_model(variant, phase, protocol_variables=PROTOCOL_VARIABLES)
    sizes = {"input": n_input, "exc": n_exc, "inh": n_exc}
    protocol_constants = {
        "steps_per_slot": timing.steps_per_slot,
        "steps_per_presentation": timing.steps_per_presentation,
    }
    namespaces = {}
    objects = {}
    for name in ("input", "exc", "inh"):
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
            with_weight_sum=phase == "train" and normalisation_target is not None,
        )
    for pathway, (pre, post) in PATHWAYS.items():
        group_composed = composed[pathway]
        namespace = dict(parameters[pathway].namespace)
        if pathway == "input_to_exc" and normalisation_target is not None:
            namespace["normalisation_target"] = float(normalisation_target)
        namespaces[pathway] = namespace
        try:
            synapses = Synapses(
                objects[pre],
                objects[post],
                model=group_composed.code("model"),
                on_pre=group_composed.code("on_pre") or None,
                on_post=group_composed.code("on_post") or None,
                namespace=namespace,
                method="exact",
                name=pathway,
            )
        except Exception as error:
            origin = ", ".join(str(c.path) for c in group_composed.components)
            raise ComponentError(
                f"cannot build pathway {pathway!r} from {origin}: {error}"
            ) from error
        connectivity = parameters[pathway].connectivity
        sources, targets = connection_indices(connectivity["pattern"], sizes[pre], sizes[post])
        if len(sources):
            synapses.connect(i=sources, j=targets)
        else:
            synapses.active = False  # e.g. all-but-self with a single neuron
        indices[pathway] = (sources, targets)
        _check_group_lines(synapses, group_composed)
        if pathway == "input_to_exc":
            weights = saved_state.pop("input_to_exc.w", None)
            if weights is None:
                weights = initial_input_weights(
                    n_input,
                    n_exc,
                    float(connectivity.get("weight_scale", 0.3)),
                    float(connectivity.get("weight_offset", 0.01)),
                    weight_rng,
                )
            weights = np.asarray(weights, dtype=float)
            if weights.shape != (n_input, n_exc):
                raise ParameterError(
                    f"input_to_exc.w has shape {weights.shape}, expected {(n_input, n_exc)}"
                )
            synapses.w[:] = weights[sources, targets]
            delay_min = float(connectivity.get("delay_min", 0.0))
            delay_max = float(connectivity.get("delay_max", 0.0))
            if delay_max > 0:
                delays = delay_rng.uniform(delay_min, delay_max, size=(n_input, n_exc))
                synapses.delay[:] = delays[sources, targets] * second
        elif len(sources):
            synapses.w[:] = float(connectivity.get("weight", 0.0))
        objects[pathway] = synapses
    for name in (*("input", "exc", "inh"), *PATHWAYS):
        for variable, value in parameters[name].initial.items():
            if variable not in objects[name].variables:
                raise ParameterError(
                    f"{variant.parameters_path} [{name}.initial]: {name!r} has no variable "
                    f"{variable!r} in phase {phase!r}"
                )
            setattr(objects[name], variable, value)
    for key, value in saved_state.items():
        owner, _, variable = key.partition(".")
        if owner not in objects or variable not in objects[owner].variables:
            raise ParameterError(f"saved state {key!r} names no variable of the network")
        if owner in indices:
            value = np.asarray(value)[indices[owner]]
        getattr(objects[owner], variable + "_")[:] = np.asarray(value, dtype=float)
    # one named clock for all slot operations: auto-named clocks ("clock_1", ...) would change
    # the generated code from build to build and defeat the standalone build cache
    slot_clock = Clock(dt=timing.slot_duration * second, name="slot_clock")
    for name in (*("input", "exc", "inh"), *PATHWAYS):
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
    if phase == "train" and normalisation_target is not None:
        _add_normalisation(objects, slot_clock)
    network = Network(*objects.values())
    return BuiltNetwork(
        network, objects, namespaces, phase, timing, indices, sizes, slot_clock=slot_clock
    )


def _add_normalisation(objects, slot_clock):
    exc = objects["exc"]
    synapses = objects["input_to_exc"]
    if "weight_sum" not in exc.variables:
        raise ComponentError("normalisation needs the 'weight_sum' variable on 'exc'")
    objects["normalise_reset"] = exc.run_regularly(
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
