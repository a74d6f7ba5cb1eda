"""The cache of compiled standalone programs: build folders, their keys and compiler flags.

A program is compiled once per variant, phase, network shape, chunk length and recording
choice, into a folder under :func:`default_build_root` named by :func:`build_key`.  It is
reused when the generated sources are unchanged, judged by a content digest of the sources
(:func:`source_digest`, with the order of Brian2's clock resets normalised) rather than by
make's timestamps.  The cache can be deleted at any time.
"""

import hashlib
import json
import os
import re
import warnings
from pathlib import Path

from ..atomic import atomic_write_text
from ..errors import BuildCacheError, DiehlCookWarning

__all__ = [
    "STAMP_NAME",
    "build_key",
    "compile_if_changed",
    "compiler_flags",
    "default_build_root",
    "linker_flags",
    "source_digest",
]

#: file in a build folder holding the digest of the sources its binary was compiled from
STAMP_NAME = "diehl_cook-build-digest.txt"


def source_digest(directory):
    """Digest of the generated C++ sources and makefile of a standalone project.

    Parameters
    ----------
    directory : pathlib.Path
        The project folder.

    Returns
    -------
    str
        Hex sha256 of the makefile and every ``.cpp``, ``.cu`` (Brian2CUDA) and ``.h`` file
        (by relative path and content); static arrays are excluded because the program
        reads them at run time.
    """
    digest = hashlib.sha256()
    paths = [directory / "makefile"]
    paths += sorted(p for p in directory.rglob("*") if p.suffix in (".cpp", ".cu", ".h"))
    for path in paths:
        content = path.read_text()
        if path.name == "main.cpp":
            content = _canonical_clock_resets(content)
        digest.update(str(path.relative_to(directory)).encode() + b"\0")
        digest.update(content.encode() + b"\0")
    return digest.hexdigest()


_CLOCK_RESET_LINE = re.compile(r"^\s*_array_\w+_(timestep|t)\[0\] = [^;]+;\s*$")


def _canonical_clock_resets(source):
    """Sort each block of consecutive clock-reset lines of a generated ``main.cpp``.

    Brian2 writes the lines that reset every clock's ``t`` and ``timestep`` in the iteration
    order of a set of clocks, which differs between processes (measured here: one new
    process in three wrote them in another order, and make then relinked the program).
    The order of these assignments has no effect, so it is removed before hashing.
    """
    lines = source.splitlines()
    canonical, block = [], []
    for line in lines:
        if _CLOCK_RESET_LINE.match(line):
            block.append(line)
            continue
        canonical.extend(sorted(block))
        block = []
        canonical.append(line)
    canonical.extend(sorted(block))
    return "\n".join(canonical)


#: GCC gives up vectorising a loop when proving its arrays distinct needs more than 10
#: run-time checks.  The excitatory state updater reads and writes 8 arrays (v, theta, two
#: conductances, two traces, lastspike, not_refractory), so with the default it stays a
#: scalar loop with one scalar ``exp`` per neuron and step; with this limit it is vectorised
#: like the inhibitory one (``-fopt-info-vec``).
VECTORISER_ALIAS_CHECKS = "--param=vect-max-version-for-alias-checks=100"


def compiler_flags():
    """C++ compiler flags of the standalone programs.

    Brian2's defaults without ``-fno-finite-math-only``: with the full ``-ffast-math``, GCC
    calls glibc's vector ``exp`` (libmvec) in the state updaters, which made a training slot
    about 19% faster here (5.5 -> 4.5 ms, 100 neurons).  The generated code never produces
    or tests infinities or NaNs: every time and trace is finite (``rate_floor`` keeps the
    inter-spike intervals finite, arrival times are reset to finite values).  Plus
    :data:`VECTORISER_ALIAS_CHECKS`, so that the excitatory state updater is vectorised too.

    Returns
    -------
    list of str
    """
    from brian2 import prefs

    return [
        flag
        for flag in prefs["codegen.cpp.extra_compile_args_gcc"]
        if flag != "-fno-finite-math-only"
    ] + [VECTORISER_ALIAS_CHECKS]


def linker_flags():
    """Linker flags of the standalone programs: Brian2's defaults plus ``-ffast-math``.

    GCC links ``crtfastmath.o`` only when the link step has ``-ffast-math``; its start-up code
    sets flush-to-zero and denormals-are-zero.  Without it, the traces and conductances of
    neurons silent for some seconds decay into the subnormal range, where x86 arithmetic is
    about 100 times slower: a training image took 15.6 ms without the flag and 5.7-6.6 ms with
    it, with identical spikes (``../shared/reference/standalone-findings.md`` section 5).
    Flushing changes only values below 2.2e-308, which the model never distinguishes from 0.

    Returns
    -------
    list of str
    """
    from brian2 import prefs

    flags = list(prefs["codegen.cpp.extra_link_args"])
    if "-ffast-math" not in flags:
        flags.append("-ffast-math")
    return flags


def default_build_root():
    """Folder that holds compiled standalone projects.

    ``$DIEHL_COOK_BUILD_DIR`` if set, else ``~/.cache/diehl_cook/standalone``.
    """
    configured = os.environ.get("DIEHL_COOK_BUILD_DIR")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "diehl_cook" / "standalone"


def build_key(variant, phase, n_input, n_exc, n_slots, timing, settings, model_seed):
    """Hash of everything that changes the generated code or its compiled-in constants.

    Parameters
    ----------
    variant : diehl_cook.model.Variant
    phase : {"train", "frozen"}
    n_input, n_exc, n_slots : int
    timing : SlotTiming
    settings : diehl_cook.simulation.protocol.ProtocolSettings
    model_seed : int
        Seed of the delays (compiled in as static arrays).

    Returns
    -------
    str
        16 hex digits.
    """
    import brian2

    digest = hashlib.sha256()
    files = [variant.path, variant.parameters_path]
    for group_roles in variant.roles.values():
        files.extend(path for path in group_roles[phase].values() if path is not None)
    for path in files:
        digest.update(str(Path(path).name).encode())
        digest.update(Path(path).read_bytes())
    description = {
        "phase": phase,
        "n_input": n_input,
        "n_exc": n_exc,
        "n_slots": n_slots,
        "timing": [timing.dt, timing.presentation, timing.rest]
        + ([timing.rest_shortcut] if timing.rest_shortcut else []),
        "settings": repr(settings),
        "model_seed": model_seed,
        "parameter_overrides": {
            key: str(value) for key, value in variant.parameter_overrides.items()
        },
        "brian2": brian2.__version__,
        "compiler_flags": compiler_flags(),
        "linker_flags": linker_flags(),
        "roles": {
            group: {role: str(path) for role, path in roles[phase].items()}
            for group, roles in variant.roles.items()
        },
    }
    digest.update(json.dumps(description, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def compile_if_changed(device, directory):
    """Compile a generated project unless its binary was built from the same sources.

    Call with the build folder's lock held, after ``device.build(compile=False)``.

    Parameters
    ----------
    device : brian2.devices.cpp_standalone.CPPStandaloneDevice
        The device that generated the sources.
    directory : pathlib.Path
        The project folder.

    Returns
    -------
    bool
        Whether the sources were compiled (False: the existing binary is up to date).
    """
    from brian2.codegen.cpp_prefs import get_compiler_and_args

    binary = directory / "main"
    digest = source_digest(directory)
    stamp = directory / STAMP_NAME
    recorded = _read_stamp(stamp)
    clean = False
    if binary.is_file() and recorded.get("sources") == digest:
        if "binary" not in recorded:  # a stamp of an earlier version: trust, then upgrade
            _write_stamp(stamp, digest, binary)
            return False
        if recorded["binary"] == _file_digest(binary):
            return False
        # the sources are those of the binary, but the binary is not the one compiled
        # from them: a damaged cache (truncated copy, disk error); objects may be too
        warnings.warn(
            f"{binary}: damaged build in the build cache (its checksum differs from "
            f"{stamp.name}); compiling it again from scratch",
            DiehlCookWarning,
            stacklevel=2,
        )
        clean = True
    elif stamp.is_file() and not recorded:
        warnings.warn(
            f"{stamp}: damaged stamp in the build cache; compiling again from scratch",
            DiehlCookWarning,
            stacklevel=2,
        )
        clean = True
    stamp.unlink(missing_ok=True)
    compiler, _ = get_compiler_and_args()
    try:
        device.compile_source(str(directory), compiler, debug=False, clean=clean)
    except Exception as first_error:  # noqa: BLE001 - Brian2 raises RuntimeError, OSError ...
        # a damaged object file can break an incremental build: once more, from scratch
        try:
            if clean:
                raise
            device.compile_source(str(directory), compiler, debug=False, clean=True)
        except Exception as error:  # noqa: BLE001
            raise BuildCacheError(
                f"{directory}: the generated C++ program does not compile ({error}); check "
                "the functions the equation files use, or delete this build folder"
            ) from first_error
    _write_stamp(stamp, digest, binary)
    return True


def _write_stamp(stamp, digest, binary):
    """Record the digests of the sources and of the binary compiled from them."""
    atomic_write_text(stamp, json.dumps({"sources": digest, "binary": _file_digest(binary)}))


def _file_digest(path):
    """Hex sha256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_stamp(stamp):
    """Read a build's stamp: ``{"sources": ..., "binary": ...}``; {} if absent or damaged.

    A stamp of an earlier version holds the sources' digest alone, as plain text.
    """
    try:
        text = stamp.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return {}
    if re.fullmatch(r"[0-9a-f]{64}", text):
        return {"sources": text}
    try:
        recorded = json.loads(text)
    except ValueError:
        return {}
    return recorded if isinstance(recorded, dict) else {}
