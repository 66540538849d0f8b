"""Every running file in ../shared/data/c3d, through `lbprun extract` as a user runs it (issue 10).

The table says, per file, which outcomes its markers (and plates) allow: each of those must come
out non-null and plausible, and every other outcome must be null with a warning saying why.
Then the kinematic event detector fed only a *foot cluster* (the rear-foot markers of each
file, relabelled as a cluster, every other foot marker removed) is measured against the
plates of every file that has them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from lbprun import c3d, events
from lbprun.trial.landmarks import landmarks

STRIDE = ("pelvis_rot_rom_deg", "cadence_steps_min")
THORAX = ("thorax_rot_rom_deg", "trunk_rot_rom_deg", "relphase_fourier_deg", "crp_marp_deg",
          "trunk_incl_td_deg")  # fmt: skip
NO_THORAX = "no thorax markers"
NO_IMPACT = "no impact peak"
# file -> static, mass (kg; nominal where the source gives none), outcomes computed, null -> why
REAL = {
    "dorn2012_flash-running/JA1Gait21.c3d": (
        "dorn2012_flash-running/JA1Static05.c3d", 75.95,
        (*STRIDE, *THORAX, "knee_flex_td_deg", "active_peak_bw", "lr_3_12_bw_s"),
        {"impact_peak_bw": NO_IMPACT, "valr_bw_s": NO_IMPACT},
    ),
    "bmc-ric/RBDS001runT35.c3d": (
        "bmc-ric/RBDS001static.c3d", 60.5,
        (*STRIDE, "knee_flex_td_deg", "active_peak_bw", "lr_3_12_bw_s"),
        {**dict.fromkeys(THORAX, NO_THORAX), "impact_peak_bw": NO_IMPACT},
    ),
    "bmc-ric/20140515T133244_run.c3d": (  # clusters only: landmarks from its static
        "bmc-ric/20140515T133244_static.c3d", 70.0,
        (*STRIDE, "knee_flex_td_deg", "knee_flex_peak_stance_deg"),
        {**dict.fromkeys(THORAX, NO_THORAX), "active_peak_bw": "no stance on a force plate"},
    ),
    "pyorerun/Running_0002.c3d": (  # 0.4 s: one stance, shorter than a stride
        None, 70.0,
        ("knee_flex_td_deg", "trunk_incl_td_deg", "active_peak_bw", "impact_peak_bw", "valr_bw_s"),
        dict.fromkeys(("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "crp_marp_deg"),
                      "no valid stride"),
    ),
}  # fmt: skip
CLI = "import sys; from lbprun.cli import main; sys.exit(main())"  # what `lbprun` runs
PLAUSIBLE = {"knee_flex_td_deg": (0.0, 50.0), "pelvis_rot_rom_deg": (2.0, 30.0)}


@pytest.fixture(scope="module")
def extracted(c3d_dir, tmp_path_factory) -> dict:
    out = {}
    root = tmp_path_factory.mktemp("real")
    for rel, (static, mass, *_) in REAL.items():
        dest = root / rel.replace("/", "_")
        cmd = [sys.executable, "-c", CLI, "extract", str(c3d_dir / rel), "--out", str(dest),
               "--mass-kg", str(mass)]  # fmt: skip
        if static:
            cmd += ["--static", str(c3d_dir / static)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        out[rel] = (done, json.loads((dest / "trial.json").read_text()))
    return out


@pytest.mark.parametrize("rel", list(REAL))
def test_every_outcome_the_markers_allow(extracted, rel):
    done, summary = extracted[rel]
    _, _, computed, null = REAL[rel]
    assert done.returncode == 0, done.stderr
    assert summary["status"] == "ok"
    for key in computed:
        assert summary[key] is not None, f"{rel}: {key} is null ({summary['warnings']})"
        low, high = PLAUSIBLE.get(key, (-np.inf, np.inf))
        assert low <= summary[key] <= high, f"{rel}: {key} = {summary[key]}"
    for key, why in null.items():
        assert summary[key] is None, f"{rel}: {key} = {summary[key]}"
        assert any(why in w for w in summary["warnings"]), f"{rel}: no warning says {why!r}"


@pytest.mark.parametrize("rel", list(REAL))
def test_roles_record_label_and_rule(extracted, rel):
    roles = extracted[rel][1]["roles"]
    assert roles and all(v["label"] and v["rule"] for v in roles.values())


# rear-foot markers taken as a foot cluster, per file with plates (side letter as {s})
FOOT_CLUSTERS = {
    "bmc-ric/RBDS001runT35.c3d": ("{s}.Heel.Top", "{s}.Heel.Lateral", "{s}.Heel.Bottom"),
    "dorn2012_flash-running/JA1Gait21.c3d": ("{s}HEEL", "{s}MFS", "{s}MFL"),
    "pyorerun/Running_0002.c3d": ("{s}Heel", "{s}CalcExt", "{s}CalcInt"),
}
FOOT_WORDS = ("heel", "toe", "mt", "calc", "phal", "foot", "mfs", "mfl")


def _as_foot_cluster(trial, labels: tuple[str, ...]):
    """The trial as a lab with only a foot cluster would have it: other foot markers removed."""
    names = {label.format(s=s): f"{s}_foot_{i + 1}" for s in "LR" for i, label in enumerate(labels)}
    keep = [i for i, x in enumerate(trial.labels)
            if x in names or not any(w in x.lower() for w in FOOT_WORDS)]  # fmt: skip
    return replace(
        trial,
        labels=[names.get(trial.labels[i], trial.labels[i]) for i in keep],
        markers_m=trial.markers_m[:, keep],
    )


@pytest.mark.parametrize("rel", list(FOOT_CLUSTERS))
def test_foot_cluster_events_against_plates(c3d_dir, rel):
    """Touchdown from a foot cluster (rear foot + its forefoot pivot) vs the plates."""
    trial = c3d.load(c3d_dir / rel)
    plate = events.detect(trial).stances
    plate = [s for s in plate if s.source == "plate"]
    marks = landmarks(_as_foot_cluster(trial, FOOT_CLUSTERS[rel]))
    assert "l_toe" in marks.found.mapping and "l_heel" not in marks.found.mapping
    feet = events.foot_markers(marks.trial, marks.found.mapping)
    kinematic = events.kinematic_stances(feet, fs_hz=trial.markers_hz)
    cal = events.calibrate(kinematic, plate)
    td_ms = 1000 * cal.td_diff_s
    print(
        f"\n{rel}: foot-cluster TD - plate {td_ms.mean():+.1f} ms, mean |error| "
        f"{np.abs(td_ms).mean():.1f} ms, n {cal.n}; TO {1000 * cal.to_bias_s:+.1f} ms"
    )
    assert cal.n == len(plate)
    assert abs(td_ms.mean()) <= 10.0
    assert np.abs(td_ms).mean() <= 15.0
