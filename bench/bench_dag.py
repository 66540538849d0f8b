"""DAG construction time (``snakemake -n``) for a 10,000-trial cohort, in one run.

The cohort is fake but valid for validation: sheets of ``--trials`` trials (default 10,000 =
2,500 subjects x 4 trials) whose paths are symbolic links to a few real C3D files (validation
stats each file, as do the batches' input stamps). It is built once in the cache
(default /tmp/lbprun-bench/dag-N) from a few files of the corpus.

- baseline: ``snakemake -n`` on a trivial one-rule Snakefile (Python start, Snakemake import,
            parsing: the fixed cost of any dry run);
- lbprun:   ``snakemake -n`` on the repo's Snakefile with the fake sheets (config and sheet
            validation, file checks, 10,000 / batch_size extraction jobs and the rest).

The two are interleaved ``--repeats`` times and medians compared. Target: at most 3 s
(issue 16; 6 s before).

Where a SLURM client is installed (``scontrol`` on PATH), every Snakemake start also pays the
SLURM executor plugin's ``scontrol show config`` probe, run when the plugin is imported: fast
when a controller answers, up to its 10 s timeout when none does. Both variants are then
measured: as the machine is, and with a failing ``scontrol`` first on PATH (as on a machine
without SLURM); the target applies to the latter, the lbprun-specific cost to both.

Each line also gives the median CPU time (user + system) and peak RSS of the dry run.
``--finished`` adds the usual case after a run: the same study with every output present and
recorded (made once per checkout with ``--summary`` and ``--touch --forceall``), whose dry run
must say "Nothing to be done".

Usage: python bench/bench_dag.py [--trials N] [--repeats N] [--cache DIR] [--corpus DIR]
       [--no-probe] [--finished]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import pandas as pd
import yaml
from bench_workflow import no_slurm_env

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
DEFAULT_CACHE = Path(os.environ.get("LBPRUN_BENCH_CACHE", "/tmp/lbprun-bench"))
DEFAULT_CORPUS = Path(os.environ.get("LBPRUN_C3D_DIR", REPO.parent / "shared" / "data" / "c3d"))
SOURCES = (
    "bmc-ric/RBDS001runT35.c3d",
    "dorn2012_flash-running/JA1Gait21.c3d",
    "pyorerun/Running_0002.c3d",
)
TRIALS_PER_SUBJECT = 4
TARGET_S = 3.0
TRIVIAL = 'rule all:\n    output:\n        "done.txt",\n    shell:\n        "touch {output}"\n'


def fake_cohort(n_trials: int, *, cache: Path, corpus: Path) -> Path:
    """Sheets, config and symbolic links for ``n_trials`` trials (built once)."""
    root = cache / f"dag-{n_trials}"
    if (root / "config.yaml").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    sources = [corpus / rel for rel in SOURCES if (corpus / rel).is_file()]
    if not sources:
        raise SystemExit(f"no C3D file of {SOURCES} in {corpus} (set --corpus)")
    (root / "data").mkdir(parents=True)
    subjects, trials = [], []
    for i in range(n_trials // TRIALS_PER_SUBJECT):
        subject = f"P{i + 1:05d}"
        subjects.append((subject, ("healthy", "lbp")[i % 2], 70.0))
        (root / "data" / subject).mkdir()
        for j in range(TRIALS_PER_SUBJECT):
            rel = f"{subject}/run{j + 1}.c3d"
            (root / "data" / rel).symlink_to(sources[(i + j) % len(sources)])
            trials.append((subject, f"run{j + 1}", rel, f"c{j + 1}"))
    pd.DataFrame(subjects, columns=["subject", "group", "mass_kg"]).to_csv(
        root / "participants.tsv", sep="\t", index=False
    )
    pd.DataFrame(trials, columns=["subject", "trial", "path", "condition"]).to_csv(
        root / "trials.tsv", sep="\t", index=False
    )
    config = {
        "participants": str(root / "participants.tsv"),
        "trials": str(root / "trials.tsv"),
        "data_dir": str(root / "data"),
        "demo": {"enabled": False},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def finished_study(root: Path, *, env: dict | None) -> Path:
    """The fake study with every output present and recorded, as after a run (made once).

    Outputs are created empty from ``snakemake --summary``, then ``--touch --forceall``
    records Snakemake's metadata for every job. One folder per repository checkout (the
    metadata names the workflow's inputs, so another tree must not reuse it).
    """
    key = hashlib.sha256(str(REPO).encode()).hexdigest()[:8]
    work = root.parent / f"{root.name}-finished-{key}"
    if (work / ".finished").is_file():
        return work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--directory", str(work)]
    cmd += ["--configfile", str(root / "config.yaml")]
    run = partial(subprocess.run, capture_output=True, text=True, env=env, check=False)
    summary = run([*cmd, "--summary"])
    if summary.returncode != 0:
        raise SystemExit(f"snakemake --summary failed:\n{summary.stderr[-2000:]}")
    for line in summary.stdout.splitlines()[1:]:
        if "\t" in line:
            output = work / line.split("\t")[0]
            output.parent.mkdir(parents=True, exist_ok=True)
            output.touch()
    done = run([*cmd, "--touch", "--forceall", "--cores", "1"])
    if done.returncode != 0:
        raise SystemExit(f"snakemake --touch failed:\n{done.stderr[-2000:]}")
    (work / ".finished").touch()
    return work


def dry_run(
    snakefile: Path, workdir: Path, *extra: str, env: dict | None = None, expect: str = ""
) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one ``snakemake -n``.

    Its output is read and discarded, as a user would (after checking it holds ``expect``).
    CPU (user + system of the Snakemake process and its children) moves far less than wall
    time on a shared machine.
    """
    cmd = [str(SNAKEMAKE), "-n", "-s", str(snakefile), "--directory", str(workdir), *extra]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
        if proc.returncode != 0 or expect not in text:
            what = "failed" if proc.returncode else f"did not say {expect!r}"
            raise SystemExit(f"dry run {what}: {' '.join(cmd)}\n{text[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--no-probe", action="store_true", help="skip the as-is variant (SLURM probe) if any"
    )
    parser.add_argument(
        "--finished", action="store_true", help="also a finished study's dry run (nothing to do)"
    )
    args = parser.parse_args()
    root = fake_cohort(args.trials, cache=args.cache, corpus=args.corpus)
    trivial = args.cache / "dag-trivial"
    trivial.mkdir(parents=True, exist_ok=True)
    (trivial / "Snakefile").write_text(TRIVIAL)
    config = ("--configfile", str(root / "config.yaml"))
    envs = {"as is": None}
    if shutil.which("scontrol"):
        envs = {"no SLURM probe": no_slurm_env(args.cache), "as is (SLURM probe)": None}
        if args.no_probe:
            del envs["as is (SLURM probe)"]
    runs = {}
    for label, env in envs.items():
        runs[(label, "baseline")] = partial(dry_run, trivial / "Snakefile", trivial, env=env)
        runs[(label, "lbprun")] = partial(dry_run, REPO / "Snakefile", root, *config, env=env)
        if args.finished:
            done = finished_study(root, env=env)
            runs[(label, "finished")] = partial(
                dry_run, REPO / "Snakefile", done, *config, env=env, expect="Nothing to be done"
            )
    times: dict[tuple, list[tuple]] = {key: [] for key in runs}
    load = os.getloadavg()[0]
    for _ in range(args.repeats):
        for key, fn in runs.items():
            times[key].append(fn())
    # per run: wall, CPU, peak RSS; the median of each
    medians = {
        key: [statistics.median(col) for col in zip(*rows, strict=True)]
        for key, rows in times.items()
    }
    print(
        f"snakemake -n, median of {args.repeats} (load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after):"
    )
    for label in envs:
        (base, base_cpu, base_rss) = medians[(label, "baseline")]
        (dag, dag_cpu, dag_rss) = medians[(label, "lbprun")]
        print(
            f"[{label}] trivial 1-rule Snakefile (baseline) {base:6.2f} s"
            f"   CPU {base_cpu:5.2f} s   peak RSS {base_rss:4.0f} MB"
        )
        print(
            f"[{label}] lbprun, {args.trials} trials {dag:6.2f} s   ratio {dag / base:5.2f}x"
            f"   (+{dag - base:.2f} s)   CPU {dag_cpu:5.2f} s (+{dag_cpu - base_cpu:.2f} s)"
            f"   peak RSS {dag_rss:4.0f} MB"
        )
        if args.finished:
            (done, done_cpu, done_rss) = medians[(label, "finished")]
            print(
                f"[{label}] lbprun, {args.trials} trials, finished study {done:6.2f} s   ratio "
                f"{done / base:5.2f}x   CPU {done_cpu:5.2f} s   peak RSS {done_rss:4.0f} MB"
            )
    label = next(iter(envs))
    dag, base = medians[(label, "lbprun")][0], medians[(label, "baseline")][0]
    verdict = "ok" if dag <= TARGET_S else "OVER TARGET"
    print(
        f"RESULT dry run {args.trials} trials [{label}]: {dag:.2f} s = {dag / base:.2f}x the "
        f"trivial Snakefile (target <= {TARGET_S:g} s) {verdict}"
    )
    if args.finished:
        done = medians[(label, "finished")][0]
        verdict = "ok" if done <= TARGET_S else "OVER TARGET"
        print(
            f"RESULT dry run {args.trials} trials, finished study [{label}]: {done:.2f} s = "
            f"{done / base:.2f}x the trivial Snakefile (target <= {TARGET_S:g} s) {verdict}"
        )


if __name__ == "__main__":
    main()
