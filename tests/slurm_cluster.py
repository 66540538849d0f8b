"""A real single-node SLURM cluster on this host, for the SLURM executor tests.

Debian's ``slurm-wlm`` (slurmctld + slurmd) and ``munge`` are started as root with a
configuration and state written to a dedicated folder (``/tmp/lbprun-slurm`` unless
``LBPRUN_SLURM_DIR`` says otherwise). Clients find it through ``SLURM_CONF``, which
:func:`start` sets in ``os.environ``, and through ``/etc/slurm/slurm.conf``, made a link to
it: the jobstep executor drops every ``SLURM_*`` variable but a few before its inner
``srun``, so jobs can only find the cluster at the compiled-in path. A foreign
``/etc/slurm/slurm.conf`` is never replaced.

There is no accounting database: jobs are traced through ``squeue`` (``MinJobAge`` keeps
finished jobs visible for 10 minutes) and the job-completion log ``jobcomp.log``.

Run by hand::

    python tests/slurm_cluster.py start    # start (or reuse) the cluster, print its SLURM_CONF
    python tests/slurm_cluster.py stop     # stop the daemons started from this folder
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path(os.environ.get("LBPRUN_SLURM_DIR", "/tmp/lbprun-slurm"))
PARTITION = "main"
NEEDED = ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# Written by tests/slurm_cluster.py"
SETUP_HINT = "run `bash .ci/slurm-setup.sh` as root to install slurm-wlm and munge"
READY_STATES = {"idle", "mix", "mixed", "alloc", "allocated"}
SLURM_CONF = """\
{marker}: a one-node test cluster, no accounting database.
ClusterName=lbprun
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
# No cgroups in a container: track processes by parent pid, bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=500
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.log
# Snakemake's squeue status command needs finished jobs listed for a while.
MinJobAge=600
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=1
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} State=UNKNOWN
PartitionName={partition} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


@dataclass(frozen=True)
class SlurmCluster:
    """Where a running test cluster keeps its configuration and logs."""

    root: Path
    node: str
    partition: str = PARTITION

    @property
    def conf(self) -> Path:
        """The ``slurm.conf`` that clients must be pointed at with ``SLURM_CONF``."""
        return self.root / "slurm.conf"

    @property
    def jobcomp_log(self) -> Path:
        """One line per finished job (``JobId=... Name=... JobState=...``)."""
        return self.root / "log" / "jobcomp.log"

    def env(self) -> dict[str, str]:
        """Return the current environment with ``SLURM_CONF`` pointing at this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a SLURM client command against this cluster and capture its text output."""
        return subprocess.run(
            args, env=self.env(), capture_output=True, text=True, check=check, timeout=60
        )

    def node_state(self) -> str:
        """Return the node's short state from ``sinfo`` (``idle``, ``down*``...), or ``""``."""
        out = self.run("sinfo", "-h", "-N", "-n", self.node, "-o", "%t", check=False)
        return out.stdout.strip() if out.returncode == 0 else ""


def missing_reason() -> str | None:
    """Say why a cluster cannot be started here, or return None when it can."""
    if os.geteuid() != 0:
        return "starting slurmctld/slurmd/munged needs root"
    absent = [name for name in NEEDED if shutil.which(name) is None]
    if absent:
        return f"SLURM is not installed ({', '.join(absent)} not found): {SETUP_HINT}"
    return None


def render_conf(root: Path, *, node: str) -> str:
    """Return the ``slurm.conf`` text for a one-node cluster on this host."""
    # slurmd drains a node whose configured memory exceeds what it finds: leave 10 % spare.
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return SLURM_CONF.format(
        marker=MARKER,
        root=root,
        node=node,
        cpus=os.cpu_count() or 1,
        mem_mb=int(mem_kb / 1024 * 0.9),
        partition=PARTITION,
        ctld_port=os.environ.get("LBPRUN_SLURMCTLD_PORT", "6817"),
        d_port=os.environ.get("LBPRUN_SLURMD_PORT", "6818"),
    )


def _pid_alive(pid_file: Path) -> bool:
    """Whether the daemon named by ``pid_file`` (``slurmd.pid`` -> slurmd) is running."""
    try:
        pid = int(pid_file.read_text().strip())
        # A stale pid file may name a pid since reused by another program.
        return Path(f"/proc/{pid}/comm").read_text().strip() == pid_file.stem
    except (OSError, ValueError):
        return False


def _daemon(*cmd: str) -> None:
    """Start a daemon that forks into the background, holding none of our pipes open."""
    subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=30,
    )


def _munge_works() -> bool:
    enc = subprocess.run(["munge", "-n"], capture_output=True, check=False, timeout=10)
    if enc.returncode != 0:
        return False
    dec = subprocess.run(["unmunge"], input=enc.stdout, capture_output=True, check=False)
    return dec.returncode == 0


def _start_munged() -> bool:
    """Start munged as the munge user unless one answers; return True if started here."""
    if _munge_works():
        return False
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        subprocess.run(["runuser", "-u", "munge", "--", "mungekey", "--create"], check=True)
    # /run is a tmpfs: its munge folder vanishes at each boot.
    subprocess.run(
        ["install", "-d", "-o", "munge", "-g", "munge", "-m", "0755", "/run/munge"], check=True
    )
    _daemon("runuser", "-u", "munge", "--", "munged")
    _wait(_munge_works, timeout=10, what="munged to answer")
    return True


def _wait(ready, *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            tail = "" if log is None or not log.exists() else log.read_text()[-2000:]
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")
        time.sleep(0.5)


def _write_conf(root: Path, node: str) -> bool:
    """Write ``slurm.conf`` and the state folders; return True if the text changed."""
    for sub in ("state", "spool", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    conf = root / "slurm.conf"
    text = render_conf(root, node=node)
    changed = not conf.exists() or conf.read_text() != text
    if changed:
        conf.write_text(text)
    _link_system_conf(conf)
    return changed


def _link_system_conf(conf: Path) -> None:
    """Point ``/etc/slurm/slurm.conf`` at ``conf`` unless a foreign file is there."""
    if SYSTEM_CONF.is_symlink() or not SYSTEM_CONF.exists():
        if SYSTEM_CONF.is_symlink() and SYSTEM_CONF.readlink() == conf:
            return
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.unlink(missing_ok=True)
        SYSTEM_CONF.symlink_to(conf)
    elif not SYSTEM_CONF.read_text().startswith(MARKER):
        raise RuntimeError(
            f"{SYSTEM_CONF} belongs to another SLURM setup; the test cluster will not replace "
            "it (Snakemake's jobstep executor ignores SLURM_CONF, so jobs need that path)"
        )


def _node_ready(cluster: SlurmCluster) -> bool:
    state = cluster.node_state().rstrip("*~#!%$@^-")
    if state in {"drain", "drng", "down", "fail"}:
        # A node left down by an earlier unclean stop: bring it back.
        cluster.run("scontrol", "update", f"nodename={cluster.node}", "state=resume", check=False)
    return state in READY_STATES


def start(root: Path = DEFAULT_ROOT, *, timeout: float = 60.0) -> tuple[SlurmCluster, list[str]]:
    """Start the daemons that are not running; return the cluster and what was started.

    Raises
    ------
    RuntimeError
        If SLURM is not installed, we are not root, or the node never becomes idle.
    """
    reason = missing_reason()
    if reason:
        raise RuntimeError(reason)
    cluster = SlurmCluster(root=root, node=socket.gethostname().split(".")[0])
    changed = _write_conf(root, cluster.node)
    os.environ["SLURM_CONF"] = str(cluster.conf)
    started = ["munged"] if _start_munged() else []
    conf = str(cluster.conf)
    if not _pid_alive(root / "slurmctld.pid"):
        # -c: forget jobs of an earlier run, so every session starts with an empty queue.
        _daemon("slurmctld", "-c", "-f", conf)
        started.append("slurmctld")
    elif changed:
        cluster.run("scontrol", "reconfigure")
    if not _pid_alive(root / "slurmd.pid"):
        _daemon("slurmd", "-f", conf)
        started.append("slurmd")
    _wait(
        lambda: _node_ready(cluster),
        timeout=timeout,
        what=f"node {cluster.node} to be idle in sinfo",
        log=root / "log" / "slurmctld.log",
    )
    return cluster, started


def stop(cluster: SlurmCluster, daemons: list[str]) -> None:
    """Stop the named daemons (those this process started), waiting for them to exit."""
    for name in ("slurmd", "slurmctld"):
        pid_file = cluster.root / f"{name}.pid"
        if name not in daemons or not _pid_alive(pid_file):
            continue
        # SIGTERM is the daemons' orderly shutdown (state saved, steps ended).
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        with contextlib.suppress(RuntimeError):
            _wait(lambda p=pid_file: not _pid_alive(p), timeout=20, what=f"{name} to stop")
    if "munged" in daemons:
        subprocess.run(["munged", "--stop"], capture_output=True, check=False)


@contextlib.contextmanager
def running_cluster(root: Path = DEFAULT_ROOT, *, timeout: float = 60.0) -> Iterator[SlurmCluster]:
    """Yield a running cluster; stop at exit only the daemons started here."""
    cluster, started = start(root, timeout=timeout)
    try:
        yield cluster
    finally:
        stop(cluster, started)


def main(argv: list[str]) -> int:
    """Command line: ``start`` (idempotent), ``stop`` or ``status``."""
    root = DEFAULT_ROOT
    cmd = argv[0] if argv else "status"
    if cmd == "start":
        cluster, started = start(root)
        print(f"export SLURM_CONF={cluster.conf}  # started: {', '.join(started) or 'none'}")
    elif cmd == "stop":
        stop(
            SlurmCluster(root=root, node=socket.gethostname().split(".")[0]),
            ["slurmctld", "slurmd", "munged"],
        )
    else:
        cluster = SlurmCluster(root=root, node=socket.gethostname().split(".")[0])
        print(cluster.node_state() or "not running")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
