"""Where each measure's kinematics come from: markers, or a markerless system's segment poses.

Markers are used wherever they define a segment (the validated path); segment poses
(:mod:`lbprun.kinematics.poses`) fill in what the markers cannot: a markerless trial takes
everything from poses, a mixed trial only what its markers lack. Every choice is recorded
(``pelvis_source``, ``thorax_source``, ``knee_model_L/R`` = ``"poses"``, ``event_feet_L/R``)
in ``trial.json``'s settings, and ``kinematics_source`` summarises it.
"""

from __future__ import annotations

import numpy as np

from lbprun.kinematics import poses as pose_kin
from lbprun.kinematics.frames import MIN_PROGRESSION_M
from lbprun.settings import Settings

_TRUNK_AND_LEGS = ("pelvis", "thorax", "l_thigh", "r_thigh", "l_shank", "r_shank")
# A runner's pelvis faces the direction of travel within tens of degrees (rotation amplitude
# ~ +-10 deg, a curved path); beyond this the axes are not what Theia3D writes.
MAX_HEADING_OFFSET_DEG = 45.0


def pose_frames(trial, /, *, settings: Settings) -> dict:
    """Segment frames from the trial's poses, filtered like markers (empty without poses).

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> frames = pose_frames(c3d.load(synth.example_trial(markerless=True)), settings=Settings())
    >>> sorted(frames), frames["pelvis"].rot.shape
    (['l_shank', 'l_thigh', 'pelvis', 'r_shank', 'r_thigh', 'thorax'], (600, 3, 3))
    >>> pose_frames(c3d.load(synth.example_trial()), settings=Settings())  # markers only
    {}
    """
    if not getattr(trial, "poses", None):
        return {}
    filt = pose_kin.Filter(
        fs_hz=trial.markers_hz,
        cutoff_hz=settings.marker_cutoff_hz,
        order=settings.filter_order,
        max_gap_frames=settings.max_gap_frames,
    )
    return pose_kin.segment_frames(trial.poses, _TRUNK_AND_LEGS, filt=filt)


def convention_warnings(frames: dict, /) -> list[str]:
    """Say when the pelvis pose's anterior axis does not point along the direction of travel.

    Only Theia3D's axes (x right, y anterior, z up) are known; a system writing others gives
    a pelvis whose "anterior" axis points sideways or backwards while the runner travels.
    Treadmill trials (no travel) cannot be checked.

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> run = c3d.load(synth.example_trial(setup="overground", markerless=True))
    >>> frames = pose_frames(run, settings=Settings())
    >>> convention_warnings(frames)
    []
    >>> pelvis = frames["pelvis"]
    >>> backwards = pelvis._replace(rot=pelvis.rot * [-1, -1, 1])  # x and y axes reversed
    >>> convention_warnings({"pelvis": backwards})[0][:58]
    "the pelvis pose's anterior axis points 180 deg away from t"
    """
    pelvis = frames.get("pelvis")
    if pelvis is None:
        return []
    ok = np.isfinite(pelvis.origin).all(axis=1) & np.isfinite(pelvis.rot).all(axis=(1, 2))
    if ok.sum() < 2:
        return []
    travel = pelvis.origin[ok][-1, :2] - pelvis.origin[ok][0, :2]
    if np.hypot(*travel) < MIN_PROGRESSION_M:
        return []
    anterior = pelvis.rot[ok][:, :2, 0].mean(axis=0)
    cosine = anterior @ travel / (np.linalg.norm(anterior) * np.linalg.norm(travel) or 1.0)
    angle = float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))
    if angle <= MAX_HEADING_OFFSET_DEG:
        return []
    return [
        f"the pelvis pose's anterior axis points {angle:.0f} deg away from the direction of "
        "travel: the segment poses may not use Theia3D's axes (x right, y anterior, z up), "
        "and every angle from them is suspect"
    ]


def feet(trial, marker_feet: dict, /, *, settings: Settings) -> tuple[dict, dict, list[str]]:
    """Foot points for event detection: each side's markers, else its heel/toe from poses.

    From poses, the detector gets one point per foot whose height is the sole's clearance
    above its local floor (:func:`lbprun.kinematics.poses.contact_point`).

    Returns
    -------
    feet : dict
        ``{"L": (n, k, 3), "R": ...}`` for :func:`lbprun.events.detect`.
    sources : dict
        ``{"event_feet_L": "markers" | "poses", ...}`` for the sides that have points.
    warnings : list of str
        For a trial with poses, each foot that has neither markers nor landmarks.

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> run = c3d.load(synth.example_trial(markerless=True))
    >>> points, sources, warnings = feet(run, {}, settings=Settings())
    >>> {side: p.shape for side, p in points.items()}, sources, warnings
    ({'L': (600, 1, 3), 'R': (600, 1, 3)}, {'event_feet_L': 'poses', 'event_feet_R': 'poses'}, [])
    """
    out, sources, warnings = dict(marker_feet), {}, []
    for side in ("L", "R"):
        if side in out and np.isfinite(out[side]).any():
            sources[f"event_feet_{side}"] = "markers"
            continue
        landmarks = trial.metadata.get("pose_landmarks", {}) if trial.poses else {}
        points = pose_kin.foot_points(trial.poses, landmarks, side) if trial.poses else None
        if points is not None:
            out[side] = pose_kin.contact_point(
                points,
                fs_hz=trial.markers_hz,
                floor_window_s=settings.pose_floor_window_s,
                bump_window_s=settings.pose_bump_window_s,
            )
            sources[f"event_feet_{side}"] = "poses"
        elif trial.poses:
            warnings.append(
                f"no foot markers and no {side.lower()}_foot/{side.lower()}_toes poses with "
                f"THEIA3D {side}HEEL_POS/{side}TOE_LENGTH: contacts of the {side} foot can be "
                "neither detected nor told apart on a plate"
            )
    return out, sources, warnings


def kinematics_source(used: dict, /) -> str | None:
    """``"markers"``, ``"poses"`` or ``"markers+poses"`` from the recorded per-measure sources.

    Examples
    --------
    >>> kinematics_source({"pelvis_source": "poses", "knee_model_L": "plug_in_gait"})
    'markers+poses'
    >>> kinematics_source({"pelvis_source": "poses"}), kinematics_source({}) is None
    ('poses', True)
    """
    keys = ("pelvis_source", "thorax_source", "knee_model_L", "knee_model_R")
    keys += ("event_feet_L", "event_feet_R")
    values = {used.get(k) for k in keys} - {None}
    kinds = {"poses" if v == "poses" else "markers" for v in values}
    return "+".join(sorted(kinds)) if kinds else None
