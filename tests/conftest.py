"""Shared fixtures: Brian2 device/preference reset around every test, and a headless backend."""

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def reset_brian2():
    """Reset Brian2's device, preferences and default clock before and after each test.

    Tests that build networks must not see the state left by another test (a standalone
    device, a changed code generation target or time step).
    """
    import brian2
    from brian2.devices.device import reinit_and_delete, reset_device

    def reset():
        reinit_and_delete()
        reset_device("runtime")
        brian2.prefs.reset_to_defaults()
        brian2.prefs.codegen.target = "numpy"
        brian2.defaultclock.dt = 0.1 * brian2.ms

    reset()
    yield
    reset()
