"""Markerless trials (issue 14): Theia3D-style segment poses in the C3D ROTATION group.

Synthetic runners written as poses (lbprun.synth, noiseless) are checked against their exact
ground truth through ``lbprun.trial.extract``; the real Theia3D file
(``theia-sanford/pose_filt_2.c3d``) is checked for plausible values and for untracked stretches
invalidating only the strides they touch; broken ROTATION blocks give one sentence.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import ezc3d
import numpy as np
import pandas as pd
import pytest
import yaml

from lbprun import c3d, cli, events, registry, synth, trial
from lbprun.c3d import poses as _c3d_poses
from lbprun.kinematics import poses as pose_kin
from lbprun.settings import Settings
from lbprun.synth.cohort import CohortSpec, draw_subjects, trial_params
from lbprun.synth.poses import SEGMENTS
from tests.faults_helpers import inspect_json

THEIA = Path("theia-sanford") / "pose_filt_2.c3d"
FORCE_OUTCOMES = registry.names(needs="force")
THORAX_MARKERS = ("CLAV", "C7", "STRN", "T10")
LEFT_LEG_MARKERS = ("LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE")


# --------------------------------------------------------------------------------------------
# Synthetic runners written as poses
# --------------------------------------------------------------------------------------------


def _params(setup: str, seed: int = 5):
    spec = CohortSpec(
        n_per_group=1,
        speeds_mps=(3.0,),
        seed=seed,
        duration_s=6.0 if setup == "treadmill" else None,
        setup=setup,
        noise=False,
    )
    subject = draw_subjects(spec, np.random.default_rng(seed)).iloc[0]
    return trial_params(subject, 3.0, spec)


def _write(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.c3d"
    synth.write_c3d(path, data)
    return path


def _extract(path: Path, out: Path, mass_kg: float, settings: Settings | None = None) -> dict:
    summary = trial.extract(path, out, mass_kg=mass_kg, settings=settings)
    summary["stances_df"] = pd.read_csv(out / "stances.csv")
    summary["strides_df"] = pd.read_csv(out / "strides.csv")
    return summary


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict:
    """setup -> (params, truth, path, summary with the default settings)."""
    folder = tmp_path_factory.mktemp("markerless")
    out = {}
    for setup in ("treadmill", "overground"):
        params = _params(setup)
        data, truth = synth.simulate_trial(params, seed=3, poses=SEGMENTS, markers=False)
        path = _write(folder, setup, data)
        summary = _extract(path, folder / f"{setup}_out", params.mass_kg)
        out[setup] = {"params": params, "truth": truth, "data": data, "path": path, **summary}
    return out


def _nearest(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Signed difference of each value to the nearest target."""
    return np.array([v - targets[np.argmin(np.abs(targets - v))] for v in values])


def test_writer_round_trip_through_ezc3d(synthetic):
    run = synthetic["treadmill"]
    c = ezc3d.c3d(str(run["path"]))
    labels = c["parameters"]["ROTATION"]["LABELS"]["value"]
    assert labels == [f"{name}_4X4" for name in SEGMENTS]
    assert int(c["parameters"]["ROTATION"]["USED"]["value"][0]) == len(SEGMENTS)
    rot = c["data"]["rotations"]
    pelvis = run["data"]["poses"]["pelvis"]
    assert rot.shape == (4, 4, len(SEGMENTS), len(pelvis))
    np.testing.assert_allclose(rot[:3, :3, 0, :], np.transpose(pelvis[:, :3, :3], (1, 2, 0)), 1e-6)
    np.testing.assert_allclose(rot[:3, 3, 0, :].T, pelvis[:, :3, 3] * 1000.0, atol=1e-3)
    heel = c["parameters"]["THEIA3D"]["LHEEL_POS"]["value"].ravel()
    np.testing.assert_allclose(heel / 1000.0, run["data"]["pose_landmarks"]["LHEEL_POS"], 1e-6)


def test_synthetic_pose_file_loads_as_markerless(synthetic):
    loaded = c3d.load(synthetic["overground"]["path"])
    assert loaded.markerless and loaded.units == "mm" and loaded.vertical_axis == "+Z"
    assert sorted(loaded.poses) == sorted(SEGMENTS)
    truth = synthetic["overground"]["data"]["poses"]["l_shank"]
    np.testing.assert_allclose(loaded.poses["l_shank"], truth, atol=1e-5)  # metres, Z up


def test_y_up_pose_file_is_turned_z_up(synthetic, tmp_path):
    """A lab with Y up (as many real files): the vertical comes from the segments' axes."""
    data = {**synthetic["overground"]["data"]}
    to_file = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # Z up -> Y up
    data["poses"] = {k: v.copy() for k, v in data["poses"].items()}
    for pose in data["poses"].values():
        pose[:, :3, :] = np.einsum("ij,njk->nik", to_file, pose[:, :3, :])

    class Turned:  # the plates' corners turn with the lab; channels are in plate axes
        def __init__(self, plate):
            self.plate, self.depth_m = plate, plate.depth_m

        def corners(self):
            return self.plate.corners() @ to_file.T

    data["plates"] = [Turned(p) for p in data["plates"]]
    loaded = c3d.load(_write(tmp_path, "y_up", data))
    assert loaded.vertical_axis == "+Y"
    original = synthetic["overground"]["data"]["poses"]
    np.testing.assert_allclose(loaded.poses["torso"], original["torso"], atol=1e-5)
    reference = synthetic["overground"]
    mass = reference["params"].mass_kg
    summary = trial.extract(tmp_path / "y_up.c3d", tmp_path / "out", mass_kg=mass)
    assert summary["n_strides"] == reference["n_strides"]
    assert summary["n_plate_stances"] == reference["n_plate_stances"] > 0
    for key in ("pelvis_rot_rom_deg", "knee_flex_td_deg", "crp_marp_deg", "active_peak_bw"):
        assert summary[key] == pytest.approx(reference[key], abs=1e-3)  # float32 storage


def test_poses_in_another_axis_convention_are_flagged(synthetic, tmp_path):
    data = {**synthetic["overground"]["data"]}
    # ISB-ordered axes (x anterior, y left) written where Theia3D's (x right, y anterior) belong
    data["poses"] = {k: v.copy() for k, v in data["poses"].items()}
    for pose in data["poses"].values():
        pose[:, :3, :3] = pose[:, :3, :3] @ pose_kin.THEIA_TO_ISB
    summary = trial.extract(_write(tmp_path, "isb", data), tmp_path / "out", mass_kg=70.0)
    assert any("may not use Theia3D's axes" in w for w in summary["warnings"])
    assert not any("Theia3D's axes" in w for w in synthetic["overground"]["warnings"])


def test_non_rigid_and_zero_poses_become_untracked(synthetic, tmp_path):
    data = {**synthetic["treadmill"]["data"]}
    data["poses"] = dict(data["poses"])
    torso = data["poses"]["torso"].copy()
    torso[100:103, :3, :3] *= 1.5  # a corrupt matrix
    torso[200:202, :3, :3] = 0.0  # all-zero, as some writers store an untracked segment
    data["poses"]["torso"] = torso
    loaded = c3d.load(_write(tmp_path, "corrupt", data))
    bad = ~np.isfinite(loaded.poses["torso"][:, 0, 0])
    assert np.flatnonzero(bad).tolist() == [100, 101, 102, 200, 201]
    assert any("5 segment pose samples are not rigid rotations" in w for w in loaded.warnings)
    assert np.isfinite(loaded.poses["pelvis"]).all()


@pytest.mark.parametrize("setup", ["treadmill", "overground"])
def test_synthetic_markerless_recovers_truth(synthetic, setup):
    run = synthetic[setup]
    truth, summary = run["truth"]["trial"], run
    assert summary["status"] == "ok" and summary["kinematics_source"] == "poses"
    assert summary["markerset"] == "markerless"
    for key in ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "trunk_rot_rom_deg"):
        assert abs(summary[key] - truth[key]) < 0.5, (key, summary[key], truth[key])
    for key in ("relphase_fourier_deg", "crp_marp_deg"):
        assert abs(summary[key] - truth[key]) < 2.0, (key, summary[key], truth[key])
    # per stance, knee flexion at touchdown within 1 degree of the truth at the true touchdown
    found = summary["stances_df"]
    rows = pd.DataFrame(run["truth"]["stances"])
    for side in ("L", "R"):
        mine, true = found[found.side == side], rows[rows.side == side]
        for td, knee in zip(mine.td_s, mine.knee_flex_td_deg, strict=True):
            k = np.argmin(np.abs(true.td_s.to_numpy() - td))
            assert abs(knee - true.knee_flex_td_deg.iloc[k]) < 1.0, (side, td)
    # per stride, rotation amplitudes within 0.5 degree
    strides = summary["strides_df"][summary["strides_df"].valid]
    true_strides = pd.DataFrame(run["truth"]["strides"])
    assert len(strides) >= len(true_strides) - 1
    for row in strides.itertuples():
        k = np.argmin(np.abs(true_strides.td_s.to_numpy() - row.td_s))
        assert abs(row.pelvis_rot_rom_deg - true_strides.pelvis_rot_rom_deg.iloc[k]) < 0.5
    print(
        setup, {k: round(summary[k] - truth[k], 3) for k in ("pelvis_rot_rom_deg", "crp_marp_deg")}
    )


@pytest.mark.parametrize("setup", ["treadmill", "overground"])
def test_events_from_poses_within_one_frame_of_heel_toe_truth(synthetic, tmp_path, setup):
    """Kinematic events from the file's poses equal those from the model's heel/ball/toe."""
    run = synthetic[setup]
    fs = run["params"].markers_hz
    settings = Settings(event_source="kinematic")
    summary = _extract(run["path"], tmp_path / "kin", run["params"].mass_kg, settings)
    landmarks = run["truth"]["series"]["foot_landmarks"]
    feet = {
        side: pose_kin.contact_point(
            landmarks[side],
            fs_hz=fs,
            floor_window_s=settings.pose_floor_window_s,
            bump_window_s=settings.pose_bump_window_s,
        )
        for side in ("L", "R")
    }
    expected = events.kinematic_stances(feet, fs_hz=fs)
    found = summary["stances_df"]
    assert len(found) == len(expected) >= 8
    assert summary["settings"]["event_feet_L"] == "poses"
    for side in ("L", "R"):
        mine = found[found.side == side]
        true = [s for s in expected if s.side == side]
        td = _nearest(mine.td_s.to_numpy(), np.array([s.td_s for s in true]))
        to = _nearest(mine.to_s.to_numpy(), np.array([s.to_s for s in true]))
        assert np.abs(td).max() * fs <= 1.0 and np.abs(to).max() * fs <= 1.0, (td * fs, to * fs)
    # and the heel-strike truth itself lies within a frame of force onset
    onsets = np.array([r["td_s"] for r in run["truth"]["stances"]])
    assert np.abs(_nearest(found.td_s.to_numpy(), onsets)).max() * fs <= 1.0


def test_treadmill_markerless_uses_the_plates(synthetic):
    run = synthetic["treadmill"]
    stances = run["stances_df"]
    assert set(stances.event_source) == {"plate"}
    onsets = np.array([r["td_s"] for r in run["truth"]["stances"]])
    fs = run["params"].markers_hz
    assert np.abs(_nearest(stances.td_s.to_numpy(), onsets)).max() * fs <= 1.0


def test_untracked_stretch_invalidates_only_its_strides(synthetic, tmp_path):
    run = synthetic["treadmill"]
    data = {**run["data"], "poses": dict(run["data"]["poses"])}
    fs = run["params"].markers_hz
    lo, hi = int(3.0 * fs), int(3.15 * fs)  # 150 ms: longer than max_gap_frames
    pelvis = data["poses"]["pelvis"].copy()
    pelvis[lo:hi] = np.nan
    data["poses"]["pelvis"] = pelvis
    path = _write(tmp_path, "gap", data)
    summary = _extract(path, tmp_path / "out", run["params"].mass_kg)
    strides = summary["strides_df"]
    touched = (strides.td_s * fs <= hi) & (strides.next_td_s * fs >= lo - 1)
    assert touched.any() and not strides.valid[touched].any()
    assert strides.valid[~touched].all()
    assert strides.invalid_reason[touched].str.contains("pelvis_rot").all()
    ok = strides[~touched]
    clean = run["strides_df"]
    merged = ok.merge(clean, on=["side", "td_s"], suffixes=("", "_clean"))
    assert len(merged) == len(ok)
    # the filter restarts at the gap's edges: neighbours move by hundredths of a degree
    np.testing.assert_allclose(merged.pelvis_rot_rom_deg, merged.pelvis_rot_rom_deg_clean, atol=0.1)


def test_poses_without_feet_say_why_strides_are_missing(synthetic, tmp_path):
    """Trunk and legs without feet on a treadmill: the plate's contacts cannot be sided."""
    run = synthetic["treadmill"]
    data = {**run["data"]}
    data["poses"] = {k: v for k, v in data["poses"].items() if not k.endswith(("foot", "toes"))}
    summary = _extract(_write(tmp_path, "no_feet", data), tmp_path / "out", run["params"].mass_kg)
    assert summary["status"] == "ok" and set(summary["stances_df"].event_source) == {"plate"}
    assert len(summary["stances_df"]) == len(run["stances_df"]) and summary["n_strides"] == 0
    assert "event_feet_L" not in summary["settings"]
    assert sum("contacts of the" in w for w in summary["warnings"]) == 2


def test_mixed_trial_takes_what_markers_lack_from_poses(tmp_path):
    params = _params("overground", seed=7)
    data, truth = synth.simulate_trial(params, seed=4, poses=SEGMENTS)
    drop = {*THORAX_MARKERS, *LEFT_LEG_MARKERS}
    keep = [i for i, label in enumerate(data["labels"]) if label not in drop]
    data = {
        **data,
        "labels": [data["labels"][i] for i in keep],
        "markers_m": data["markers_m"][:, keep],
    }
    path = _write(tmp_path, "mixed", data)
    assert not c3d.load(path).markerless
    summary = _extract(path, tmp_path / "out", params.mass_kg)
    used = summary["settings"]
    assert used["pelvis_source"] == "markers" and used["thorax_source"] == "poses"
    assert used["knee_model_L"] == "poses" and used["knee_model_R"] == "plug_in_gait"
    assert used["event_feet_L"] == "poses" and used["event_feet_R"] == "markers"
    assert summary["kinematics_source"] == "markers+poses"
    for key in ("thorax_rot_rom_deg", "trunk_rot_rom_deg"):
        assert abs(summary[key] - truth["trial"][key]) < 0.5
    found, rows = summary["stances_df"], pd.DataFrame(truth["stances"])
    left, true = found[found.side == "L"], rows[rows.side == "L"]
    assert len(left) >= 3
    for td, knee in zip(left.td_s, left.knee_flex_td_deg, strict=True):
        k = np.argmin(np.abs(true.td_s.to_numpy() - td))
        assert abs(knee - true.knee_flex_td_deg.iloc[k]) < 1.0


# --------------------------------------------------------------------------------------------
# The real Theia3D file
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def theia(c3d_dir) -> Path:
    path = c3d_dir / THEIA
    if not path.is_file():
        pytest.skip(f"{THEIA} not in the corpus")
    return path


@pytest.fixture(scope="module")
def theia_run(theia, tmp_path_factory) -> dict:
    return _extract(theia, tmp_path_factory.mktemp("theia"), 70.0)


def test_orthonormal_is_the_sign_fixed_svd_product_bit_for_bit():
    # issue 16: the product U @ Vt is formed once when no reflection needs fixing; the same
    # bits as the sign-fixed formulation, with and without a reflected matrix in the stack
    def sign_fixed(rot):
        out = np.full(rot.shape, np.nan)
        ok = np.isfinite(rot).all(axis=(-2, -1))
        u, _, vt = np.linalg.svd(rot[ok])
        fix = np.ones((int(ok.sum()), 3))
        fix[:, 2] = np.sign(np.linalg.det(u @ vt))
        out[ok] = (u * fix[:, None, :]) @ vt
        return out

    rng = np.random.default_rng(16)
    rot = np.eye(3) + rng.normal(0, 0.02, (2000, 3, 3))  # filtered poses: near rotations
    rot[5, 1, 1] = np.nan
    assert pose_kin.orthonormal(rot).tobytes() == sign_fixed(rot).tobytes()
    rot[7] = np.diag([1.0, 1.0, -1.0])  # a reflection: fixed to the nearest rotation
    assert pose_kin.orthonormal(rot).tobytes() == sign_fixed(rot).tobytes()
    assert np.linalg.det(pose_kin.orthonormal(rot)[7]) > 0


def test_theia_loads_with_the_marker_guarantees(theia):
    loaded = c3d.load(theia)
    assert loaded.markerless and loaded.units == "m" and loaded.vertical_axis == "+Z"
    assert loaded.frames == loaded.frames_declared == 1322 and loaded.markers_hz == 85.0
    assert {"pelvis", "torso", "l_thigh", "r_shank", "l_foot", "r_toes"} <= set(loaded.poses)
    tracked = np.isfinite(loaded.poses["pelvis"][:, 0, 0])
    assert tracked.sum() == 298  # frames 1017-1314: the runner inside the tracked volume
    rot = loaded.poses["pelvis"][tracked, :3, :3]
    np.testing.assert_allclose(
        np.einsum("nji,njk->nik", rot, rot), np.broadcast_to(np.eye(3), rot.shape), atol=1e-5
    )
    landmarks = loaded.metadata["pose_landmarks"]
    np.testing.assert_allclose(landmarks["LHEEL_POS"], [0.001075, -0.054646, -0.090494], atol=1e-6)
    assert landmarks["RTOE_LENGTH"][0] == pytest.approx(0.061403)  # stored as a string


def test_theia_inspect_says_markerless(theia):
    info = cli.describe(c3d.load(theia))
    assert info["markerless"] is True and info["markerset"] == "markerless"
    assert info["segments"]["pelvis"] == pytest.approx(298 / 1322, abs=1e-3)
    assert "markerless" in cli._format_text(info)


def test_theia_values_are_plausible(theia_run):
    s = theia_run
    assert s["status"] == "ok" and s["kinematics_source"] == "poses"
    assert s["n_strides"] >= 8
    stride = 1.0 / s["stride_frequency_hz"]
    assert 0.45 < stride < 0.8  # running at ~4.5 m/s
    assert 0.15 < s["stance_time_s"] < 0.3
    assert 8 < s["pelvis_rot_rom_deg"] < 30 and 8 < s["thorax_rot_rom_deg"] < 35
    assert 60 < s["crp_marp_deg"] < 180 and 60 < s["relphase_fourier_deg"] < 180
    assert 5 < s["knee_flex_td_deg"] < 35 and 30 < s["knee_flex_peak_stance_deg"] < 55
    assert 0 < s["trunk_incl_td_deg"] < 25
    print({k: round(s[k], 1) for k in ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "crp_marp_deg")})


@pytest.mark.parametrize(
    ("key", "value"), [("pose_bump_window_s", 0.0), ("pose_floor_window_s", 0.1)]
)
def test_theia_event_settings_are_recorded_and_matter(theia, theia_run, tmp_path, key, value):
    """Without the opening, the rebounding heel of the left stance at 12.35 s moves its TD."""
    settings = Settings(**{key: value})
    changed = _extract(theia, tmp_path / "out", 70.0, settings)
    assert changed["settings"][key] == value and theia_run["settings"][key] != value
    before, after = theia_run["stances_df"], changed["stances_df"]
    assert len(before) != len(after) or not np.allclose(before.td_s, after.td_s)


def test_theia_left_touchdown_before_the_heel_rebound(theia_run):
    stances = theia_run["stances_df"]
    first_left = stances[stances.side == "L"].iloc[0]
    assert first_left.td_s == pytest.approx(12.357, abs=1 / 85)
    assert 0.19 < first_left.stance_time_s < 0.23 and first_left.knee_flex_td_deg < 30


def _rotation_data_offset(path: Path) -> tuple[int, int]:
    params = _c3d_poses.rotation_parameters(path, processor="Intel")
    return (params["DATA_START"] - 1) * 512, params["USED"]


def test_theia_untracked_stretch_invalidates_only_its_strides(theia, theia_run, tmp_path):
    data = bytearray(theia.read_bytes())
    start, used = _rotation_data_offset(theia)
    lo, hi = 1150, 1166  # 16 frames (188 ms) of the pelvis lost inside the tracked stretch
    nan = struct.pack("<f", float("nan")) * 16
    for frame in range(lo, hi):
        at = start + (frame * used + 1) * 17 * 4  # segment 1 = pelvis_4X4
        data[at : at + 64] = nan
    broken = tmp_path / "pose_gap.c3d"
    broken.write_bytes(bytes(data))
    strides = _extract(broken, tmp_path / "out", 70.0)["strides_df"]
    clean = theia_run["strides_df"]
    assert len(strides) == len(clean)
    fs = 85.0
    touched = (strides.td_s * fs <= hi) & (strides.next_td_s * fs >= lo - 1)
    assert 1 <= touched.sum() <= 3
    assert not strides.valid[touched].any() and strides.valid[~touched].all()
    np.testing.assert_allclose(
        strides.pelvis_rot_rom_deg[~touched], clean.pelvis_rot_rom_deg[~touched], atol=0.3
    )


# --------------------------------------------------------------------------------------------
# Broken ROTATION blocks: one sentence
# --------------------------------------------------------------------------------------------


def _patch_rotation_int(src: Path, dst: Path, name: str, value: int) -> None:
    data = bytearray(src.read_bytes())
    start = (data[0] - 1) * 512
    section = bytes(data[start : start + data[start + 2] * 512])
    entries = list(_c3d_poses._entries(section, "<"))
    group = next(-gid for gid, label, *_ in entries if gid < 0 and label == "ROTATION")
    at = next(a for gid, label, _k, _d, _v, a in entries if gid == group and label == name)
    data[start + at : start + at + 2] = struct.pack("<h", value)
    dst.write_bytes(bytes(data))


BROKEN = {
    "truncated_half": ("truncate", 0.5, "the file is truncated: its ROTATION block"),
    "truncated_params": ("truncate", 6000, "the file is truncated: its ROTATION block"),
    "used_too_few": ("USED", 10, "ROTATION:USED and ROTATION:LABELS disagree"),
    "used_too_many": ("USED", 25, "the file is truncated: its ROTATION block (25 segment"),
    "used_negative": ("USED", -3, "impossible counts"),
    "start_in_parameters": ("DATA_START", 2, "impossible counts"),
    "start_past_end": ("DATA_START", 9999, "the file is truncated"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_rotation_block_gives_one_sentence(theia, tmp_path, case):
    kind, value, message = BROKEN[case]
    path = tmp_path / f"{case}.c3d"
    if kind == "truncate":
        data = theia.read_bytes()
        path.write_bytes(data[: int(len(data) * value) if value < 1 else value])
    else:
        _patch_rotation_int(theia, path, kind, value)
    with pytest.raises(c3d.C3DError) as raised:
        c3d.load(path)
    text = str(raised.value)
    assert text.startswith(f"{path.name}: ") and message in text and "\n" not in text
    summary = trial.extract(path, tmp_path / "out")
    assert summary["status"] == "failed" and summary["error"] == text


def test_broken_rotation_block_cli_exit_2(theia, tmp_path):
    path = tmp_path / "cut.c3d"
    path.write_bytes(theia.read_bytes()[:900_000])
    run = subprocess.run(
        [sys.executable, "-m", "lbprun.cli", "extract", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: cut.c3d: the file is truncated")
    assert json.loads((tmp_path / "o" / "trial.json").read_text())["status"] == "failed"


# --------------------------------------------------------------------------------------------
# A cohort mixing marker and markerless trials, through the workflow
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_mixed_cohort_runs_through_the_workflow(tmp_path):
    folder = tmp_path / "cohort"
    synth.write_cohort(
        folder,
        n_per_group=2,
        speeds_mps=(3.0, 3.5),
        duration_s=10.0,  # enough strides for every outcome (coherence needs 12)
        seed=21,
        markerless_subjects=("S02", "S04"),
    )
    config = {
        "participants": str(folder / "participants.tsv"),
        "trials": str(folder / "trials.tsv"),
        "data_dir": str(folder),
        "demo": {"enabled": False},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    repo = Path(__file__).resolve().parents[1]
    snakemake = Path(sys.executable).parent / "snakemake"
    cmd = [str(snakemake), "-s", str(repo / "Snakefile"), "--directory", str(tmp_path)]
    cmd += ["--configfile", str(tmp_path / "config.yaml"), "--cores", "2"]
    env = {**os.environ, "PATH": f"{snakemake.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    keys = ["subject", "trial"]
    trials = pd.read_csv(tmp_path / "results" / "cohort" / "trials.csv").set_index(keys)
    assert len(trials) == 8 and set(trials["status"]) == {"ok"}
    source = trials["kinematics_source"].groupby(level="subject").agg(set)
    assert source.to_dict() == {
        "S01": {"markers"},
        "S02": {"poses"},
        "S03": {"markers"},
        "S04": {"poses"},
    }
    truth = pd.read_csv(folder / "truth_trials.csv").set_index(keys)
    error = (trials["pelvis_rot_rom_deg"] - truth["pelvis_rot_rom_deg"]).abs()
    assert error.max() < 0.5, error
    assert (tmp_path / "results" / "stats" / "group_tests.csv").is_file()


def test_theia_without_a_mass_says_why_each_null_is_null_and_what_fixes_it(theia, tmp_path):
    # What a user runs first on a markerless file: `lbprun inspect` with no mass and no plates.
    # Every null outcome has its reason (no "see the warnings"): the vGRF measures for want of a
    # plate stance, the coherence for want of strides -- and the coherence's fix is a longer
    # record, not the thorax markers of its family (the torso pose gives the thorax).
    outcomes = inspect_json(theia)["outcomes"]
    nulls = {k: v for k, v in outcomes.items() if not v["computed"]}
    assert set(nulls) == {"coherence_stride", *FORCE_OUTCOMES}
    for key in FORCE_OUTCOMES:
        assert nulls[key]["reason"].startswith("no stance on a force plate"), nulls[key]
    coherence = nulls["coherence_stride"]
    assert "Welch segment" in coherence["reason"] and "12.0 strides" in coherence["reason"]
    assert "more strides" in coherence["fix"] and "C7" not in coherence["fix"]
    assert outcomes["thorax_rot_rom_deg"]["computed"]
    # the same reasons reach the cohort sheet through trial.json
    run = _extract(theia, tmp_path, None)
    assert "see the warnings" not in run["null_outcomes"]
    assert "no stance on a force plate" in run["null_outcomes"]
