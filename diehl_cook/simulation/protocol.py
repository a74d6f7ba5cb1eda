"""The presentation protocol, shared by both engines (no Brian2 objects here).

Each image is shown in a *slot*: 350 ms of Poisson input at ``pixel / 8 * intensity`` Hz
(``pixel * rate_per_pixel * intensity`` with a variant's own rate law), then 150 ms of rest.
At the start of every slot the protocol decides what the slot shows:

* if the previous slot made at least ``min_spikes`` excitatory spikes (or the image has been
  retried ``max_retries`` times), that presentation is *accepted* and the next image is shown
  at the starting intensity;
* otherwise the same image is shown again with ``intensity + intensity_step``.

The decision is written once here (:func:`decide`) and once as Brian2 code in the standalone
engine; the engine-equivalence tests check that both agree.  Runs are split into chunks of a
fixed number of slots; the :class:`ControllerState` and the learned state carry over between
chunks, and every chunk draws its random numbers from its own seed (:func:`chunk_seed`), so a
run resumed after chunk ``k`` is identical to an uninterrupted one.
"""

from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "ControllerState",
    "PHASE_KINDS",
    "SPIKE_LAYERS",
    "ProtocolSettings",
    "accepted_slots",
    "chunk_seed",
    "decide",
    "input_rates",
]

_PHASE_IDS = {"train": 0, "label": 1, "test": 2}

#: Network phase used by each protocol phase.
PHASE_KINDS = {"train": "train", "label": "frozen", "test": "frozen"}

#: Layers whose spike times are recorded when an engine is asked to record spikes.
SPIKE_LAYERS = ("input", "exc", "inh")


@dataclass(frozen=True)
class ProtocolSettings:
    """Protocol constants (Diehl & Cook 2015 values by default).

    Attributes
    ----------
    min_spikes : int
        Fewest excitatory spikes in a presentation for it to count.  Default: 5.
    intensity_start : float
        Input intensity of a new image; rate = pixel / 8 * intensity Hz.  Default: 2
        (63.75 Hz for a white pixel).
    intensity_step : float
        Intensity added for each retry.  Default: 1 (+31.9 Hz for a white pixel).
    max_retries : int
        Retries after which a presentation is accepted whatever its spike count (a guard
        against endless loops in a silent network; the original has none).  Default: 20.
    normalisation_target : float or None
        Sum of each excitatory neuron's input weights before every training slot, overriding
        the variant's value (``normalisation_target`` of its parameter file; 78 in
        ``diehl_cook_2015``).  Default: None (the variant's value).
    """

    min_spikes: int = 5
    intensity_start: float = 2.0
    intensity_step: float = 1.0
    max_retries: int = 20
    normalisation_target: float | None = None


@dataclass
class ControllerState:
    """Where a phase stands between two slots.

    Attributes
    ----------
    position : int
        Index (within the phase's images) of the image shown in the last slot; -1 before
        the first slot.
    intensity : float
        Intensity of the last slot.
    retries : int
        Retries of the current image so far.
    pending_spikes : int
        Excitatory spikes of the last slot, not yet decided upon.
    """

    position: int = -1
    intensity: float = 2.0
    retries: int = 0
    pending_spikes: int = 0

    @classmethod
    def initial(cls, settings):
        """State before the first slot: the first decision moves to image 0."""
        return cls(
            position=-1,
            intensity=settings.intensity_start,
            retries=0,
            pending_spikes=settings.min_spikes,
        )

    def to_dict(self):
        """Return the state as a JSON-serialisable dict."""
        return asdict(self)


def decide(state, settings):
    """Decide what the next slot shows, from the outcome of the last one.

    Parameters
    ----------
    state : ControllerState
        State after the last slot.
    settings : ProtocolSettings

    Returns
    -------
    next_state : ControllerState
        State for the next slot (``pending_spikes`` reset to 0).
    accepted : bool
        Whether the last slot's presentation was accepted.

    Examples
    --------
    >>> settings = ProtocolSettings()
    >>> decide(ControllerState(3, 2.0, 0, 4), settings)
    (ControllerState(position=3, intensity=3.0, retries=1, pending_spikes=0), False)
    """
    accepted = state.pending_spikes >= settings.min_spikes or state.retries >= settings.max_retries
    if accepted:
        next_state = ControllerState(state.position + 1, settings.intensity_start, 0, 0)
    else:
        next_state = ControllerState(
            state.position, state.intensity + settings.intensity_step, state.retries + 1, 0
        )
    return next_state, accepted


def input_rates(pixels, intensity, rate_per_pixel=0.125):
    """Poisson input rates of an image.

    Parameters
    ----------
    pixels : numpy.ndarray
        Pixel values 0-255, any shape.
    intensity : float
        Input intensity (Diehl & Cook start at 2).
    rate_per_pixel : float, optional
        Rate per unit of pixel value at intensity 1, in Hz: the variant's rate law
        (``rate_per_pixel`` of its ``[input]`` table,
        :func:`diehl_cook.model.builder.variant_rate_per_pixel`).  Default: 1/8 Hz,
        Diehl & Cook's ``pixel / 8 * intensity``.

    Returns
    -------
    numpy.ndarray
        Rates in hertz, ``pixels * rate_per_pixel * intensity`` (63.75 Hz for 255 at
        intensity 2 with the default; 128 Hz at intensity 128 with the study's 1/255 Hz).
    """
    # pixels * 0.125 equals pixels / 8 bit for bit (a power of two): the default is unchanged
    return np.asarray(pixels, dtype=float) * rate_per_pixel * intensity


def chunk_seed(seed, phase, chunk_index):
    """Seed of the random numbers of one chunk.

    Parameters
    ----------
    seed : int
        The run's seed.
    phase : {"train", "label", "test"}
    chunk_index : int

    Returns
    -------
    int
        A 31-bit seed, a pure function of the arguments.
    """
    sequence = np.random.SeedSequence([int(seed), _PHASE_IDS[phase], int(chunk_index)])
    return int(sequence.generate_state(1, dtype=np.uint32)[0] >> 1)


def accepted_slots(chunk, settings, n_images):
    """Boolean mask of the slots of ``chunk`` whose presentation was accepted.

    A slot is accepted when it made at least ``min_spikes`` excitatory spikes or its image
    had reached ``max_retries`` (the rule of :func:`decide`), and it showed a real image.
    """
    return (chunk.position < n_images) & (
        (chunk.exc_counts.sum(axis=1) >= settings.min_spikes)
        | (chunk.retries >= settings.max_retries)
    )
