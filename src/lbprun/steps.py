"""What the workflow's jobs do, as functions of plain arguments (issue 15).

The scripts in ``workflow/scripts`` are adapters of a few lines: they read ``snakemake.input``
and ``snakemake.params`` and call one function here, so that the logic is tested without
Snakemake (tests/test_steps.py) and the code tested is the code the pipeline runs. Heavy
modules (statistics, figures) are imported inside the functions that need them, so a job pays
only for its own imports.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

__all__ = [
    "MANIFEST_COLUMNS",
    "batch_manifest",
    "demo_mismatch",
    "inputs_stamp",
    "outcomes_to_test",
    "provenance_record",
    "provenance_text",
    "replace_text",
    "spm_clusters",
    "with_condition_order",
    "write_batch",
]

_log = logging.getLogger(__name__)

#: Columns of a batch manifest (``results/batches/{batch}.tsv``), in order.
MANIFEST_COLUMNS = ("subject", "trial", "condition", "path", "out_dir", "status", "error", "sha256")


def replace_text(path: str | os.PathLike, text: str, /) -> None:
    r"""Write ``text`` to ``path`` through a temporary file and one rename (all or nothing).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> replace_text(folder / "a.txt", "done\n")
    >>> sorted(p.name for p in folder.iterdir()), (folder / "a.txt").read_text()
    (['a.txt'], 'done\n')
    """
    out = Path(path)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def inputs_stamp(stamp: str | os.PathLike, files: Iterable[str], /, *, write: bool = True) -> str:
    r"""One file standing for many inputs: each file's size and time, dated like the newest.

    A batch job declares this stamp as its input instead of its trials' C3D files: Snakemake
    spends ~0.1 ms per declared input while it builds the DAG (a 10,000-trial dry run, issue
    16). The stamp lists each file with its size and modification time (of the file or, for a
    symbolic link, of the link or its target, whichever is newer, as Snakemake would take it),
    is rewritten only when that list changes, and is then dated like the newest file. So:

    - a file newer than the batch's output makes the stamp newer too: the batch reruns, as it
      did with the files declared (an edited, replaced or touched C3D);
    - an unchanged study leaves the stamp as it was: nothing reruns;
    - a file swapped for an older one changes the list but not the date: as with the files
      declared, Snakemake's time check does not rerun the batch for it.

    Parameters
    ----------
    stamp : path-like
        The stamp (its folder is created).
    files : iterable of str
        The batch's input files (checked to exist before; one missing now is listed as such).
    write : bool, optional
        False: only return the path (a job re-reading the workflow must not rewrite it).

    Returns
    -------
    str
        ``stamp``, as a string.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "a.c3d").write_bytes(b"ab")
    2
    >>> os.utime(folder / "a.c3d", ns=(1_000_000_000, 1_000_000_000))
    >>> path = inputs_stamp(folder / "inputs" / "b0000.tsv", [str(folder / "a.c3d")])
    >>> Path(path).read_text().split("\t")[1:]
    ['2', '1000000000\n']
    >>> os.stat(path).st_mtime_ns
    1000000000
    """
    if not write:
        return os.fspath(stamp)
    lines, newest = [], 0
    for name in files:
        try:
            info = os.lstat(name)
            mtime = info.st_mtime_ns
            if stat.S_ISLNK(info.st_mode):
                info = os.stat(name)
                mtime = max(mtime, info.st_mtime_ns)
        except OSError:
            lines.append(f"{name}\tmissing\n")
            continue
        newest = max(newest, mtime)
        lines.append(f"{name}\t{info.st_size}\t{mtime}\n")
    text = "".join(lines)
    path = Path(stamp)
    try:
        same = path.read_text(encoding="utf-8") == text
    except OSError:
        same = False
    if not same:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(path, text)
    if not same or path.stat().st_mtime_ns != newest:
        os.utime(path, ns=(newest, newest))
    return os.fspath(stamp)


def batch_manifest(jobs: Sequence[Mapping], results: Sequence[Mapping], /) -> pd.DataFrame:
    """One manifest row per trial: its job's identity and the extraction's status.

    Parameters
    ----------
    jobs : sequence of mapping
        The batch's jobs (``lbprun.sheets.trial_jobs``): ``subject``, ``trial``,
        ``condition``, ``path``, ``out_dir``.
    results : sequence of mapping
        ``lbprun.trial.extract_many``'s summaries, in the same order: ``status``, ``error``
        and ``sha256`` (missing or None -> empty).

    Returns
    -------
    DataFrame
        Columns :data:`MANIFEST_COLUMNS`.

    Examples
    --------
    >>> job = {"subject": "S01", "trial": "t1", "condition": "fast", "path": "S01/t1.c3d",
    ...        "out_dir": "results/trials/S01/t1", "mass_kg": 70}
    >>> batch_manifest([job], [{"status": "failed", "error": "no strides"}]).iloc[0].tolist()
    ['S01', 't1', 'fast', 'S01/t1.c3d', 'results/trials/S01/t1', 'failed', 'no strides', '']
    """
    rows = [
        {key: job[key] for key in MANIFEST_COLUMNS[:5]}
        | {
            "status": info["status"],
            "error": info.get("error") or "",
            "sha256": info.get("sha256") or "",
        }
        for job, info in zip(jobs, results, strict=True)
    ]
    return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))


def write_batch(
    jobs: Sequence[Mapping],
    results: Sequence[Mapping],
    /,
    *,
    manifest: str | os.PathLike,
    log_dir: str | os.PathLike,
) -> None:
    r"""Write each trial's log (``log_dir/{subject}/{trial}.log``), then the manifest, last.

    The manifest is what Snakemake tracks: it appears only once every trial of the batch is
    written, so an interrupted batch has none and is rerun whole.

    Parameters
    ----------
    jobs, results : sequence of mapping
        As for :func:`batch_manifest`.
    manifest : path-like
        The batch's ``.tsv`` (tab-separated, written atomically).
    log_dir : path-like
        Folder of the per-trial logs: the job and its summary as JSON.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> job = {"subject": "S01", "trial": "t1", "condition": "", "path": "t1.c3d",
    ...        "out_dir": "out/S01/t1"}
    >>> write_batch([job], [{"status": "ok", "error": None, "sha256": "ab"}],
    ...             manifest=folder / "b0001.tsv", log_dir=folder / "logs")
    >>> (folder / "b0001.tsv").read_text().splitlines()[1].split("\t")[-3:]
    ['ok', '', 'ab']
    >>> json.loads((folder / "logs" / "S01" / "t1.log").read_text())["status"]
    'ok'
    """
    for job, info in zip(jobs, results, strict=True):
        log_path = Path(log_dir) / job["subject"] / f"{job['trial']}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(json.dumps({**job, **info}, indent=1, default=str) + "\n")
        _log.info("%s/%s: %s %s", job["subject"], job["trial"], info["status"], info["error"] or "")
    table = batch_manifest(jobs, results)
    replace_text(manifest, table.to_csv(sep="\t", index=False))


def provenance_record(
    *,
    config: Mapping,
    sheets: Mapping[str, str],
    trials: str | os.PathLike,
    outputs: Sequence[str | os.PathLike],
    results: str | os.PathLike,
    versions: Mapping[str, str],
) -> dict:
    """Record what every output was made from: versions, settings, input and output hashes.

    Parameters
    ----------
    config : mapping
        The full configuration, defaults filled in.
    sheets : mapping
        ``{"participants": path, "trials": path}``.
    trials : path-like
        ``cohort/trials.csv`` (one row per trial of the sheet, with status and C3D sha256).
    outputs : sequence of path-like
        The outputs vouched for, recorded relative to ``results``.
    results : path-like
        The study's output folder.
    versions : mapping
        ``{"lbprun_version": ..., "snakemake_version": ...}``, first in the record.

    Returns
    -------
    dict
        JSON-ready: ``*_version``, ``config``, ``sheets``, ``trials``, ``outputs``.
    """
    from lbprun.outputs import sha256_of

    table = pd.read_csv(trials, dtype=str, keep_default_na=False)
    columns = ["subject", "trial", "path", "status", "sha256"]
    return {
        **versions,
        "config": config,
        "sheets": {
            name: {"path": path, "sha256": sha256_of(path)} for name, path in sheets.items()
        },
        "trials": table.reindex(columns=columns).to_dict("records"),
        "outputs": {
            Path(path).relative_to(results).as_posix(): sha256_of(path)
            for path in sorted(map(str, outputs))
        },
    }


def provenance_text(record: Mapping, /) -> str:
    """``provenance.json``'s text (one-space indent, trailing newline)."""
    return json.dumps(record, indent=1, default=str) + "\n"


def demo_mismatch(made_dir: str | os.PathLike, sheets: Mapping[str, str], demo: Mapping) -> str:
    r"""Why the generated demo does not match the committed sheets, or ``""`` if it does.

    The DAG is built from the committed sheets (config/demo/*.tsv), so the demo generated with
    config ``demo`` must name exactly the same subjects, masses and files.

    Parameters
    ----------
    made_dir : path-like
        Folder the demo was generated into (holds ``participants.tsv`` and ``trials.tsv``).
    sheets : mapping
        ``{"participants": path, "trials": path}``: the committed sheets.
    demo : mapping
        Config ``demo``, named in the message.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("participants", "trials"):
    ...     _ = (folder / f"{name}.tsv").write_text("subject\nS01\n")
    >>> demo_mismatch(folder, {"participants": folder / "participants.tsv",
    ...                        "trials": folder / "trials.tsv"}, {"size": 1})
    ''
    """
    for sheet in ("participants", "trials"):
        made = pd.read_csv(Path(made_dir) / f"{sheet}.tsv", sep="\t", dtype=str)
        named = pd.read_csv(sheets[sheet], sep="\t", dtype=str)
        if not made.equals(named):
            return (
                f"the demo generated with config demo {dict(demo)} does not match "
                f"{sheets[sheet]}; copy {made_dir}/{sheet}.tsv over it, or restore the "
                "demo settings."
            )
    return ""


def outcomes_to_test(requested: Sequence[str], table: pd.DataFrame, /) -> list[str]:
    """Config ``stats.outcomes``, or when empty every known outcome the table has.

    Examples
    --------
    >>> table = pd.DataFrame(columns=["subject", "cadence_steps_min", "knee_flex_td_deg"])
    >>> outcomes_to_test([], table)
    ['cadence_steps_min', 'knee_flex_td_deg']
    >>> outcomes_to_test(["cadence_steps_min"], table)
    ['cadence_steps_min']
    """
    from lbprun.cohort import OUTCOMES

    return list(requested) or [outcome for outcome in OUTCOMES if outcome in table]


def with_condition_order(waves: pd.DataFrame, conditions: Sequence[str], /) -> pd.DataFrame:
    """Return the waveform table in config ``conditions``' order (unchanged when empty).

    Examples
    --------
    >>> waves = pd.DataFrame({"condition": ["slow", "fast"]})
    >>> list(with_condition_order(waves, ["fast", "slow"])["condition"].cat.categories)
    ['fast', 'slow']
    """
    if conditions:
        waves = waves.assign(
            condition=pd.Categorical(waves["condition"].astype(str), list(conditions))
        )
    return waves


def spm_clusters(
    waves: pd.DataFrame,
    /,
    *,
    waveforms: Sequence[str],
    conditions: Sequence[str],
    reference: str,
    comparison: str,
    alpha: float,
    nonparametric: bool,
    iterations: int,
) -> pd.DataFrame:
    """SPM{t} clusters of the configured waveforms: parametric, then nonparametric if asked.

    Parameters
    ----------
    waves : DataFrame
        ``cohort/waveforms.parquet``.
    waveforms : sequence of str
        Config ``stats.waveforms``: the waveforms tested.
    conditions : sequence of str
        Config ``conditions`` (order); empty keeps the table's.
    reference, comparison : str
        Group labels.
    alpha : float
        Significance level.
    nonparametric : bool
        Config ``stats.spm_nonparametric``: add the permutation test's rows.
    iterations : int
        Permutations of the nonparametric test.

    Returns
    -------
    DataFrame
        The rows of ``stats/spm_clusters.csv`` (column ``method`` tells the two apart).
    """
    from lbprun import stats

    waves = with_condition_order(waves.loc[waves["waveform"].isin(list(waveforms))], conditions)
    methods = ["parametric", "nonparametric"] if nonparametric else ["parametric"]
    blocks = [
        stats.spm_waveforms(
            waves,
            reference=reference,
            comparison=comparison,
            alpha=alpha,
            method=method,
            **({"iterations": iterations} if method == "nonparametric" else {}),
        )
        for method in methods
    ]
    return pd.concat(blocks, ignore_index=True)
