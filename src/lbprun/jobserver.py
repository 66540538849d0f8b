"""Workflow jobs run in copies of one process that has imported the libraries once (issue 16).

Snakemake starts every ``script:`` job as a new Python interpreter, and each pays its imports
before its first line of work: ~0.6 s for pandas and lbprun, up to 1.2 s more for spm1d,
statsmodels, scipy.stats or matplotlib. At 40 trials that was ~10 of the run's ~29 s of CPU.

On a local run the workflow starts one server (``onstart`` in workflow/rules/common.smk) that
imports those modules once, in the order the jobs need them. Each workflow script hands itself
over first (:func:`hand_over`, its first statement): the server forks a copy of itself, which
runs the script exactly as ``python script.py`` would, with the job's argv, ``sys.path``,
environment, working folder, umask and standard streams. The job's own process waits and
exits with the copy's status; if it is killed (Snakemake cancelling, a user's kill), the copy
is killed with it, and a copy dies with the process that forked it.

The job runs in its own process as before whenever the server is not there (a dry run, a
cluster executor such as SLURM — each job must run where the executor put it, under its
limits —, ``preload_jobs: false``, a job started by hand) or declines (another interpreter, another
lbprun). Outputs are byte-identical either way: ``bench/check_identical.py --workflow
--figures`` compares every output, figures included.

Why by hand: no maintained library forks the jobs of another program from a preloaded
interpreter. ``multiprocessing``'s forkserver only serves the process that started it, and
Snakemake has no persistent interpreter for jobs (its ``run:`` jobs share the main process and
its GIL, so two of them never use two cores).

Protocol (AF_UNIX stream socket in Linux's abstract namespace, same user only): the job sends
its three standard file descriptors and one JSON request; the server forks a *supervisor* per
connection, which checks the request, forks the *copy* that runs the script, answers ``ok <copy's
pid>`` (or ``no <reason>``), and sends ``exit <code>`` or ``signal <n>`` when it ends. The job's
process passes SIGINT, SIGTERM, SIGHUP and SIGQUIT on to the copy.

Over 500 lines on purpose: the job's side, the server and the supervisor speak one protocol, and
each is only safe read with the others (who closes which descriptor, who reaps whom).
"""

from __future__ import annotations

# Only what a job's process needs to hand over (it pays every import here, ~16 jobs a run);
# the server's and the starter's modules are imported where they are used.
import contextlib
import json
import os
import select
import signal
import socket
import struct
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

__all__ = [
    "ENV",
    "GROUPS",
    "NEEDS",
    "Server",
    "available",
    "hand_over",
    "in_copy",
    "preload_for",
    "start",
]

#: Environment variable naming the server's address; set for the jobs by :func:`start`.
ENV = "LBPRUN_JOBSERVER"

#: What the server imports, by group, in the order the workflow's jobs first need them.
GROUPS = {
    "base": ("snakemake.script", "snakemake.iocontainers", "snakemake.logging", "lbprun.steps"),
    "extract": ("lbprun.settings", "lbprun.trial"),
    "demo": ("lbprun.synth",),
    "cohort": ("lbprun.cohort", "lbprun.tables", "lbprun.report", "lbprun.stats"),
    "tests": ("scipy.stats", "statsmodels.stats.multitest"),
    "figures": ("lbprun.figures",),
    "spm": ("spm1d",),
    "models": ("statsmodels.formula.api",),
}

#: The groups each workflow script imports, at its top or lazily through lbprun
#: (tests/test_jobserver.py checks that every script is listed).
NEEDS = {
    "demo_cohort": ("demo",),
    "extract_batch": ("extract",),
    "gather_cohort": ("cohort",),
    "participants_table": ("cohort", "tests"),
    "group_tests": ("cohort", "tests"),
    "associations": ("cohort", "tests"),
    "discriminant": ("cohort",),
    "mixed_models": ("cohort", "tests", "models"),
    "spm_clusters": ("cohort", "tests", "spm"),
    "cohort_figure": ("cohort", "figures"),
    "waveform_figure": ("cohort", "tests", "figures"),
    "outcomes_table": ("cohort",),
    "run_summary": ("cohort",),
    "report_table": ("cohort",),
    "build_report": ("cohort",),
    "provenance": (),
}


def preload_for(scripts: object) -> tuple[tuple[str, ...], ...]:
    """Return the groups of modules to preload for jobs of ``scripts`` (names without ``.py``).

    The base group goes with the first one needed: the first jobs of a run are served after
    both (a job served earlier would import them itself, on the other core). An unknown script
    needs everything.

    Examples
    --------
    >>> preload_for(["gather_cohort", "extract_batch"])[0][-1]
    'lbprun.trial'
    >>> len(preload_for(["provenance"])), len(preload_for([]))
    (1, 0)
    """
    scripts = set(scripts)
    if not scripts:
        return ()
    wanted = {name for script in scripts for name in NEEDS.get(script, tuple(GROUPS))}
    groups = [GROUPS[name] for name in GROUPS if name in wanted and name != "base"]
    first = groups.pop(0) if groups else ()
    return (GROUPS["base"] + first, *groups)


#: The thread counts Snakemake gives a job's libraries (snakemake.shell, from the rule's
#: ``threads``, 1 for every lbprun rule): the server imports with the same, since they are read
#: at import, and declines a job whose values differ (it runs in its own process).
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

#: The signals a job is stopped with: passed on from the job's process to the copy.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

#: How long a job waits for the server's answer before running in its own process (the server
#: answers between two imports; the slowest import is ~1.3 s).
ANSWER_TIMEOUT_S = 30.0
_REQUEST_TIMEOUT_S = 10.0
_HEADER = struct.Struct("<I")

_in_copy = False  # set in the forked copy: its script's own hand_over() must not hand over again
_handed_over = False  # set in a job's process whose script a copy runs (bench/ tells them apart)


class Server:
    """A running job server: its address and process; :meth:`stop` ends it."""

    def __init__(self, address: str, process: subprocess.Popen) -> None:
        self.address = address
        self.process = process

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close the server's stdin (it exits on end of file); kill it if it has not by then.

        Jobs already handed over are not affected: each is supervised by its own process.
        """
        import subprocess

        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def available() -> bool:
    """Whether this system can run a job server (Linux: abstract sockets, pidfd, fd passing).

    Examples
    --------
    >>> available() == sys.platform.startswith("linux")
    True
    """
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "pidfd_open")
        and hasattr(socket, "send_fds")
    )


def start(modules: tuple[tuple[str, ...], ...]) -> Server:
    """Start a server importing ``modules`` (groups of names); address in ``os.environ[ENV]``.

    Jobs started afterwards by this process inherit the variable. The server exits when this
    process ends or calls :meth:`Server.stop` (its stdin is a pipe from here).

    Examples
    --------
    >>> server = start((("json",),))
    >>> os.environ[ENV] == server.address
    True
    >>> server.stop(); del os.environ[ENV]
    >>> server.process.returncode
    0
    """
    import secrets
    import subprocess

    address = f"lbprun-jobs-{os.getpid()}-{secrets.token_hex(8)}"
    # Bound here, before the server starts: a job started right away waits in the backlog.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind("\0" + address)
        listener.listen(128)
        process = subprocess.Popen(
            [sys.executable, "-m", "lbprun.jobserver", str(listener.fileno()), address]
            + [",".join(group) for group in modules],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            pass_fds=(listener.fileno(),),
            env={**os.environ, **dict.fromkeys(THREAD_VARS, "1")},
        )
    finally:
        listener.close()
    os.environ[ENV] = address
    return Server(address, process)


def hand_over() -> None:
    """Run this script in a copy of the job server, if there is one; return if not.

    The first statement of every workflow script (before its imports). When the server takes
    the job, this process waits for the copy and exits with its status, never returning;
    otherwise (no server, or it declines) it returns and the script runs here.
    """
    address = os.environ.get(ENV)
    if not address or _in_copy:
        return
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(ANSWER_TIMEOUT_S)
        conn.connect("\0" + address)
        import lbprun  # light (a version string); tells the server which lbprun this is

        request = {
            "argv": sys.argv,
            "path": sys.path,
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "umask": _umask(),
            "executable": sys.executable,
            "ignored": [sig for sig in STOP_SIGNALS if signal.getsignal(sig) == signal.SIG_IGN],
            "lbprun": lbprun.__file__,
        }
        body = json.dumps(request).encode()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        socket.send_fds(conn, [_HEADER.pack(len(body)) + body], [0, 1, 2])
        answer = _read_line(conn)
    except (OSError, ValueError):
        return
    kind, _, pid = answer.partition(" ")
    if kind != "ok" or not pid.isdigit():
        return
    global _handed_over  # noqa: PLW0603
    _handed_over = True
    _forward_signals(int(pid))
    conn.settimeout(None)
    try:
        status = _read_line(conn)
    except OSError:
        status = ""
    _exit_as(status)


def in_copy() -> bool:
    """Whether this process is a job run by the job server (a fork of it).

    Examples
    --------
    >>> in_copy()
    False
    """
    return _in_copy


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(256)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def _forward_signals(copy: int) -> None:
    """Pass the signals a job is stopped with on to the copy, which ends as the job would.

    (Snakemake cancelling a run, a user's Ctrl-C or kill; SIGKILL cannot be caught: then the
    supervisor sees this process go and kills the copy.) A signal this process was started
    ignoring stays ignored, here and in the copy, as in a script run by ``python``.
    """

    def forward(sig: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(copy, sig)

    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) != signal.SIG_IGN:
            signal.signal(sig, forward)


def _exit_as(status: str) -> None:
    """Exit as the copy did: with its code, or killed by its signal."""
    kind, _, value = status.partition(" ")
    if kind == "signal" and value.isdigit():
        sig = int(value)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL and SIGSTOP take no handler
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        raise SystemExit(128 + sig)  # a signal whose default is not to end the process
    if kind == "exit" and value.lstrip("-").isdigit():
        raise SystemExit(int(value))  # this process ends as any script does (atexit, flush)
    raise SystemExit("lbprun: the job's preloaded process ended without a status")


# --- the server (python -m lbprun.jobserver ADDRESS MODULE...) -------------------------------


def _serve(fd: int, groups: list[str]) -> None:
    """Import ``groups`` in turn, serving the jobs waiting between two; then serve jobs.

    End of file on stdin ends the server.
    """
    import importlib

    listener = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    # Ctrl-C in a terminal reaches the whole process group: the jobs handle it (each copy
    # takes its job's dispositions); the server and the supervisors end with stdin and with
    # their job, not with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for group in groups:
        for name in filter(None, group.split(",")):
            with contextlib.suppress(Exception):  # a job needing it imports it, and says
                importlib.import_module(name)
        if not _accept_ready(listener, timeout_s=0):
            return
    while _accept_ready(listener, timeout_s=None):
        pass


def _accept_ready(listener: socket.socket, timeout_s: float | None) -> bool:
    """Fork a supervisor for each waiting job; False once stdin has closed (stop)."""
    while True:
        ready, _, _ = select.select([listener, sys.stdin.fileno()], [], [], timeout_s)
        if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 4096):
            return False
        if listener not in ready:
            return True
        conn, _ = listener.accept()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        if os.fork() == 0:
            try:
                listener.close()
                _supervise(conn)
            finally:
                os._exit(0)
        conn.close()
        timeout_s = 0


def _supervise(conn: socket.socket) -> None:
    """In the supervisor: check the request, fork the copy, report how it ended."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    if struct.unpack("3i", creds)[1] != os.getuid():
        return
    request, fds = _read_request(conn)
    if request is None:
        return
    reason = _refusal(request, fds)
    if reason:
        conn.sendall(f"no {reason}\n".encode())
        return
    supervisor = os.getpid()
    pid = os.fork()
    if pid == 0:
        conn.close()
        _run_copy(request, fds, supervisor)  # never returns
    for fd in fds:
        os.close(fd)
    conn.sendall(f"ok {pid}\n".encode())
    status = _wait(pid, conn)
    if status is None:
        return
    if os.WIFSIGNALED(status):
        message = f"signal {os.WTERMSIG(status)}\n"
    else:
        message = f"exit {os.waitstatus_to_exitcode(status)}\n"
    with contextlib.suppress(OSError):
        conn.sendall(message.encode())


def _read_request(conn: socket.socket) -> tuple[dict | None, list[int]]:
    conn.settimeout(_REQUEST_TIMEOUT_S)
    try:
        data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
        (length,) = _HEADER.unpack_from(data)
        body = data[_HEADER.size :]
        while len(body) < length:
            chunk = conn.recv(1 << 16)
            if not chunk:
                return None, fds
            body += chunk
        return json.loads(body), fds
    except (OSError, ValueError, struct.error):
        return None, []


def _refusal(request: dict, fds: list[int]) -> str | None:
    """Why this server cannot run the job as its own process would, or None."""
    import lbprun

    if len(fds) != 3:
        return "no standard streams"
    if request.get("executable") != sys.executable:
        return "another interpreter"
    if request.get("lbprun") != lbprun.__file__:
        return "another lbprun"
    env = request.get("env", {})
    if any(env.get(name) != os.environ.get(name) for name in THREAD_VARS):
        return "other thread counts"
    return None


def _wait(pid: int, conn: socket.socket) -> int | None:
    """Wait for the copy; its wait status, or None if the job's process went first (then killed)."""
    conn.settimeout(None)
    watch = select.poll()
    pidfd = os.pidfd_open(pid)
    watch.register(pidfd, select.POLLIN)
    watch.register(conn.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    while True:
        events = dict(watch.poll())
        if pidfd in events:
            return os.waitpid(pid, 0)[1]
        if conn.fileno() in events:  # the job's process is gone (or spoke): the copy goes too
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None


def _run_copy(request: dict, fds: list[int], supervisor: int) -> None:
    """In the copy: become the job's process, run its script as ``python script.py``, exit."""
    global _in_copy  # noqa: PLW0603 - this process is the copy from here on
    _in_copy = True
    code = 1
    try:
        from lbprun._parent import die_with

        die_with(supervisor)  # PR_SET_PDEATHSIG: the copy ends with its supervisor
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for sig in STOP_SIGNALS:  # the job's process's dispositions (Python's at its start)
            if sig in request.get("ignored", ()):
                signal.signal(sig, signal.SIG_IGN)
            elif sig == signal.SIGINT:
                signal.signal(sig, signal.default_int_handler)
            else:
                signal.signal(sig, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile

        tempfile.tempdir = None  # read TMPDIR again: Snakemake may give the job its own
        sys.argv[:] = request["argv"]
        sys.path[:] = request["path"]
        code = _run_script(request["argv"][0])
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _run_script(path: str) -> int:
    """Run ``path`` as ``__main__`` and return the exit code Python would give."""
    import runpy

    try:
        runpy.run_path(path, run_name="__main__")
        code = 0
    except SystemExit as end:
        code = _exit_code(end.code)
    except BaseException as error:
        sys.excepthook(*sys.exc_info())
        code = 1
        if isinstance(error, KeyboardInterrupt):  # Python ends by SIGINT then (3.8+)
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    import atexit

    atexit._run_exitfuncs()
    return code


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


if __name__ == "__main__":
    # Through the imported module, not this __main__ copy of it: a copy's script imports
    # lbprun.jobserver, and must find _in_copy set there.
    import atexit

    from lbprun import jobserver  # noqa: PLW0406

    jobserver._serve(int(sys.argv[1]), sys.argv[3:])  # argv[2]: the address, for ps
    # Exit without tearing the preloaded modules down (~0.6 s that Snakemake would wait for at
    # the end of every run); exit handlers still run, and the server has nothing to flush.
    atexit._run_exitfuncs()
    os._exit(0)
