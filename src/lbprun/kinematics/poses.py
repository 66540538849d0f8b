"""Segment frames, knee angles and foot landmarks from markerless segment poses (Theia3D).

A markerless system gives each segment's orientation directly, so no frame is rebuilt from
markers. Theia3D (like Visual3D) writes every segment with x lateral (to the subject's
right), y anterior and z superior (proximal for limb segments) in the neutral pose, origin at
the proximal joint (pelvis: between the hip joints; thigh: hip; shank: knee; foot: ankle;
toes: metatarsophalangeal joint). The frames used for marker data (:mod:`.frames`) have
columns (anterior, left, superior), so

    R_ours = R_theia @ THEIA_TO_ISB,   x_ours = y_theia,  y_ours = -x_theia,  z_ours = z_theia,

a fixed turn of -90 degrees about the superior axis. After it, the same rotation-first
Cardan sequence, trunk angles, trunk inclination and knee angles serve both sources.

Foot landmarks come from Theia3D's ``THEIA3D`` parameters: the heel is ``{L,R}HEEL_POS`` in
the foot frame; the ball of the foot is the toes segment's origin; the toe tip lies
``{L,R}TOE_LENGTH`` along the toes segment's anterior (y) axis from it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.ndimage import grey_opening, minimum_filter1d

from lbprun.kinematics.frames import SegmentFrame
from lbprun.signals import butter_lowpass

#: Columns of the (anterior, left, superior) axes in Theia3D's (right, anterior, superior).
THEIA_TO_ISB = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])

#: Our segment -> the pose names that may hold it (first present wins).
SEGMENT_NAMES = {
    "pelvis": ("pelvis",),
    "thorax": ("torso", "thorax"),
    "l_thigh": ("l_thigh",),
    "r_thigh": ("r_thigh",),
    "l_shank": ("l_shank",),
    "r_shank": ("r_shank",),
    "l_foot": ("l_foot",),
    "r_foot": ("r_foot",),
    "l_toes": ("l_toes",),
    "r_toes": ("r_toes",),
}

SOLE_POINTS_BETWEEN = 3  # points interpolated between consecutive foot landmarks


class Filter(NamedTuple):
    """How poses are smoothed: the marker filter of the settings (SCIENCE.md)."""

    fs_hz: float
    cutoff_hz: float
    order: int = 4
    max_gap_frames: int = 10


def orthonormal(rot: np.ndarray, /) -> np.ndarray:
    """Nearest proper rotation of each (n, 3, 3) matrix (SVD), NaN rows kept NaN.

    Examples
    --------
    >>> m = np.array([[[1.0, 0.01, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    >>> r = orthonormal(m)[0]
    >>> bool(np.allclose(r @ r.T, np.eye(3)))
    True
    """
    out = np.full(rot.shape, np.nan)
    ok = np.isfinite(rot).all(axis=(-2, -1))
    if ok.any():
        u, _, vt = np.linalg.svd(rot[ok])
        product = u @ vt
        sign = np.sign(np.linalg.det(product))
        if (sign == 1.0).all():  # u times ones is u: the same product (filtered poses)
            out[ok] = product
            return out
        fix = np.ones((int(ok.sum()), 3))
        fix[:, 2] = sign
        out[ok] = (u * fix[:, None, :]) @ vt
    return out


def smooth(pose: np.ndarray, /, *, filt: Filter | None) -> np.ndarray:
    """Low-pass filter a pose series (n, 4, 4) like markers, then re-orthonormalise.

    Matrix elements and origin are filtered with the gap-aware Butterworth filter (short
    untracked stretches filled, long ones left NaN), so poses and markers see the same
    filter. ``filt=None`` returns the poses unchanged. Several segments at once: (n, k, 4, 4).
    """
    pose = np.asarray(pose, dtype=float)
    if filt is None:
        return pose
    n = len(pose)
    out = butter_lowpass(
        pose[..., :3, :].reshape(n, -1),
        fs_hz=filt.fs_hz,
        cutoff_hz=filt.cutoff_hz,
        order=filt.order,
        max_gap_frames=filt.max_gap_frames,
    ).reshape(*pose.shape[:-2], 3, 4)
    result = np.broadcast_to(np.eye(4), pose.shape).copy()
    result[..., :3, :3] = orthonormal(out[..., :3].reshape(-1, 3, 3)).reshape(out[..., :3].shape)
    result[..., :3, 3] = out[..., 3]
    result[~np.isfinite(result).all(axis=(-2, -1))] = np.nan
    return result


def find(poses: dict[str, np.ndarray], segment: str, /) -> np.ndarray | None:
    """Return the pose series of one of our segments (``"pelvis"``, ``"l_shank"``...)."""
    for name in SEGMENT_NAMES.get(segment, (segment,)):
        pose = poses.get(name)
        if pose is not None and np.isfinite(pose).any():
            return pose
    return None


def segment_frame(poses: dict, segment: str, /, *, filt: Filter | None = None):
    """Build a :class:`~lbprun.kinematics.frames.SegmentFrame` (anterior, left, superior axes).

    Returns None when the trial has no tracked pose for the segment.
    """
    return segment_frames(poses, (segment,), filt=filt).get(segment)


def segment_frames(poses: dict, segments, /, *, filt: Filter | None = None) -> dict:
    """:func:`segment_frame` of several segments, filtered in one call; absent ones left out."""
    found = {s: find(poses, s) for s in segments}
    found = {s: p for s, p in found.items() if p is not None}
    if not found:
        return {}
    smoothed = smooth(np.stack(list(found.values()), axis=1), filt=filt)
    return {
        s: SegmentFrame(smoothed[:, i, :3, 3], smoothed[:, i, :3, :3] @ THEIA_TO_ISB, [])
        for i, s in enumerate(found)
    }


def _point(pose: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Place a point fixed in a segment (local coordinates, metres) in the lab, (n, 3)."""
    return pose[:, :3, 3] + np.einsum("nij,j->ni", pose[:, :3, :3], local)


def foot_points(poses: dict, landmarks: dict, side: str, /) -> np.ndarray | None:
    """Heel, ball and toe-tip points of one foot, (n, k, 3), from the foot/toes poses.

    Parameters
    ----------
    poses : dict
        The trial's poses (canonical lab frame).
    landmarks : dict
        ``THEIA3D`` landmark parameters in metres (``LHEEL_POS`` (3,), ``LTOE_LENGTH`` (1,)...).
    side : {"L", "R"}
        Which foot.

    Returns
    -------
    ndarray or None
        Heel to toe: the heel (when the foot pose and ``HEEL_POS`` exist), the ball (toes
        origin) and the toe tip (when the toes pose and ``TOE_LENGTH`` exist), unfiltered like
        foot markers; None when there is none.
    """
    s = side.lower()
    points = []
    foot = find(poses, f"{s}_foot")
    heel = landmarks.get(f"{side}HEEL_POS")
    if foot is not None and heel is not None and heel.size == 3:
        points.append(_point(foot, heel))
    toes = find(poses, f"{s}_toes")
    length = landmarks.get(f"{side}TOE_LENGTH")
    if toes is not None and length is not None and length.size:
        points.append(toes[:, :3, 3])
        points.append(_point(toes, np.array([0.0, float(length[0]), 0.0])))
    return np.stack(points, axis=1) if points else None


def _sole(points: np.ndarray) -> np.ndarray:
    """Landmarks plus points evenly between consecutive ones (heel -> ball -> toe rocker)."""
    steps = np.linspace(0.0, 1.0, SOLE_POINTS_BETWEEN + 2)[:-1]
    out = [
        points[:, i] + f * (points[:, i + 1] - points[:, i])
        for i in range(points.shape[1] - 1)
        for f in steps
    ]
    return np.stack([*out, points[:, -1]], axis=1)


def contact_point(
    points: np.ndarray, /, *, fs_hz: float, floor_window_s: float, bump_window_s: float = 0.0
) -> np.ndarray:
    """One point per frame whose height is the foot's clearance above its local floor.

    The sole is the heel -> ball -> toe-tip polyline, sampled at the landmarks and
    ``SOLE_POINTS_BETWEEN`` points between each (a rigid rocker). Each point's floor is its
    lowest height within ``floor_window_s`` either side of the frame (shorter than half a
    stride, so it sees the current contact only, and it follows a sloping runway); the
    foot's clearance is the smallest over the sole. In stance some part of the sole is down
    (heel, then ball, then toe), so the clearance stays near zero from touchdown to toe-off,
    which is what the kinematic detector (:func:`lbprun.events.kinematic_stances`) looks
    for; a heel strike's raised toe or a rolling forefoot cannot split a stance in two.
    A morphological opening over ``bump_window_s`` then removes bumps shorter than that
    (on Theia3D's feet the heel point rebounds by ~8 mm for ~40 ms just after touchdown,
    which would otherwise move touchdown past the rebound); it leaves the descent to
    touchdown and the rise at toe-off unchanged, being longer than the window.

    Parameters
    ----------
    points : ndarray, shape (n, k, 3)
        Foot landmarks heel to toe (:func:`foot_points`), lab frame, Z up.
    fs_hz : float
        Frame rate.
    floor_window_s : float
        Half-width of the running-minimum window (s).
    bump_window_s : float, optional
        Width of the opening (s); 0 leaves the clearance as it is.

    Returns
    -------
    ndarray, shape (n, 1, 3)
        Mean horizontal position of the landmarks and the clearance as height; NaN where
        the foot is not tracked.
    """
    sole = _sole(points) if points.shape[1] > 1 else points
    z = sole[..., 2]
    tracked = np.isfinite(z)
    size = 2 * max(round(floor_window_s * fs_hz), 1) + 1
    floor = minimum_filter1d(np.where(tracked, z, np.inf), size=size, axis=0)
    clearance = np.min(np.where(tracked, z - np.where(tracked, floor, 0.0), np.inf), axis=1)
    width = 2 * round(bump_window_s * fs_hz / 2) + 1
    if width > 1:  # untracked frames stand high, so they open nothing next to them
        clearance = grey_opening(np.where(np.isfinite(clearance), clearance, 1e3), size=width)
    out = np.full((len(z), 1, 3), np.nan)
    rows = tracked.any(axis=1)
    out[rows, 0, :2] = points[rows, :, :2].mean(axis=1)
    out[rows, 0, 2] = clearance[rows]
    return out
