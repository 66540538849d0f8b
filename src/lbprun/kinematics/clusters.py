"""Technical clusters calibrated by a static trial: anatomical points in every dynamic frame.

Cluster protocols (the Running Injury Clinic's ``pelvis_1..4``, ``L_thigh_1..4``,
``L_shank_1..4``, ``L_foot_1..4``; the thigh and shank plates of many labs) mark the
anatomical landmarks only in a static trial. For each segment the static gives the landmarks
in the cluster's own frame (least-squares rigid fit, Söderkvist & Wedin 1993, via
:func:`lbprun.kinematics.jcs.reconstruct_points`) and the dynamic cluster carries them; the
static's labels are resolved with the same vocabulary as the dynamic trial's. What a careful
biomechanist does by hand, and what is done here where the anatomy needs it:

- **Pelvis without ASIS in the static** (the RIC static marks the greater trochanters, ``L_hip``
  and ``R_hip``): the pelvis frame is defined in the static, medio-lateral along the trochanter
  line and superior along the lab vertical of the standing subject, and carried by the pelvis
  cluster (three virtual points that rebuild exactly that frame fill the pelvis roles). The
  rotation-first pelvis angle does not depend on the sagittal offset of this frame (an offset
  about the medio-lateral axis changes tilt only), so rotation amplitudes are those of the
  pelvis. The hip joint centres lie on the trochanter line, ``hjc_from_gtr`` of the
  inter-trochanteric distance medial to each trochanter.
- **Feet without heel/toe landmarks**: the forefoot pivot of the foot cluster (the point of the
  foot that stays still while the heel rises, found by least squares over push-off) becomes the
  toe point, and the cluster markers themselves stand for the rear foot (events).

A static trial that does not fit the dynamic one (another subject or session: the cluster's
shape differs, or its landmarks lie implausibly far from the cluster) or that lacks the
landmarks needed is refused with one sentence naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from lbprun.errors import LbprunError
from lbprun.kinematics.frames import unit
from lbprun.kinematics.jcs import carry_points, fit_rigid, static_pose
from lbprun.signals import butter_lowpass

# Which landmarks each cluster carries (per side for limb segments).
SEGMENT_ROLES = {
    "pelvis": ("l_asis", "r_asis", "l_psis", "r_psis", "sacrum"),
    "thigh": ("knee_lat", "knee_med", "thigh"),
    "shank": ("ankle_lat", "ankle_med", "tibia"),
    "foot": ("heel", "toe", "mt1", "mt5"),
}
# Cluster marker names by segment in every convention seen (L_thigh_1, LTHAP, L.Thigh.Top.Lateral,
# LThighUpperC; L_shank_2, LTIAP, L.Shank.Top.Medial, LShankUpperC; L_foot_3; pelvis_1).
_LIMB = {"thigh": r"(thigh|th)", "shank": r"(shank|tib|ti|sk)", "foot": r"(foot|ft)"}
_PELVIS = re.compile(r"^(pelvis|pel|pelv)[._\s-]?\d+$", re.IGNORECASE)
# Hip centres lie this fraction of the trochanters' distance medial of each: their spacing is
# then half the trochanters' (adult anthropometry, ~0.17 m vs ~0.34 m).
HJC_FROM_GTR = 0.25
MAX_DEFORMATION_M = 0.004  # a cluster frame deformed more than this (RMS) is an artefact
MAX_FIT_RESIDUAL_M = 0.008  # static cluster shape vs dynamic (median RMS): another subject/session
MAX_LENGTH_SD_M = 0.012  # SD of a segment length between calibrated joint centres, over frames
MAX_POINT_DISTANCE_M = 0.6  # a landmark farther than this from its cluster is not on that segment
PIVOT_WINDOW_S = 0.08  # push-off frames after the rear foot lifts, for the forefoot pivot
REAR_FOOT_MIN_LOW_S = 0.03  # a heel cluster of a forefoot striker is low for only ~50 ms
PIVOT_ITERATIONS = 10  # reweighting rounds of the forefoot pivot fit
PIVOT_CUTOFF_HZ = 15.0  # low-pass of the foot cluster before the pivot fit (as the events')
_FRAME_POINT_M = 0.1  # spacing of the virtual points that rebuild a static-defined pelvis frame


@dataclass(frozen=True)
class Limits:
    """The choices of a static calibration (config section ``clusters``), in metres."""

    hjc_from_gtr: float = HJC_FROM_GTR
    max_fit_residual_m: float = MAX_FIT_RESIDUAL_M
    max_length_sd_m: float = MAX_LENGTH_SD_M
    max_point_distance_m: float = MAX_POINT_DISTANCE_M


class StaticMismatchError(LbprunError, ValueError):
    """A static trial that cannot calibrate the dynamic one (one sentence naming the file)."""


@dataclass
class Calibrated:
    """Virtual markers from a static trial: label -> positions, role -> (label, rule)."""

    points: dict[str, np.ndarray] = field(default_factory=dict)
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    residual_mm: dict[str, float] = field(default_factory=dict)


def cluster_labels(labels: list[str], /) -> dict[str, list[str]]:
    """Group labels into technical clusters: ``pelvis``, ``l_thigh``, ``r_shank``, ``l_foot``...

    Examples
    --------
    >>> cluster_labels(["pelvis_1", "pelvis_2", "L_thigh_1", "R_foot_2", "LTHAP", "LASI"])
    {'pelvis': ['pelvis_1', 'pelvis_2'], 'l_thigh': ['L_thigh_1', 'LTHAP'], 'r_foot': ['R_foot_2']}
    """
    out: dict[str, list[str]] = {}
    for label in labels:
        if _PELVIS.match(label):
            out.setdefault("pelvis", []).append(label)
            continue
        for segment, pattern in _LIMB.items():
            hit = re.match(rf"^([LR])[._\s-]?{pattern}", label, re.IGNORECASE)
            if hit:
                out.setdefault(f"{hit.group(1).lower()}_{segment}", []).append(label)
                break
    return out


def _stack(trial, labels: list[str]) -> np.ndarray:
    return np.stack([trial.marker(label) for label in labels], axis=1)


def _segment_of(role: str) -> str:
    """Cluster key that carries a role (``l_knee_lat`` -> ``l_thigh``)."""
    side, _, name = role.partition("_")
    for segment, names in SEGMENT_ROLES.items():
        if role in names and segment == "pelvis":
            return "pelvis"
        if name in names and side in ("l", "r"):
            return f"{side}_{segment}"
    return ""


def fit_residual_m(static_cluster: np.ndarray, dynamic_cluster: np.ndarray, /) -> float:
    """Median RMS distance (m) between the static cluster, rigidly fitted, and each dynamic frame.

    Examples
    --------
    >>> ref = np.array([[[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]]])
    >>> round(fit_residual_m(ref, ref + [0.0, 1.0, 0.0]), 9)
    0.0
    """
    shape = _mean_shape(static_cluster)
    return _residual_m(shape, fit_rigid(shape, dynamic_cluster), dynamic_cluster)


def _mean_shape(static_cluster: np.ndarray) -> np.ndarray:
    """Mean static shape of a cluster over the frames where it is complete."""
    keep = np.isfinite(static_cluster).all(axis=(1, 2))
    return static_cluster[keep].mean(axis=0)


def _residual_m(shape: np.ndarray, fit: tuple, dynamic_cluster: np.ndarray) -> float:
    """Median RMS distance (m) of ``shape`` placed by ``fit`` from each dynamic frame."""
    rot, trans = fit
    fitted = np.einsum("nij,mj->nmi", rot, shape) + trans[:, None, :]
    rms = np.sqrt(np.mean(np.sum((fitted - dynamic_cluster) ** 2, axis=-1), axis=-1))
    return float(np.nanmedian(rms)) if np.isfinite(rms).any() else np.nan


def drop_nonrigid(cluster: np.ndarray, /, *, tol_m: float | None = None) -> tuple[np.ndarray, int]:
    """Set to NaN the frames where a cluster is not the rigid body it should be.

    A swapped label or a ghost marker deforms the cluster. In the frames whose RMS distance from
    the cluster's median shape (rigidly fitted) exceeds ``tol_m`` (default
    ``MAX_DEFORMATION_M``), a cluster of four or more markers whose deformation one marker
    explains gets that marker rebuilt from the others (a rigid-body fill); the other deformed
    frames are dropped, and the gap-filling downstream treats them as gaps.

    Returns
    -------
    cluster : ndarray, shape (n, m, 3)
        A copy with stray markers rebuilt and the other deformed frames NaN.
    n_dropped : int
        How many frames were dropped.

    Examples
    --------
    >>> ref = np.array([[0.0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]])
    >>> moving = np.stack([ref + [0.0, 0.01 * i, 0.0] for i in range(5)])
    >>> moving[2, 0] += 0.05  # a ghost
    >>> drop_nonrigid(moving)[1]
    1
    >>> four = np.stack([np.vstack([ref, [0.0, 0.0, 0.1]]) + [0.01 * i, 0, 0] for i in range(5)])
    >>> four[2, 3] += 0.05  # one stray marker of four: rebuilt, the frame kept
    >>> fixed, dropped = drop_nonrigid(four)
    >>> dropped, (np.round(fixed[2, 3], 6) + 0.0).tolist()
    (0, [0.02, 0.0, 0.1])
    """
    tol = MAX_DEFORMATION_M if tol_m is None else tol_m
    ok = np.isfinite(cluster).all(axis=(1, 2))
    if ok.sum() < 3:
        return cluster, 0
    centred = cluster[ok] - cluster[ok].mean(axis=1, keepdims=True)
    rot, _ = fit_rigid(centred[0], centred)
    shape = np.median(np.einsum("nji,nmj->nmi", rot, centred), axis=0)  # back in frame 0's axes
    rot, trans = fit_rigid(shape, cluster)
    fitted = np.einsum("nij,mj->nmi", rot, shape) + trans[:, None, :]
    rms = np.sqrt(np.mean(np.sum((fitted - cluster) ** 2, axis=-1), axis=-1))
    bad = np.isfinite(rms) & (rms > tol)
    out = cluster.copy()
    if cluster.shape[1] > 3:  # one stray marker: rebuild it from the others (rigid-body fill)
        _refill_one(out, shape, bad, tol)
    else:
        out[bad] = np.nan
    bad = ~np.isfinite(out).all(axis=(1, 2)) & ok
    out[bad] = np.nan
    return out, int(bad.sum())


def _refill_one(cluster: np.ndarray, shape: np.ndarray, bad: np.ndarray, tol: float) -> None:
    """In the bad frames, replace the one marker whose removal leaves a rigid cluster (in place).

    Frames where no single marker explains the deformation are set to NaN.
    """
    frames = np.flatnonzero(bad)
    if not len(frames):
        return
    m = shape.shape[0]
    best_rms = np.full(len(frames), np.inf)
    best = np.zeros((len(frames), 3))
    which = np.full(len(frames), -1)
    for j in range(m):
        keep = [i for i in range(m) if i != j]
        rot, trans = fit_rigid(shape[keep], cluster[frames][:, keep])
        fitted = np.einsum("nij,mj->nmi", rot, shape) + trans[:, None, :]
        rms = np.sqrt(np.mean(np.sum((fitted[:, keep] - cluster[frames][:, keep]) ** 2, -1), -1))
        better = np.isfinite(rms) & (rms < best_rms)
        best_rms[better], best[better], which[better] = rms[better], fitted[better, j], j
    fixable = best_rms <= tol
    cluster[frames[fixable], which[fixable]] = best[fixable]
    cluster[frames[~fixable]] = np.nan


def _pelvis_frame_points(static, static_map: dict, hjc_from_gtr: float) -> dict[str, np.ndarray]:
    """Return static points that rebuild a pelvis frame (trochanter line, standing vertical)."""
    l_gtr = static.marker(static_map["l_gtr"])
    r_gtr = static.marker(static_map["r_gtr"])
    origin = 0.5 * (l_gtr + r_gtr)
    left = unit(l_gtr - r_gtr)
    up = unit(np.array([0.0, 0.0, 1.0]) - np.sum(left * [0.0, 0.0, 1.0], axis=1)[:, None] * left)
    anterior = np.cross(left, up)
    d = _FRAME_POINT_M
    return {
        "l_asis": origin + d * left,
        "r_asis": origin - d * left,
        "sacrum": origin - d * anterior,
        "l_hjc": l_gtr + hjc_from_gtr * (r_gtr - l_gtr),
        "r_hjc": r_gtr + hjc_from_gtr * (l_gtr - r_gtr),
    }


def _static_points(static, static_map: dict, wanted: list[str], segment: str, hjc: float) -> dict:
    """Return the static positions of the wanted roles (pelvis frame points without ASIS)."""
    points = {r: static.marker(static_map[r]) for r in wanted if r in static_map}
    has_asis = {"l_asis", "r_asis"} <= static_map.keys()
    if segment == "pelvis" and not has_asis and {"l_gtr", "r_gtr"} <= static_map.keys():
        points |= _pelvis_frame_points(static, static_map, hjc)
    return points


def _rule(role: str, static_map: dict, cluster: list[str], static_name: str, hjc: float) -> str:
    via = f"{cluster[0]}..{cluster[-1]}" if len(cluster) > 1 else cluster[0]
    if role in static_map:
        what = static_map[role]
    elif role.endswith("hjc"):
        what = f"trochanters ({hjc:g} of their distance medial)"
    else:
        what = "pelvis frame of the trochanter line and the standing vertical"
    return f"static-calibrated: {what} in {static_name}, carried by {via}"


def calibrate(
    trial, mapping: dict, static, static_map: dict, /, *, limits: Limits | None = None
) -> Calibrated:
    """Anatomical landmarks the dynamic trial lacks, carried from the static by the clusters.

    Parameters
    ----------
    trial, static : Trial
        Dynamic and static trials (canonical frame, metres).
    mapping, static_map : dict
        Role -> label of each (from :func:`lbprun.markersets.resolve_roles`).
    limits : Limits, optional
        Hip-centre fraction and the limits that refuse a static (defaults of the config).

    Returns
    -------
    Calibrated
        Virtual markers (labels ``role@static``), the roles they fill with their rules, warnings
        and each cluster's fit residual.

    Raises
    ------
    StaticMismatchError
        If a cluster's shape differs from the static's by more than ``max_fit_residual_m``, a
        landmark lies more than ``max_point_distance_m`` from its cluster, or the shank length
        between calibrated centres varies by more than ``max_length_sd_m``.
    """
    limits = limits or Limits()
    out = Calibrated()
    dyn_clusters = cluster_labels(trial.labels)
    stat_clusters = cluster_labels(static.labels)
    for key, labels in dyn_clusters.items():
        cluster = [label for label in labels if label in stat_clusters.get(key, [])]
        segment = key.partition("_")[2] or key
        roles = SEGMENT_ROLES[segment]
        wanted = roles if key == "pelvis" else [f"{key[0]}_{r}" for r in roles]
        wanted = [r for r in wanted if r not in mapping]
        if len(cluster) < 3 or not wanted:
            continue
        points = _static_points(static, static_map, wanted, key, limits.hjc_from_gtr)
        if not points:
            continue
        stat, dyn = _stack(static, cluster), _stack(trial, cluster)
        # One rigid fit of the dynamic cluster serves the shape check and the calibration
        # whenever both use the same static shape (every static frame complete): the SVD of
        # every dynamic frame is most of a cluster trial's time.
        shape = _mean_shape(stat)
        fit = fit_rigid(shape, dyn)
        residual = _residual_m(shape, fit, dyn)
        _check((trial, static), key, cluster, (stat, residual), points, out=out, limits=limits)
        cal_shape, cal_points = static_pose(stat, np.stack(list(points.values()), axis=1))
        if not np.array_equal(cal_shape, shape):  # frames with the cluster but not the points
            fit = fit_rigid(cal_shape, dyn)
        rebuilt = carry_points(cal_points, fit)
        for i, role in enumerate(points):
            label = f"{role}@static"
            out.points[label] = rebuilt[:, i, :]
            rule = _rule(role, static_map, cluster, static.path.name, limits.hjc_from_gtr)
            out.roles[role] = (label, rule)
    _check_joints(trial, static, out, limits.max_length_sd_m)
    return out


# Joint centres carried by two neighbouring clusters must keep their distance (a segment
# length) in every frame; with another subject's static they move with the joint angle.
# The hip centre is only estimated (trochanters), so the shank (knee to ankle centre) is the check.
_JOINTS = ((("knee_lat", "knee_med"), "thigh", ("ankle_lat", "ankle_med"), "shank"),)


def _centre(points: dict, side: str, names) -> np.ndarray | None:
    names = (names,) if isinstance(names, str) else names
    found = [points.get(f"{side}_{n}@static") for n in names]
    return None if any(p is None for p in found) else np.mean(found, axis=0)


def _check_joints(trial, static, out: Calibrated, max_sd_m: float) -> None:
    """Refuse a static whose joint centres do not keep a constant segment length."""
    for side in ("l", "r"):
        for proximal, _, distal, segment in _JOINTS:
            a, b = _centre(out.points, side, proximal), _centre(out.points, side, distal)
            if a is None or b is None:
                continue
            length = np.linalg.norm(a - b, axis=1)
            q25, q75 = np.nanpercentile(length, [25, 75])
            spread = float((q75 - q25) / 1.349)  # robust SD: artefact frames do not decide
            out.residual_mm[f"{side}_{segment}_length_sd"] = round(1000 * spread, 2)
            if spread > max_sd_m:
                raise StaticMismatchError(
                    f"{static.path.name}: its landmarks make the {side.upper()} {segment} length "
                    f"vary in {trial.path.name} (robust SD {1000 * spread:.0f} mm, limit "
                    f"{1000 * max_sd_m:.0f} mm): the markers are too far from where the "
                    "clusters place them, a static trial of another subject?"
                )


def _check(trials: tuple, key: str, cluster: list, arrays: tuple, points: dict, *, out, limits):
    """Refuse a static whose cluster does not fit the dynamic one or whose landmarks are far."""
    (trial, static), (stat, residual) = trials, arrays
    out.residual_mm[key] = round(1000 * residual, 2)
    if residual > limits.max_fit_residual_m:
        raise StaticMismatchError(
            f"{static.path.name}: its {key.replace('_', ' ')} cluster ({', '.join(cluster)}) "
            f"does not fit {trial.path.name}'s (median residual {1000 * residual:.0f} mm, "
            f"limit {1000 * limits.max_fit_residual_m:.0f} mm): a static trial of another subject "
            "or session?"
        )
    centre = np.nanmean(stat, axis=(0, 1))
    for role, pos in points.items():
        distance = float(np.nanmedian(np.linalg.norm(pos - centre, axis=-1)))
        if distance > limits.max_point_distance_m:
            raise StaticMismatchError(
                f"{static.path.name}: {role} lies {distance:.2f} m from the {key} cluster "
                f"(limit {limits.max_point_distance_m:g} m): markers too far from the cluster, a "
                "static trial of another subject?"
            )


def forefoot_pivot(
    cluster: np.ndarray,
    lifts_s,
    /,
    *,
    fs_hz: float,
    window_s: float = PIVOT_WINDOW_S,
    smooth: np.ndarray | None = None,
) -> np.ndarray:
    """Find the forefoot point a foot cluster pivots about at push-off, in every frame.

    While the heel rises the foot rolls about the forefoot, which moves with the ground (at
    rest overground, with the belt on a treadmill). With the cluster's pose ``x = R p + d``
    per frame, the point ``p`` (cluster frame) and the constant horizontal ground velocity
    ``v`` that make ``R' p + d' - v`` smallest are solved for by iteratively reweighted least
    squares over the ``window_s`` after each time the rear foot lifts: frames that are
    not push-off (a lift seen wrongly, the foot already in the air) fit badly and lose their
    weight.

    Parameters
    ----------
    cluster : ndarray, shape (n, m, 3)
        Foot cluster markers (m >= 3), metres.
    lifts_s : sequence of float
        Times the rear foot (the cluster itself) leaves the ground.
    fs_hz : float
        Marker rate.
    window_s : float, optional
        Push-off time after each lift (default ``PIVOT_WINDOW_S``, config
        ``clusters.forefoot_pivot_window_s``).
    smooth : ndarray, shape (n, m, 3), optional
        The cluster already low-pass filtered (``butter_lowpass(cluster, fs_hz=fs_hz,
        cutoff_hz=PIVOT_CUTOFF_HZ)``), when the caller filters it once for other uses too.

    Returns
    -------
    ndarray, shape (n, 3)
        The pivot point in the lab (NaN where the cluster is incomplete or no lift is given).
    """
    n = len(cluster)
    if smooth is None:
        smooth = butter_lowpass(cluster, fs_hz=fs_hz, cutoff_hz=PIVOT_CUTOFF_HZ)
    keep = np.isfinite(smooth).all(axis=(1, 2))
    if keep.sum() < 3:
        return np.full((n, 3), np.nan)
    shape = smooth[keep][0] - smooth[keep][0].mean(axis=0)
    rot, trans = fit_rigid(shape, smooth)
    d_rot = np.gradient(rot, axis=0) * fs_hz
    d_trans = np.gradient(trans, axis=0) * fs_hz
    width = round(window_s * fs_hz)
    frames = np.unique([round(t * fs_hz) + k for t in lifts_s for k in range(width)]).astype(int)
    frames = frames[(frames >= 0) & (frames < n)]
    frames = frames[np.isfinite(d_rot[frames]).all(axis=(1, 2))]
    if len(frames) < 3:
        return np.full((n, 3), np.nan)
    # unknowns: p (3) and a constant horizontal ground velocity (a treadmill belt; ~0 overground)
    a = np.zeros((len(frames), 3, 5))
    a[:, :, :3] = d_rot[frames]
    a[:, 0, 3] = a[:, 1, 4] = -1.0
    b = -d_trans[frames]
    weight = np.ones(len(frames))
    for _ in range(PIVOT_ITERATIONS):
        w = np.sqrt(weight)[:, None, None]
        solution, *_ = np.linalg.lstsq(
            (a * w).reshape(-1, 5), (b * w[:, :, 0]).reshape(-1), rcond=None
        )
        residual = np.linalg.norm(np.einsum("nij,j->ni", a, solution) - b, axis=1)
        scale = 2.0 * np.median(residual) + 1e-9
        weight = 1.0 / (1.0 + (residual / scale) ** 2)  # Cauchy weights
    return np.einsum("nij,j->ni", rot, solution[:3]) + trans
