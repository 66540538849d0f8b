"""lbprun.kinematics against Vicon Nexus / Workstation Plug-in Gait outputs stored in real C3Ds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lbprun.c3d import load
from lbprun.kinematics import (
    pelvis_frame,
    pig_knee_angles,
    pig_thorax_frame,
    progression_frame,
    reconstruct_points,
    segment_angles,
    stride_amplitudes,
)
from lbprun.kinematics.rotations import euler_from_matrix, matrix_from_euler
from lbprun.signals import cut_cycles

NEXUS = ("btkdata/PiG_Motion-FlatFoot-Full.c3d", "gaitalytics/treadmill_events.c3d")
WORKSTATION = ("c3dorg-via-btkdata/sample09/PlugInC3D.c3d",)
PIG_ROLES = {"asis": "ASI", "psis": "PSI", "thigh": "THI", "knee_lat": "KNE"}
PIG_ROLES |= {"tibia": "TIB", "ankle_lat": "ANK"}


def _markers(trial) -> dict[str, np.ndarray]:
    """Plug-in Gait labels to role names (the markerset module does this for the pipeline)."""
    roles = {
        f"{s}_{role}": f"{s.upper()}{label}" for s in "lr" for role, label in PIG_ROLES.items()
    }
    roles |= {"sacrum": "SACR"}
    return {role: trial.marker(label) for role, label in roles.items() if trial.has(label)}


def _strides(trial, side: str) -> list[tuple[int, int]]:
    """Foot strike to next ipsilateral foot strike, as frame indices, from the EVENT group."""
    context = {"l": "Left", "r": "Right"}[side]
    strikes = [
        round(e.time_s * trial.markers_hz)
        for e in trial.events
        if e.label == "Foot Strike" and e.context == context
    ]
    return [(a, b) for a, b in itertools.pairwise(strikes) if a >= 0 and b < trial.frames]


def _pelvis(markers):
    return pelvis_frame(
        markers["l_asis"],
        markers["r_asis"],
        l_psis=markers.get("l_psis"),
        r_psis=markers.get("r_psis"),
        sacrum=markers.get("sacrum"),
    )


@pytest.fixture(scope="module", params=NEXUS)
def nexus_trial(request, c3d_dir):
    return load(c3d_dir / request.param)


@pytest.mark.parametrize("side", ["l", "r"])
def test_knee_flexion_matches_nexus_over_each_stride(nexus_trial, side):
    angles, _ = pig_knee_angles(_markers(nexus_trial), nexus_trial.metadata["processing"])
    nexus = nexus_trial.model_outputs[f"{side.upper()}KneeAngles"]
    strides = _strides(nexus_trial, side)
    assert strides
    for start, end in strides:
        ours, ref = angles[side][start : end + 1, 0], nexus[start : end + 1, 0]
        rms = np.sqrt(np.mean((ours - ref) ** 2))
        assert rms <= 1.0
        assert np.corrcoef(ours, ref)[0, 1] >= 0.999
        # A faithful Plug-in Gait model is at ~0.1 deg; 0.3 guards against regressions.
        assert rms <= 0.3


def test_nexus_knee_frontal_and_transverse_components_also_match(nexus_trial):
    angles, _ = pig_knee_angles(_markers(nexus_trial), nexus_trial.metadata["processing"])
    for side in "lr":
        diff = angles[side] - nexus_trial.model_outputs[f"{side.upper()}KneeAngles"]
        assert np.sqrt(np.nanmean(diff[:, 1:] ** 2, axis=0)).max() < 0.4


def _rotation_amplitudes(trial, frame, nexus_name):
    """Per-stride rotation amplitude: ours (rotation-first) and Nexus's (third component)."""
    markers = _markers(trial)
    pelvis = _pelvis(markers)
    progression, _ = progression_frame(pelvis.origin, pelvis_anterior=pelvis.rot[:, :, 0])
    rotation = segment_angles(frame.rot, progression)[:, 0]
    out = []
    for side in "lr":
        nexus = trial.model_outputs[f"{side.upper()}{nexus_name}"][:, 2]
        strides = _strides(trial, side)
        out.append((stride_amplitudes(rotation, strides), stride_amplitudes(nexus, strides)))
    return out


def test_pelvis_rotation_amplitude_within_half_degree_of_nexus(nexus_trial):
    pelvis = _pelvis(_markers(nexus_trial))
    for ours, nexus in _rotation_amplitudes(nexus_trial, pelvis, "PelvisAngles"):
        assert len(ours) and np.isfinite(ours).all()
        assert np.abs(ours - nexus).max() <= 0.5


def test_pelvis_angles_reproduce_nexus_with_plug_in_gait_sequence(nexus_trial):
    """With Plug-in Gait's own YXZ sequence the ISB pelvis gives Nexus's PelvisAngles exactly."""
    markers = _markers(nexus_trial)
    pelvis = _pelvis(markers)
    progression, _ = progression_frame(pelvis.origin, pelvis_anterior=pelvis.rot[:, :, 0])
    tilt, obliquity, rotation = segment_angles(pelvis.rot, progression, sequence="yxz").T
    for side, sign in (("L", -1.0), ("R", 1.0)):
        nexus = nexus_trial.model_outputs[f"{side}PelvisAngles"]
        # Plug-in Gait: obliquity positive = own side up, rotation positive = own side forward.
        ours = np.column_stack([tilt, -sign * obliquity, sign * rotation])
        assert np.sqrt(np.nanmean((ours - nexus) ** 2, axis=0)).max() < 0.05


def test_thorax_rotation_amplitude_within_half_degree_of_nexus(nexus_trial):
    """Nexus's thorax is Plug-in Gait's frame; with it our rotation-first amplitude agrees."""
    t = nexus_trial
    thorax = pig_thorax_frame(t.marker("C7"), t.marker("T10"), t.marker("CLAV"), t.marker("STRN"))
    for ours, nexus in _rotation_amplitudes(t, thorax, "ThoraxAngles"):
        assert len(ours) and np.isfinite(ours).all()
        assert np.abs(ours - nexus).max() <= 0.5


@pytest.mark.parametrize("name", WORKSTATION)
def test_older_workstation_files_within_three_degrees(c3d_dir, name):
    trial = load(c3d_dir / name)
    angles, warnings = pig_knee_angles(_markers(trial), trial.metadata.get("processing", {}))
    assert any("LegLength" in w for w in warnings)  # no PROCESSING group: inferred and said so
    for side in "lr":
        nexus = trial.model_outputs[f"{side.upper()}KneeAngles"][:, 0]
        ok = np.isfinite(angles[side][:, 0]) & np.isfinite(nexus)
        assert ok.sum() > 100
        assert np.sqrt(np.mean((angles[side][ok, 0] - nexus[ok]) ** 2)) <= 3.0


@pytest.mark.xfail(
    strict=True,
    reason="sample04 was processed with a knee alignment device: the thigh/shank rotation "
    "offsets from its static trial are not stored in the file, so the femur axes cannot be "
    "reproduced (RMS 7-17 deg).",
)
def test_sample04_with_kad_offsets_within_three_degrees(c3d_dir):
    trial = load(c3d_dir / "c3dorg-via-btkdata/sample04/sub_labels.c3d")
    angles, _ = pig_knee_angles(_markers(trial), trial.metadata.get("processing", {}))
    for side in "lr":
        nexus = trial.model_outputs[f"{side.upper()}KneeAngles"][:, 0]
        ok = np.isfinite(angles[side][:, 0]) & np.isfinite(nexus)
        assert np.sqrt(np.mean((angles[side][ok, 0] - nexus[ok]) ** 2)) <= 3.0


def test_static_calibration_reconstructs_lateral_landmarks_in_running(c3d_dir):
    """JA1Static05 calibrates epicondyles/malleoli on the clusters; JA1Gait21 still has the
    lateral ones, so the reconstruction can be checked against a measured marker."""
    static = load(c3d_dir / "dorn2012_flash-running/JA1Static05.c3d")
    dynamic = load(c3d_dir / "dorn2012_flash-running/JA1Gait21.c3d")
    for side in "LR":
        shank = [f"{side}TIAP", f"{side}TIAD", f"{side}TILAT"]
        thigh = [f"{side}THLP", f"{side}THLD", f"{side}THAP", f"{side}THAD"]
        for cluster, point in ((shank, f"{side}LMAL"), (thigh, f"{side}LEPI")):
            rebuilt = reconstruct_points(
                np.stack([static.marker(m) for m in cluster], axis=1),
                static.marker(point)[:, None],
                np.stack([dynamic.marker(m) for m in cluster], axis=1),
            )[:, 0]
            error_mm = 1000 * np.nanmedian(np.linalg.norm(rebuilt - dynamic.marker(point), axis=1))
            # Thigh soft-tissue artefact in running is large (measured 19-26 mm median here).
            assert error_mm < (10.0 if point.endswith("MAL") else 30.0)


# ------------------------------------------------------- what `lbprun extract` gives users

# Every shared file with Nexus/Workstation Plug-in Gait outputs and strides, and the number of
# valid strides the pipeline finds in it (so that the checks below cannot pass on none).
# Not here: PiG_Calibration-FlatFoot-Full (a static trial, no stride); others/parameterOverflow
# (btk's parameter test: every pelvis and leg marker is missing, so there is no knee or pelvis
# to compare); sample04/sub_labels (knee alignment device, see the xfail above).
EXTRACTED = {
    "gaitalytics/treadmill_events.c3d": 18,
    "btkdata/PiG_Motion-FlatFoot-Full.c3d": 3,
    "c3dorg-via-btkdata/sample09/PlugInC3D.c3d": 1,
}


@pytest.fixture(scope="module", params=list(EXTRACTED))
def extracted(request, c3d_dir, tmp_path_factory):
    """The trial and what `lbprun extract` wrote for it (strides table, waveforms)."""
    import pandas as pd

    from lbprun import cli

    out = tmp_path_factory.mktemp("nexus") / "out"
    assert cli.main(["extract", str(c3d_dir / request.param), "--out", str(out)]) == 0
    with np.load(out / "waveforms.npz") as npz:
        waves = {k: npz[k] for k in npz.files}
    strides = pd.read_csv(out / "strides.csv")
    assert strides["valid"].sum() == EXTRACTED[request.param]
    return load(c3d_dir / request.param), strides, waves


def _nexus_cycle(trial, row, series: np.ndarray) -> np.ndarray:
    """A Nexus series cut at the stride's own (pipeline) events, as waveforms.npz is."""
    fs = trial.markers_hz
    return cut_cycles(series, starts=[row.td_s * fs], stops=[row.next_td_s * fs])[0]


def _valid_rows(strides):
    return [(i, row) for i, row in strides.iterrows() if row["valid"]]


def test_extracted_knee_waveform_matches_nexus_per_stride(extracted):
    # issue 11: on treadmill_events the pipeline mixed the Plug-in Gait lateral knee marker with
    # another set's medial epicondyle marker (5-7 deg RMS); it now runs Plug-in Gait's model
    trial, strides, waves = extracted
    for i, row in _valid_rows(strides):
        nexus = _nexus_cycle(trial, row, trial.model_outputs[f"{row.side}KneeAngles"][:, 0])
        ours = waves["knee_flex_deg"][i]
        assert np.sqrt(np.mean((ours - nexus) ** 2)) <= 1.0, (row.side, row.td_s)
        assert np.corrcoef(ours, nexus)[0, 1] >= 0.999, (row.side, row.td_s)


def _nexus_pelvis_rotation_first(trial, side: str) -> np.ndarray:
    """Nexus's PelvisAngles (Plug-in Gait's tilt-first YXZ) re-expressed rotation-first (ZXY).

    The two sequences describe the same orientation; only the split into three angles differs
    (SCIENCE.md uses rotation first, Baker 2001). Plug-in Gait reports left-side obliquity and
    rotation with the sign flipped (positive = own side up / forward).
    """
    tilt, obliquity, rotation = trial.model_outputs[f"{side}PelvisAngles"].T
    if side == "R":
        obliquity = -obliquity
    else:
        rotation = -rotation
    rot = matrix_from_euler(np.column_stack([tilt, obliquity, rotation]), seq="yxz")
    return euler_from_matrix(rot, seq="zxy")[:, 0]


def test_extracted_pelvis_rotation_matches_nexus_per_stride(extracted):
    trial, strides, waves = extracted
    for i, row in _valid_rows(strides):
        nexus = _nexus_cycle(trial, row, _nexus_pelvis_rotation_first(trial, row.side))
        # waveforms.npz mirrors left strides (so both sides' curves align): undo it here
        ours = waves["pelvis_rot_deg"][i] * (-1.0 if row.side == "L" else 1.0)
        assert np.sqrt(np.mean((ours - nexus) ** 2)) <= 1.0, (row.side, row.td_s)


def test_extracted_thorax_rotation_differs_from_nexus_by_the_frame_definition(extracted):
    """ISB thorax (SCIENCE.md, Wu 2005) vs Plug-in Gait's thorax: a documented difference.

    Measured per stride: 0.9-1.2 deg RMS on treadmill_events, 2.9-3.2 deg on PiG_Motion, mostly
    a constant offset (at most 1.1 deg RMS left after removing it). Plug-in Gait's own thorax
    frame gives Nexus's amplitudes to 0.5 deg
    (test_thorax_rotation_amplitude_within_half_degree_of_nexus).
    """
    trial, strides, waves = extracted
    # Workstation's PlugInC3D stores no ThoraxAngles (and has no thorax markers); the others do
    has_thorax = "sample09" not in str(trial.path)
    assert ("RThoraxAngles" in trial.model_outputs) == has_thorax
    rows = _valid_rows(strides) if has_thorax else []
    for i, row in rows:
        nexus = _nexus_cycle(trial, row, trial.model_outputs[f"{row.side}ThoraxAngles"][:, 2])
        ours = waves["thorax_rot_deg"][i]  # mirrored for L, as Nexus's left-side sign
        diff = ours - nexus
        assert np.sqrt(np.mean(diff**2)) <= 3.5, (row.side, row.td_s)
        assert np.sqrt(np.mean((diff - diff.mean()) ** 2)) <= 1.5, (row.side, row.td_s)
