"""CPU of extracting each real running trial against ezc3d's plain load of it, in one run.

Issue 16's per-trial target: extracting one trial (safe load, static, marker set, events,
angles, coordination, force measures, writing the four files) at most 1.2x the CPU of
``ezc3d.c3d(path, extract_forceplat_data=True)`` on every real running file of the corpus.
CPU time, not wall time: on a shared machine another process's time slices inflate wall time
but not this process's CPU. lbprun's CPU includes its safe loader's worker process (read from
``/proc/<pid>/stat``), where the file is parsed. The two are interleaved ``--repeats`` times
per file and the minima compared (the least-disturbed run of each). The worker's CPU is counted
in clock ticks (10 ms), as much as a small file's whole load: each timed sample is therefore
as many calls in a row as make ``--min-sample-s`` of ezc3d's load (one for the big files),
and the per-call means of those samples are compared. A sample of lbprun is one
``lbprun.trial.extract_many`` batch of that many trials, the code the workflow's
``extract_batch`` runs (one flush to disk per batch); ``--single`` times ``lbprun.trial.extract``
calls instead (``lbprun extract``: an fsync per file).

``--reader ezc3d`` reads every file through the ezc3d worker, as before the numpy reader of
:mod:`lbprun.c3d.fast` (the same outputs: a before/after of issue 16's read path in one tree).

Usage: python bench/bench_trials.py [--repeats N] [--min-sample-s S] [--single]
       [--corpus DIR] [--cache DIR] [--reader auto|ezc3d]
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import tempfile
import time
import warnings
from pathlib import Path

import ezc3d

from lbprun import c3d, trial

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("LBPRUN_C3D_DIR", REPO.parent / "shared" / "data" / "c3d"))
DEFAULT_CACHE = Path(os.environ.get("LBPRUN_BENCH_CACHE", "/tmp/lbprun-bench"))
TARGET = 1.2
# (dynamic trial, static trial or None), relative to the corpus
TRIALS = (
    ("dorn2012_flash-running/JA1Gait21.c3d", "dorn2012_flash-running/JA1Static05.c3d"),
    ("bmc-ric/RBDS001runT35.c3d", None),
    ("bmc-ric/20140515T133244_run.c3d", "bmc-ric/20140515T133244_static.c3d"),
    ("pyorerun/Running_0002.c3d", None),
    ("theia-sanford/pose_filt_2.c3d", None),
)
_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def _worker_cpu_s() -> float:
    """CPU seconds used so far by the safe loader's worker process (0 if it has none)."""
    holder = getattr(c3d, "worker", c3d)  # c3d.py before the package split kept it there
    proc = getattr(holder._WORKER, "_proc", None)
    if proc is None or proc.poll() is not None:
        return 0.0
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime + stime


def _cpu(fn, calls: int = 1, *, batch: bool = False) -> float:
    """Mean CPU seconds per call of ``fn`` over ``calls`` calls in a row (worker included).

    With ``batch``, ``fn(calls)`` makes all the calls itself.
    """
    start, start_worker = time.process_time(), _worker_cpu_s()
    if batch:
        fn(calls)
    else:
        for _ in range(calls):
            fn()
    return (time.process_time() - start + _worker_cpu_s() - start_worker) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-sample-s", type=float, default=0.25)
    parser.add_argument("--single", action="store_true", help="time trial.extract calls")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--reader",
        choices=("auto", "ezc3d"),
        default="auto",
        help="lbprun.c3d.load's reader: ezc3d = every file through the ezc3d worker, as before "
        "the numpy reader (lbprun.c3d.fast)",
    )
    args = parser.parse_args()
    if args.reader != "auto":  # what lbprun.trial's c3d.load calls use
        c3d.load = functools.partial(c3d.load, reader=args.reader)
    warnings.simplefilter("ignore")  # these files' quirks are reported in trial.json
    from lbprun.synth import write_cohort

    demo = args.cache / "trials-demo"
    if not (demo / "trials.tsv").is_file():
        write_cohort(demo, n_per_group=1, speeds_mps=(3.0,), seed=2)
    trials = [(args.corpus / d, args.corpus / s if s else None) for d, s in TRIALS]
    trials = [(d, s) for d, s in trials if d.is_file()]
    trials.append((sorted((demo / "c3d").glob("*.c3d"))[0], None))
    print(
        f"min of {args.repeats} interleaved samples of the mean CPU per call, ms (lbprun: its "
        f"process + loader worker; each sample >= {args.min_sample_s:g} s of ezc3d loads; "
        f"reader {args.reader})"
    )
    print(f"{'file':<30}{'ezc3d load':>12}{'lbprun':>10}{'ratio':>8}{'calls':>7}")
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path, static in trials:
            out = Path(tmp) / path.stem

            def load(p=path):
                ezc3d.c3d(str(p), extract_forceplat_data=True)

            def extract(calls=1, p=path, s=static, o=out):
                if args.single:
                    for _ in range(calls):
                        trial.extract(p, o, static=s, mass_kg=70.0)
                    return
                job = {"path": p, "static": s, "mass_kg": 70.0}
                trial.extract_many([{**job, "out_dir": o / str(i)} for i in range(calls)])

            extract()  # first-call costs (worker start, caches) out of the timings
            calls = max(1, min(50, math.ceil(args.min_sample_s / max(_cpu(load), 1e-3))))
            base, ours = [], []
            for _ in range(args.repeats):
                base.append(_cpu(load, calls))
                ours.append(_cpu(extract, calls, batch=True))
            ratios[path.name] = min(ours) / min(base)
            label = path.name + (" +static" if static else "")
            print(
                f"{label:<30}{1000 * min(base):12.1f}{1000 * min(ours):10.1f}"
                f"{ratios[path.name]:7.2f}x{calls:7d}"
            )
    worst = max(ratios, key=ratios.get)
    over = [name for name, r in ratios.items() if r > TARGET]
    verdict = "ok" if not over else f"OVER TARGET on {', '.join(over)}"
    print(
        f"RESULT extract/ezc3d-load CPU: worst {ratios[worst]:.2f}x ({worst}) over "
        f"{len(ratios)} files (target <= {TARGET}x on every real running file) {verdict}"
    )


if __name__ == "__main__":
    main()
