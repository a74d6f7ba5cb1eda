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

from diehl_cook.simulation.source_patches import search_thresholds_by_blocks

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


def _run_side_by_side(tmp_path, loops):
    """Compile the harness with original (k = 0) and rewritten (k = 1) loops; its output."""
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.skip("g++ is not installed")
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
    path = tmp_path / "side_by_side.cpp"
    path.write_text(source)
    binary = tmp_path / "side_by_side"
    # the flags of the standalone programs (diehl_cook.simulation.build_cache)
    subprocess.run(
        [compiler, "-O3", "-ffast-math", "-fno-finite-math-only", "-march=native", "-w",
         str(path), "-o", str(binary)],
        check=True,
    )  # fmt: skip
    completed = subprocess.run([str(binary)], capture_output=True, text=True)
    return completed.returncode, completed.stdout


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
