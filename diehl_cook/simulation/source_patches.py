"""Changes to the C++ that Brian2 generates for a standalone program, each exact or nearly so.

Brian2's ``cpp_standalone`` device writes a project (``network.cpp``, ``brianlib/``,
``code_objects/``) and compiles it.  Between the two,
:class:`diehl_cook.simulation.standalone.StandaloneEngine` applies the functions of this
module.  Each one recognises the code of one Brian2 template
by its exact text (Brian2 2.9's), rewrites it, and leaves code of any other form as it is,
so a Brian2 version that writes its code differently loses the speed, not the correctness.
Each docstring says why the rewritten code computes what the original computed, and what
the change measured here.  ``tests/test_source_patches.py`` checks the rewrites on
hand-written code, and the engine tests check that the patched programs give the runtime
engine's spikes.
"""

import re
from pathlib import Path

__all__ = [
    "cache_constant_exps",
    "patch_generated_project",
    "patch_spike_queue",
    "read_cpu_clock_once",
    "search_thresholds_by_blocks",
    "serialise_synaptic_operations",
    "skip_underflowing_exps",
]


#: Brian2's ``parallel-static`` OpenMP pragma (``brian2.devices.cpp_standalone.codeobject``).
_OPENMP_PARALLEL_FOR = "#pragma omp parallel for schedule(static)"


def serialise_synaptic_operations(network):
    """Run the ``run_regularly`` operations of Synapses on one OpenMP thread.

    Brian2 runs a synaptic ``run_regularly`` as a parallel loop over synapses.  Where it
    writes a pre- or postsynaptic variable (``weight_sum_post += w`` of the normalisation,
    ``pending_spikes_post += presentation_count_pre`` of the spike counter), threads that
    hold synapses onto the same neuron race, and additions are lost: measured here, a sum
    over 2,000 synapses per neuron, 1,000 times, with 2 threads came out 4% and 30% short
    in two runs.  (Synaptic events are safe: Brian2 runs those that write neuron variables
    on the master thread.)  These operations run once per slot, so their loop is made
    serial by removing the pragma from their generated code before it is written.  Call
    after ``network.run`` and before ``device.build``.

    Parameters
    ----------
    network : brian2.Network
        The network whose code objects the standalone device generated.

    Returns
    -------
    list of str
        The code objects changed.
    """
    from brian2 import Synapses
    from brian2.groups.group import CodeRunner

    changed = []
    for runner in network.sorted_objects:
        if type(runner) is not CodeRunner or runner.template != "stateupdate":
            continue  # run_regularly operations are plain CodeRunners
        if not isinstance(runner.group, Synapses):
            continue
        for code_object in runner.code_objects:
            code = code_object.code.cpp_file
            if _OPENMP_PARALLEL_FOR in code:
                code_object.code.cpp_file = code.replace(
                    _OPENMP_PARALLEL_FOR, "// serial (diehl_cook: sums over synapses)"
                )
                changed.append(code_object.name)
    return changed


#: The clock read that Brian2's ``Network::run`` (``network.cpp``, without OpenMP) makes
#: after every time step, to compare with a ``maximum_run_time`` this package never sets.
_PER_STEP_CPU_CLOCK = (
    "current = std::clock();\n"
    "        elapsed_realtime = (double)(current - start)/(1 * CLOCKS_PER_SEC);"
)
_AFTER_LOOP = "    Network::_globally_running = false;\n"


def read_cpu_clock_once(directory):
    """Move the per-step CPU-clock read of ``network.cpp`` after the simulation loop.

    ``std::clock()`` is a system call (``clock_gettime`` of the process CPU time, about 17%
    of the program's ``perf`` samples in a 100-neuron training phase here).  The elapsed
    time it feeds is used only for ``maximum_run_time`` (not used) and for the run time
    Brian2 reports, which is computed once after the loop instead.  Call after
    ``device.build(compile=False)``.
    A ``network.cpp`` of another form (OpenMP, another Brian2 version) is left as it is.

    Parameters
    ----------
    directory : pathlib.Path
        The generated project.

    Returns
    -------
    bool
        Whether ``network.cpp`` was changed (False where the project has none).
    """
    path = Path(directory) / "network.cpp"
    if not path.is_file():
        return False  # not a cpp_standalone project (Brian2CUDA writes network.cu)
    source = path.read_text()
    if source.count(_PER_STEP_CPU_CLOCK) != 1 or source.count(_AFTER_LOOP) != 1:
        return False
    source = source.replace(_PER_STEP_CPU_CLOCK, "// CPU clock read once, after the loop")
    source = source.replace(
        _AFTER_LOOP,
        _AFTER_LOOP + "    elapsed_realtime = (double)(std::clock() - start)/CLOCKS_PER_SEC;\n",
    )
    path.write_text(source)
    return True


#: The inner loop of Brian2's ``CSpikeQueue::push`` (``brianlib/spikequeue.h``) for
#: synapses with different delays: one ``%`` and one ``push_back`` per synapse.
_PUSH_PER_SYNAPSE = (
    "                for(int idx_indices=0; idx_indices<num_indices; idx_indices++)\n"
    "                {\n"
    "                    const int synaptic_index = cur_indices[idx_indices];\n"
    "                    int delay = rdelays[synaptic_index];\n"
    "                    queue[(offset+delay)%queue.size()].push_back(synaptic_index);\n"
    "                }\n"
)
#: The same loop without the ``%``: ``offset`` and every delay are below the queue's length
#: (``CSpikeQueue::ensure_delay``), so their sum wraps at most once and one subtraction
#: finds the position that ``%`` found.
_PUSH_PER_SYNAPSE_WITHOUT_MODULO = """                // diehl_cook: no division
                const int queue_size = queue.size();
                for(int idx_indices=0; idx_indices<num_indices; idx_indices++)
                {
                    const int synaptic_index = cur_indices[idx_indices];
                    int position = offset+rdelays[synaptic_index];
                    if(position>=queue_size)
                        position -= queue_size;
                    queue[position].push_back(synaptic_index);
                }
"""
_PUSH_PER_RUN = """                // diehl_cook: one append per run of synapses with equal delays
                const int queue_size = queue.size();
                int idx_run = 0;
                while(idx_run<num_indices)
                {
                    const int synaptic_index = cur_indices[idx_run];
                    const int delay = rdelays[synaptic_index];
                    int idx_end = idx_run+1;
                    while(idx_end<num_indices && rdelays[cur_indices[idx_end]]==delay)
                        idx_end++;
                    int position = offset+delay;
                    if(position>=queue_size)
                        position -= queue_size;
                    vector<int32_t> &run_queue = queue[position];
                    if(idx_end-idx_run<16)  // short runs: insert costs more
                        for(int idx=idx_run; idx<idx_end; idx++)
                            run_queue.push_back(cur_indices[idx]);
                    else
                        run_queue.insert(run_queue.end(), cur_indices+idx_run,
                                         cur_indices+idx_end);
                    idx_run = idx_end;
                }
"""


def patch_spike_queue(directory, runs_of_equal_delay):
    """Replace the per-synapse loop of Brian2's spike queue by a cheaper, equivalent one.

    For a spike of a source whose synapses have different delays, ``CSpikeQueue::push``
    (``brianlib/spikequeue.h``) appends each synapse to the queue of its delay, with one
    ``%`` (an integer division) and one ``push_back`` per synapse.  Every program gets the
    loop without the division: the position wraps at most once, so one subtraction gives
    the same position.  With ``runs_of_equal_delay`` the loop also finds runs of
    consecutive synapses with the same delay and appends each run of 16 or more with one
    ``insert``, shorter ones synapse by synapse (with ``insert`` for every run, a 100-neuron
    slot was about 30% slower).  That is for programs with ``synapse_order = "pre_delay"``
    (:func:`diehl_cook.model.builder.connection_order`), where a source's synapses form one
    run per delay step: in Brian2's order the runs are one or two synapses long, and the
    search for them made a 100-neuron training slot about 14% slower here.  Either way
    every queue receives the same synapses in the same order, so the program computes
    exactly what it did.  Call after ``device.build(compile=False)``.  A ``spikequeue.h`` of
    another form (another Brian2 version) is left as it is.

    Parameters
    ----------
    directory : pathlib.Path
        The generated project.
    runs_of_equal_delay : bool
        Append runs of equal delays at once (for ``synapse_order = "pre_delay"``).

    Returns
    -------
    bool
        Whether ``brianlib/spikequeue.h`` was changed (False where the project has none).
    """
    path = Path(directory) / "brianlib" / "spikequeue.h"
    if not path.is_file():
        return False
    source = path.read_text()
    if source.count(_PUSH_PER_SYNAPSE) != 1:
        return False
    loop = _PUSH_PER_RUN if runs_of_equal_delay else _PUSH_PER_SYNAPSE_WITHOUT_MODULO
    path.write_text(source.replace(_PUSH_PER_SYNAPSE, loop))
    return True


#: The spike search of Brian2's threshold template (``threshold.cpp``) for a group whose
#: threshold has no side effects (no refractoriness): the body computes ``_cond`` for one
#: neuron, and a branch appends a spiking neuron to the spike space.
_THRESHOLD_LOOP = re.compile(
    r"    long _count = 0;\n"
    r"    for\(size_t _idx=0; _idx<N; _idx\+\+\)\n"
    r"    \{\n"
    r"(?P<body>(?:(?!        if\(_cond\)).*\n)*?)"
    r"(?P<branch>        if\(_cond\) \{\n"
    r"            _ptr_array_\w+__spikespace\[_count\+\+\] = _idx;\n"
    r"(?:            .*\n)*?"
    r"        \}\n)"
    r"    \}\n"
)
#: The same search by blocks of 8 neurons: a first loop tells whether any neuron of the
#: block spikes, and only such a block is searched.  GCC 12 vectorises the first loop (one
#: vector comparison for the block) only when it is not unrolled and ``_any`` is an int;
#: unrolled, it makes 8 scalar comparisons (a micro-benchmark of the input test here: 0.19
#: us per step against 0.32 us unrolled and 0.48 us for Brian2's loop).
_THRESHOLD_LOOP_BY_BLOCKS = """    long _count = 0;
    // diehl_cook: by blocks of 8 neurons; a block without a spike is not searched
    size_t _block = 0;
    for(; _block+8<=N; _block+=8)
    {{
        int _any = 0;
        #pragma GCC unroll 1
        for(size_t _idx=_block; _idx<_block+8; _idx++)
        {{
{body}            _any |= _cond;
        }}
        if(!_any)
            continue;
        for(size_t _idx=_block; _idx<_block+8; _idx++)
        {{
{body}{block_branch}        }}
    }}
    for(size_t _idx=_block; _idx<N; _idx++)
    {{
{tail_body}{branch}    }}
"""


def _indented(code):
    """``code`` (lines ending in newlines) indented by four more spaces."""
    return "".join(f"    {line}\n" if line.strip() else "\n" for line in code.splitlines())


def search_thresholds_by_blocks(directory):
    """Search the thresholders for spikes block by block instead of neuron by neuron.

    Brian2's threshold loop tests every neuron and branches for each one that spikes; for
    a Poisson input group the branch is taken at random, about once per input spike, and
    mispredicted.  With 784 inputs tested every 0.5 ms step, that loop took about 20% of
    the program's ``perf`` samples in a 100-neuron training phase here.  Searched by blocks
    of 8, a block with no spike costs one vectorised test; a block with a spike runs the
    original loop body for its 8 neurons.  The test of one neuron reads only that neuron's
    variables, and the branch writes only that neuron's (``not_refractory``,
    ``lastspike`` of a refractory group), so the first pass sees what the original loop
    saw: the spike space receives the same neurons in the same order, and the program
    computes what it did.  A thresholder whose test draws random numbers or writes arrays
    (the test is evaluated twice in a block with a spike) keeps its code, as does one of
    another form (another Brian2 version).  Call after ``device.build(compile=False)``.

    Parameters
    ----------
    directory : pathlib.Path
        The generated project.

    Returns
    -------
    list of str
        The code objects changed.
    """
    return _rewrite_code_objects(directory, _thresholds_by_blocks, "*_thresholder_codeobject.cpp")


def _thresholds_by_blocks(source):
    """``source`` with its threshold loop searched by blocks, or None to keep it."""
    match = _THRESHOLD_LOOP.search(source)
    if match is None or len(_THRESHOLD_LOOP.findall(source)) != 1:
        return None
    body_lines = match["body"].splitlines()
    if any("rand" in line or "] =" in line for line in body_lines):
        return None
    blocked = _THRESHOLD_LOOP_BY_BLOCKS.format(
        body=_indented(match["body"]),
        block_branch=_indented(match["branch"]),
        tail_body=match["body"],
        branch=match["branch"],
    )
    return source[: match.start()] + blocked + source[match.end() :]


#: A call of the C library's ``exp`` (not of ``_exp``, ``std::exp`` or a method ``.exp``).
_EXP_CALL = re.compile(r"(?<![\w.:])exp\(")
#: The start of a code object's first function (``void _run_...``), where the helper goes.
_FIRST_RUN_FUNCTION = re.compile(r"^void _run_", re.M)
#: Every double below this rounds to +0 in glibc's ``exp`` (which returns 0 for
#: x < -745.1332191019412, the log of half the smallest subnormal double).
_EXP_ZERO_BELOW = -746.0
_EXP_OR_ZERO = f"""// diehl_cook: exp without glibc's underflow path (skip_underflowing_exps)
static inline double _diehl_cook_exp(const double x)
{{
    return x < {_EXP_ZERO_BELOW} ? 0.0 : exp(x);
}}

"""


def skip_underflowing_exps(directory):
    """Return 0 for the ``exp`` of synaptic events whose result underflows, without calling it.

    The post-synaptic pathway of the input synapses reads the pre-synaptic trace as
    ``exp(-(t - t_last_arrival)/tau_pre)``, and every slot starts with ``t_last_arrival``
    a thousand time constants back (the trace is 0).  So at each excitatory spike most of
    the 784 synapses evaluate ``exp(-1000)`` or less, which glibc computes in its slow
    underflow path (special case, errno).  In a 100-neuron training phase here the scalar
    ``exp`` was about 7% of the program's ``perf`` samples.  In the code objects that
    process synaptic events (the ones that read ``_spiking_synapses``; they are scalar
    loops, never vectorised), each ``exp(x)`` becomes ``x < -746 ? 0.0 : exp(x)``.  glibc
    returns +0 for every ``x`` below -745.133... (below -708.40 once ``-ffast-math``
    flushes subnormals to zero, as in these programs), NaN fails the comparison and still
    goes to ``exp``, so every call gives the value it gave: the program computes exactly
    what it did.  Call after ``device.build(compile=False)``.

    Parameters
    ----------
    directory : pathlib.Path
        The generated project.

    Returns
    -------
    list of str
        The code objects changed.
    """
    return _rewrite_code_objects(directory, _exps_without_underflow)


def _exps_without_underflow(source):
    """``source`` with the ``exp`` calls of its functions skipping underflow, or None."""
    first_function = _FIRST_RUN_FUNCTION.search(source)
    if "_spiking_synapses" not in source or first_function is None:
        return None
    functions = source[first_function.start() :]
    rewritten = _EXP_CALL.sub("_diehl_cook_exp(", functions)
    if rewritten == functions:
        return None
    return source[: first_function.start()] + _EXP_OR_ZERO + rewritten


#: A loop-invariant ``exp`` of Brian2's scalar code, e.g.
#: ``    const double _lio_2 = exp(1.0f*(- dt)/tau_g_exc);``
_CONSTANT_EXP = re.compile(
    r"^    const double (?P<name>_lio_\d+) = exp\((?P<argument>.*)\);$", re.M
)
#: A compile-time constant of a code object's ``CONSTANTS`` block: a name and a literal.
_LITERAL_CONSTANT = re.compile(
    r"^\s*const (?:double|float|int64_t|int32_t) (?P<name>\w+) = "
    r"(?P<value>[-+ ]*[0-9][0-9.eE+-]*f?);$",
    re.M,
)
#: A name in an expression (not the ``f`` of ``1.0f`` nor the exponent of ``1e-3``).
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_CACHED_EXP = """    // diehl_cook: computed once per value of dt (cache_constant_exps)
    static bool {name}_known = false;
    static double {name}_dt, {name}_value;
    if(!{name}_known || {name}_dt != dt)
    {{
        {name}_value = exp({argument});
        {name}_dt = dt;
        {name}_known = true;
    }}
    const double {name} = {name}_value;"""


def cache_constant_exps(directory):
    """Compute the ``exp`` of time constants once, not at every time step.

    Brian2 hoists ``exp(-dt/tau)`` out of the loop over neurons (a ``_lio_`` constant of the
    scalar code) but still computes it at every step: the excitatory and inhibitory state
    updaters call the scalar ``exp`` 7 times per 0.5 ms step, about 3% of a 100-neuron
    training program's ``perf`` samples here.  A ``_lio_`` constant whose argument names
    only ``dt`` and literal constants of its code object (``const double tau_g_exc =
    0.001;``) is kept in a static variable and recomputed, by the same expression, whenever
    ``dt`` differs from the ``dt`` it was computed for.  Its inputs are then the same as at
    every step, so it has the value Brian2's code gave it.  An argument naming anything
    else (``t``, an array, a run argument) keeps Brian2's code.  Call after
    ``device.build(compile=False)``.

    Parameters
    ----------
    directory : pathlib.Path
        The generated project.

    Returns
    -------
    list of str
        The code objects changed.
    """
    return _rewrite_code_objects(directory, _constant_exps_cached)


def _constant_exps_cached(source):
    """``source`` with its ``exp`` of ``dt`` and literal constants cached, or None."""
    if "const double dt = _ptr_array_defaultclock_dt[0];" not in source:
        return None
    literals = {match["name"] for match in _LITERAL_CONSTANT.finditer(source)} | {"dt"}

    def cached(match):
        if not set(_NAME.findall(match["argument"])) <= literals:
            return match[0]
        return _CACHED_EXP.format(name=match["name"], argument=match["argument"])

    return _CONSTANT_EXP.sub(cached, source)


def _rewrite_code_objects(directory, rewrite, pattern="*.cpp"):
    """Apply ``rewrite`` to the code objects of a generated project.

    Parameters
    ----------
    directory : pathlib.Path
        The generated project.
    rewrite : callable
        Takes a code object's source (str) and returns the new source, or None (or the
        same source) to keep it.
    pattern : str
        The code objects' file names (a glob under ``code_objects/``).

    Returns
    -------
    list of str
        The code objects changed, in file name order.
    """
    changed = []
    for path in sorted((Path(directory) / "code_objects").glob(pattern)):
        source = path.read_text()
        rewritten = rewrite(source)
        if rewritten is not None and rewritten != source:
            path.write_text(rewritten)
            changed.append(path.stem)
    return changed


def patch_generated_project(directory, runs_of_equal_delay):
    """Apply every source change of this module to a generated project.

    Call after ``device.build(compile=False)`` and before compiling.

    Parameters
    ----------
    directory : pathlib.Path
        The generated project.
    runs_of_equal_delay : bool
        Passed to :func:`patch_spike_queue`.

    Returns
    -------
    dict of str to object
        What each change did: ``network.cpp`` and ``spikequeue.h`` changed (bool), the
        thresholders changed, the synaptic code objects whose ``exp`` calls skip the
        underflow, and the code objects whose constant ``exp`` are cached (lists of code
        object names).
    """
    return {
        "network.cpp": read_cpu_clock_once(directory),
        "spikequeue.h": patch_spike_queue(directory, runs_of_equal_delay),
        "thresholders": search_thresholds_by_blocks(directory),
        "underflowing exps": skip_underflowing_exps(directory),
        "constant exps": cache_constant_exps(directory),
    }
