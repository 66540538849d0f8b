"""Where one trial's extraction CPU goes, per phase, on every real running file (issue 16).

Wraps the phases ``lbprun.trial.extract`` runs (the safe load's share in this process, the
landmarks with static calibration and cluster work, the feet and events, the angle series,
the other measures, the four files written) with ``time.process_time`` and prints their mean
CPU per trial next to the whole extraction and ezc3d's plain load of the same file, measured
in the same run. The loader's worker process is not included (see bench_trials.py for the
total with it). Not a cProfile: no per-call overhead, so the phases add up.

Usage: python bench/profile_trials.py [--repeats N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import collections
import importlib
import tempfile
import time
import warnings
from pathlib import Path

import ezc3d
from bench_trials import DEFAULT_CORPUS, TRIALS

trial = importlib.import_module("lbprun.trial")  # the package, not its extract function
measures = importlib.import_module("lbprun.trial.measures")
outputs = importlib.import_module("lbprun.outputs")

# (module, attribute, phase): what lbprun.trial calls, looked up there at call time
PHASES = (
    (trial.c3d, "load", "load"),
    (trial, "landmarks", "landmarks"),
    (trial.sources, "feet", "feet"),
    (trial.events, "detect", "events"),
    (measures, "angle_series", "angles"),
    (trial, "measure_trial", "measures"),
    (trial, "write_trial_outputs", "write"),
    (outputs, "npz_bytes", "npz"),
    (outputs, "_replace_bytes", "fsync"),
)
NESTED = {"angles": "measures", "npz": "write", "fsync": "write"}  # shown inside these


def _wrapped(func, phase: str, spent: dict):
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            spent[phase] += time.process_time() - start

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    spent: dict[str, float] = collections.defaultdict(float)
    for module, name, phase in PHASES:
        setattr(module, name, _wrapped(getattr(module, name), phase, spent))
    print(f"mean CPU ms per trial over {args.repeats} (this process only; worker excluded)")
    with tempfile.TemporaryDirectory() as tmp:
        for dynamic, static_rel in TRIALS:
            path = args.corpus / dynamic
            if not path.is_file():
                continue
            static = args.corpus / static_rel if static_rel else None
            trial.extract(path, tmp, static=static, mass_kg=70.0)  # warm-up
            start = time.process_time()
            for _ in range(args.repeats):
                ezc3d.c3d(str(path), extract_forceplat_data=True)
            base = (time.process_time() - start) / args.repeats
            spent.clear()
            start = time.process_time()
            for _ in range(args.repeats):
                trial.extract(path, tmp, static=static, mass_kg=70.0)
            total = (time.process_time() - start) / args.repeats
            parts = {k: 1000 * v / args.repeats for k, v in spent.items()}
            rest = 1000 * total - sum(v for k, v in parts.items() if k not in NESTED)
            shown = ", ".join(
                f"{k} {v:.1f}" + (f" (in {NESTED[k]})" if k in NESTED else "")
                for k, v in parts.items()
            )
            print(
                f"{path.name}{' +static' if static else ''}: ezc3d load {1000 * base:.1f}, "
                f"extract {1000 * total:.1f} = {shown}, other {rest:.1f}"
            )


if __name__ == "__main__":
    main()
