"""Rotation matrices and Cardan (Tait-Bryan) angles, vectorised over frames.

Convention used throughout :mod:`lbprun.kinematics`: a segment orientation is an array of shape
(n, 3, 3) whose *columns* are the segment's unit axes expressed in the lab frame (so it maps
segment coordinates to lab coordinates). The orientation of a distal segment relative to a
proximal one is ``R_p.T @ R_d`` (:func:`relative_rotation`).

A sequence such as ``"zxy"`` means intrinsic (moving-axis) rotations, first about z, then about
the once-rotated x, then about the twice-rotated y: ``R = Rz(a) @ Rx(b) @ Ry(c)``. Upper-case
letters are accepted and mean the same (scipy writes intrinsic sequences in upper case).
"""

from __future__ import annotations

import numpy as np

_AXES = {"x": 0, "y": 1, "z": 2}


def _parse_sequence(seq: str) -> tuple[int, int, int, float]:
    """Axis indices of a Tait-Bryan sequence and its parity sign (+1 for xyz, yzx, zxy)."""
    letters = seq.lower()
    if len(letters) != 3 or set(letters) - set(_AXES) or len(set(letters)) != 3:
        raise ValueError(f"Cardan sequence must use x, y and z once each, got {seq!r}")
    i, j, k = (_AXES[c] for c in letters)
    sign = 1.0 if (j - i) % 3 == 1 else -1.0
    return i, j, k, sign


def axis_rotation(angle_rad: np.ndarray, axis: str, /) -> np.ndarray:
    """Elementary rotation matrices about one axis.

    Parameters
    ----------
    angle_rad : array_like, shape (n,)
        Angles in radians.
    axis : {"x", "y", "z"}
        Rotation axis.

    Returns
    -------
    ndarray, shape (n, 3, 3)
        Right-handed rotations (positive angle = counter-clockwise seen from the axis tip).
    """
    ang = np.atleast_1d(np.asarray(angle_rad, dtype=float))
    i = _AXES[axis.lower()]
    j, k = (i + 1) % 3, (i + 2) % 3
    rot = np.zeros((*ang.shape, 3, 3))
    c, s = np.cos(ang), np.sin(ang)
    rot[..., i, i] = 1.0
    rot[..., j, j] = c
    rot[..., k, k] = c
    rot[..., j, k] = -s
    rot[..., k, j] = s
    return rot


def matrix_from_euler(angles_deg: np.ndarray, /, seq: str = "zxy") -> np.ndarray:
    """Rotation matrices from Cardan angles (inverse of :func:`euler_from_matrix`).

    Parameters
    ----------
    angles_deg : array_like, shape (n, 3) or (3,)
        Angles in degrees, in the order of ``seq``.
    seq : str, optional
        Intrinsic sequence, e.g. ``"zxy"`` means ``Rz @ Rx @ Ry``.

    Returns
    -------
    ndarray, shape (n, 3, 3)
        Rotation matrices.

    Examples
    --------
    >>> R = matrix_from_euler([90.0, 0.0, 0.0], "zxy")
    >>> np.round(R[0] @ [1.0, 0.0, 0.0], 6).tolist()
    [0.0, 1.0, 0.0]
    """
    ang = np.radians(np.atleast_2d(np.asarray(angles_deg, dtype=float)))
    _parse_sequence(seq)
    first, second, third = (axis_rotation(ang[:, n], seq[n]) for n in range(3))
    return np.einsum("nij,njk,nkl->nil", first, second, third)


def euler_from_matrix(rot: np.ndarray, /, seq: str = "zxy") -> np.ndarray:
    """Cardan angles of rotation matrices for any Tait-Bryan sequence.

    Parameters
    ----------
    rot : array_like, shape (n, 3, 3) or (3, 3)
        Rotation matrices (columns = rotated axes in the reference frame).
    seq : str, optional
        Intrinsic sequence (``"zxy"``, ``"yxz"``, ...), see the module docstring.

    Returns
    -------
    ndarray, shape (n, 3)
        Angles in degrees, in the order of ``seq``; the second angle lies in [-90, 90], the
        others in (-180, 180]. NaN matrices give NaN angles.

    Examples
    --------
    >>> R = matrix_from_euler([30.0, -10.0, 5.0], "yxz")
    >>> np.round(euler_from_matrix(R, "yxz"), 6).tolist()
    [[30.0, -10.0, 5.0]]
    """
    mat = np.asarray(rot, dtype=float)
    mat = mat[None] if mat.ndim == 2 else mat
    i, j, k, s = _parse_sequence(seq)
    # R = Ri(a) Rj(b) Rk(c): R[i,k] = s sin b; R[j,k], R[k,k] give a; R[i,j], R[i,i] give c.
    middle = np.arcsin(np.clip(s * mat[:, i, k], -1.0, 1.0))
    first = np.arctan2(-s * mat[:, j, k], mat[:, k, k])
    third = np.arctan2(-s * mat[:, i, j], mat[:, i, i])
    return np.degrees(np.stack([first, middle, third], axis=1))


def relative_rotation(proximal: np.ndarray, distal: np.ndarray, /) -> np.ndarray:
    """Orientation of ``distal`` expressed in ``proximal`` (``proximal.T @ distal`` per frame).

    Parameters
    ----------
    proximal, distal : ndarray, shape (n, 3, 3) or (3, 3)
        Segment orientations (columns = axes in the lab); a single (3, 3) broadcasts.

    Returns
    -------
    ndarray, shape (n, 3, 3)
        Relative rotation matrices.
    """
    prox = np.asarray(proximal, dtype=float)
    dist = np.asarray(distal, dtype=float)
    return np.einsum("...ji,...jk->...ik", prox, dist)


def unwrap_deg(angles_deg: np.ndarray, /) -> np.ndarray:
    """Remove 360° jumps along axis 0, leaving NaN samples in place.

    Parameters
    ----------
    angles_deg : ndarray, shape (n,) or (n, k)
        Angles in degrees.

    Returns
    -------
    ndarray
        Continuous angles, same shape.

    Examples
    --------
    >>> unwrap_deg(np.array([170.0, 179.0, -179.0, np.nan, -170.0])).tolist()
    [170.0, 179.0, 181.0, nan, 190.0]
    """
    ang = np.array(angles_deg, dtype=float)
    flat = ang.reshape(len(ang), -1)
    for col in flat.T:
        ok = np.isfinite(col)
        col[ok] = np.degrees(np.unwrap(np.radians(col[ok])))
    return flat.reshape(ang.shape)


def cardan_angles(rot: np.ndarray, /, *, sequence: str = "zxy") -> np.ndarray:
    """Unwrapped Cardan angles in degrees, in the order of ``sequence``.

    With the segment axes ordered (x anterior, y left, z superior), the default ``"zxy"`` is the
    rotation-first sequence of Baker (2001): rotation about the vertical, then obliquity about
    the anterior axis, then tilt about the medio-lateral axis, so axial rotation is not
    contaminated by tilt.

    Parameters
    ----------
    rot : ndarray, shape (n, 3, 3)
        Rotation matrices (e.g. a segment relative to the progression frame).
    sequence : str, optional
        Intrinsic Tait-Bryan sequence.

    Returns
    -------
    ndarray, shape (n, 3)
        (rotation, obliquity, tilt) for ``"zxy"``; generally the angles about the sequence axes.

    Examples
    --------
    >>> R = matrix_from_euler([[10.0, 2.0, -5.0], [-20.0, 1.0, 3.0]], "zxy")
    >>> np.round(cardan_angles(R), 6).tolist()
    [[10.0, 2.0, -5.0], [-20.0, 1.0, 3.0]]
    """
    return unwrap_deg(euler_from_matrix(rot, sequence))
