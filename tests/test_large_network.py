"""A 1600-neuron network (Diehl & Cook's third size) builds, trains a few images and resumes."""

import resource

import numpy as np
import pytest
from test_engines import _assert_resume_gives_the_uninterrupted_result, _images

from diehl_cook.model import load_variant
from diehl_cook.simulation import ProtocolSettings


@pytest.mark.slow
@pytest.mark.standalone
def test_1600_neurons_train_and_resume(tmp_path):
    from diehl_cook.simulation.standalone import StandaloneEngine

    engine = StandaloneEngine(
        load_variant("diehl_cook_2015_population"),
        n_input=784,
        n_exc=1600,
        settings=ProtocolSettings(),
        build_root=tmp_path / "builds",
    )
    # 5 images in chunks of 3 slots: one full chunk, a resume, and a last chunk that stops
    # once its images are done
    _assert_resume_gives_the_uninterrupted_result(
        engine, _images(5, 784, seed=2), tmp_path / "checkpoints", seed=4, chunk_slots=3
    )
    (last_state, *_) = sorted((tmp_path / "checkpoints").glob("state_*.npz"), reverse=True)
    state = np.load(last_state)
    assert state["input_to_exc.w"].shape == (784, 1600)
    # the Python side stays far below the 6400-neuron budget of 4 GB at this size
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2 * 1024**2  # KiB
