"""The rest shortcut: the end of every rest period in closed form instead of simulated.

Diehl & Cook's protocol follows every 350 ms presentation with 150 ms without input, "to
allow all variables of all neurons to decay to their resting values".  Once the input has
stopped, the conductances have decayed and no neuron spikes, every remaining change of the
state is a linear decay with a known solution.  With ``SlotTiming.rest_shortcut`` > 0 the
last ``rest_shortcut`` seconds of every rest are not simulated: the slot ends after
``presentation + rest - rest_shortcut`` and, at the next slot start, each component's
``[rest_shortcut]`` section (or a synapse component's ``[post.rest_shortcut]`` /
``[pre.rest_shortcut]``) sets its variables to their value ``skipped_rest`` later, for
example ``v = v_rest + (v - v_rest) * exp(-skipped_rest / tau_membrane)``.

``skipped_rest`` is a shared variable of each group that has such a section: 0 before the
first slot of a chunk, ``rest_shortcut`` before every later slot.  A chunk starts from the
variant's initial values of everything but the learned state (weights and theta), as the
faithful protocol does; the learned state it is handed lacks the skipped rest of the
previous chunk's last slot, a theta decay of exp(-rest_shortcut / tau_theta) (1 - 1.2e-5
for 120 ms and Diehl & Cook's 1e7 ms), once per chunk.

The shortcut is near-exact, not exact: the closed forms assume that the conductances are 0
and that no spike comes in the skipped part.  README ("The rest shortcut") gives the measured
deviation and its effect on accuracy; the faithful default is ``rest_shortcut = 0`` (the
whole rest simulated, and no shortcut section used).
"""

from ..errors import ComponentError

__all__ = [
    "ORDER_REST_SHORTCUT",
    "SKIPPED_REST",
    "add_rest_shortcut_operations",
    "check_rest_shortcut_sections",
    "rest_shortcut_model_lines",
    "rest_shortcut_namespace",
]

#: Shared variable of a group with a ``[rest_shortcut]`` section: the rest skipped before
#: this slot (second).
SKIPPED_REST = "skipped_rest"
#: Namespace entry: the rest skipped after every slot (``SlotTiming.rest_shortcut``).
_SKIPPED_PER_SLOT = "rest_shortcut_duration"
#: ``run_regularly`` order at slot start: before every other slot-start operation, since the
#: skipped rest comes before the slot.
ORDER_REST_SHORTCUT = -30


def _has_differential_equation(lines):
    return any("/dt" in line.text.replace(" ", "") for line in lines)


def check_rest_shortcut_sections(composed):
    """Check that every component with differential equations says how it rests.

    Parameters
    ----------
    composed : dict of str to diehl_cook.model.components.ComposedGroup
        The composed groups and pathways.

    Raises
    ------
    ComponentError
        Naming the file whose variables evolve in time but which has no ``[rest_shortcut]``
        (``[post.rest_shortcut]``, ``[pre.rest_shortcut]``) section for them, or a synapse
        component with differential equations of its own (they have no shortcut).
    """
    for group in composed.values():
        for component in group.components:
            pairs = [("model", "rest_shortcut")]
            if group.is_synapse:
                pairs = [("pre.model", "pre.rest_shortcut"), ("post.model", "post.rest_shortcut")]
                if _has_differential_equation(component.lines("model")):
                    raise ComponentError(
                        f"{component.path}: protocol.rest_shortcut cannot skip the rest of "
                        "differential equations of synapses; set it to 0 ms for this model"
                    )
            for model_section, shortcut_section in pairs:
                if _has_differential_equation(component.lines(model_section)) and not (
                    component.lines(shortcut_section)
                ):
                    raise ComponentError(
                        f"{component.path}: protocol.rest_shortcut needs a [{shortcut_section}]"
                        f" section here: statements that set the variables of [{model_section}]"
                        " to their values 'skipped_rest' later, without input or spikes "
                        "(equations/README.md); or set protocol.rest_shortcut to 0 ms"
                    )


def rest_shortcut_model_lines(composed_group, timing):
    """Model lines the shortcut adds to a group: ``skipped_rest : second (shared)`` or none."""
    if timing.rest_shortcut > 0 and composed_group.code("rest_shortcut").strip():
        return [f"{SKIPPED_REST} : second (shared)"]
    return []


def rest_shortcut_namespace(timing):
    """Namespace entries of the shortcut (none when it is off, so the code stays the same)."""
    from brian2 import second

    if timing.rest_shortcut > 0:
        return {_SKIPPED_PER_SLOT: timing.rest_shortcut * second}
    return {}


def add_rest_shortcut_operations(objects, composed, timing, slot_clock):
    """Add the slot-start operations that apply the skipped rest, when the shortcut is on.

    Parameters
    ----------
    objects : dict of str to Brian2 objects
        The network's objects by name; the operations are added as ``<group>_rest_shortcut``
        and ``<group>_rest_skipped`` (which sets ``skipped_rest`` for the next slot).
    composed : dict of str to ComposedGroup
    timing : diehl_cook.model.SlotTiming
    slot_clock : brian2.Clock

    Returns
    -------
    list of str
        The groups with a shortcut (they have the ``skipped_rest`` variable).
    """
    from brian2 import second

    if timing.rest_shortcut <= 0:
        return []
    groups = []
    for name, group in composed.items():
        statements = group.code("rest_shortcut")
        if group.is_synapse or not statements.strip():
            continue
        setattr(objects[name], SKIPPED_REST, 0 * second)  # no rest before the first slot
        objects[f"{name}_rest_shortcut"] = objects[name].run_regularly(
            statements,
            clock=slot_clock,
            when="start",
            order=ORDER_REST_SHORTCUT,
            name=f"{name}_rest_shortcut",
        )
        # a separate block: Brian2 wants writes to shared variables before the others
        objects[f"{name}_rest_skipped"] = objects[name].run_regularly(
            f"{SKIPPED_REST} = {_SKIPPED_PER_SLOT}",
            clock=slot_clock,
            when="start",
            order=ORDER_REST_SHORTCUT + 1,
            name=f"{name}_rest_skipped",
        )
        groups.append(name)
    return groups
