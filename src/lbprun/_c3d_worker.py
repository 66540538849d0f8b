"""Raw C3D reading, run inside a separate worker process by :mod:`lbprun.c3d`.

ezc3d can segfault, hang or try huge allocations on malformed files, so the parent process
never calls it directly: it starts ``python -m lbprun._c3d_worker`` once, sends it file paths
over stdin and receives pickled raw arrays over stdout. Running the worker as ``-m`` of this
module (rather than through multiprocessing's spawn/forkserver) means it never re-imports the
caller's ``__main__`` -- which inside a Snakemake ``script:`` would re-run the script itself.

The raw dictionary is deliberately reader-neutral (ezc3d or the pure-Python ``c3d`` package),
so that :mod:`lbprun.c3d` builds the canonical trial the same way from either.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import sys
import warnings

import numpy as np

#: Address-space limit for the worker (bytes): ~6x the largest real trial read (a 3.6 MB file
#: peaks at ~150 MB resident), so a file declaring absurd sizes fails instead of swapping.
MEMORY_LIMIT_BYTES = 1024**3
#: How often the worker checks that the process that started it is still there (s).
PARENT_POLL_S = 0.5


def _flat_value(value) -> list | np.ndarray:
    """Return a parameter value as a flat sequence in file order (first dimension fastest)."""
    if isinstance(value, np.ndarray):
        return value.flatten(order="F")
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(_flat_value(item) if isinstance(item, list) else [item])
        return out
    return [value]


def _ezc3d_params(parameters: dict) -> tuple[dict, dict]:
    """Parameters as {GROUP: {NAME: flat value}} and {GROUP: {NAME: dimensions}}."""
    params, dims = {}, {}
    for group, content in parameters.items():
        entries = {
            name: entry["value"]
            for name, entry in content.items()
            if name != "__METADATA__" and isinstance(entry, dict) and "value" in entry
        }
        params[group] = {name: _flat_value(value) for name, value in entries.items()}
        dims[group] = {name: tuple(np.shape(value)) for name, value in entries.items()}
    return params, dims


def read_ezc3d(path: str) -> dict:
    """Read one file with ezc3d into the reader-neutral raw dictionary."""
    import ezc3d

    c = ezc3d.c3d(path)
    header = c["header"]
    data = c["data"]
    analogs = data["analogs"]
    params, dims = _ezc3d_params(c["parameters"])
    return {
        "reader": "ezc3d",
        "points": np.ascontiguousarray(data["points"][:3]),
        "residuals": np.ascontiguousarray(data["meta_points"]["residuals"][0]),
        "analogs": np.ascontiguousarray(analogs[0]) if analogs.size else np.zeros((0, 0)),
        # Segment poses (C3D ROTATION group, markerless systems): 4 x 4 x segments x samples.
        "rotations": np.ascontiguousarray(data.get("rotations", np.zeros((4, 4, 0, 0)))),
        "point_rate": float(header["points"]["frame_rate"]),
        "analog_rate": float(header["analogs"]["frame_rate"]),
        # ezc3d reports 0-based frame numbers; the file (and py-c3d) count from 1.
        "first_frame": int(header["points"]["first_frame"]) + 1,
        "last_frame": int(header["points"]["last_frame"]) + 1,
        "params": params,
        "dims": dims,
    }


def _pyc3d_value(param) -> list | np.ndarray:
    """Return a py-c3d parameter's value as a flat sequence in file order."""
    size = param.bytes_per_element
    try:
        if size == -1:
            strings = np.atleast_1d(param.string_array)
            return [str(s).strip() for s in strings.ravel()]
        kind = {1: "int8", 2: "int16", 4: "float"}[size]
        if not param.dimensions:
            return np.array([getattr(param, f"{kind}_value")])
        return np.asarray(getattr(param, f"{kind}_array")).ravel()
    except (ValueError, KeyError, TypeError):  # empty or malformed: treat as absent
        return []


def read_pyc3d(path: str) -> dict:
    """Read one file with the pure-Python ``c3d`` package (MIPS files, float OFFSET...)."""
    import c3d

    with warnings.catch_warnings(), open(path, "rb") as handle:
        warnings.simplefilter("ignore")
        reader = c3d.Reader(handle)
        frames = [(pts[:, :4].copy(), an.copy()) for _, pts, an in reader.read_frames()]
        params, dims = {}, {}
        for gname, group in reader.group_items():
            if isinstance(gname, str):
                items = dict(group.param_items())
                params[gname] = {name: _pyc3d_value(p) for name, p in items.items()}
                dims[gname] = {name: tuple(p.dimensions) for name, p in items.items()}
        n_points = int(reader.point_used)
    if frames:
        pts = np.stack([f[0] for f in frames], axis=-1).astype(float)  # (n_points, 4, n)
        analogs = np.concatenate([f[1] for f in frames], axis=1).astype(float)
    else:
        pts = np.zeros((n_points, 4, 0))
        analogs = np.zeros((0, 0))
    residuals = pts[:, 3, :]
    points = np.transpose(pts[:, :3, :], (1, 0, 2)).copy()
    points[:, residuals < 0] = np.nan  # py-c3d marks invalid samples with residual -1
    return {
        "reader": "c3d",
        "points": points,
        "residuals": residuals,
        "analogs": analogs,
        "point_rate": float(reader.point_rate),
        "analog_rate": float(reader.analog_rate) if reader.analog_used else 0.0,
        "first_frame": int(reader.first_frame),
        "last_frame": int(reader.last_frame),
        "params": params,
        "dims": dims,
    }


def read_raw(path: str) -> dict:
    """Read with ezc3d, falling back to py-c3d for what ezc3d refuses.

    Raises the ezc3d error when both readers fail, since it is usually the more specific one.
    """
    try:
        return read_ezc3d(path)
    except MemoryError:
        raise
    except Exception as ezc3d_error:
        try:
            raw = read_pyc3d(path)
        except Exception:
            raise ezc3d_error from None
        raw["fallback_reason"] = f"{type(ezc3d_error).__name__}: {ezc3d_error}"
        return raw


def _limit_memory() -> None:
    """Cap the worker's address space so a bogus size in a header fails instead of swapping.

    Core dumps are switched off too: a reader crash must not write a core file into the
    working folder (which may be a user's data folder).
    """
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # not available on this platform
        pass


def _limit_cpu(seconds: float) -> None:
    """Let the next read use at most ``seconds`` more CPU time; SIGXCPU ends the worker after.

    This bounds a read stuck in a loop inside the C++ reader, which holds the GIL (so no
    Python-level watchdog can run) even if the parent is gone and no one kills the worker.
    """
    try:
        import math
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ImportError, ValueError, OSError):
        pass


def _die_with_parent(parent_pid: int) -> None:
    """End this worker as soon as the process that started it ends, however it ends.

    On Linux the kernel sends SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``);
    everywhere, a daemon thread polls the parent pid (re-parented orphans see another one).
    """
    import threading
    import time

    from lbprun._parent import die_with

    die_with(parent_pid)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    if parent_pid:
        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _send(stream, obj) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(payload)))
    stream.write(payload)
    stream.flush()


def serve(stdin=None, stdout=None) -> None:
    """Answer requests until stdin closes (the parent is gone): one pickled reply per request.

    A request is one line: the CPU seconds the read may use, a tab, the path (a bare path
    has no CPU cap).
    """
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    _send(stdout, ("ready", os.getpid()))
    for line in stdin:
        budget, _, path = line.decode("utf-8").rstrip("\n").rpartition("\t")
        if budget:
            _limit_cpu(float(budget))
        try:
            reply = ("ok", read_raw(path))
        except MemoryError:
            reply = ("error", "the file declares more data than fits in memory")
        except Exception as error:
            reply = ("error", f"{type(error).__name__}: {error}")
        _send(stdout, reply)


def main() -> None:
    """Worker entry point: tie to the parent, limit memory, import readers, serve on stdout."""
    _die_with_parent(int(os.environ.get("LBPRUN_PARENT_PID", "0")))
    _limit_memory()
    with contextlib.suppress(ImportError):  # imported now, so a read's clock is the read's
        import c3d  # noqa: F401
        import ezc3d  # noqa: F401
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything a reader prints must not corrupt the reply stream.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    main()
