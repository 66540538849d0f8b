"""CPU of extracting each real running trial against ezc3d's plain load of it, in one run.

Issue 16's per-trial target: ``lbprun.trial.extract`` (safe load, static, marker set, events,
angles, coordination, force measures, writing the four files) at most 1.2x the CPU of
``ezc3d.c3d(path, extract_forceplat_data=True)`` on every real running file of the corpus.
CPU time, not wall time: on a shared machine another process's time slices inflate wall time
but not this process's CPU. lbprun's CPU includes its safe loader's worker process (read from
``/proc/<pid>/stat``), where the file is parsed. The two are interleaved ``--repeats`` times
per file and the minima compared (the least-disturbed run of each).

Usage: python bench/bench_trials.py [--repeats N] [--corpus DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
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
    proc = getattr(c3d.worker._WORKER, "_proc", None)
    if proc is None or proc.poll() is not None:
        return 0.0
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime + stime


def _cpu(fn) -> float:
    start, start_worker = time.process_time(), _worker_cpu_s()
    fn()
    return time.process_time() - start + _worker_cpu_s() - start_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # these files' quirks are reported in trial.json
    from lbprun.synth import write_cohort

    demo = args.cache / "trials-demo"
    if not (demo / "trials.tsv").is_file():
        write_cohort(demo, n_per_group=1, speeds_mps=(3.0,), seed=2)
    trials = [(args.corpus / d, args.corpus / s if s else None) for d, s in TRIALS]
    trials = [(d, s) for d, s in trials if d.is_file()]
    trials.append((sorted((demo / "c3d").glob("*.c3d"))[0], None))
    print(f"min CPU of {args.repeats} interleaved runs, ms (lbprun: its process + loader worker)")
    print(f"{'file':<30}{'ezc3d load':>12}{'lbprun':>10}{'ratio':>8}")
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path, static in trials:
            out = Path(tmp) / path.stem

            def load(p=path):
                ezc3d.c3d(str(p), extract_forceplat_data=True)

            def extract(p=path, s=static, o=out):
                trial.extract(p, o, static=s, mass_kg=70.0)

            extract()  # first-call costs (worker start, caches) out of the timings
            base, ours = [], []
            for _ in range(args.repeats):
                base.append(_cpu(load))
                ours.append(_cpu(extract))
            ratios[path.name] = min(ours) / min(base)
            label = path.name + (" +static" if static else "")
            print(
                f"{label:<30}{1000 * min(base):12.1f}{1000 * min(ours):10.1f}"
                f"{ratios[path.name]:7.2f}x"
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
