"""Standalone engine: the whole protocol inside one compiled Brian2 ``cpp_standalone`` program.

The network is the one :func:`diehl_cook.model.build_network` assembles for the runtime
engine; this module adds the protocol as Brian2 objects, so that no Python runs between
images:

* ``controller``: a one-neuron group holding ``position`` (image within the chunk's window),
  ``intensity``, ``retries`` and ``pending_spikes``; at every slot start it applies the same
  rule as :func:`diehl_cook.simulation.protocol.decide`, and once every image of the chunk's
  window is accepted it stops the program (the slots left would show nothing);
* ``exc_spike_counter``: synapses from every excitatory neuron to the controller that add the
  last slot's ``presentation_count`` to ``pending_spikes``;
* ``stimulus_feed``: synapses from the controller to every input neuron that set the input
  rate from a ``TimedArray`` with one row per image (``pixel / 8`` Hz, or the variant's
  ``rate_per_pixel``) times the intensity;
* monitors that record, at every slot start, the spike counts of the slot that just ended.

A binary is compiled once per variant, phase, network shape, chunk length and choice of
spike-time recording (spike monitors on the three layers), in a folder
named by a hash of the equation files, parameter file and settings; weights, theta, stimuli,
the controller state and the random seed of every chunk go in through
``device.run(run_args=...)`` without recompiling.
"""

import gc
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
from filelock import FileLock

from ..errors import BuildCacheError
from ..model.builder import build_network
from .build_cache import (
    build_key,
    compile_if_changed,
    compiler_flags,
    default_build_root,
    linker_flags,
)
from .engine import EngineBase
from .protocol import ControllerState, input_rates
from .records import ChunkRecords, SpikeTrains
from .source_patches import patch_generated_project, serialise_synaptic_operations

__all__ = ["StandaloneEngine"]

#: ``run_regularly``/monitor order at slot start (the builder's slot operations are at 0+).
_ORDER_RECORD = -20
_ORDER_COUNT = -10
_ORDER_DECIDE = -5
_ORDER_FEED = -1


class _StimulusFeedOrderFilter(logging.Filter):
    """Drop Brian2's order warning for the stimulus feed's ``rate_post = ...`` line.

    Brian2 warns that a synaptic statement writing a postsynaptic variable may depend on
    the order of execution.  The stimulus feed has exactly one synapse per input neuron,
    so the order cannot matter; other warnings of that logger pass through.
    """

    def filter(self, record):
        message = record.getMessage()
        return not ("rate_post = " in message and "stimulus" in message)


logging.getLogger("brian2.codegen.generators.base").addFilter(_StimulusFeedOrderFilter())


def _read_profile(path):
    """Parse Brian2's ``profiling_info.txt`` into {code object: seconds}, slowest first."""
    entries = []
    for line in Path(path).read_text().splitlines():
        name, _, seconds = line.rpartition("\t")
        if name:
            entries.append((name.strip(), float(seconds)))
    return dict(sorted(entries, key=lambda entry: -entry[1]))


#: C++ of ``stop_when_done``: ends the running ``Network::run`` after the current time step,
#: through the flag that Brian2's own SIGINT handler sets (``main.cpp``, ``network.cpp``).
_STOP_WHEN_DONE_CPP = """
int stop_when_done(const int done)
{
    if (done)
        Network::_globally_stopped = true;
    return done;
}
"""


def _stop_when_done_function():
    """Create the Brian2 function ``stop_when_done(done)`` (C++ only; returns ``done``).

    Called by the controller at every slot start with ``position >= n_window_images``:
    once every image of the chunk's window is accepted, the remaining slots would show
    nothing, so the program stops after that step instead of simulating them.
    """
    from brian2 import Function

    function = Function(
        _no_python_stop,
        arg_units=[1],
        return_unit=1,
        arg_types=["integer"],
        return_type="integer",
        stateless=False,
    )
    function.implementations.add_implementation(
        "cpp",
        _STOP_WHEN_DONE_CPP,
        name="stop_when_done",
        compiler_kwds={"headers": ['"network.h"']},
    )
    return function


def _no_python_stop(done):
    raise NotImplementedError("stop_when_done exists only in the standalone program")


def _orders_synapses_by_delay(variant):
    """Whether a pathway of ``variant`` has ``synapse_order = "pre_delay"``."""
    return any(
        table.connectivity.get("synapse_order") == "pre_delay"
        for table in variant.parameters().values()
    )


def _recorded(monitor, variable):
    """Read what a StateMonitor recorded in the last run, shape (n_records, n_recorded).

    Read from the results file itself: Brian2 sizes a standalone monitor for the whole
    requested duration and refuses to read a shorter record, which a chunk stopped early by
    ``stop_when_done`` leaves.
    """
    from brian2 import device

    array = monitor.variables[variable]
    path = Path(device.results_dir) / device.get_array_filename(array)
    return np.fromfile(path, dtype=array.dtype).reshape(-1, array.size[1])


class _CompiledProject:
    """A built standalone project and the Brian2 objects that address its variables."""

    def __init__(self, key, directory, built, extras):
        self.key = key
        self.directory = directory
        self.built = built
        self.extras = extras


class StandaloneEngine(EngineBase):
    """Run chunks of slots inside one compiled ``cpp_standalone`` program.

    Parameters
    ----------
    variant, n_input, n_exc, settings, timing, model_seed
        As for :class:`~diehl_cook.simulation.engine.EngineBase`.
    build_root : pathlib.Path, optional
        Where compiled projects are cached.  Default:
        :func:`~diehl_cook.simulation.build_cache.default_build_root`.
    make_jobs : int, optional
        Parallel compilation jobs.  Default: 2.
    profile : bool, optional
        Compile with Brian2's per-code-object timers; after each chunk,
        :attr:`last_profile` holds them.  Default: False (the timers slow the program down).
    threads : int, optional
        OpenMP threads of the program (Brian2's ``devices.cpp_standalone.openmp_threads``).
        Default: 1, a program without OpenMP.  With more, the state updates, resets and
        synaptic updates of synaptic variables run in parallel; the synaptic operations
        at slot start run on one thread
        (:func:`~diehl_cook.simulation.source_patches.serialise_synaptic_operations`).
        Results are reproducible for a given number of threads, not across numbers: each thread
        draws from its own random generator (seeded ``seed + thread``), and synaptic
        events arrive in an order that depends on the threads (README, engines).

    Attributes
    ----------
    compile_seconds : dict
        Build time of each project used, by key (0 when the cache was hit).
    last_profile : dict
        With ``profile=True``: seconds spent in each code object during the last chunk,
        slowest first.  Empty otherwise.
    """

    name = "standalone"

    def __init__(
        self,
        variant,
        *,
        n_input,
        n_exc,
        settings,
        timing=None,
        model_seed=0,
        build_root=None,
        make_jobs=2,
        profile=False,
        threads=1,
    ):
        super().__init__(
            variant,
            n_input=n_input,
            n_exc=n_exc,
            settings=settings,
            timing=timing,
            model_seed=model_seed,
        )
        self.build_root = Path(build_root) if build_root else default_build_root()
        self.make_jobs = make_jobs
        self.profile = bool(profile)
        if int(threads) != threads or threads < 1:
            raise ValueError(f"threads must be a whole number >= 1, got {threads!r}")
        self.threads = int(threads)
        self.last_profile = {}
        self._project = None

    # -- building ---------------------------------------------------------------------------
    def _add_protocol(self, built, n_slots, record_spikes):
        """Add the controller, spike counter, stimulus feed and monitors to ``built``."""
        controller, decide = self._controller(built.slot_clock)
        counter, count = self._spike_counter(built, controller)
        stimulus, feed, feed_rates = self._stimulus_feed(built, controller, n_slots)
        exc_monitor, input_monitor, controller_monitor = self._slot_monitors(built, controller)
        spike_monitors = self._spike_monitors(built, record_spikes)
        built.network.add(
            controller,
            decide,
            counter,
            count,
            feed,
            feed_rates,
            exc_monitor,
            input_monitor,
            controller_monitor,
        )
        return {
            "controller": controller,
            "stimulus": stimulus,
            "exc_monitor": exc_monitor,
            "input_monitor": input_monitor,
            "controller_monitor": controller_monitor,
            "spike_monitors": spike_monitors,
        }

    def _controller(self, slot_clock):
        """Create the one-neuron controller and its slot-start decision (``decide``'s rule)."""
        from brian2 import NeuronGroup

        settings = self.settings
        controller = NeuronGroup(
            1,
            """
            position : integer
            intensity : 1
            retries : integer
            pending_spikes : integer
            n_window_images : integer (constant)
            rng_seed : integer (constant)
            window_done : integer
            """,
            namespace={
                "min_spikes": settings.min_spikes,
                "max_retries": settings.max_retries,
                "intensity_start": settings.intensity_start,
                "intensity_step": settings.intensity_step,
                "stop_when_done": _stop_when_done_function(),
            },
            name="controller",
        )
        decide = controller.run_regularly(
            """
            accepted = int(pending_spikes >= min_spikes or retries >= max_retries)
            position = position + accepted
            intensity = accepted * intensity_start + (1 - accepted) * (intensity + intensity_step)
            retries = (1 - accepted) * (retries + 1)
            pending_spikes = 0
            window_done = stop_when_done(int(position >= n_window_images))
            """,
            clock=slot_clock,
            when="start",
            order=_ORDER_DECIDE,
            name="controller_decide",
        )
        return controller, decide

    def _spike_counter(self, built, controller):
        """Synapses that add each excitatory neuron's last-slot count to the controller."""
        from brian2 import Synapses

        counter = Synapses(built["exc"], controller, name="exc_spike_counter")
        counter.connect(i=np.arange(self.n_exc), j=np.zeros(self.n_exc, dtype=int))
        count = counter.run_regularly(
            "pending_spikes_post += presentation_count_pre",
            clock=built.slot_clock,
            when="start",
            order=_ORDER_COUNT,
            name="exc_spike_count",
        )
        return counter, count

    def _stimulus_feed(self, built, controller, n_slots):
        """Create the stimulus table and the synapses that set every input's rate from it."""
        from brian2 import Hz, Synapses, TimedArray, second

        stimulus = TimedArray(
            # rows: up to n_slots + 1 images, and one never-read row that makes the file
            # of every run unique (see run_chunk)
            np.zeros((n_slots + 2, self.n_input)) * Hz,
            dt=1 * second,
            name="stimulus",
        )
        feed = Synapses(
            controller,
            built["input"],
            namespace={"stimulus": stimulus},
            name="stimulus_feed",
        )
        feed.connect(i=np.zeros(self.n_input, dtype=int), j=np.arange(self.n_input))
        feed_rates = feed.run_regularly(
            "rate_post = stimulus(position_pre * second, j) * intensity_pre"
            " * int(position_pre < n_window_images_pre)",
            clock=built.slot_clock,
            when="start",
            order=_ORDER_FEED,
            name="stimulus_feed_rates",
        )
        return stimulus, feed, feed_rates

    @staticmethod
    def _slot_monitors(built, controller):
        """Create monitors that record, at every slot start, the counts of the slot that ended."""
        from brian2 import StateMonitor

        record = {"clock": built.slot_clock, "when": "start", "order": _ORDER_RECORD}
        exc_monitor = StateMonitor(
            built["exc"], "presentation_count", record=True, name="exc_counts", **record
        )
        input_monitor = StateMonitor(
            built["input"], "presentation_count", record=True, name="input_counts", **record
        )
        controller_monitor = StateMonitor(
            controller, ["position", "intensity", "retries"], record=0, name="slots", **record
        )
        return exc_monitor, input_monitor, controller_monitor

    def _project_for(self, phase, n_slots, record_spikes=False):
        key = build_key(
            self.variant,
            phase,
            self.n_input,
            self.n_exc,
            n_slots,
            self.timing,
            self.settings,
            self.model_seed,
        )
        if record_spikes:
            key = f"{key}-spikes"
        if self.profile:
            key = f"{key}-profile"
        if self.threads > 1:
            key = f"{key}-threads{self.threads}"
        if self._project is not None and self._project.key == key:
            return self._project
        import brian2
        from brian2 import device, prefs, second, set_device

        # free the previous project's objects so that Brian2 reuses their names: a second
        # build in one process otherwise gets "_1" names and no cache hit
        self._project = None
        gc.collect()
        directory = self.build_root / f"{self.variant.name}-{phase}-{key}"
        binary = directory / "main"
        binary_mtime = binary.stat().st_mtime_ns if binary.exists() else None
        brian2.device.reinit()
        brian2.device.activate()
        set_device("cpp_standalone", directory=str(directory), build_on_run=False)
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{self.make_jobs}"]
        default_flags = prefs["codegen.cpp.extra_compile_args_gcc"]
        default_link_flags = prefs["codegen.cpp.extra_link_args"]
        prefs["codegen.cpp.extra_compile_args_gcc"] = compiler_flags()
        prefs["codegen.cpp.extra_link_args"] = linker_flags()
        default_threads = prefs.devices.cpp_standalone.openmp_threads
        # 0: Brian2 generates no OpenMP code at all (threads=1 builds stay as they were)
        prefs.devices.cpp_standalone.openmp_threads = self.threads if self.threads > 1 else 0
        brian2.defaultclock.dt = self.timing.dt * second
        built = build_network(
            self.variant,
            phase,
            n_input=self.n_input,
            n_exc=self.n_exc,
            timing=self.timing,
            model_seed=self.model_seed,
            normalisation_target=self.normalisation_target,
        )
        extras = self._add_protocol(built, n_slots, record_spikes)
        device.apply_run_args()
        seed_array = device.get_array_name(extras["controller"].variables["rng_seed"])
        device.insert_code(
            "main",
            # one generator per OpenMP thread, as Brian2's own seed() does
            f"for (int _i = 0; _i < {self.threads}; _i++) "
            f"brian::_random_generators[_i].seed((unsigned long) brian::{seed_array}[0] + _i);",
        )
        built.network.run(
            n_slots * self.timing.slot_duration * second, namespace={}, profile=self.profile
        )
        if self.threads > 1:
            serialise_synaptic_operations(built.network)
        start = time.perf_counter()
        directory.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(directory) + ".lock"):
                # generate the sources, then compile only when their content differs from what
                # the existing binary was built from; make's own timestamp test is not relied on,
                # because a rewritten but identical file must not cost a relink
                device.build(directory=str(directory), compile=False, run=False, with_output=False)
                patch_generated_project(directory, _orders_synapses_by_delay(self.variant))
                compiled = compile_if_changed(device, directory)
        finally:
            # the flags are Brian2 preferences: leave them as they were for other code
            prefs["codegen.cpp.extra_compile_args_gcc"] = default_flags
            prefs["codegen.cpp.extra_link_args"] = default_link_flags
            prefs.devices.cpp_standalone.openmp_threads = default_threads
        elapsed = time.perf_counter() - start
        recompiled = compiled and (
            binary_mtime is None or binary.stat().st_mtime_ns != binary_mtime
        )
        self.compile_seconds[key] = elapsed if recompiled else 0.0
        self._project = _CompiledProject(key, directory, built, extras)
        return self._project

    # -- running ----------------------------------------------------------------------------
    def run_chunk(
        self, phase, images, controller, learned_state, seed, n_slots, record_spikes=False
    ):
        """Run ``n_slots`` slots in the compiled program.

        Parameters and returns are those of
        :meth:`diehl_cook.simulation.engine.Engine.run_chunk`.
        """
        from brian2 import Hz, device, volt

        project = self._project_for(phase, n_slots, record_spikes)
        built, extras = project.built, project.extras
        controller_group = extras["controller"]
        n_window = len(images)
        stimulus_values = np.zeros((n_slots + 2, self.n_input))
        # the variant's rate law at intensity 1 (1/8 Hz per pixel level by default)
        stimulus_values[:n_window] = input_rates(images, 1.0, self.rate_per_pixel)
        # Brian2 names run_args files by a hash of their content; the unique last row (never
        # read: the controller shows at most n_slots + 1 images) gives this run its own
        # stimulus file, which is deleted after the run without touching another process's
        stimulus_values[-1, 0] = uuid.uuid4().int % 2**52
        run_args = {
            extras["stimulus"]: stimulus_values * Hz,
            controller_group.position: controller.position,
            controller_group.intensity: controller.intensity,
            controller_group.retries: controller.retries,
            controller_group.pending_spikes: controller.pending_spikes,
            controller_group.n_window_images: n_window,
            controller_group.rng_seed: int(seed),
        }
        # without a learned state, the initial values compiled into the program apply
        for name, value in (learned_state or {}).items():
            owner, _, variable = name.partition(".")
            view = getattr(built[owner], variable)
            value = np.asarray(value, dtype=float)
            if owner in built.indices:
                value = built.synapse_values(owner, value)
            run_args[view] = value * (volt if view.dim == volt.dim else 1)
        results_name = f"results-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # the program reads its static arrays when it starts, and another process that
        # loads the same build rewrites them (with the same content) under this lock: hold
        # it while running, so no run starts on a half-written file.  Runs of one build are
        # therefore serialised; runs of different builds are not.
        with FileLock(str(project.directory) + ".lock"):
            try:
                device.run(
                    directory=str(project.directory),
                    results_directory=results_name,
                    with_output=False,
                    run_args=run_args,
                )
            except RuntimeError as error:  # Brian2: "Project run failed"
                raise BuildCacheError(
                    f"{project.directory}/main: the standalone program failed ({error}); "
                    "if its build is damaged, delete this folder to rebuild it"
                ) from error
        try:
            records, final_controller = self._read_records(extras, built)
            new_state = built.read_state(self.variant.saved_state)
            records.final_values = self._final_values(built)
            if self.profile:
                self.last_profile = _read_profile(
                    project.directory / results_name / "profiling_info.txt"
                )
        finally:
            shutil.rmtree(project.directory / results_name, ignore_errors=True)
            # the stimulus file is this run's own (0.6 MB per 100 slots at 784 inputs);
            # other run_args files (weights, theta) may be shared with a concurrent
            # identical run, and stay
            for name in device.run_args_arrays:
                if name.startswith("init_stimulus_values_"):
                    for path in (project.directory / "static_arrays").glob(name + "*"):
                        path.unlink(missing_ok=True)
        return records, final_controller, new_state

    def _read_records(self, extras, built):
        controller_monitor = extras["controller_monitor"]
        positions = _recorded(controller_monitor, "position")[:, 0].astype(np.int64)
        intensities = _recorded(controller_monitor, "intensity")[:, 0].astype(float)
        retries = _recorded(controller_monitor, "retries")[:, 0].astype(np.int64)
        exc_counts = _recorded(extras["exc_monitor"], "presentation_count")
        input_counts = _recorded(extras["input_monitor"], "presentation_count")
        controller_group = extras["controller"]
        final_controller = ControllerState(
            int(controller_group.position[0]),
            float(controller_group.intensity[0]),
            int(controller_group.retries[0]),
            int(np.asarray(built["exc"].presentation_count[:]).sum()),
        )
        # record k (at the start of slot k) holds slot k-1; the last slot is read from the
        # final state of the groups
        spike_trains = SpikeTrains.from_monitors(
            extras["spike_monitors"], self.timing.slot_duration
        )
        records = ChunkRecords(
            spike_trains=spike_trains,
            position=np.append(positions[1:], final_controller.position),
            intensity=np.append(intensities[1:], final_controller.intensity),
            retries=np.append(retries[1:], final_controller.retries),
            exc_counts=np.vstack(
                [exc_counts[1:], np.asarray(built["exc"].presentation_count[:])]
            ).astype(np.uint16),
            input_counts=np.vstack(
                [input_counts[1:], np.asarray(built["input"].presentation_count[:])]
            ).astype(np.uint16),
        )
        return records, final_controller
