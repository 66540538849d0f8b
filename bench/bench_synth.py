"""Time generating the default demo cohort against ezc3d writing the same frames.

Baseline, measured in the same run: ezc3d writing 40 files with the same number of markers,
frames, analog channels and samples filled with random numbers (no model). The ratio says how
much the model and truth cost on top of the unavoidable file writing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import ezc3d
import numpy as np

from lbprun.synth import write_cohort


def _baseline(out: Path, n_files: int, n_markers: int, n_frames: int) -> float:
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for i in range(n_files):
        c = ezc3d.c3d()
        c["parameters"]["POINT"]["RATE"]["value"] = [200.0]
        c["parameters"]["POINT"]["LABELS"]["value"] = [f"M{j}" for j in range(n_markers)]
        c["data"]["points"] = rng.standard_normal((4, n_markers, n_frames))
        c["parameters"]["ANALOG"]["RATE"]["value"] = [1000.0]
        c["parameters"]["ANALOG"]["LABELS"]["value"] = [f"A{j}" for j in range(6)]
        c["data"]["analogs"] = rng.standard_normal((1, 6, 5 * n_frames))
        c.write(str(out / f"b{i}.c3d"))
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        start = time.perf_counter()
        written = write_cohort(tmp / "demo")
        demo_s = time.perf_counter() - start
        base_s = _baseline(tmp, written["n_trials"], 20, 2000)
    print(f"demo cohort ({written['n_trials']} trials x 10 s, 200/1000 Hz): {demo_s:.2f} s")
    print(f"baseline ezc3d write of the same frames: {base_s:.2f} s")
    print(f"ratio demo / baseline: {demo_s / base_s:.1f}x  (budget: demo < 30 s on 2 cores)")


if __name__ == "__main__":
    main()
