"""Knee flexion from anatomical markers (joint coordinate system) and cluster calibration.

With medial and lateral epicondyle and malleolus markers the knee and ankle centres are their
midpoints and the Grood & Suntay (1983) flexion angle is the first angle of a YXZ Cardan
sequence of the tibia in the femur. When the dynamic trial has only thigh/shank clusters, a
static trial expresses the anatomical points in each cluster's technical frame (least-squares
rigid fit, Söderkvist & Wedin 1993) and :func:`reconstruct_points` puts them back in every
dynamic frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lbprun.kinematics.frames import SegmentFrame, frame_from_axes


def harrington_hjc(
    pelvis: SegmentFrame, l_asis: np.ndarray, r_asis: np.ndarray, back: np.ndarray, /, side: str
) -> np.ndarray:
    """Hip joint centre by Harrington et al. (2007) from pelvic width and depth only.

    Parameters
    ----------
    pelvis : SegmentFrame
        Pelvis frame (origin mid-ASIS).
    l_asis, r_asis, back : ndarray, shape (n, 3)
        ASIS markers and the posterior point (mid-PSIS or sacrum) that built the frame.
    side : {"l", "r"}
        Which hip.

    Returns
    -------
    ndarray, shape (n, 3)
        Hip joint centre in the lab (m). Width and depth are medians over frames, as a
        static measurement would be.
    """
    width_mm = 1000.0 * np.nanmedian(np.linalg.norm(l_asis - r_asis, axis=1))
    depth_mm = 1000.0 * np.nanmedian(np.linalg.norm(pelvis.origin - back, axis=1))
    lateral = 0.33 * width_mm + 7.3  # towards the hip's own side
    local_mm = np.array(
        [-0.24 * depth_mm - 9.9, lateral if side == "l" else -lateral, -0.30 * width_mm - 10.9]
    )
    return pelvis.origin + np.einsum("nij,j->ni", pelvis.rot, local_mm / 1000.0)


def _leg_frame(proximal, distal, lateral, medial, side):
    """Long axis distal->proximal, y = medio-lateral pointing left."""
    ml = np.asarray(lateral) - np.asarray(medial)
    return frame_from_axes(proximal - distal, ml if side == "l" else -ml, axes="zy")


def jcs_leg(markers: Mapping[str, np.ndarray], hjc: np.ndarray, /, side: str):
    """Femur and tibia frames from epicondyle and malleolus markers.

    Parameters
    ----------
    markers : mapping of str to ndarray, shape (n, 3)
        Role-named markers ``{side}_knee_lat``, ``{side}_knee_med``, ``{side}_ankle_lat``,
        ``{side}_ankle_med`` (m), e.g. reconstructed by :func:`reconstruct_points`.
    hjc : ndarray, shape (n, 3)
        Hip joint centre of that side.
    side : {"l", "r"}
        Which leg.

    Returns
    -------
    femur, tibia : SegmentFrame
        Frames with origins at the knee and ankle centres (epicondyle and malleolus
        midpoints), axes (anterior, left, proximal). Pass them to
        :func:`lbprun.kinematics.pig.knee_angles` for the Grood & Suntay angles.
    """
    knee_lat, knee_med = markers[f"{side}_knee_lat"], markers[f"{side}_knee_med"]
    ankle_lat, ankle_med = markers[f"{side}_ankle_lat"], markers[f"{side}_ankle_med"]
    kjc = 0.5 * (np.asarray(knee_lat) + np.asarray(knee_med))
    ajc = 0.5 * (np.asarray(ankle_lat) + np.asarray(ankle_med))
    femur = SegmentFrame(kjc, _leg_frame(hjc, kjc, knee_lat, knee_med, side), [])
    tibia = SegmentFrame(ajc, _leg_frame(kjc, ajc, ankle_lat, ankle_med, side), [])
    return femur, tibia


def fit_rigid(reference: np.ndarray, current: np.ndarray, /) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares rotation and translation mapping reference points onto current ones.

    Söderkvist & Wedin (1993): SVD of the cross-dispersion matrix, with the reflection case
    corrected, vectorised over frames.

    Parameters
    ----------
    reference : ndarray, shape (m, 3)
        Cluster marker positions in a reference pose (m >= 3, not collinear).
    current : ndarray, shape (n, m, 3)
        The same markers in each frame; frames with a NaN marker give NaN.

    Returns
    -------
    rot : ndarray, shape (n, 3, 3)
        Rotations, so that ``current ≈ reference @ rot.T + trans``.
    trans : ndarray, shape (n, 3)
        Translations.

    Examples
    --------
    >>> from lbprun.kinematics.rotations import matrix_from_euler
    >>> ref = np.array([[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]])
    >>> rot = matrix_from_euler([[20.0, -5.0, 40.0]], "zxy")
    >>> cur = np.einsum("nij,mj->nmi", rot, ref) + [1.0, 2.0, 3.0]
    >>> r, t = fit_rigid(ref, cur)
    >>> bool(np.allclose(r, rot)), np.round(t, 6).tolist()
    (True, [[1.0, 2.0, 3.0]])
    """
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref_mean = ref.mean(axis=0)
    # cur.mean(axis=1), bit for bit (its reduction adds the markers in order, then divides)
    # without the reduction machinery: 4x faster for a few markers
    cur_mean = cur[:, 0].copy()
    for k in range(1, cur.shape[1]):
        cur_mean += cur[:, k]
    cur_mean /= cur.shape[1]
    cross = np.einsum("nmi,mj->nij", cur - cur_mean[:, None], ref - ref_mean)
    bad = ~np.isfinite(cross).all(axis=(1, 2))
    cross[bad] = np.eye(3)
    u, _, vt = np.linalg.svd(cross)
    # einsum("nij,njk->nik", u, vt), before and after u's last column is scaled by the
    # determinant, bit for bit: einsum adds the three products in order to a zero (so never
    # gives -0.0), and the first two are the same both times; `@` would call BLAS (fused
    # multiply-adds, other bits).
    first_two = u[:, :, 0, None] * vt[:, None, 0, :] + u[:, :, 1, None] * vt[:, None, 1, :]
    det = np.linalg.det(first_two + u[:, :, 2, None] * vt[:, None, 2, :] + 0.0)
    rot = first_two + (u[:, :, 2] * det[:, None])[:, :, None] * vt[:, None, 2, :] + 0.0
    rot[bad] = np.nan
    return rot, cur_mean - np.einsum("nij,j->ni", rot, ref_mean)


def reconstruct_points(
    cluster_static: np.ndarray, points_static: np.ndarray, cluster_dynamic: np.ndarray, /
) -> np.ndarray:
    """Anatomical points calibrated on a static trial, reconstructed from a cluster.

    Parameters
    ----------
    cluster_static : ndarray, shape (n_static, m, 3)
        Cluster markers in the static trial.
    points_static : ndarray, shape (n_static, p, 3)
        Anatomical points (e.g. medial epicondyle) in the static trial.
    cluster_dynamic : ndarray, shape (n, m, 3)
        The same cluster markers in the dynamic trial.

    Returns
    -------
    ndarray, shape (n, p, 3)
        The anatomical points in every dynamic frame (NaN where the cluster is incomplete).

    Examples
    --------
    >>> ref = np.array([[[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]]])
    >>> pts = np.array([[[0.05, 0.05, -0.2]]])
    >>> dyn = ref + [0.0, 1.0, 0.0]
    >>> np.round(reconstruct_points(ref, pts, dyn), 6).tolist()
    [[[0.05, 1.05, -0.2]]]
    """
    cluster_mean, points_mean = static_pose(cluster_static, points_static)
    return carry_points(points_mean, fit_rigid(cluster_mean, cluster_dynamic))


def static_pose(
    cluster_static: np.ndarray, points_static: np.ndarray, /
) -> tuple[np.ndarray, np.ndarray]:
    """Mean static positions of a cluster and its anatomical points (the calibration).

    Static frames with any missing sample are dropped before averaging the pose.

    Returns
    -------
    cluster_mean : ndarray, shape (m, 3)
    points_mean : ndarray, shape (p, 3)

    Raises
    ------
    ValueError
        If no static frame holds the whole cluster and every point.

    Examples
    --------
    >>> cluster = np.array([[[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]]] * 2)
    >>> cluster[1] += 0.002  # two static frames, averaged
    >>> points = np.array([[[0.05, 0.05, -0.2]], [[np.nan, 0.0, 0.0]]])  # the second incomplete
    >>> shape, point = static_pose(cluster, points)
    >>> shape[1].tolist(), point.tolist()
    ([0.1, 0.0, 0.0], [[0.05, 0.05, -0.2]])
    """
    static = np.concatenate([cluster_static, points_static], axis=1)
    keep = np.isfinite(static).all(axis=(1, 2))
    if not keep.any():
        raise ValueError("static trial has no frame with the whole cluster and every point")
    mean = static[keep].mean(axis=0)
    n_cluster = np.shape(cluster_static)[1]
    return mean[:n_cluster], mean[n_cluster:]


def carry_points(points_mean: np.ndarray, fit: tuple[np.ndarray, np.ndarray], /) -> np.ndarray:
    """Points of the cluster's static pose in every frame of a rigid fit (``fit_rigid``'s output).

    Returns
    -------
    ndarray, shape (n, p, 3)

    Examples
    --------
    >>> shape = np.array([[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]])
    >>> fit = fit_rigid(shape, shape[None] + [0.0, 1.0, 0.0])  # moved 1 m along y
    >>> np.round(carry_points(np.array([[0.05, 0.05, -0.2]]), fit), 6).tolist()
    [[[0.05, 1.05, -0.2]]]
    """
    rot, trans = fit
    return np.einsum("nij,pj->npi", rot, points_mean) + trans[:, None, :]
