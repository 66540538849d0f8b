"""Cost of extracting one trial (loading included) against the bare ezc3d load, in one run.

The trial is bmc-ric RBDS001runT35 (30 s of treadmill running, 4,500 marker frames, 83 strides):
- baseline: ``ezc3d.c3d(path)`` (no platform module, in-process, no safety);
- lbprun:   ``lbprun.trial.process(path, mass_kg=...)`` -- safe load, marker sets, filtering,
            events, angles, coordination, vGRF measures: everything but writing the files.
The two are interleaved ``--repeats`` times and the medians compared, so that machine load
affects both alike. Target: at most 1.5x.

Usage: python bench/bench_extract.py [--repeats N] [--corpus DIR] [--file REL] [--static REL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import ezc3d

from lbprun import c3d, trial

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "c3d"
TARGET = 1.5


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--corpus", type=Path, default=Path(os.environ.get("LBPRUN_C3D_DIR", DEFAULT_CORPUS))
    )
    parser.add_argument("--file", default="bmc-ric/RBDS001runT35.c3d")
    parser.add_argument("--static", default="", help="static trial (relative to the corpus)")
    args = parser.parse_args()
    path = str(args.corpus / args.file)
    static = str(args.corpus / args.static) if args.static else None
    c3d.load(path)  # start the safe loader's worker once, as any cohort run does
    ezc3d.c3d(path)
    runs = {
        "ezc3d.c3d (baseline)": lambda: ezc3d.c3d(path),
        "lbprun.trial.process": lambda: trial.process(path, static=static, mass_kg=60.0),
    }
    runs["lbprun.trial.process"]()  # imports and first-call caches
    times = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            times[name].append(_seconds(fn))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["ezc3d.c3d (baseline)"]
    print(f"{args.file}{' + static' if static else ''}: median of {args.repeats} runs")
    for name, median in medians.items():
        print(f"{name:<24}{1000 * median:8.1f} ms   ratio {median / base:5.2f}x")
    ratio = medians["lbprun.trial.process"] / base
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(f"RESULT extract/load ratio: {ratio:.2f}x (target <= {TARGET}x) {verdict}")


if __name__ == "__main__":
    main()
