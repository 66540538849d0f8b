"""lbprun.synth.layouts: one simulated runner under five labs' vocabularies and layouts.

The same treadmill trial (plates catch every stance) is written as Plug-in Gait, ISB names,
descriptive names, three sacral markers instead of the PSIS, and the Running Injury Clinic
layout (clusters only + a static trial), and extracted as a user would. Each must recover the
simulated truth within the demo's tolerances (tests/test_trial_truth.py): plate events within
one frame, knee flexion at touchdown within 1 deg, rotation amplitudes within 0.5 deg,
relative phase within 2 deg (where the layout has thorax markers), and the kinematic detector
(foot markers, or the foot cluster's centre and forefoot pivot in the RIC layout) within
|bias| 10 ms and mean |error| 15 ms of the plates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbprun import synth, trial
from lbprun.synth import layouts
from lbprun.synth.params import TrialParams

PARAMS = TrialParams(setup="treadmill", duration_s=6.0, medial_markers=True)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict:
    """layout -> (trial.json, stances.csv); plus the truth under key None."""
    folder = tmp_path_factory.mktemp("layouts")
    data, truth = synth.simulate_trial(PARAMS, seed=5)
    out = {None: truth}
    for name in layouts.LAYOUTS:
        dynamic, static = layouts.write_layout(folder, data, truth, name)
        summary = trial.extract(dynamic, folder / name, static=static, mass_kg=PARAMS.mass_kg)
        out[name] = (summary, pd.read_csv(folder / name / "stances.csv"))
    return out


def _matched(stances: pd.DataFrame, truth: dict) -> pd.DataFrame:
    rows = []
    for true in truth["stances"]:
        same = stances[stances["side"] == true["side"]]
        j = (same["td_s"] - true["td_s"]).abs().idxmin()
        rows.append({**{f"{k}_true": v for k, v in true.items()}, **same.loc[j].to_dict()})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("name", layouts.LAYOUTS)
def test_layout_recovers_the_truth(extracted, name):
    summary, stances = extracted[name]
    truth = extracted[None]
    assert summary["status"] == "ok", summary["error"]
    pairs = _matched(stances, truth)
    assert len(stances) == len(truth["stances"])
    frames = np.abs(np.r_[pairs["td_s"] - pairs["td_s_true"], pairs["to_s"] - pairs["to_s_true"]])
    assert frames.max() * PARAMS.markers_hz <= 1.0
    knee = np.abs(pairs["knee_flex_td_deg"] - pairs["knee_flex_td_deg_true"])
    assert knee.max() <= 1.0
    assert abs(summary["pelvis_rot_rom_deg"] - truth["trial"]["pelvis_rot_rom_deg"]) <= 0.5
    if name == "ric":  # no thorax markers in that protocol: null, with the reason
        assert summary["thorax_rot_rom_deg"] is None
        assert any("no thorax markers" in w for w in summary["warnings"])
        return
    for key in ("thorax_rot_rom_deg", "trunk_rot_rom_deg"):
        assert abs(summary[key] - truth["trial"][key]) <= 0.5, key
    for key in ("relphase_fourier_deg", "crp_marp_deg"):
        assert abs(summary[key] - truth["trial"][key]) <= 2.0, key


@pytest.mark.parametrize("name", layouts.LAYOUTS)
def test_kinematic_detector_against_plates(extracted, name):
    """Touchdowns from the foot markers (or foot cluster) vs the plates of the same trial."""
    summary, _ = extracted[name]
    used = summary["settings"]
    assert used["kinematic_vs_plate_n"] >= 12
    assert abs(used["kinematic_td_bias_ms"]) <= 10.0
    assert used["kinematic_td_mean_abs_ms"] <= 15.0
    print(
        f"\n{name}: kinematic TD vs plates {used['kinematic_td_bias_ms']:+.1f} ms "
        f"(SD {used['kinematic_td_sd_ms']:.1f}, "
        f"mean |error| {used['kinematic_td_mean_abs_ms']:.1f})"
    )


def test_roles_say_how_they_were_found(extracted):
    isb, _ = extracted["isb"]
    assert isb["roles"]["l_knee_lat"] == {"label": "L_FLE", "rule": "builtin:isb"}
    descriptive, _ = extracted["descriptive"]
    assert descriptive["roles"]["r_knee_med"]["label"] == "RKneeMedial"
    assert descriptive["roles"]["c7"]["rule"].startswith("vocabulary")
    sacral, _ = extracted["sacral3"]
    assert sacral["roles"]["sacrum"]["rule"].startswith("derived: mean of the sacral markers")
    ric, _ = extracted["ric"]
    assert ric["markerset"] == "static_clusters"
    assert ric["roles"]["l_knee_med"]["rule"].startswith("static-calibrated: L_med_knee")
    assert ric["roles"]["l_toe"]["rule"].startswith("derived: forefoot pivot")
    assert ric["settings"]["hip_joint_centre"] == "static_trochanters"
