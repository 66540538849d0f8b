"""Peak memory of each workflow job at two cohort sizes (default 100 and 1,000 trials).

Both cohorts come from ``bench_workflow.ensure_cohort`` (generated once into the cache), and
each size is run whole with ``bench_workflow.run_workflow`` (``snakemake --cores 2``). Every job
process's peak RSS is its own VmHWM, read at exit by the ``sitecustomize`` probe; an extraction
job's peak adds its safe loader worker's (an upper bound: the two peaks need not coincide). A
size already run by ``bench_workflow.py`` (cache/run-N/probe-summary.json) is reused unless
``--fresh``, so that the 1,000-trial workflow is not run twice.

The baseline, measured in the same run, is the smaller cohort: the ratio larger/smaller of the
largest job's peak should be about 1 (target: flat, <= 1.25x). Snakemake's own process (which
holds the DAG) is shown apart: it is not a job.

Usage: python bench/bench_memory.py [--sizes 100 1000] [--fresh] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from bench_workflow import DEFAULT_CACHE, ensure_cohort, per_script, run_workflow, snapshot

TARGET = 1.25


def job_peaks(n_trials: int, *, cache: Path, fresh: bool) -> pd.Series:
    """Peak RSS (MB) per script for an ``n_trials`` cohort, run now or reused."""
    workdir = cache / f"run-{n_trials}"
    summary = workdir / "probe-summary.json"
    if summary.is_file() and not fresh:
        age_min = (time.time() - summary.stat().st_mtime) / 60
        saved = json.loads(summary.read_text())
        tree = Path(saved.get("tree", "?")).name
        print(f"{n_trials} trials: reusing {summary} ({age_min:.0f} min old, {tree})")
        records = saved["records"]
    else:
        cohort, tree = ensure_cohort(n_trials, cache), snapshot(cache)
        wall, records = run_workflow(cohort, workdir, tree=tree)
        print(f"{n_trials} trials: workflow run in {wall:.0f} s ({tree.name})")
    return per_script(records)["job_peak_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(100, 1000))
    parser.add_argument("--fresh", action="store_true", help="rerun even if a run is cached")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    small, large = args.sizes
    peaks = pd.DataFrame(
        {
            f"{n} trials (MB)": job_peaks(n, cache=args.cache, fresh=args.fresh)
            for n in (small, large)
        }
    )
    peaks["ratio"] = peaks.iloc[:, 1] / peaks.iloc[:, 0]
    jobs = peaks.drop(index=["snakemake", "c3d_worker"], errors="ignore")
    print("peak RSS per job (max over a script's jobs; extract_batch includes its worker):")
    with pd.option_context("display.float_format", "{:.1f}".format):
        print(peaks.sort_values(peaks.columns[1], ascending=False).to_string())
    largest = jobs.max()
    ratio = largest.iloc[1] / largest.iloc[0]
    print(
        f"largest job: {largest.iloc[0]:.0f} MB at {small} trials "
        f"({jobs.iloc[:, 0].idxmax()}), {largest.iloc[1]:.0f} MB at {large} "
        f"({jobs.iloc[:, 1].idxmax()})"
    )
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(
        f"RESULT largest-job peak RSS {large}/{small} trials: {ratio:.2f}x "
        f"(target flat, <= {TARGET}x) {verdict}"
    )


if __name__ == "__main__":
    main()
