"""Brian2 unit names in equation code (``3*mV``, ``20*ms``, ``5*Hz``, ``1*nS``) work as in Brian2.

They are accepted in every kind of line, and their dimensions are checked as Brian2 checks
them: a wrong unit is a unit mismatch that names the file and the line.
"""

import pytest

from diehl_cook.errors import ComponentError
from diehl_cook.model import build_network, load_variant, shipped_equations_dir

EQUATIONS = shipped_equations_dir()


def _variant_with(tmp_path, role, shipped, old, new):
    text = (EQUATIONS / shipped).read_text()
    assert old in text
    path = tmp_path / f"units_{shipped}"
    path.write_text(text.replace(old, new))
    return load_variant("diehl_cook_2015", {role: str(path)}), path


ACCEPTED = [
    # a model equation, a threshold, a reset, synaptic code, a slot-start statement
    (
        "exc.membrane",
        "membrane_conductance_exc.eq",
        "/ tau_membrane : volt",
        "/ tau_membrane + 0 * mV / ms : volt",
    ),
    ("exc.threshold", "threshold_adaptive.eq", "v > v_threshold", "v > v_threshold + 0.5*mV"),
    ("exc.threshold", "threshold_adaptive.eq", "theta += theta_plus", "theta += 0.05 * mV"),
    ("inh.membrane", "membrane_conductance_inh.eq", "v = v_reset", "v = -45 * mvolt"),
    (
        "input_to_exc.plasticity",
        "stdp_triplet_minimal.eq",
        "t_last_arrival = t - 1000 * tau_pre",
        "t_last_arrival = t - 20 * second",
    ),
    (
        "input_to_exc.plasticity",
        "stdp_triplet_minimal.eq",
        "exp(-(t - t_last_arrival) / tau_pre)",
        "exp(-(t - t_last_arrival) * 50 * Hz)",
    ),
    (
        "input_to_exc.transmission",
        "transmit_excitatory.eq",
        "g_exc_post += w",
        "g_exc_post += w * (1 * nS) / nS",
    ),
]


@pytest.mark.parametrize("role, shipped, old, new", ACCEPTED)
def test_unit_names_are_accepted_in_code(tmp_path, role, shipped, old, new):
    variant, _ = _variant_with(tmp_path, role, shipped, old, new)
    build_network(variant, "train", n_input=4, n_exc=2)


@pytest.mark.parametrize(
    "role, shipped, old, new",
    [
        ("exc.threshold", "threshold_adaptive.eq", "v > v_threshold", "v > v_threshold + 3*ms"),
        ("exc.threshold", "threshold_adaptive.eq", "theta += theta_plus", "theta += 5 * Hz"),
        (
            "input_to_exc.transmission",
            "transmit_excitatory.eq",
            "g_exc_post += w",
            "g_exc_post += w * nS",
        ),
    ],
)
def test_a_wrong_unit_is_a_unit_mismatch_naming_the_file_and_line(
    tmp_path, role, shipped, old, new
):
    variant, path = _variant_with(tmp_path, role, shipped, old, new)
    lines = enumerate(path.read_text().splitlines(), start=1)
    line = next(number for number, text in lines if new in text and not text.startswith("#"))
    with pytest.raises(ComponentError, match=rf"{path}:{line}: unit mismatch"):
        build_network(variant, "train", n_input=4, n_exc=2)


def test_a_name_that_is_no_unit_is_still_an_unknown_variable(tmp_path):
    variant, path = _variant_with(
        tmp_path, "exc.threshold", "threshold_adaptive.eq", "v > v_threshold", "v > 3*mVolts"
    )
    with pytest.raises(ComponentError, match=r"unknown variable mVolts"):
        build_network(variant, "train", n_input=4, n_exc=2)
