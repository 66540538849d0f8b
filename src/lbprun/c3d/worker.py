"""The persistent, memory-limited reader process (step 2 of :mod:`lbprun.c3d`).

ezc3d (or, for what it refuses, the pure-Python ``c3d`` package) runs in one persistent worker
process, ``python -m lbprun._c3d_worker``; a read that segfaults, hangs past its timeout or
exhausts memory becomes a :class:`~lbprun.c3d.C3DError` here, and the worker is restarted on
the next load.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from pathlib import Path

from lbprun.c3d.records import _fail


class _WorkerDied(Exception):
    """The reader process ended while reading (crash, kill)."""


class _Worker:
    """A persistent ``python -m lbprun._c3d_worker`` process, restarted after any failure.

    The worker cannot outlive this process (see :mod:`lbprun._c3d_worker`: it dies with its
    parent through ``PR_SET_PDEATHSIG`` on Linux, watches its parent pid and stdin, and every
    read is capped in CPU time), so a killed job never leaves a reader spinning on a file.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._owner_pid = 0
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        env.setdefault("OPENBLAS_NUM_THREADS", "1")  # small address space for RLIMIT_AS
        env.setdefault("OMP_NUM_THREADS", "1")
        env["LBPRUN_PARENT_PID"] = str(os.getpid())
        self._proc = proc = subprocess.Popen(
            [sys.executable, "-m", "lbprun._c3d_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self._owner_pid = os.getpid()
        try:  # the worker says when its readers are imported: a read's clock starts after
            deadline = _monotonic() + WORKER_START_TIMEOUT_S
            (length,) = struct.unpack("<Q", _read_exact(proc, 8, deadline))
            _read_exact(proc, length, deadline)
        except (TimeoutError, _WorkerDied):
            self.stop()
            raise _WorkerDied(None) from None
        return proc

    def stop(self) -> None:
        """End the worker (it exits on its own when stdin closes)."""
        proc, self._proc = self._proc, None
        if proc is not None and self._owner_pid == os.getpid():
            proc.kill()
            proc.wait()

    def read(self, path: str, timeout_s: float) -> tuple[str, object]:
        """Ask the worker to read one file; raise TimeoutError or _WorkerDied."""
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None or self._owner_pid != os.getpid():
                proc = self._start()
            try:
                # The worker caps the read's CPU time a little above the wall-clock timeout.
                request = f"{timeout_s + 2:.3f}\t{path}\n"
                proc.stdin.write(request.encode("utf-8"))
                proc.stdin.flush()
                deadline = _monotonic() + timeout_s
                (length,) = struct.unpack("<Q", _read_exact(proc, 8, deadline))
                return pickle.loads(_read_exact(proc, length, deadline))
            except BrokenPipeError:
                self.stop()
                raise _WorkerDied(proc.wait()) from None
            except (TimeoutError, _WorkerDied):
                self.stop()
                raise


def _monotonic() -> float:
    import time

    return time.monotonic()


def _read_exact(proc: subprocess.Popen, n: int, deadline: float) -> bytearray:
    """Read n bytes from the worker's stdout before the deadline."""
    fd = proc.stdout.fileno()
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        remaining = deadline - _monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise _WorkerDied(proc.wait())
        got += k
    return buf


_WORKER = _Worker()

#: Time a read may take: a base plus a share per megabyte. Real files read at 20-100 MB/s, so
#: this is ~50x what a read needs even on a loaded machine, while a read that will never end
#: (a corrupt section that sends the reader into a loop) is given up within seconds.
READ_TIMEOUT_BASE_S = 3.0
READ_TIMEOUT_S_PER_MB = 1.0
#: Time the worker may take to start and import its readers (once per process).
WORKER_START_TIMEOUT_S = 60.0


def read_timeout_s(size_bytes: int, /) -> float:
    """Longest time one read of a file of this size may take (s).

    Examples
    --------
    >>> read_timeout_s(288_256), read_timeout_s(500 * 10**6)
    (3.288256, 503.0)
    """
    return READ_TIMEOUT_BASE_S + READ_TIMEOUT_S_PER_MB * size_bytes / 1e6


def _read_raw(path: Path, *, safe: bool, timeout_s: float | None) -> dict:
    """Raw arrays and parameters from ezc3d (or py-c3d), in the worker when ``safe``."""
    if not safe:
        from lbprun._c3d_worker import read_raw

        try:
            return read_raw(str(path))
        except Exception as error:
            raise _fail(path, _reader_problem(f"{type(error).__name__}: {error}")) from None
    if timeout_s is None:
        timeout_s = read_timeout_s(path.stat().st_size)
    try:
        status, payload = _WORKER.read(str(path.resolve()), timeout_s)
    except TimeoutError:
        raise _fail(path, f"the C3D reader did not finish within {timeout_s:.3g} s") from None
    except _WorkerDied as died:
        if died.args[0] is None:
            raise _fail(path, "the C3D reader process could not be started") from None
        raise _fail(path, f"the C3D reader crashed on it ({_exit_reason(died.args[0])})") from None
    if status != "ok":
        raise _fail(path, _reader_problem(str(payload)))
    return payload


def _exit_reason(code: int) -> str:
    """Describe a worker's exit status: a signal name for crashes."""
    import signal

    if code < 0:
        try:
            return f"{signal.Signals(-code).name}, the file is probably corrupt"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _reader_problem(message: str) -> str:
    """Turn a reader exception into the problem part of one sentence."""
    if "bad_alloc" in message or "more data than fits" in message:
        return "its parameters declare more data than fits in memory (corrupt parameter section)"
    first = message.split(". ", 1)[0].split(": iostream", 1)[0].rstrip(".")
    return f"the C3D reader refused it ({first})"
