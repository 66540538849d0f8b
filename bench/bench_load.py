"""Loading cost of lbprun's safe loader against bare ezc3d, measured in the same run.

Loads the same real trials many times in one process, as a cohort run does:
- baseline: ``ezc3d.c3d(path)`` (no platform module, in-process, no safety);
- lbprun:   ``lbprun.c3d.load(path)`` (header check, persistent worker process, force plates
            from the analog channels, units, vertical axis, gaps) -- the figure that matters;
- lbprun in-process (``safe=False``), lbprun with ``reader="ezc3d"`` (every file through the
  ezc3d worker, as before the numpy reader of :mod:`lbprun.c3d.fast`), and ezc3d's own
  platform module, for context.

Usage: python bench/bench_load.py [--repeats N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import ezc3d

from lbprun.c3d import load

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "c3d"
FILES = [
    "dorn2012_flash-running/JA1Gait21.c3d",
    "bmc-ric/RBDS001runT35.c3d",
    "gaitalytics/treadmill_events.c3d",
    "btkdata/PiG_Motion-FlatFoot-Full.c3d",
    "ezc3d-testfiles/Qualisys.c3d",
    "pyorerun/Running_0002.c3d",
    "opensim-core/walking2.c3d",
    "nimblephysics/UpsideDownData_trial1.c3d",
]


def _time(fn, paths, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        for path in paths:
            fn(path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--corpus", type=Path, default=Path(os.environ.get("LBPRUN_C3D_DIR", DEFAULT_CORPUS))
    )
    args = parser.parse_args()
    paths = [str(args.corpus / f) for f in FILES if (args.corpus / f).is_file()]
    load(paths[0], reader="ezc3d")  # start the worker once, as any long run does
    ezc3d.c3d(paths[0])
    runs = {
        "ezc3d.c3d (baseline)": ezc3d.c3d,
        "lbprun load safe": load,
        "lbprun load in-process": lambda p: load(p, safe=False),
        # the path every file took before lbprun.c3d.fast (issue 16), and still the fallback
        "lbprun load, ezc3d worker": lambda p: load(p, reader="ezc3d"),
    }
    # Interleave rounds so that machine load affects every method alike.
    totals = dict.fromkeys(runs, 0.0)
    for _ in range(args.repeats):
        for name, fn in runs.items():
            totals[name] += _time(fn, paths, 1)
    platform = _time(lambda p: ezc3d.c3d(p, extract_forceplat_data=True), paths, 1)
    n = len(paths) * args.repeats
    base = totals["ezc3d.c3d (baseline)"]
    print(f"{len(paths)} files x {args.repeats} repeats = {n} loads")
    for name, total in totals.items():
        print(f"{name:<28}{1000 * total / n:8.1f} ms/load   ratio {total / base:5.2f}x")
    print(
        f"{'ezc3d + platform module':<28}{1000 * platform / len(paths):8.1f} ms/load   "
        f"ratio {platform * args.repeats / base:5.2f}x"
    )
    print(
        f"RESULT safe-load ratio vs bare ezc3d: {totals['lbprun load safe'] / base:.2f}x "
        "(target <= 1.25x)"
    )


if __name__ == "__main__":
    main()
