"""The rewrites of Brian2's generated C++ (diehl_cook.simulation.source_patches).

Each rewrite is checked on code in the exact form Brian2 2.9 writes (copied from generated
projects): the original and the rewritten loop are compiled side by side into one program,
run on the same seeded values, and must give the same spike spaces and states.  Code of
another form must be left as it is.  That the patched programs give the runtime engine's
spikes is checked in tests/test_engines.py.
"""

import shutil
import subprocess

import pytest

from diehl_cook.simulation.source_patches import (
    cache_constant_exps,
    search_thresholds_by_blocks,
    skip_underflowing_exps,
)

#: Brian2 2.9's threshold loop for the Poisson input group (input_poisson.eq).
INPUT_THRESHOLD_LOOP = """    long _count = 0;
    for(size_t _idx=0; _idx<N; _idx++)
    {
        const size_t _vectorisation_idx = _idx;
                
        const double next_spike_time = _ptr_array_input_next_spike_time[_idx];
        const char _cond = (t >= next_spike_time) && _lio_1;

        if(_cond) {
            _ptr_array_input__spikespace[_count++] = _idx;
        }
    }
"""

#: Brian2 2.9's threshold loop for the refractory excitatory group (threshold_adaptive.eq).
REFRACTORY_THRESHOLD_LOOP = """    long _count = 0;
    for(size_t _idx=0; _idx<N; _idx++)
    {
        const size_t _vectorisation_idx = _idx;
                
        const char not_refractory = _ptr_array_exc_not_refractory[_idx];
        const double theta = _ptr_array_exc_theta[_idx];
        const double v = _ptr_array_exc_v[_idx];
        char _cond;
        if(!not_refractory)
            _cond = (v > (_lio_1 + theta)) && false;
        else 
            _cond = (v > (_lio_1 + theta)) && true;

        if(_cond) {
            _ptr_array_exc__spikespace[_count++] = _idx;
            _ptr_array_exc_not_refractory[_idx] = false;
            _ptr_array_exc_lastspike[_idx] = _ptr_array_defaultclock_t[0];
        }
    }
"""


def _code_object(loop, name):
    """A code object file around ``loop``, as Brian2 lays it out (scalar code, then loop)."""
    return f"void _run_{name}()\n{{\n    // scalar code\n{loop}    // after the loop\n}}\n"


def _rewrite(tmp_path, name, loop, rewrite):
    folder = tmp_path / "code_objects"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.cpp"
    path.write_text(_code_object(loop, name))
    changed = rewrite(tmp_path)
    text = path.read_text()
    start = text.index("    // scalar code\n") + len("    // scalar code\n")
    return changed, text, text[start : text.index("    // after the loop\n")]


#: Variables of the two loops, filled with a seeded generator in the C++ program below.
_HARNESS = r"""
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstddef>
static uint64_t _state = 12345;
static double uniform() { _state = _state * 6364136223846793005ULL + 1442695040888963407ULL;
                          return (double)(_state >> 11) / 9007199254740992.0; }
const int64_t N = 21;  // two blocks of 8 and a tail of 5
const int _N = N;
double next_spike_time[2][N], theta[2][N], v[2][N], lastspike[2][N];
char not_refractory[2][N];
int32_t spikespace[2][N + 1];
double clock_t_array[1] = {0.25};

void input_test(int k, double t, char _lio_1) {
    double* _ptr_array_input_next_spike_time = next_spike_time[k];
    int32_t* _ptr_array_input__spikespace = spikespace[k];
    LOOP_INPUT
    _ptr_array_input__spikespace[N] = _count;
}
void exc_test(int k, double _lio_1) {
    char* _ptr_array_exc_not_refractory = not_refractory[k];
    double* _ptr_array_exc_theta = theta[k];
    double* _ptr_array_exc_v = v[k];
    double* _ptr_array_exc_lastspike = lastspike[k];
    int32_t* _ptr_array_exc__spikespace = spikespace[k];
    double* _ptr_array_defaultclock_t = clock_t_array;
    LOOP_EXC
    _ptr_array_exc__spikespace[N] = _count;
}
void fill() {
    for (int i = 0; i < N; i++) {
        // the first block has no spike, the second several, the tail one or more
        next_spike_time[0][i] = (i < 8) ? 1.0 + uniform() : 0.2 + 0.1 * uniform();
        theta[0][i] = 0.02 * uniform();
        v[0][i] = -0.07 + 0.03 * uniform();
        lastspike[0][i] = (i % 3 == 0) ? 0.2495 : -1.0;
        not_refractory[0][i] = (i % 4 != 1) && (i >= 8);
        next_spike_time[1][i] = next_spike_time[0][i];
        theta[1][i] = theta[0][i];
        v[1][i] = v[0][i];
        lastspike[1][i] = lastspike[0][i];
        not_refractory[1][i] = not_refractory[0][i];
    }
    for (int k = 0; k < N + 1; k++) spikespace[0][k] = spikespace[1][k] = -7;
}
// prints: what, same or differ, the number of spikes of the original loop
int compare(const char* what) {
    int bad = spikespace[0][N] != spikespace[1][N];
    for (int k = 0; k < spikespace[0][N]; k++) bad |= spikespace[0][k] != spikespace[1][k];
    for (int i = 0; i < N; i++) {
        bad |= not_refractory[0][i] != not_refractory[1][i];
        bad |= lastspike[0][i] != lastspike[1][i];
        bad |= v[0][i] != v[1][i];
    }
    printf("%s %s %d\n", what, bad ? "differ" : "same", spikespace[0][N]);
    return bad;
}
int main() {
    int bad = 0;
    fill(); input_test(0, 0.25, 1); input_test(1, 0.25, 1); bad |= compare("input");
    fill(); input_test(0, 0.25, 0); input_test(1, 0.25, 0); bad |= compare("input_rest");
    fill(); exc_test(0, -0.072); exc_test(1, -0.072); bad |= compare("exc");
    return bad;
}
"""


def _compile_and_run(tmp_path, source, fast_math=True):
    """Compile ``source`` with the standalone programs' flags; its return code and output.

    With ``fast_math=False``, ``-ffast-math`` is left out: the program then keeps
    subnormal numbers (a ``-ffast-math`` program flushes them to zero at start-up).
    """
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.skip("g++ is not installed")
    path = tmp_path / "program.cpp"
    path.write_text(source)
    binary = tmp_path / "program"
    math_flags = ["-ffast-math", "-fno-finite-math-only"] if fast_math else []
    subprocess.run(
        [compiler, "-O3", *math_flags, "-march=native", "-w", str(path), "-o", str(binary)],
        check=True,
    )
    completed = subprocess.run([str(binary)], capture_output=True, text=True)
    return completed.returncode, completed.stdout


def _run_side_by_side(tmp_path, loops):
    """Compile the harness with original (k = 0) and rewritten (k = 1) loops; its output."""
    source = _HARNESS
    for marker, (original, rewritten) in loops.items():
        # the thresholders store _count after their loop: it is declared outside
        both = (
            "long _count_k;\n    if (k == 0) {\n"
            + original
            + "    _count_k = _count;\n    } else {\n"
            + rewritten
            + "    _count_k = _count;\n    }\n    long _count = _count_k;\n"
        )
        source = source.replace(marker, both)
    return _compile_and_run(tmp_path, source)


def test_thresholds_are_searched_by_blocks_and_give_the_same_spikes(tmp_path):
    changed, _, input_loop = _rewrite(
        tmp_path, "input_spike_thresholder_codeobject", INPUT_THRESHOLD_LOOP,
        search_thresholds_by_blocks,
    )  # fmt: skip
    assert changed == ["input_spike_thresholder_codeobject"]
    changed, _, exc_loop = _rewrite(
        tmp_path, "exc_spike_thresholder_codeobject", REFRACTORY_THRESHOLD_LOOP,
        search_thresholds_by_blocks,
    )  # fmt: skip
    assert changed == ["exc_spike_thresholder_codeobject"]
    for loop in (input_loop, exc_loop):
        assert "by blocks of 8 neurons" in loop
        # the test of a neuron: in the block test, the block search and the tail
        assert loop.count("const size_t _vectorisation_idx = _idx;") == 3
    returncode, output = _run_side_by_side(
        tmp_path,
        {
            "LOOP_INPUT": (INPUT_THRESHOLD_LOOP, input_loop),
            "LOOP_EXC": (REFRACTORY_THRESHOLD_LOOP, exc_loop),
        },
    )
    lines = dict((line.split()[0], line.split()[1:]) for line in output.splitlines())
    assert returncode == 0, output
    # spikes in the second block and the tail (none in the first), none during the rest
    assert int(lines["input"][1]) >= 3 and lines["input"][0] == "same"
    assert lines["input_rest"] == ["same", "0"]
    assert int(lines["exc"][1]) >= 1 and lines["exc"][0] == "same"


def test_a_threshold_that_draws_random_numbers_is_left_as_it_is(tmp_path):
    loop = INPUT_THRESHOLD_LOOP.replace(
        "(t >= next_spike_time) && _lio_1", "(_rand(_vectorisation_idx) < 0.1) && _lio_1"
    )
    changed, text, _ = _rewrite(
        tmp_path, "input_spike_thresholder_codeobject", loop, search_thresholds_by_blocks
    )
    assert changed == []
    assert text == _code_object(loop, "input_spike_thresholder_codeobject")


def test_a_threshold_loop_of_another_form_is_left_as_it_is(tmp_path):
    loop = INPUT_THRESHOLD_LOOP.replace("_count++", "_count += 1")
    changed, text, _ = _rewrite(
        tmp_path, "input_spike_thresholder_codeobject", loop, search_thresholds_by_blocks
    )
    assert changed == [] and "by blocks" not in text


#: Brian2 2.9's post-synaptic event loop of the input synapses (stdp_triplet.eq).
POST_EVENT_LOOP = """    const double t = _ptr_array_defaultclock_t[0];
    const double _lio_1 = 1.0f*1.0/tau_pre;
    {
    std::vector<int> *_spiking_synapses = input_to_exc_post.peek();
    const int _num_spiking_synapses = _spiking_synapses->size();
    {
        for(int _spiking_synapse_idx=0;
            _spiking_synapse_idx<_num_spiking_synapses;
            _spiking_synapse_idx++)
        {
            const size_t _idx = (*_spiking_synapses)[_spiking_synapse_idx];
            const size_t _vectorisation_idx = _idx;
            const int32_t _postsynaptic_idx = _ptr_array_input_to_exc__synaptic_post[_idx];
            const double post_trace_2_post = _ptr_array_exc_post_trace_2[_postsynaptic_idx];
            const double t_last_arrival = _ptr_array_input_to_exc_t_last_arrival[_idx];
            double w = _ptr_array_input_to_exc_w[_idx];
            w = _clip(w + (nu_post * (exp(_lio_1 * (- (t - t_last_arrival))) * post_trace_2_post)), 0, w_max);
            _ptr_array_input_to_exc_w[_idx] = w;
        }
    }
    }
"""  # noqa: E501

#: The harness: original (``k == 0``) and rewritten (``k == 1``) event loops on the same
#: synapses, and the two ``exp`` on a fine grid across glibc's underflow threshold.
_EXP_HARNESS = r"""
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>
HELPER
static double _clip(double x, double low, double high)
{ return x < low ? low : (x > high ? high : x); }
struct Queue { std::vector<int> spiking; std::vector<int>* peek() { return &spiking; } };
const int n_synapses = 4000;
const double nu_post = 0.01, tau_pre = 0.02, w_max = 1.0;
Queue input_to_exc_post;
double post_trace[2][10], t_last_arrival[2][n_synapses], w[2][n_synapses];
int32_t synaptic_post[n_synapses];
double clock_t_array[1] = {0.35};
void event_test(int k) {
    double* _ptr_array_defaultclock_t = clock_t_array;
    double* _ptr_array_exc_post_trace_2 = post_trace[k];
    double* _ptr_array_input_to_exc_t_last_arrival = t_last_arrival[k];
    double* _ptr_array_input_to_exc_w = w[k];
    int32_t* _ptr_array_input_to_exc__synaptic_post = synaptic_post;
    if (k == 0) {
LOOP_ORIGINAL
    } else {
LOOP_REWRITTEN
    }
}
static bool same_bits(double a, double b)
{ return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }
int main() {
    // the trace arguments -(t - t_last_arrival)/tau_pre run from -1100 to 0, so a slot's
    // reset (a thousand time constants back) and ordinary arrivals are both covered
    for (int i = 0; i < n_synapses; i++) {
        synaptic_post[i] = i % 10;
        t_last_arrival[0][i] = t_last_arrival[1][i] = 0.35 - tau_pre * 1100.0 * i / n_synapses;
        w[0][i] = w[1][i] = 0.5 + 0.4 * std::sin(0.1 * i);
        input_to_exc_post.spiking.push_back((7 * i) % n_synapses);
    }
    for (int j = 0; j < 10; j++) post_trace[0][j] = post_trace[1][j] = 0.3 + 0.1 * j;
    event_test(0); event_test(1);
    int bad = 0, changed = 0;
    for (int i = 0; i < n_synapses; i++) {
        bad |= !same_bits(w[0][i], w[1][i]);
        changed += w[0][i] != 0.5 + 0.4 * std::sin(0.1 * i);
    }
    printf("loop %s %d\n", bad ? "differ" : "same", changed);
    // exp itself, every 2e-5 across [-760, -700], and the special values
    int differ = 0, zero = 0, nonzero = 0;
    for (long i = 0; i <= 3000000; i++) {
        const double x = -760.0 + 2e-5 * i;
        const double a = exp(x), b = _diehl_cook_exp(x);
        differ += !same_bits(a, b);
        zero += a == 0.0;
        nonzero += a != 0.0;
    }
    const double special[] = {-746.0, std::nextafter(-746.0, 0.0), -745.1332191019412,
                              -745.13321910194122, -1e308,
                              -std::numeric_limits<double>::infinity(),
                              std::numeric_limits<double>::quiet_NaN(), 0.0, -0.0, 1.0};
    for (double x : special) differ += !same_bits(exp(x), _diehl_cook_exp(x));
    printf("exp %d %d %d\n", differ, zero, nonzero);
    return bad || differ;
}
"""


def test_underflowing_exps_of_synaptic_events_give_the_same_values(tmp_path):
    changed, text, loop = _rewrite(
        tmp_path, "input_to_exc_post_codeobject", POST_EVENT_LOOP, skip_underflowing_exps
    )
    assert changed == ["input_to_exc_post_codeobject"]
    assert "_diehl_cook_exp(_lio_1 * (- (t - t_last_arrival)))" in loop
    assert " exp(" not in loop
    helper = text[: text.index("void _run_")]
    assert "static inline double _diehl_cook_exp" in helper
    source = (
        _EXP_HARNESS.replace("HELPER", helper)
        .replace("LOOP_ORIGINAL", POST_EVENT_LOOP)
        .replace("LOOP_REWRITTEN", loop)
    )
    # glibc's exp is 0 below -708.40 with subnormals flushed (-ffast-math, the programs'
    # flags) and below -745.13 without: the grid crosses the threshold either way
    for fast_math, first_nonzero in ((True, -708.4), (False, -745.14)):
        returncode, output = _compile_and_run(tmp_path, source, fast_math)
        assert returncode == 0, output
        lines = dict((line.split()[0], line.split()[1:]) for line in output.splitlines())
        # the loop changed the weights of recent arrivals, identically in both versions
        assert lines["loop"][0] == "same" and int(lines["loop"][1]) > 100
        differ, zero, nonzero = map(int, lines["exp"])
        assert differ == 0
        assert zero == pytest.approx((first_nonzero + 760.0) / 2e-5, abs=2000)
        assert zero + nonzero == 3_000_001


def test_exps_outside_synaptic_events_are_left_as_they_are(tmp_path):
    loop = "    const double _lio_2 = exp(1.0f*(- dt)/tau_g_exc);\n"
    changed, text, _ = _rewrite(
        tmp_path, "exc_stateupdater_codeobject", loop, skip_underflowing_exps
    )
    assert changed == [] and text == _code_object(loop, "exc_stateupdater_codeobject")
    # std::exp, _exp and methods named exp are not the C library's exp
    loop = POST_EVENT_LOOP.replace("(exp(", "(std::exp(")
    changed, text, _ = _rewrite(
        tmp_path, "input_to_exc_post_codeobject", loop, skip_underflowing_exps
    )
    assert changed == [] and "_diehl_cook_exp" not in text


#: Brian2 2.9's constants and scalar code of the inhibitory state updater (lif_inh.eq).
STATEUPDATER_SCALAR_CODE = """    const double E_exc = 0.0;
const double E_inh = - 0.085;
const double tau_g_exc = 0.001;
const double tau_g_inh = 0.002;
const double tau_membrane = 0.01;
const double v_rest = - 0.06;
    const double dt = _ptr_array_defaultclock_dt[0];
    const double t = _ptr_array_defaultclock_t[0];
    const double _lio_2 = exp(1.0f*(- dt)/tau_g_exc);
    const double _lio_3 = exp(1.0f*(- dt)/tau_g_inh);
    const double _lio_4 = 1.0f*E_exc/tau_membrane;
    const double _lio_9 = exp(1.0f*(- t)/tau_g_inh);
    const double _lio_10 = exp(1.0f*(- dt)/tau_array);
"""

_CACHE_HARNESS = r"""
#include <cmath>
#include <cstdio>
#include <cstring>
double tau_array = 0.003;
double values(int k, double dt_value, double t_value, int which) {
    double _ptr_array_defaultclock_dt[1] = {dt_value};
    double _ptr_array_defaultclock_t[1] = {t_value};
    if (k == 0) {
ORIGINAL
        const double all[] = {_lio_2, _lio_3, _lio_4, _lio_9, _lio_10};
        return all[which];
    } else {
REWRITTEN
        const double all[] = {_lio_2, _lio_3, _lio_4, _lio_9, _lio_10};
        return all[which];
    }
}
int main() {
    // dt changes and comes back, t moves, the array constant changes between calls
    const double dts[] = {5e-4, 5e-4, 1e-4, 1e-4, 5e-4, 2.5e-5};
    int differ = 0, calls = 0;
    for (int step = 0; step < 6; step++) {
        tau_array = 0.003 * (step + 1);
        for (int which = 0; which < 5; which++) {
            double a = values(0, dts[step], 0.001 * step, which);
            double b = values(1, dts[step], 0.001 * step, which);
            differ += std::memcmp(&a, &b, sizeof a) != 0;
            calls++;
        }
    }
    printf("cache %d %d\n", differ, calls);
    return differ != 0;
}
"""


def test_constant_exps_are_cached_and_give_the_same_values(tmp_path):
    changed, _, code = _rewrite(
        tmp_path, "inh_stateupdater_codeobject", STATEUPDATER_SCALAR_CODE, cache_constant_exps
    )
    assert changed == ["inh_stateupdater_codeobject"]
    # the two exp of dt and literal constants are cached; those of t and of an array are not
    assert code.count("cache_constant_exps") == 2
    assert "static double _lio_2_dt, _lio_2_value;" in code
    assert "static double _lio_3_dt, _lio_3_value;" in code
    assert "const double _lio_9 = exp(1.0f*(- t)/tau_g_inh);" in code
    assert "const double _lio_10 = exp(1.0f*(- dt)/tau_array);" in code
    source = _CACHE_HARNESS.replace("ORIGINAL", STATEUPDATER_SCALAR_CODE).replace(
        "REWRITTEN", code
    )
    returncode, output = _compile_and_run(tmp_path, source)
    assert returncode == 0, output
    assert output.split() == ["cache", "0", "30"]


def test_code_without_the_clock_dt_is_left_as_it_is(tmp_path):
    loop = STATEUPDATER_SCALAR_CODE.replace(
        "    const double dt = _ptr_array_defaultclock_dt[0];\n", "    const double dt = 1e-4;\n"
    )
    changed, text, _ = _rewrite(tmp_path, "inh_stateupdater_codeobject", loop, cache_constant_exps)
    assert changed == [] and text == _code_object(loop, "inh_stateupdater_codeobject")


def test_a_project_without_brian2s_cpu_files_is_left_as_it_is(tmp_path):
    # the layout of a Brian2CUDA project (docs/gpu_device.md): network.cu, .cu code objects
    # and a spikequeue.h of another form; nothing is Brian2 2.9's cpp_standalone code
    from diehl_cook.simulation.source_patches import patch_generated_project

    (tmp_path / "code_objects").mkdir()
    (tmp_path / "brianlib").mkdir()
    files = {
        "network.cu": "void Network::run() {}\n",
        "code_objects/input_thresholder_codeobject.cu": INPUT_THRESHOLD_LOOP,
        "brianlib/spikequeue.h": "class CudaSpikeQueue {};\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    changes = patch_generated_project(tmp_path, runs_of_equal_delay=True)
    assert changes == {
        "network.cpp": False,
        "spikequeue.h": False,
        "thresholders": [],
        "underflowing exps": [],
        "constant exps": [],
    }
    assert {name: (tmp_path / name).read_text() for name in files} == files
    (tmp_path / "brianlib" / "spikequeue.h").unlink()
    assert patch_generated_project(tmp_path, runs_of_equal_delay=False)["spikequeue.h"] is False
