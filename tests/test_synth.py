"""The synthetic generator is self-consistent: what the C3D files say is what the truth says.

Every check reads the written file back with ezc3d and recomputes the truth independently
(Davis hip centre and chord function written out here, not imported from lbprun.synth).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import ezc3d
import numpy as np
import pandas as pd
import pytest

from lbprun.synth import TrialParams, noiseless, simulate_trial, write_c3d, write_cohort
from lbprun.synth.grf import StanceForce, stance_measures, vgrf_bw


def _write_read(tmp_path: Path, params: TrialParams, seed: int = 3):
    data, truth = simulate_trial(params, seed=seed)
    path = write_c3d(tmp_path / f"{params.setup}_{seed}.c3d", data)
    c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
    labels = c3d["parameters"]["POINT"]["LABELS"]["value"]
    pts = c3d["data"]["points"][:3] / 1000.0
    markers = {lab: pts[:, i, :].T for i, lab in enumerate(labels)}
    return c3d, markers, truth


@pytest.fixture(scope="module")
def treadmill(tmp_path_factory):
    params = noiseless(TrialParams(duration_s=3.0, medial_markers=True, sacrum=True))
    return _write_read(tmp_path_factory.mktemp("tm"), params)


@pytest.fixture(scope="module")
def overground(tmp_path_factory):
    params = noiseless(TrialParams(setup="overground", duration_s=3.5, speed_mps=3.5))
    return _write_read(tmp_path_factory.mktemp("og"), params)


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _rotation_first_deg(rot):
    return np.degrees(np.arctan2(-rot[:, 0, 1], rot[:, 1, 1]))


def _pelvis_frame(m):
    """Plug-in Gait / ISB pelvis: origin mid-ASIS, y = RASI->LASI, x toward mid-ASIS, z up."""
    origin = (m["LASI"] + m["RASI"]) / 2
    y = _unit(m["LASI"] - m["RASI"])
    back = origin - (m["LPSI"] + m["RPSI"]) / 2
    x = _unit(back - np.sum(back * y, axis=1, keepdims=True) * y)
    return np.stack([x, y, np.cross(x, y)], axis=-1), origin


def _thorax_frame(m):
    """ISB thorax (Wu 2005) with IJ = CLAV, PX = STRN, T8 = T10."""
    upper = (m["CLAV"] + m["C7"]) / 2
    z = _unit(upper - (m["STRN"] + m["T10"]) / 2)
    y = _unit(np.cross(m["CLAV"] - m["C7"], (m["STRN"] + m["T10"]) / 2 - m["C7"]))
    return np.stack([np.cross(y, z), y, z], axis=-1)


def _processing(c3d):
    return {
        k: float(v["value"][0])
        for k, v in c3d["parameters"]["PROCESSING"].items()
        if isinstance(v, dict) and "value" in v
    }


def _davis_hjc(proc, side):
    """Plug-in Gait hip joint centre in the pelvis frame (m), Davis 1991 as in the PiG manual."""
    leg = proc[f"{side}LegLength"]
    c = leg * 0.115 - 15.3
    troc = proc[f"{side}AsisTrocanterDistance"]
    mm, aa, th, be = proc["MarkerDiameter"] / 2, proc["InterAsisDistance"] / 2, 0.5, 0.314
    x = c * np.cos(th) * np.sin(be) - (troc + mm) * np.cos(be)
    y = (aa - c * np.sin(th)) * (1 if side == "L" else -1)
    z = -c * np.cos(th) * np.cos(be) - (troc + mm) * np.sin(be)
    return np.array([x, y, z]) / 1000.0


def _chord(proximal, wand, lateral, delta, side):
    """Plug-in Gait chord function: joint centre J in plane (P, W, L), PJ ⟂ JL, |JL| = delta."""
    to_p = proximal - lateral
    e1 = _unit(to_p)
    e2 = _unit(np.cross(np.cross(wand - lateral, to_p), e1))
    cos_b = delta / np.linalg.norm(to_p, axis=1, keepdims=True)
    sin_b = np.sqrt(1 - cos_b**2)
    medial = -1.0 if side == "L" else 1.0  # medial is -Y for the left leg
    sign = np.sign(np.sum(e2[:, 1:2] * medial, axis=1, keepdims=True))
    return lateral + delta * (cos_b * e1 + sign * sin_b * e2)


def test_plate_force_and_cop_read_back_with_ezc3d(treadmill, overground):
    for c3d, _, truth in (treadmill, overground):
        s = truth["series"]
        plates = c3d["data"]["platform"]
        total = sum(p["force"] for p in plates).T
        on_plate = np.zeros(len(total), bool)
        for p in plates:
            loaded = p["force"][2] > 20
            on_plate |= loaded
            cop = p["center_of_pressure"][:2, loaded].T / 1000.0
            assert np.abs(cop - s["cop_m"][loaded, :2]).max() < 1e-3
        assert np.abs(total[on_plate] - s["force_n"][on_plate]).max() < 1.0
        assert s["force_n"][:, 2].max() > 2.0 * 9.81 * 70  # a running vGRF, positive up
    # treadmill: one plate catches every stance; overground: some stances, on three plates
    assert len(treadmill[0]["data"]["platform"]) == 1
    assert {r["plate"] for r in treadmill[2]["stances"]} == {0}
    og_plates = [r["plate"] for r in overground[2]["stances"]]
    assert sorted(p for p in og_plates if p is not None) == [0, 1, 2]
    assert og_plates.count(None) >= 3


def test_plate_stances_match_truth_events(treadmill):
    c3d, _, truth = treadmill
    fz = c3d["data"]["platform"][0]["force"][2]
    t = truth["series"]["t_analog"]
    loaded = fz > 1e-6
    onsets = t[1:][loaded[1:] & ~loaded[:-1]]
    for row in truth["stances"]:
        assert np.min(np.abs(onsets - row["td_s"])) <= 1e-3  # first loaded sample after TD


def test_pelvis_thorax_trunk_rotation_from_markers(treadmill, overground):
    for _, m, truth in (treadmill, overground):
        s = truth["series"]
        rot_p, _ = _pelvis_frame(m)
        rot_t = _thorax_frame(m)
        trunk = np.swapaxes(rot_p, 1, 2) @ rot_t
        assert np.abs(_rotation_first_deg(rot_p) - s["pelvis_rot_deg"]).max() < 0.01
        assert np.abs(_rotation_first_deg(rot_t) - s["thorax_rot_deg"]).max() < 0.01
        assert np.abs(_rotation_first_deg(trunk) - s["trunk_rot_deg"]).max() < 0.01
        assert 8 < np.ptp(s["pelvis_rot_deg"]) < 25


def test_knee_angle_from_plug_in_gait_joint_centres(treadmill, overground):
    for c3d, m, truth in (treadmill, overground):
        proc = _processing(c3d)
        rot_p, origin = _pelvis_frame(m)
        for side in ("L", "R"):
            hjc = origin + rot_p @ _davis_hjc(proc, side)
            dk = (proc[f"{side}KneeWidth"] + proc["MarkerDiameter"]) / 2000.0
            da = (proc[f"{side}AnkleWidth"] + proc["MarkerDiameter"]) / 2000.0
            kjc = _chord(hjc, m[f"{side}THI"], m[f"{side}KNE"], dk, side)
            ajc = _chord(kjc, m[f"{side}TIB"], m[f"{side}ANK"], da, side)
            cos = np.sum(_unit(kjc - hjc) * _unit(ajc - kjc), axis=1)
            knee = np.degrees(np.arccos(np.clip(cos, -1, 1)))
            series = truth["series"]
            assert np.abs(hjc - series[f"{side}_hip"]).max() < 1e-5
            assert np.abs(knee - series[f"{side}_knee_deg"]).max() < 0.2
            assert knee.min() > 5 and 80 < knee.max() < 130


def test_knee_centre_is_epicondyle_midpoint_with_medial_markers(treadmill):
    _, m, truth = treadmill
    for side in ("L", "R"):
        kjc = (m[f"{side}KNE"] + m[f"{side}KNM"]) / 2
        ajc = (m[f"{side}ANK"] + m[f"{side}MMA"]) / 2
        assert np.abs(kjc - truth["series"][f"{side}_knee"]).max() < 1e-5
        assert np.abs(ajc - truth["series"][f"{side}_ankle"]).max() < 1e-5


def test_knee_at_touchdown_is_the_one_chosen():
    params = noiseless(TrialParams(duration_s=3.0, knee_td_sd_deg=0.0, knee_flex_td_deg=17.0))
    _, truth = simulate_trial(params, seed=5)
    knee = [r["knee_flex_td_deg"] for r in truth["stances"]]
    np.testing.assert_allclose(knee, 17.0, atol=1e-6)


def test_vgrf_truth_matches_sampled_curve():
    shape = StanceForce.design(0.25, 1.7, 70.0, 2.6, rearfoot=True)
    s = np.arange(0, 0.25, 1e-6)
    f = vgrf_bw(shape, s)
    truth = stance_measures(shape)
    early = s <= 0.25 * 0.25
    i_peak = np.flatnonzero((f[1:-1] > f[:-2]) & (f[1:-1] >= f[2:]) & early[1:-1])[0] + 1
    assert f[i_peak] == pytest.approx(truth["impact_peak_bw"], abs=1e-6)
    assert f.max() == pytest.approx(truth["active_peak_bw"], abs=1e-6)
    i20, i80 = np.argmax(f >= 0.2 * f[i_peak]), np.argmax(f >= 0.8 * f[i_peak])
    valr = (f[i80] - f[i20]) / (s[i80] - s[i20])
    assert valr == pytest.approx(truth["valr_bw_s"], rel=1e-3)
    assert truth["valr_bw_s"] == pytest.approx(70.0, rel=1e-9)
    assert np.max(np.diff(f[i20:i80]) / 1e-6) == pytest.approx(truth["vilr_bw_s"], rel=1e-3)
    forefoot = stance_measures(StanceForce.design(0.25, 1.7, 70.0, 2.6, rearfoot=False))
    assert np.isnan(forefoot["impact_peak_bw"]) and forefoot["footstrike"] == "non_rearfoot"


def test_relative_phase_truth_of_pure_sinusoids():
    params = noiseless(
        TrialParams(
            duration_s=6.0,
            relphase_deg=125.0,
            pelvis_harmonics=(0.0, 0.0),
            thorax_harmonics=(0.0, 0.0),
            amp_cv=0.0,
            relphase_sd_deg=0.0,
        )
    )
    _, truth = simulate_trial(params, seed=2)
    assert truth["trial"]["relphase_fourier_deg"] == pytest.approx(125.0, abs=0.5)
    assert truth["trial"]["crp_marp_deg"] == pytest.approx(125.0, abs=1.0)


def test_noise_and_gaps_reach_the_file(tmp_path):
    params = TrialParams(duration_s=2.0, gaps=(("LKNE", 0.5, 0.1),))
    c3d, m, truth = _write_read(tmp_path, params)
    t = truth["series"]["t"]
    gap = (t >= 0.5) & (t < 0.6)
    assert np.isnan(m["LKNE"][gap]).all() and not np.isnan(m["LKNE"][~gap]).any()
    err = m["LASI"] - truth["series"]["markers_m"]["LASI"]
    assert 0.0002 < np.std(err) < 0.001
    residuals = c3d["data"]["meta_points"]["residuals"][0]
    assert (residuals[1 + list(m).index("LKNE") - 1, gap] < 0).all()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_byte_identical_files(tmp_path):
    small = {"n_per_group": 1, "speeds_mps": (3.0,), "duration_s": 1.5}
    a = write_cohort(tmp_path / "a", **small)
    b = write_cohort(tmp_path / "b", **small)
    c = write_cohort(tmp_path / "c", **small, seed=2)
    names = [p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()]
    assert len(names) == 7  # two C3D files, two sheets, three truth tables
    for name in names:
        assert _sha(tmp_path / "a" / name) == _sha(tmp_path / "b" / name), name
    assert _sha(a["c3d"][0]) != _sha(c["c3d"][0])
    assert a["n_trials"] == b["n_trials"] == 2


def test_cohort_sheets_and_truth_tables(tmp_path):
    out = write_cohort(tmp_path, n_per_group=4, speeds_mps=(2.5, 3.5), duration_s=3.0)
    parts = pd.read_csv(out["participants"], sep="\t")
    trials = pd.read_csv(out["trials"], sep="\t")
    truth = pd.read_csv(out["truth_trials"])
    assert list(parts.columns[:3]) == ["subject", "group", "mass_kg"]
    assert parts["group"].value_counts().to_dict() == {"healthy": 4, "lbp": 4}
    assert set(trials["condition"]) == {"speed_2.5", "speed_3.5"}
    assert all((tmp_path / p).is_file() for p in trials["path"])
    assert not trials.duplicated(["subject", "trial"]).any()
    for key in (
        "stride_frequency_hz",
        "cadence_steps_min",
        "pelvis_rot_rom_deg",
        "relphase_fourier_deg",
        "crp_marp_deg",
        "knee_flex_td_deg",
        "impact_peak_bw",
        "active_peak_bw",
        "valr_bw_s",
        "stance_time_s",
    ):
        assert key in truth
    # planted directions (lbp vs healthy) and speed effects
    mean = truth.groupby("group").mean(numeric_only=True)
    assert mean.loc["lbp", "pelvis_rot_rom_deg"] < mean.loc["healthy", "pelvis_rot_rom_deg"]
    assert mean.loc["lbp", "relphase_fourier_deg"] < mean.loc["healthy", "relphase_fourier_deg"]
    assert mean.loc["lbp", "knee_flex_td_deg"] < mean.loc["healthy", "knee_flex_td_deg"]
    assert mean.loc["lbp", "valr_bw_s"] > mean.loc["healthy", "valr_bw_s"]
    by_speed = truth.groupby("speed_mps").mean(numeric_only=True)
    assert by_speed["cadence_steps_min"].is_monotonic_increasing
    assert by_speed["pelvis_rot_rom_deg"].is_monotonic_increasing
    stances = pd.read_csv(out["truth_stances"])
    assert set(stances["footstrike"]) == {"rearfoot", "non_rearfoot"}
    assert stances.loc[stances["footstrike"] == "non_rearfoot", "valr_bw_s"].isna().all()


def test_overground_trial_progresses_along_x(overground):
    _, m, truth = overground
    sacrum = (m["LPSI"] + m["RPSI"]) / 2
    speed = np.polyfit(truth["series"]["t"], sacrum[:, 0], 1)[0]
    assert speed == pytest.approx(3.5, rel=0.02)


def test_unknown_cohort_option_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="n_subjects"):
        write_cohort(tmp_path, n_subjects=3)


def test_flight_is_required():
    with pytest.raises(ValueError, match="flight"):
        simulate_trial(replace(TrialParams(), stance_time_s=0.4), seed=1)
