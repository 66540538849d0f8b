"""Run every benchmark in bench/ (``make bench``), quick by default, and list their results.

Quick mode uses small sizes so that the whole set takes a few minutes: it checks that each
benchmark runs and shows its ratios, but the figures of bench/README.md come from the full
sizes (``--full``, or each script run with its defaults). A benchmark added later without an
entry in QUICK runs with its defaults. Exit status 1 if a benchmark crashed (a ratio over its
target is reported, not an error).

Usage: python bench/run_all.py [--full] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
QUICK = {
    "bench_dag.py": ["--trials", "1000", "--repeats", "1"],
    "bench_extract.py": ["--repeats", "1"],
    "bench_load.py": ["--repeats", "1"],
    "bench_memory.py": ["--sizes", "20", "40"],
    "bench_peer.py": ["--repeats", "1"],
    "bench_signals.py": ["--repeats", "2"],
    "bench_workflow.py": ["--trials", "40"],
}
# bench_memory reuses bench_workflow's run of the same size, so the workflow runs first.
ORDER = ["bench_workflow.py", "bench_memory.py"]


def scripts(only: list[str]) -> list[Path]:
    """Every bench/*.py but this one, in ORDER first, then by name."""
    found = sorted(p for p in BENCH.glob("*.py") if p.name != Path(__file__).name)
    found = [p for p in found if not only or p.stem in only or p.name in only]
    return sorted(found, key=lambda p: (ORDER.index(p.name) if p.name in ORDER else 99, p.name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each benchmark's default sizes")
    parser.add_argument("--only", nargs="*", default=[], help="benchmark names to run")
    args = parser.parse_args()
    summary, failed = [], []
    for script in scripts(args.only):
        cmd = [sys.executable, str(script), *([] if args.full else QUICK.get(script.name, []))]
        print(f"=== {' '.join(['python', f'bench/{script.name}', *cmd[2:]])}", flush=True)
        start = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        print(run.stdout, end="", flush=True)
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            failed.append(script.name)
            print(run.stderr[-3000:], flush=True)
        lines = run.stdout.splitlines()
        results = [line for line in lines if line.startswith("RESULT")]
        results = results or [line for line in lines if "ratio" in line][-1:]
        status = "FAILED" if run.returncode else f"{seconds:.0f} s"
        summary += [f"{script.name} ({status})", *(f"  {line}" for line in results)]
    print("=== summary" + ("" if args.full else " (quick sizes; see bench/README.md)"))
    print("\n".join(summary))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
