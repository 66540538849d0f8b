"""The whole workflow on a generated cohort against a bare ezc3d read loop, in one run.

Cohort: ``lbprun.synth.write_cohort`` with ``--trials`` N (default 1,000) = N/4 subjects per
group x 2 treadmill speeds (2.5 and 3.5 m/s), 10 s at 200 Hz markers / 1000 Hz analog, like the
demo. It is generated once into ``--cache`` (default /tmp/lbprun-bench/cohort-N, outside the
repo) and reused.

- baseline: one Python process reading every trial with
  ``ezc3d.c3d(path, extract_forceplat_data=True)`` and nothing else;
- lbprun:   ``snakemake --cores 2`` on the repo's committed HEAD (exported to cache/snap-<commit>,
            so that others' edits during the run cannot break it; ``--worktree`` to run the
            working tree instead) in a fresh work folder (cache/run-N)
            with the cohort's sheets: extraction, gather, statistics, tables and figures (no
            HTML report). Config is config/config.yaml with the cohort's sheets, demo off.
            A failing ``scontrol`` shim is put first on PATH (see ``no_slurm_env``).

Each Python process the run starts (one per job, plus the safe loader's worker) is measured by a
``sitecustomize`` probe put on PYTHONPATH for the run only: wall time from interpreter start to
exit, CPU time and peak RSS (VmHWM, exact). The per-script totals show where the time
goes; ``bench_memory.py`` reuses them. Target: ratio <= 1.0x.

Usage: python bench/bench_workflow.py [--trials N] [--cores 2] [--batch-size B] [--cache DIR]
       [--setup treadmill|overground] [--target RATIO] [--max-wall SECONDS] [--worktree]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
DEFAULT_CACHE = Path(os.environ.get("LBPRUN_BENCH_CACHE", "/tmp/lbprun-bench"))
TARGET = 1.0
SPEEDS = (2.5, 3.5)

# Written to <workdir>/probe/sitecustomize.py; every Python process started with that folder on
# PYTHONPATH leaves one JSON record of its own cost when it exits.
PROBE = """\
import atexit, json, os, resource, sys, time

_START = time.time()


def _peak_mb(own):
    # VmHWM is this process's own peak RSS since exec; ru_maxrss would also count the parent's
    # RSS at fork time (Linux folds the forked copy's high-water mark into it).
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return own.ru_maxrss / 1024


def _dump():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    record = {
        "pid": os.getpid(), "ppid": os.getppid(), "argv": sys.argv, "start": _START,
        "end": time.time(), "cpu_s": own.ru_utime + own.ru_stime,
        "max_rss_mb": _peak_mb(own), "children_max_rss_mb": kids.ru_maxrss / 1024,
        # a job's process that only waited while lbprun's job server ran its script
        "waiting": getattr(sys.modules.get("lbprun.jobserver"), "_handed_over", False),
    }
    with open(os.path.join(os.environ["LBPRUN_BENCH_PROBE"], f"{os.getpid()}.json"), "w") as f:
        json.dump(record, f)


def _forked():
    # A job run by lbprun's job server is a fork of it: its clock starts at the fork.
    global _START
    _START = time.time()


if os.environ.get("LBPRUN_BENCH_PROBE"):
    atexit.register(_dump)
    os.register_at_fork(after_in_child=_forked)
"""


def ensure_cohort(n_trials: int, cache: Path = DEFAULT_CACHE, setup: str = "treadmill") -> Path:
    """Generate (once) and return the folder of an ``n_trials`` synthetic cohort.

    ``setup="overground"``: a runway of three force plates (``lbprun.synth``), 3.5 s trials.
    """
    if n_trials % (2 * len(SPEEDS)):
        raise SystemExit(f"--trials must be a multiple of {2 * len(SPEEDS)}")
    suffix = "" if setup == "treadmill" else f"-{setup}"
    final = cache / f"cohort-{n_trials}{suffix}"
    if (final / "trials.tsv").is_file():
        return final
    from lbprun.synth import write_cohort

    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    start = time.perf_counter()
    per_group = n_trials // (2 * len(SPEEDS))
    written = write_cohort(partial, n_per_group=per_group, speeds_mps=SPEEDS, seed=1, setup=setup)
    os.replace(partial, final)  # a half-written cohort is never reused
    print(f"generated {written['n_trials']} trials in {time.perf_counter() - start:.0f} s")
    return final


def trial_paths(cohort: Path) -> list[Path]:
    """The cohort's C3D files, in trials-sheet order."""
    return [cohort / rel for rel in pd.read_csv(cohort / "trials.tsv", sep="\t")["path"]]


def bare_read_loop(paths: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds to read every file with ezc3d (platform data included), 1 process."""
    import ezc3d

    start, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        ezc3d.c3d(str(path), extract_forceplat_data=True)
    return time.perf_counter() - start, time.process_time() - cpu


def no_slurm_env(cache: Path) -> dict:
    """Environment whose ``scontrol`` fails at once, as on a machine without SLURM.

    Snakemake imports every installed executor plugin at start; the SLURM plugin then runs
    ``scontrol show config``, which waits up to 10 s when a SLURM client is installed but no
    controller answers. That wait is the machine's, not the workflow's.
    """
    shim = cache / "no-slurm-bin"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "scontrol").write_text("#!/bin/sh\nexit 1\n")
    (shim / "scontrol").chmod(0o755)
    return {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"}


def snapshot(cache: Path = DEFAULT_CACHE) -> Path:
    """The repo's committed HEAD, exported once into the cache (``git archive``).

    Several people edit the working tree while a long benchmark runs; a job importing a
    half-edited module would fail its trials. The snapshot also names the measured commit.
    """
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    tree = cache / f"snap-{head}"
    if not (tree / "Snakefile").is_file():
        partial = tree.with_name(tree.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(partial)], input=archive.stdout, check=True)
        os.replace(partial, tree)
    return tree


def run_workflow(
    cohort: Path,
    workdir: Path,
    *,
    cores: int = 2,
    batch_size: int | None = None,
    tree: Path | None = None,
) -> tuple[float, list[dict]]:
    """Run the whole workflow on ``cohort`` in a fresh ``workdir``; wall seconds and probes.

    ``tree`` is the repo copy to run (Snakefile and ``src/``); default the working tree.
    """
    tree = tree or REPO
    shutil.rmtree(workdir, ignore_errors=True)
    probe = workdir / "probe"
    (probe / "records").mkdir(parents=True)
    (probe / "sitecustomize.py").write_text(PROBE)
    config = {
        "participants": str(cohort / "participants.tsv"),
        "trials": str(cohort / "trials.tsv"),
        "data_dir": str(cohort),
        "demo": {"enabled": False},
    }
    if batch_size:
        config["batch_size"] = batch_size
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = [str(SNAKEMAKE), "-s", str(tree / "Snakefile"), "--directory", str(workdir)]
    cmd += ["--configfile", str(workdir / "config.yaml"), "--cores", str(cores)]
    env = no_slurm_env(workdir.parent)
    env |= {
        "PATH": f"{SNAKEMAKE.parent}{os.pathsep}{env['PATH']}",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(probe), str(tree / "src"), os.environ.get("PYTHONPATH")])
        ),
        "LBPRUN_BENCH_PROBE": str(probe / "records"),
    }
    # Everything but the HTML report (rule report; provenance needs every CONTRACT output).
    cmd += ["provenance", "run_summary"]
    start = time.perf_counter()
    with open(workdir / "snakemake.log", "w") as log:
        run = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    wall = time.perf_counter() - start
    if run.returncode != 0:
        tail = (workdir / "snakemake.log").read_text()[-3000:]
        raise SystemExit(f"workflow failed (see {workdir}/snakemake.log):\n{tail}")
    records = [json.loads(p.read_text()) for p in (probe / "records").glob("*.json")]
    summary = {"wall_s": wall, "tree": str(tree), "records": records}
    (workdir / "probe-summary.json").write_text(json.dumps(summary))
    return wall, records


def process_name(record: dict) -> str:
    """Script a probe record belongs to: a job's script name, the loader worker or snakemake."""
    argv = record["argv"] or [""]
    if "lbprun._c3d_worker" in " ".join(argv) or argv[0].endswith("_c3d_worker.py"):
        return "c3d_worker"
    name = Path(argv[0]).name
    if name.startswith("tmp") and name.endswith(".py") and "." in name[:-3]:
        return name[:-3].split(".", 1)[1]  # .snakemake/scripts/tmpXXXX.<script>.py
    return "snakemake" if "snakemake" in name else name or "python"


def per_script(records: list[dict]) -> pd.DataFrame:
    """Jobs, summed wall and CPU seconds, and peak RSS per script.

    ``job_peak_mb`` adds to a process's own peak the peaks of the Python processes it started
    (the safe loader's worker), an upper bound of the job's peak. Snakemake itself is listed
    without its children (they are the jobs).
    """
    by_parent: dict[int, float] = {}
    for r in records:
        by_parent[r["ppid"]] = by_parent.get(r["ppid"], 0.0) + r["max_rss_mb"]
    rows = pd.DataFrame(
        [
            {
                "script": process_name(r) + (" (waiting)" if r.get("waiting") else ""),
                "wall_s": r["end"] - r["start"],
                "cpu_s": r["cpu_s"],
                "max_rss_mb": r["max_rss_mb"],
                "job_peak_mb": r["max_rss_mb"]
                + (0.0 if process_name(r) == "snakemake" else by_parent.get(r["pid"], 0.0)),
            }
            for r in records
        ]
    )
    table = rows.groupby("script").agg(
        jobs=("wall_s", "size"),
        wall_s=("wall_s", "sum"),
        cpu_s=("cpu_s", "sum"),
        max_rss_mb=("max_rss_mb", "max"),
        job_peak_mb=("job_peak_mb", "max"),
    )
    return table.sort_values("wall_s", ascending=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=None, help="default: config's")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--setup", choices=("treadmill", "overground"), default="treadmill")
    parser.add_argument("--target", type=float, default=TARGET, help="ratio to meet")
    parser.add_argument(
        "--worktree", action="store_true", help="run the working tree, not a snapshot of HEAD"
    )
    parser.add_argument("--max-wall", type=float, default=None, help="wall seconds to meet")
    args = parser.parse_args()
    tree = REPO if args.worktree else snapshot(args.cache)
    print(f"workflow from {tree}")
    cohort = ensure_cohort(args.trials, args.cache, args.setup)
    paths = trial_paths(cohort)
    load_before = os.getloadavg()[0]
    base, base_cpu = bare_read_loop(paths)
    wall, records = run_workflow(
        cohort,
        args.cache / f"run-{args.trials}-{args.setup}",
        cores=args.cores,
        batch_size=args.batch_size,
        tree=tree,
    )
    table = per_script(records)
    with pd.option_context("display.width", 120, "display.float_format", "{:.1f}".format):
        print(
            f"per script (sums over jobs; work folder {args.cache}/run-{args.trials}-{args.setup}):"
        )
        print(table.to_string())
    n = len(paths)
    cpu = table["cpu_s"].sum()
    print(
        f"{n} {args.setup} trials at 200/1000 Hz; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (machine has {os.cpu_count()} cores)"
    )
    lines = {
        "ezc3d read loop, 1 process (baseline)": (base, base_cpu),
        f"snakemake --cores {args.cores}, whole workflow": (wall, cpu),
    }
    for name, (seconds, cpu_s) in lines.items():
        print(f"{name:<40}{seconds:8.1f} s wall {cpu_s:8.1f} s CPU")
    print(f"per trial: baseline {1000 * base / n:.0f} ms, workflow {1000 * wall / n:.0f} ms wall")
    # On a shared machine the wall ratio depends on other users' load; CPU / cores is the
    # wall time the workflow would take with its cores to itself.
    print(
        f"CPU-based ratio (workflow CPU / {args.cores} cores vs loop CPU): "
        f"{cpu / args.cores / base_cpu:.2f}x"
    )
    if args.max_wall is not None:
        verdict = "ok" if wall <= args.max_wall else "OVER TARGET"
        print(
            f"RESULT workflow wall, {n} {args.setup} trials: {wall:.1f} s "
            f"({wall / base:.2f}x the {base:.1f} s read loop of the same run; "
            f"target <= {args.max_wall:g} s) {verdict}"
        )
    ratio = wall / base
    verdict = "ok" if ratio <= args.target else "OVER TARGET"
    print(
        f"RESULT workflow/read-loop ratio, {n} {args.setup} trials: {ratio:.2f}x "
        f"({wall:.1f} s against {base:.1f} s; target <= {args.target}x) {verdict}"
    )


if __name__ == "__main__":
    main()
