"""Segment poses of a simulated runner as a markerless system (Theia3D) writes them.

Each segment gets a 4 x 4 pose per frame with Theia3D's axes: x to the subject's right,
y anterior, z superior (proximal), origin at the proximal joint. From the model
(:mod:`lbprun.synth.legs`):

- pelvis: the simulated pelvis frame turned to Theia3D's axes, origin between the hip joint
  centres; torso: the simulated thorax frame, origin at its origin;
- thigh: origin at the hip joint centre, z from knee to hip, x = lab -Y (the legs move in
  vertical planes with normal Y); shank: origin at the knee, z from ankle to knee;
- foot: origin where the rigid foot hangs from (the ankle before heel-pad settling), y along
  the foot (pitched by the foot angle), z up from the sole; toes: rigid with the foot (the
  model has no toe joint), origin at the metatarsophalangeal pivot.

The ``THEIA3D`` landmark parameters locate the heel contact point in the foot frame
(``{L,R}HEEL_POS``) and the toe tip along the toes' y axis (``{L,R}TOE_LENGTH``), so the
pipeline's heel/ball/toe points are the model's own: :func:`foot_landmarks` gives them
straight from the model for the event truth.
"""

from __future__ import annotations

import numpy as np

from lbprun.synth.legs import Runner
from lbprun.synth.model import HEEL_CONTACT, TOE_PIVOT, rot2

#: Segments a synthetic markerless trial can hold (Theia3D names).
_LIMBS = ("thigh", "shank", "foot", "toes")
SEGMENTS = ("pelvis", "torso", *(f"{side}_{limb}" for side in "lr" for limb in _LIMBS))
TOE_LENGTH = 0.05  # toe tip ahead of the MTP pivot (m, 0.92 m leg)
# Columns of Theia3D's (right, anterior, superior) axes in the model's (anterior, left, up).
_TO_THEIA = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def _pose(rot: np.ndarray, origin: np.ndarray) -> np.ndarray:
    out = np.tile(np.eye(4), (len(origin), 1, 1))
    out[:, :3, :3] = rot
    out[:, :3, 3] = origin
    return out


def _limb(proximal: np.ndarray, distal: np.ndarray) -> np.ndarray:
    """Axes of a limb segment in a vertical plane of normal Y: x = -Y, z distal -> proximal."""
    z = proximal - distal
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    x = np.broadcast_to([0.0, -1.0, 0.0], z.shape)
    return np.stack([x, np.cross(z, x), z], axis=-1)


def _foot_rot(pitch: np.ndarray) -> np.ndarray:
    """Foot axes: x = -Y, y along the foot pitched toe-up by ``pitch``, z up from the sole."""
    c, s, zero = np.cos(pitch), np.sin(pitch), np.zeros_like(pitch)
    x = np.stack([zero, zero - 1.0, zero], axis=-1)
    y = np.stack([c, zero, s], axis=-1)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def landmark_parameters(scale: float, /) -> dict[str, np.ndarray]:
    """``THEIA3D`` heel positions (foot frame) and toe lengths, metres."""
    heel = np.array([0.0, HEEL_CONTACT[0], HEEL_CONTACT[1]]) * scale
    out = {}
    for side in ("L", "R"):
        out[f"{side}HEEL_POS"] = heel
        out[f"{side}TOE_LENGTH"] = np.array([TOE_LENGTH * scale])
    return out


def segment_poses(runner: Runner, t: np.ndarray, /) -> dict[str, np.ndarray]:
    """Every segment of :data:`SEGMENTS` as (n, 4, 4) poses in the lab (metres)."""
    s = runner.params.scale
    rot_p, _ = runner.pelvis(t)
    rot_t, origin_t = runner.thorax(t)
    poses = {
        "pelvis": _pose(rot_p @ _TO_THEIA, 0.5 * (runner.hip(t, "L") + runner.hip(t, "R"))),
        "torso": _pose(rot_t @ _TO_THEIA, origin_t),
    }
    pivot = np.array([0.0, TOE_PIVOT[0], TOE_PIVOT[1]]) * s
    for side in ("L", "R"):
        leg, p = runner.leg(t, side), side.lower()
        foot_rot = _foot_rot(leg["pitch"])
        poses[f"{p}_thigh"] = _pose(_limb(leg["hip"], leg["knee"]), leg["hip"])
        poses[f"{p}_shank"] = _pose(_limb(leg["knee"], leg["ankle"]), leg["knee"])
        poses[f"{p}_foot"] = _pose(foot_rot, leg["foot"])
        poses[f"{p}_toes"] = _pose(foot_rot, leg["foot"] + foot_rot @ pivot)
    return poses


def foot_landmarks(runner: Runner, t: np.ndarray, side: str, /) -> np.ndarray:
    """Heel contact point, ball (MTP pivot) and toe tip of one foot, (n, 3, 3), from the model.

    Computed in the model's own sagittal terms (:func:`~lbprun.synth.model.rot2`), not from
    the poses, so that the pose path is checked against them.
    """
    s = runner.params.scale
    leg = runner.leg(t, side)
    tip = TOE_PIVOT + np.array([TOE_LENGTH, 0.0])
    points = []
    for local in (HEEL_CONTACT, TOE_PIVOT, tip):
        rel = rot2(leg["pitch"], local * s)
        points.append(leg["foot"] + np.stack([rel[:, 0], 0 * rel[:, 0], rel[:, 1]], axis=-1))
    return np.stack(points, axis=1)
