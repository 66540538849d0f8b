"""Filtered marker roles -> the angle time series of one trial (pelvis, thorax, trunk, knees).

Each series is a 1-D array over marker frames, or absent with a warning that says which
landmarks were missing. Knee flexion is computed by the most faithful model the markers
allow: the joint coordinate system with medial and lateral markers, Plug-in Gait's own model
with its thigh and tibia wands, or anatomical points calibrated on a static trial and carried
by the thigh and shank clusters (those come in as roles from :mod:`lbprun.trial.landmarks`,
which calibrates each cluster once per trial).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lbprun import kinematics as kin
from lbprun.settings import Settings
from lbprun.signals import butter_lowpass
from lbprun.trial.sources import convention_warnings, pose_frames

PIG_LEG = ("thigh", "knee_lat", "tibia", "ankle_lat")
JCS_LEG = ("knee_lat", "knee_med", "ankle_lat", "ankle_med")


@dataclass
class Series:
    """Angle time series (degrees, NaN where markers were missing too long)."""

    pelvis_rot: np.ndarray | None = None
    thorax_rot: np.ndarray | None = None
    trunk_rot: np.ndarray | None = None
    trunk_incl: np.ndarray | None = None
    knee_flex: dict[str, np.ndarray] = field(default_factory=dict)  # "L"/"R"
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def filtered_roles(trial, mapping: dict[str, str], /, *, settings: Settings) -> dict:
    """Role -> marker positions, gap-filled (short gaps) and low-pass filtered in one call.

    A label without a single recorded sample counts as missing (btk's parameterOverflow.c3d
    names every pelvis marker and holds none).

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> trial = c3d.load(synth.example_trial())
    >>> roles = filtered_roles(trial, {"l_asis": "LASI", "c7": "NOPE"}, settings=Settings())
    >>> sorted(roles), roles["l_asis"].shape  # NOPE is not in the file
    (['l_asis'], (600, 3))
    """
    roles = [
        r for r in mapping if trial.has(mapping[r]) and np.isfinite(trial.marker(mapping[r])).any()
    ]
    if not roles:
        return {}
    stack = np.stack([trial.marker(mapping[r]) for r in roles], axis=1)
    smooth = butter_lowpass(
        stack,
        fs_hz=trial.markers_hz,
        cutoff_hz=settings.marker_cutoff_hz,
        order=settings.filter_order,
        max_gap_frames=settings.max_gap_frames,
    )
    return {role: smooth[:, i, :] for i, role in enumerate(roles)}


def _pelvis(roles: dict, out: Series, pose=None):
    if not {"l_asis", "r_asis"} <= roles.keys() or not (
        {"l_psis", "r_psis"} <= roles.keys() or "sacrum" in roles
    ):
        if pose is not None:  # markerless (or mixed) trial: the pelvis pose
            out.settings["pelvis_source"] = "poses"
            return pose
        out.warnings.append(
            "pelvis markers incomplete (both ASIS and the PSIS or sacrum are needed): "
            "pelvis and trunk rotation are null"
        )
        return None
    out.settings["pelvis_source"] = "markers"
    frame = kin.pelvis_frame(
        roles["l_asis"],
        roles["r_asis"],
        l_psis=roles.get("l_psis"),
        r_psis=roles.get("r_psis"),
        sacrum=roles.get("sacrum"),
    )
    out.warnings.extend(frame.warnings)
    return frame


def _thorax(roles: dict, out: Series, pose=None):
    if not {"c7", "ij"} <= roles.keys():
        if pose is not None:
            out.settings["thorax_source"] = "poses"
            return pose
        missing = [r for r in ("c7", "ij") if r not in roles]
        out.warnings.append(
            f"no thorax markers ({', '.join(missing)} missing): thorax and trunk rotation, "
            "trunk inclination and pelvis-thorax coordination are null"
        )
        return None
    out.settings["thorax_source"] = "markers"
    frame = kin.thorax_frame(c7=roles["c7"], t8=roles.get("t8"), ij=roles["ij"], px=roles.get("px"))
    out.warnings.extend(frame.warnings)
    return frame


def _progression(roles: dict, pelvis, thorax):
    if pelvis is not None:
        anterior = pelvis.rot[:, :, 0]
        return kin.progression_frame(pelvis.origin, pelvis_anterior=anterior)
    return kin.progression_frame(thorax.origin, pelvis_anterior=thorax.rot[:, :, 0])


def segment_series(roles: dict, /, *, out: Series, poses: dict | None = None) -> tuple:
    """Pelvis, thorax and trunk rotation and trunk inclination; returns the pelvis frame.

    ``poses`` (:func:`lbprun.trial.sources.pose_frames`) fill in segments without markers.

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> from lbprun.trial.landmarks import landmarks
    >>> marks = landmarks(c3d.load(synth.example_trial()))
    >>> roles = filtered_roles(marks.trial, marks.found.mapping, settings=Settings())
    >>> out = Series()
    >>> pelvis = segment_series(roles, out=out)
    >>> pelvis.rot.shape, round(float(np.ptp(out.pelvis_rot)))  # simulated: 2 x 7.5 deg
    ((600, 3, 3), 15)
    >>> out.settings
    {'pelvis_source': 'markers', 'thorax_source': 'markers', 'progression_axis': '+X'}
    """
    poses = poses or {}
    pelvis = _pelvis(roles, out, poses.get("pelvis"))
    thorax = _thorax(roles, out, poses.get("thorax"))
    if pelvis is None and thorax is None:
        return None
    try:
        progression, axis = _progression(roles, pelvis, thorax)
    except ValueError as exc:  # neither segment travels nor faces a direction: no lab frame
        out.warnings.append(f"{exc}: pelvis, thorax and trunk angles are null")
        return None
    out.settings["progression_axis"] = axis
    if pelvis is not None:
        out.pelvis_rot = kin.segment_angles(pelvis.rot, progression)[:, 0]
    if thorax is not None:
        out.thorax_rot = kin.segment_angles(thorax.rot, progression)[:, 0]
        out.trunk_incl = kin.trunk_inclination(thorax.rot, progression)
    if pelvis is not None and thorax is not None:
        out.trunk_rot = kin.trunk_angles(thorax.rot, pelvis.rot)[:, 0]
    return pelvis


def _hip_centre(pelvis, roles: dict, trial, side: str, out: Series) -> np.ndarray:
    """Static-calibrated centre, Davis (Plug-in Gait) with subject measurements, else Harrington."""
    if f"{side}_hjc" in roles:  # from the static's trochanters (kinematics.clusters)
        out.settings["hip_joint_centre"] = "static_trochanters"
        return roles[f"{side}_hjc"]
    processing = trial.metadata.get("processing", {})
    if any(k.endswith("LegLength") for k in processing):
        subject, _ = kin.pig_subject(processing, roles)
        return kin.davis_hjc(pelvis, subject, side)
    back = roles.get("sacrum")
    if back is None:
        back = 0.5 * (roles["l_psis"] + roles["r_psis"])
    out.settings["hip_joint_centre"] = "harrington2007"
    return kin.harrington_hjc(pelvis, roles["l_asis"], roles["r_asis"], back, side)


def _leg_model(roles: dict, side: str, processing: dict) -> str | None:
    """Most faithful knee model available: anatomical markers (or static-calibrated), PiG wands.

    A file prepared for Plug-in Gait (wands and the side's knee width in its PROCESSING
    group) gets Plug-in Gait's own model even when medial markers are also present: SCIENCE.md
    asks for results that agree with Vicon Nexus on Plug-in Gait data, and the midpoint of a
    lateral PiG marker and a medial marker of another set is neither model (5-7 deg RMS from
    the file's own KneeAngles on gaitalytics/treadmill_events.c3d).
    """
    s = side.lower()
    if all(f"{s}_{r}" in roles for r in PIG_LEG) and f"{side}KneeWidth" in processing:
        return "plug_in_gait"
    if all(f"{s}_{r}" in roles for r in JCS_LEG):
        return "jcs"
    if all(f"{s}_{r}" in roles for r in PIG_LEG):
        return "plug_in_gait"
    return None


def _pose_knee(poses: dict, side: str, out: Series) -> bool:
    """Knee flexion from the thigh and shank poses (JCS, as for markers); False without them."""
    s = side.lower()
    thigh, shank = poses.get(f"{s}_thigh"), poses.get(f"{s}_shank")
    if thigh is None or shank is None:
        return False
    out.settings[f"knee_model_{side}"] = "poses"
    out.knee_flex[side] = kin.knee_angles(thigh.rot, shank.rot, s)[:, 0]
    return True


def knee_series(trial, roles: dict, pelvis, /, *, out: Series, poses=None) -> None:
    """Knee flexion of each leg by the most faithful model the markers (or poses) allow.

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> from lbprun.trial.landmarks import landmarks
    >>> marks = landmarks(c3d.load(synth.example_trial()))
    >>> roles = filtered_roles(marks.trial, marks.found.mapping, settings=Settings())
    >>> out = Series()
    >>> knee_series(marks.trial, roles, segment_series(roles, out=out), out=out)
    >>> sorted(out.knee_flex), out.settings["knee_model_L"], out.knee_flex["L"].shape
    (['L', 'R'], 'plug_in_gait', (600,))
    """
    poses = poses or {}
    if pelvis is None or pelvis is poses.get("pelvis"):
        for side in ("L", "R"):
            if not _pose_knee(poses, side, out) and pelvis is None:
                out.warnings.append(
                    f"knee flexion ({side}) is null: the hip joint centre needs the pelvis "
                    "markers and the trial has no thigh and shank poses"
                )
        return
    pig_subject = None
    for side in ("L", "R"):
        s = side.lower()
        model = _leg_model(roles, side, trial.metadata.get("processing", {}))
        out.settings[f"knee_model_{side}"] = model
        if model is None and _pose_knee(poses, side, out):
            continue
        if model is None:
            out.warnings.append(
                f"knee flexion ({side}) is null: neither medial and lateral knee/ankle markers, "
                "Plug-in Gait thigh/tibia wands, nor a static trial to calibrate them"
            )
            continue
        if model == "plug_in_gait":
            if pig_subject is None:
                pig_subject, more = kin.pig_subject(trial.metadata.get("processing", {}), roles)
                out.warnings.extend(more)
            hjc = kin.davis_hjc(pelvis, pig_subject, s)
            femur, tibia = kin.pig_leg(roles, hjc, pig_subject, s)
        else:
            hjc = _hip_centre(pelvis, roles, trial, s, out)
            femur, tibia = kin.jcs_leg(roles, hjc, s)
        out.knee_flex[side] = kin.knee_angles(femur.rot, tibia.rot, s)[:, 0]


def _used_roles(trial, mapping: dict, static) -> dict[str, str]:
    """Return the roles some angle needs, the only ones worth filtering.

    Not the feet (events use the raw markers), and a side's leg markers only when that side
    can have a knee model (static calibration, Plug-in Gait wands or medial markers).
    """
    present = {r for r, label in mapping.items() if trial.has(label)}
    used = {}
    for role, label in mapping.items():
        side, _, name = role.partition("_")
        if name in ("heel", "toe", "mt1", "mt5"):
            continue
        if name in {*PIG_LEG, *JCS_LEG, "thigh"} and static is None:
            sets = (PIG_LEG, JCS_LEG)
            if not any(all(f"{side}_{r}" in present for r in need) for need in sets):
                continue
        used[role] = label
    return used


def angle_series(trial, mapping: dict, /, *, static=None, settings: Settings) -> Series:
    """Every angle series the trial's markers allow, with warnings for the rest.

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> from lbprun.trial.landmarks import landmarks
    >>> marks = landmarks(c3d.load(synth.example_trial()))
    >>> angles = angle_series(marks.trial, marks.found.mapping, settings=Settings())
    >>> angles.pelvis_rot.shape, sorted(angles.knee_flex), angles.warnings
    ((600,), ['L', 'R'], [])
    >>> round(float(np.nanmean(angles.trunk_incl)))  # simulated: 8 deg forward lean
    8
    """
    out = Series()
    roles = filtered_roles(trial, _used_roles(trial, mapping, static), settings=settings)
    poses = pose_frames(trial, settings=settings)
    out.warnings.extend(convention_warnings(poses))
    pelvis = segment_series(roles, out=out, poses=poses)
    knee_series(trial, roles, pelvis, out=out, poses=poses)
    return out
