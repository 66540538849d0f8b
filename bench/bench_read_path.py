"""CPU of the workflow's extraction job on overground plate trials, by C3D read path (issue 16).

One ``extract_batch`` job is ``lbprun.trial.extract_many`` over a batch of trials. This times
that call on ``--trials`` generated overground trials (a runway of three force plates,
3.5 s, ``lbprun.synth``) twice: with ``lbprun.c3d.load``'s default reader (plain files read
in-process by :mod:`lbprun.c3d.fast`) and with ``reader="ezc3d"`` (every file through the
ezc3d worker, as before), each in a fresh process so that the worker's start is counted as a
job pays it, against the bare loop ``ezc3d.c3d(path, extract_forceplat_data=True)`` over the
same files measured in the same run. CPU time (``RUSAGE_SELF`` + ``RUSAGE_CHILDREN`` of the
fresh process: the worker, stopped and reaped at the end, included), min of ``--repeats``
interleaved runs.

Usage: python bench/bench_read_path.py [--trials N] [--repeats N] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path(os.environ.get("LBPRUN_BENCH_CACHE", "/tmp/lbprun-bench"))

_JOB = """
import functools, json, resource, sys, tempfile, warnings
from pathlib import Path
warnings.simplefilter("ignore")
reader, paths = sys.argv[1], sys.argv[2:]
if reader == "bare":
    import ezc3d
    for p in paths:
        ezc3d.c3d(p, extract_forceplat_data=True)
else:
    from lbprun import c3d, trial
    c3d.load = functools.partial(c3d.load, reader=reader)
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [{"path": Path(p), "static": None, "mass_kg": 70.0, "out_dir": Path(tmp, str(i))}
                for i, p in enumerate(paths)]
        trial.extract_many(jobs)
    c3d.worker._WORKER.stop()  # reaped, so that RUSAGE_CHILDREN counts the worker's CPU
cpu = 0.0
for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
    usage = resource.getrusage(who)
    cpu += usage.ru_utime + usage.ru_stime
print(json.dumps(cpu))
"""


def _cpu(reader: str, paths: list[str]) -> float:
    """CPU seconds of one fresh process running the job (imports included)."""
    out = subprocess.run(
        [sys.executable, "-c", _JOB, reader, *paths],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    from lbprun.synth import write_cohort

    folder = args.cache / f"read-path-overground-{args.trials}"
    if not (folder / "trials.tsv").is_file():
        n_per_group = max(1, -(-args.trials // 2))
        write_cohort(folder, n_per_group=n_per_group, speeds_mps=(3.5,), setup="overground")
    paths = [str(p) for p in sorted((folder / "c3d").glob("*.c3d"))[: args.trials]]
    runs = {"bare ezc3d loop": "bare", "extract, ezc3d worker": "ezc3d", "extract, auto": "auto"}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeats):
        for name, reader in runs.items():
            best[name] = min(best[name], _cpu(reader, paths))
    base = best["bare ezc3d loop"]
    print(f"{len(paths)} overground trials, one process each run, min CPU of {args.repeats}")
    for name, cpu in best.items():
        print(f"{name:<24}{cpu:8.2f} s CPU   {cpu / base:5.2f}x the bare loop")
    print(
        f"RESULT extraction job/bare ezc3d loop CPU: {best['extract, auto'] / base:.2f}x "
        f"(ezc3d worker path {best['extract, ezc3d worker'] / base:.2f}x)"
    )


if __name__ == "__main__":
    main()
