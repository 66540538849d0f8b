"""A study's output folder: one run at a time, one study per folder, resumable after a kill.

The workflow (``workflow/rules/common.smk``) calls :func:`claim` while Snakemake builds its
DAG, in the main Snakemake process only:

* **One run at a time.** An exclusive ``fcntl.flock`` on ``{output_dir}/lbprun.lock`` (holding
  the run's pid) is taken and kept for the life of the process; a second run on the same folder
  -- whatever its flags -- is refused with one sentence. The kernel releases the lock when the
  process ends in any way, SIGKILL included, so a lock can never be stale.
* **One study per folder.** ``{output_dir}/study.json`` records the sheets and data folder the
  outputs were made from; a run of another study into the same folder is refused, so studies and
  the demo sit side by side and none overwrites another.
* **Resuming after a kill.** With the lock held, no other run can be writing this study's
  outputs, so Snakemake's own lock files and incomplete-job markers that name them are left
  over from a killed run. They are removed (and the incomplete outputs deleted, as
  ``--rerun-incomplete`` would), so the one documented command simply runs again.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
from pathlib import Path

from lbprun.errors import LbprunError

LOCK_NAME = "lbprun.lock"
STAMP_NAME = "study.json"
#: Set by the run holding a folder's lock, inherited by its jobs: a job that runs Snakemake on
#: the same workflow (e.g. ``snakemake --report`` from the report rule) is inside that run.
INHERITED_LOCK_ENV = "LBPRUN_RUN_LOCK"


class StudyError(LbprunError, RuntimeError):
    """The output folder cannot be used now; the message is one sentence saying why."""


def _inside(path: str | Path, folder: str | Path) -> bool:
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def identity(config: dict, /) -> dict:
    """Identify a study: its two sheets and its data folder, as absolute paths.

    Parameters
    ----------
    config : dict
        Workflow config (``participants``, ``trials``, ``data_dir``).

    Returns
    -------
    dict
        The three absolute paths.
    """
    return {key: os.path.abspath(config[key]) for key in ("participants", "trials", "data_dir")}


def lock(results: str | Path, /):
    """Take the exclusive run lock of an output folder, or say which run holds it.

    Parameters
    ----------
    results : str or Path
        The output folder (created if missing).

    Returns
    -------
    file
        The open lock file; the lock lasts as long as it stays open (keep a reference).

    Raises
    ------
    StudyError
        When another process holds the lock.
    """
    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    handle = open(results / LOCK_NAME, "a+")  # noqa: SIM115 -- held for the process's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise StudyError(
            f"a run is in progress on {results} (process {holder}); wait for it to end or "
            "stop it before starting another."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def check_stamp(results: str | Path, /, *, study: dict) -> None:
    """Refuse an output folder that holds another study's outputs; stamp it otherwise.

    Parameters
    ----------
    results : str or Path
        The output folder (locked by the caller).
    study : dict
        :func:`identity` of the study about to run.

    Raises
    ------
    StudyError
        When the folder, or a folder above it, holds another study's outputs.
    """
    results = Path(results).absolute()
    for folder in (results, *results.parents):
        stamp = folder / STAMP_NAME
        if not stamp.is_file():
            continue
        with contextlib.suppress(ValueError, OSError):
            found = json.loads(stamp.read_text())
            if found != study:
                where = "holds" if folder == results else f"is inside {folder}, which holds"
                raise StudyError(
                    f"output folder {results} {where} the outputs of another study "
                    f"(trials sheet {found.get('trials')}); set output_dir to a folder of "
                    "this study's own."
                )
    if not (results / STAMP_NAME).is_file():
        tmp = results / f".{STAMP_NAME}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(study, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, results / STAMP_NAME)


def _decode_key(parts: tuple[str, ...]) -> str | None:
    """Snakemake's record name (urlsafe base64 of the path, split with '@') -> the path."""
    try:
        joined = "".join(p.lstrip("@") for p in parts)
        return base64.urlsafe_b64decode(joined.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def clear_stale_snakemake_state(results: str | Path, /, *, snakemake_dir: str | Path) -> list:
    """Remove a killed run's Snakemake locks and incomplete markers for this output folder.

    Only called with the run lock held, when no live run can own them. Incomplete outputs are
    deleted, as ``--rerun-incomplete`` does, so their jobs run again.

    Parameters
    ----------
    results : str or Path
        The study's output folder.
    snakemake_dir : str or Path
        Snakemake's state folder (``.snakemake`` in the working folder).

    Returns
    -------
    list of str
        The incomplete outputs that were deleted.
    """
    state = Path(snakemake_dir)
    for output_lock in sorted((state / "locks").glob("*.output.lock")):
        with contextlib.suppress(OSError):
            keys = [k for k in output_lock.read_text().splitlines() if k.strip()]
            if keys and all(_inside(k, results) for k in keys):
                input_lock = output_lock.with_name(output_lock.name.replace("output", "input"))
                input_lock.unlink(missing_ok=True)
                output_lock.unlink()
    deleted = []
    incomplete = state / "incomplete"
    for marker in sorted(p for p in incomplete.rglob("*") if p.is_file()):
        key = _decode_key(marker.relative_to(incomplete).parts)
        if key is None or not _inside(key, results):
            continue
        with contextlib.suppress(OSError):
            if os.path.isfile(key):
                os.remove(key)
                deleted.append(key)
            marker.unlink()
    return deleted


def _ancestors(pid: int) -> set[int]:
    """Process ids above ``pid`` (Linux /proc; empty where there is none)."""
    found = set()
    with contextlib.suppress(OSError, ValueError, IndexError):
        while pid > 1 and pid not in found:
            found.add(pid)
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
    return found - {os.getpid()}


def inside_holder(results: str | Path, /) -> bool:
    """Whether this process was started by the run that holds ``results``'s lock.

    True for a job's own nested Snakemake call on the same output folder (the report rule runs
    ``snakemake --report``): it must neither wait for nor clear the state of the run it is part
    of. The folder named in :data:`INHERITED_LOCK_ENV` must be this one and, where ``/proc``
    exists, the pid in the lock file one of this process's ancestors.
    """
    if os.environ.get(INHERITED_LOCK_ENV) != os.path.abspath(results):
        return False
    if not Path("/proc/self/stat").exists():
        return True
    with contextlib.suppress(OSError, ValueError):
        holder = int((Path(results) / LOCK_NAME).read_text().split()[0])
        return holder in _ancestors(os.getpid())
    return False


def claim(results: str | Path, /, *, config: dict, snakemake_dir: str | Path):
    """Lock the output folder for this run, check it is this study's, clear a killed run's state.

    Parameters
    ----------
    results : str or Path
        The study's output folder.
    config : dict
        Workflow config (see :func:`identity`).
    snakemake_dir : str or Path
        Snakemake's state folder.

    Returns
    -------
    file or None
        The held lock (keep a reference for the life of the run); None inside the run that
        holds it (:func:`inside_holder`).

    Raises
    ------
    StudyError
        A run in progress, or another study's folder.
    """
    if inside_holder(results):
        return None
    handle = lock(results)
    try:
        check_stamp(results, study=identity(config))
    except StudyError:
        handle.close()
        raise
    clear_stale_snakemake_state(results, snakemake_dir=snakemake_dir)
    os.environ[INHERITED_LOCK_ENV] = os.path.abspath(results)  # for this run's jobs
    return handle
