"""Per-trial extraction against the peer a user would otherwise script with, in one run.

The peer is kineticstoolkit: ``ktk.read_c3d(path)`` (markers, analogs and force platforms as
TimeSeries), then its Butterworth filter (``ktk.filters.butter``) on the markers (10 Hz) and on
the force platforms (50 Hz), the cut-offs lbprun uses. lbprun is ``lbprun.trial.extract`` on
the same file: safe load, marker set, filtering, events, angles, coordination, ground reaction
force measures, and writing the four output files -- the whole per-trial job.

Files: real running and gait trials of the corpus (bmc-ric RBDS001runT35: 30 s treadmill;
dorn2012 JA1Gait21: 3.3 s overground over 8 plates; pyorerun Running_0002: a 0.4 s, 80-frame
clip where fixed per-trial costs dominate) and two demo trials (10 s treadmill, 200/1000 Hz).
Each variant runs ``--repeats`` times (more for short files: about 1 s per variant, at most 50),
interleaved per file; medians are compared.
Target: lbprun's whole extraction faster than kineticstoolkit's read alone (ratio < 1).

Usage: python bench/bench_peer.py [--repeats N] [--corpus DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import kineticstoolkit as ktk

from lbprun import c3d, trial

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("LBPRUN_C3D_DIR", REPO.parent / "shared" / "data" / "c3d"))
DEFAULT_CACHE = Path(os.environ.get("LBPRUN_BENCH_CACHE", "/tmp/lbprun-bench"))
CORPUS_FILES = (
    "bmc-ric/RBDS001runT35.c3d",
    "dorn2012_flash-running/JA1Gait21.c3d",
    "pyorerun/Running_0002.c3d",
)
MASS_KG = 70.0


def demo_files(cache: Path) -> list[Path]:
    """Two demo trials (generated once into the cache)."""
    folder = cache / "peer-demo"
    if not (folder / "trials.tsv").is_file():
        from lbprun.synth import write_cohort

        write_cohort(folder, n_per_group=1, speeds_mps=(3.0,), seed=2)
    return sorted((folder / "c3d").glob("*.c3d"))


def ktk_read(path: Path) -> dict:
    return ktk.read_c3d(str(path))


def ktk_read_filter(path: Path) -> dict:
    data = ktk.read_c3d(str(path))
    data["Points"] = ktk.filters.butter(data["Points"], fc=10.0, order=2)
    if "ForcePlatforms" in data:
        data["ForcePlatforms"] = ktk.filters.butter(data["ForcePlatforms"], fc=50.0, order=2)
    return data


def _seconds(fn, path: Path) -> float:
    start = time.perf_counter()
    fn(path)
    return time.perf_counter() - start


def bench_file(path: Path, out_dir: Path, repeats: int) -> dict[str, float]:
    """Median seconds of each variant on one file."""

    def lbprun_extract(p: Path) -> None:
        summary = trial.extract(p, out_dir, mass_kg=MASS_KG)
        if summary["status"] != "ok":
            raise SystemExit(f"{p.name}: lbprun extraction failed: {summary['error']}")

    runs = {
        "ktk.read_c3d": ktk_read,
        "ktk read + butter": ktk_read_filter,
        "lbprun extract": lbprun_extract,
    }
    for fn in runs.values():
        fn(path)  # first-call costs (imports, caches) out of the timings
    # short files get more repeats (about 1 s per variant), so that a median of a few
    # milliseconds is not decided by another process's time slice
    repeats = max(repeats, min(50, int(1.0 / max(_seconds(ktk_read, path), 1e-3))))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            times[name].append(_seconds(fn, path))
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # ktk and lbprun warn about these files' quirks
    files = [args.corpus / rel for rel in CORPUS_FILES if (args.corpus / rel).is_file()]
    files += demo_files(args.cache)
    c3d.load(files[0])  # start the safe loader's worker once, as any batch does
    header = f"{'file':<28}{'ktk read':>10}{'+ butter':>10}{'lbprun':>10}{'lbprun/read':>13}"
    print(f"median of >= {args.repeats} runs, ms\n{header}")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            t = bench_file(path, Path(tmp) / path.stem, args.repeats)
            ratio = t["lbprun extract"] / t["ktk.read_c3d"]
            ratios.append(ratio)
            print(
                f"{path.name:<28}{1000 * t['ktk.read_c3d']:10.1f}"
                f"{1000 * t['ktk read + butter']:10.1f}{1000 * t['lbprun extract']:10.1f}"
                f"{ratio:12.2f}x"
            )
    worst = max(ratios)
    verdict = "ok" if worst < 1.0 else "OVER TARGET"
    print(
        f"RESULT lbprun extract / ktk read_c3d: median {statistics.median(ratios):.2f}x, worst "
        f"{worst:.2f}x ({files[ratios.index(worst)].name}) over {len(files)} files "
        f"(target < 1 on every file) {verdict}"
    )


if __name__ == "__main__":
    main()
