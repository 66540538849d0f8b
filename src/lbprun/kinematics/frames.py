"""Segment frames (ISB pelvis and thorax), the progression frame and segment angles.

Axis order of every segment frame returned here: columns (x anterior, y left, z superior).
These are the ISB axes (Wu 2002, 2005) relabelled so that one Cardan convention serves every
segment and matches Plug-in Gait: ISB Y (superior) is our z, ISB Z (right) is our −y.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lbprun.kinematics.rotations import cardan_angles, relative_rotation

# Below this net horizontal pelvis displacement (m) a trial is treated as stationary (treadmill).
MIN_PROGRESSION_M = 0.5
_HORIZONTAL_AXES = {"+X": (1, 0), "-X": (-1, 0), "+Y": (0, 1), "-Y": (0, -1)}


class SegmentFrame(NamedTuple):
    """A segment's origin and orientation over frames, with what had to be assumed."""

    origin: np.ndarray  # (n, 3) metres, lab frame
    rot: np.ndarray  # (n, 3, 3), columns = (anterior, left, superior) axes in the lab
    warnings: list[str]


def unit(vec: np.ndarray, /) -> np.ndarray:
    """Normalise vectors along the last axis (zero-length vectors give NaN).

    Examples
    --------
    >>> unit(np.array([[3.0, 0.0, 4.0]])).tolist()
    [[0.6, 0.0, 0.8]]
    """
    vec = np.asarray(vec, dtype=float)
    norm = np.linalg.norm(vec, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, vec / np.where(norm > 0, norm, 1.0), np.nan)


def frame_from_axes(primary: np.ndarray, secondary: np.ndarray, /, *, axes: str) -> np.ndarray:
    """Right-handed orthonormal frames from an exact axis and a second, orthogonalised one.

    Parameters
    ----------
    primary, secondary : ndarray, shape (n, 3)
        Direction of the first axis named in ``axes`` (kept exactly) and of the second
        (made perpendicular to the first).
    axes : str
        Two distinct letters, e.g. ``"yx"``: primary is y, secondary is x, z completes.

    Returns
    -------
    ndarray, shape (n, 3, 3)
        Columns are the x, y and z axes.

    Examples
    --------
    >>> R = frame_from_axes(np.array([[0.0, 1, 0]]), np.array([[1.0, 0, 0.2]]), axes="yx")
    >>> np.round(R[0], 6) + 0.0
    array([[ 0.980581,  0.      , -0.196116],
           [ 0.      ,  1.      ,  0.      ],
           [ 0.196116,  0.      ,  0.980581]])
    """
    a, b = ("xyz".index(c) for c in axes)
    c = 3 - a - b
    sign = 1.0 if (b - a) % 3 == 1 else -1.0
    e_a = unit(primary)
    e_c = unit(sign * np.cross(e_a, secondary))
    e_b = sign * np.cross(e_c, e_a)
    rot = np.empty((*e_a.shape[:-1], 3, 3))
    rot[..., :, a], rot[..., :, b], rot[..., :, c] = e_a, e_b, e_c
    return rot


def _snap_horizontal(direction: np.ndarray) -> str:
    """Name of the lab horizontal axis (+X, -X, +Y, -Y) closest to a direction."""
    scores = {
        name: direction[0] * v[0] + direction[1] * v[1] for name, v in _HORIZONTAL_AXES.items()
    }
    return max(scores, key=scores.get)


def progression_frame(
    pelvis_origin: np.ndarray, /, *, pelvis_anterior: np.ndarray | None = None
) -> tuple[np.ndarray, str]:
    """Lab-to-progression rotation, with the direction of travel found from the data.

    The forward axis is the lab horizontal axis (+X, −X, +Y or −Y) closest to the net
    horizontal displacement of the pelvis. When the pelvis travels less than
    ``MIN_PROGRESSION_M`` (treadmill), the mean horizontal direction of ``pelvis_anterior`` is
    used instead. Either is snapped to the nearest lab axis, as Plug-in Gait does; with the
    rotation-first sequence a heading offset only shifts the rotation angle by a constant, so
    rotation amplitudes do not depend on the snapping.

    Parameters
    ----------
    pelvis_origin : ndarray, shape (n, 3)
        Pelvis origin (or any pelvis point) in the lab frame (Z up), metres.
    pelvis_anterior : ndarray, shape (n, 3), optional
        Pelvis anterior axis per frame (e.g. mid-ASIS minus mid-PSIS), for stationary trials.

    Returns
    -------
    rot : ndarray, shape (3, 3)
        Rows are the forward, left and up axes in lab coordinates, so that
        ``v_progression = rot @ v_lab``.
    axis_name : str
        "+X", "-X", "+Y" or "-Y".

    Raises
    ------
    ValueError
        If the pelvis does not travel and no anterior direction is given.

    Examples
    --------
    >>> path = np.column_stack([np.zeros(5), -np.linspace(0, 4, 5), np.ones(5)])
    >>> rot, name = progression_frame(path)
    >>> name, rot[0].tolist()
    ('-Y', [0.0, -1.0, 0.0])
    """
    pts = np.asarray(pelvis_origin, dtype=float)
    valid = pts[np.isfinite(pts).all(axis=1)]
    travel = valid[-1] - valid[0] if len(valid) > 1 else np.zeros(3)
    if np.hypot(travel[0], travel[1]) >= MIN_PROGRESSION_M:
        name = _snap_horizontal(travel)
    elif pelvis_anterior is not None and np.isfinite(pelvis_anterior).any():
        name = _snap_horizontal(np.nanmean(unit(pelvis_anterior), axis=0))
    else:
        raise ValueError("cannot find the direction of progression: the pelvis does not travel")
    forward = np.array([*_HORIZONTAL_AXES[name], 0.0])
    up = np.array([0.0, 0.0, 1.0])
    return np.vstack([forward, np.cross(up, forward), up]), name


def _mid(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """Midpoint of two landmarks, or the one that exists."""
    if a is None or b is None:
        return a if b is None else b
    return 0.5 * (np.asarray(a, dtype=float) + np.asarray(b, dtype=float))


def pelvis_frame(
    l_asis: np.ndarray,
    r_asis: np.ndarray,
    /,
    *,
    l_psis: np.ndarray | None = None,
    r_psis: np.ndarray | None = None,
    sacrum: np.ndarray | None = None,
) -> SegmentFrame:
    """ISB pelvis frame (Wu 2002), identical to the Plug-in Gait pelvis.

    Origin mid-ASIS; medio-lateral axis through the ASIS; anterior axis in the plane of the
    ASIS and the mid-PSIS (the sacrum marker when PSIS are missing); vertical completes it.

    Parameters
    ----------
    l_asis, r_asis : ndarray, shape (n, 3)
        Anterior superior iliac spines, lab frame.
    l_psis, r_psis, sacrum : ndarray, shape (n, 3), optional
        Posterior landmarks; the PSIS midpoint is preferred, one PSIS alone is not used.

    Returns
    -------
    SegmentFrame
        Origin (n, 3) and axes (n, 3, 3) as (anterior, left, superior) columns.

    Raises
    ------
    ValueError
        If no posterior landmark is given.
    """
    warnings: list[str] = []
    if l_psis is not None and r_psis is not None:
        back = _mid(l_psis, r_psis)
    elif sacrum is not None:
        back = np.asarray(sacrum, dtype=float)
        if l_psis is not None or r_psis is not None:
            warnings.append("pelvis: only one PSIS, the sacrum marker defines the posterior point")
    else:
        raise ValueError("pelvis frame needs both PSIS or a sacrum marker")
    origin = _mid(l_asis, r_asis)
    left = np.asarray(l_asis, dtype=float) - np.asarray(r_asis, dtype=float)
    return SegmentFrame(origin, frame_from_axes(left, origin - back, axes="yx"), warnings)


def thorax_frame(
    *,
    c7: np.ndarray | None = None,
    t8: np.ndarray | None = None,
    ij: np.ndarray | None = None,
    px: np.ndarray | None = None,
) -> SegmentFrame:
    """ISB thorax frame (Wu 2005) with documented fallbacks for partial landmark sets.

    Vertical axis from mid(PX, T8) to mid(IJ, C7); medio-lateral axis perpendicular to the plane
    (IJ, C7, mid(PX, T8)); anterior axis completes it. Origin at IJ (Wu 2005). With Plug-in Gait
    names IJ = CLAV, PX = STRN, T8 ≈ T10. Fallbacks, each reported in ``warnings``: without PX
    it is estimated as T8 + (IJ − C7), i.e. the sternum is assumed parallel to the spine, so the
    vertical axis runs along T8→C7 (using T8 alone as the lower point would tilt the axis
    backwards by tens of degrees and corrupt trunk inclination); without T8, symmetrically,
    T8 = PX + (C7 − IJ). Without T8 and PX, or without IJ or C7, the frame is NaN.

    Parameters
    ----------
    c7, t8, ij, px : ndarray, shape (n, 3), optional
        Thoracic landmarks (t8 also takes T10 or T7).

    Returns
    -------
    SegmentFrame
        Origin and (anterior, left, superior) axes; all NaN when landmarks are insufficient.
    """
    warnings: list[str] = []
    if (px is None) != (t8 is None) and ij is not None and c7 is not None:
        present, missing = ("T8", "PX") if px is None else ("PX", "T8")
        offset = np.asarray(ij, dtype=float) - np.asarray(c7, dtype=float)
        px = t8 + offset if px is None else px
        t8 = px - offset if t8 is None else t8
        warnings.append(
            f"thorax: {missing} missing, estimated from {present} and the IJ-C7 offset "
            "(vertical axis parallel to the spine)"
        )
    lower = _mid(px, t8)
    if ij is None or c7 is None or lower is None:
        shape = next(np.shape(m) for m in (c7, t8, ij, px) if m is not None)
        warnings.append("thorax: IJ and C7 and one of PX/T8 are needed; thorax angles are NaN")
        nan = np.full(shape, np.nan)
        return SegmentFrame(nan, np.full((*shape, 3), np.nan), warnings)
    ij, c7 = np.asarray(ij, dtype=float), np.asarray(c7, dtype=float)
    up = _mid(ij, c7) - lower
    right = np.cross(ij - c7, up)
    return SegmentFrame(ij, frame_from_axes(up, -right, axes="zy"), warnings)


def segment_angles(rot: np.ndarray, progression: np.ndarray, /, *, sequence: str = "zxy"):
    """Cardan angles of a segment relative to the progression frame.

    Parameters
    ----------
    rot : ndarray, shape (n, 3, 3)
        Segment axes (anterior, left, superior) in the lab.
    progression : ndarray, shape (3, 3)
        Lab-to-progression rotation from :func:`progression_frame`.
    sequence : str, optional
        Default ``"zxy"``: (rotation, obliquity, tilt), Baker (2001). All three are
        right-handed: positive rotation is counter-clockwise seen from above (the right side
        moves forward), positive obliquity raises the left side, positive tilt is anterior
        (forward) tilt.

    Returns
    -------
    ndarray, shape (n, 3)
        Angles in degrees, unwrapped.
    """
    return cardan_angles(np.einsum("ij,njk->nik", progression, rot), sequence=sequence)


def trunk_angles(thorax_rot: np.ndarray, pelvis_rot: np.ndarray, /, *, sequence: str = "zxy"):
    """Thorax relative to pelvis (trunk rotation first), degrees, shape (n, 3).

    Examples
    --------
    >>> from lbprun.kinematics.rotations import matrix_from_euler
    >>> pel = matrix_from_euler([[10.0, 0.0, 0.0]], "zxy")
    >>> tho = matrix_from_euler([[-5.0, 0.0, 0.0]], "zxy")
    >>> (np.round(trunk_angles(tho, pel), 6) + 0.0).tolist()
    [[-15.0, 0.0, 0.0]]
    """
    return cardan_angles(relative_rotation(pelvis_rot, thorax_rot), sequence=sequence)


def trunk_inclination(thorax_rot: np.ndarray, progression: np.ndarray, /) -> np.ndarray:
    """Sagittal angle of the thorax's vertical axis from the lab vertical (Müller 2015).

    Parameters
    ----------
    thorax_rot : ndarray, shape (n, 3, 3)
        Thorax axes (anterior, left, superior) in the lab.
    progression : ndarray, shape (3, 3)
        Lab-to-progression rotation.

    Returns
    -------
    ndarray, shape (n,)
        Degrees, positive = forward lean.

    Examples
    --------
    >>> from lbprun.kinematics.rotations import matrix_from_euler
    >>> lean = matrix_from_euler([[0.0, 0.0, 12.0]], "zxy")  # 12 deg about the left axis
    >>> np.round(trunk_inclination(lean, np.eye(3)), 6).tolist()
    [12.0]
    """
    up = np.einsum("ij,nj->ni", progression, np.asarray(thorax_rot)[:, :, 2])
    return np.degrees(np.arctan2(up[:, 0], up[:, 2]))


def stride_amplitudes(angle_deg: np.ndarray, bounds: np.ndarray, /) -> np.ndarray:
    """Max − min of an angle within each stride, all strides at once (NaN if one is missing).

    Parameters
    ----------
    angle_deg : ndarray, shape (n,)
        Angle time series.
    bounds : array_like of int, shape (k, 2)
        Start and end frame (inclusive) of each stride, e.g. successive touchdowns.

    Returns
    -------
    ndarray, shape (k,)
        Amplitudes in degrees.

    Examples
    --------
    >>> sig = np.sin(np.linspace(0, 4 * np.pi, 201)) * 5
    >>> np.round(stride_amplitudes(sig, [[0, 100], [100, 200]]), 6).tolist()
    [10.0, 10.0]
    """
    sig = np.asarray(angle_deg, dtype=float)
    lo, hi = np.asarray(bounds, dtype=int).reshape(-1, 2).T
    out = np.full(len(lo), np.nan)
    # all strides at once: a stride past the record's end is measured over what was recorded,
    # one starting before it (or holding a NaN sample) is NaN
    stop = np.minimum(hi + 1, len(sig))
    bad = np.concatenate([[0], np.cumsum(~np.isfinite(sig))])
    usable = (lo >= 0) & (stop > lo)
    usable[usable] = bad[stop[usable]] == bad[lo[usable]]
    if not usable.any():
        return out
    cols = np.arange(int((stop - lo)[usable].max()))
    inside = cols < (stop - lo)[usable, None]
    values = sig[np.where(inside, lo[usable, None] + cols, lo[usable, None])]
    out[usable] = values.max(axis=1) - values.min(axis=1)
    return out
