"""Plug-in Gait (Vicon's conventional gait model) lower limb, to reproduce Nexus knee angles.

Hip joint centre by the Davis (1991) regression as Plug-in Gait implements it, knee and ankle
joint centres by the chord function with the thigh and tibia wand markers and the knee/ankle
widths, femur and tibia frames, and knee angles as a YXZ Cardan sequence. Formulas follow the
Plug-in Gait reference guide and its open re-implementations (pyCGM, pyCGM2).

Everything is computed in metres; the subject measurements of the C3D ``PROCESSING`` group are
in millimetres and are converted by :func:`pig_subject`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lbprun.kinematics.frames import SegmentFrame, frame_from_axes, pelvis_frame, unit
from lbprun.kinematics.rotations import euler_from_matrix, relative_rotation

# Davis et al. (1991) angles as stored in Plug-in Gait (radians).
DAVIS_THETA = 0.500000178813934
DAVIS_BETA = 0.314000427722931
DEFAULT_MARKER_DIAMETER_M = 0.014
_SIDE_NAMES = {"l": "Left", "r": "Right"}


@dataclass(frozen=True)
class PigSubject:
    """Plug-in Gait subject measurements in metres (per side where the model has two)."""

    leg_length: dict[str, float]  # {"l": ..., "r": ...}, ASIS to medial malleolus
    inter_asis: float
    asis_trochanter: dict[str, float]
    knee_width: dict[str, float]
    ankle_width: dict[str, float]
    marker_diameter: float = DEFAULT_MARKER_DIAMETER_M

    @property
    def marker_radius(self) -> float:
        """Half the marker diameter (m)."""
        return self.marker_diameter / 2.0


def _lookup_mm(processing: Mapping, side: str, name: str) -> float:
    """Return a per-side PROCESSING value in mm (``LKneeWidth``/``LeftKneeWidth``), or 0."""
    for key in (f"{side.upper()}{name}", f"{_SIDE_NAMES[side]}{name}"):
        value = processing.get(key)
        if value is not None and np.isfinite(np.ravel(value)[0]):
            return float(np.ravel(value)[0])
    return 0.0


def _median_distance(a: np.ndarray | None, b: np.ndarray | None, q: float = 50.0) -> float:
    """Return a percentile of the distance between two marker trajectories (NaN if unavailable)."""
    if a is None or b is None:
        return float("nan")
    dist = np.linalg.norm(np.asarray(a) - np.asarray(b), axis=-1)
    return float(np.nanpercentile(dist, q)) if np.isfinite(dist).any() else float("nan")


def _per_side(processing, name, markers, infer, warnings):
    """One per-side measurement (m) from PROCESSING (mm) or inferred from markers."""
    out = {}
    for side in "lr":
        value = _lookup_mm(processing, side, name) / 1000.0
        if value <= 0:
            value, how = infer(side, markers, out)
            warnings.append(f"{_SIDE_NAMES[side]} {name} not in the file; {how}")
        out[side] = value
    return out


def _infer_leg_length(side, markers, _):
    # Standing ASIS-to-malleolus distance ~ the longest ASIS-to-ankle distance over the trial.
    length = _median_distance(markers.get(f"{side}_asis"), markers.get(f"{side}_ankle_lat"), 98)
    return length, f"inferred from the ASIS-ankle marker distance ({length * 1000:.0f} mm)"


def _infer_width(name, default_m):
    def infer(side, markers, _):
        lat = markers.get(f"{side}_{name}_lat")
        med = markers.get(f"{side}_{name}_med")
        width = _median_distance(lat, med)
        if np.isfinite(width):
            return width, f"from the lateral-medial marker distance ({width * 1000:.0f} mm)"
        return default_m, f"default {default_m * 1000:.0f} mm assumed"

    return infer


def pig_subject(processing: Mapping, markers: Mapping[str, np.ndarray], /):
    """Plug-in Gait subject measurements from a PROCESSING group, inferring what is missing.

    Parameters
    ----------
    processing : mapping of str to float
        C3D PROCESSING values in mm (``LLegLength``, ``InterAsisDistance``, ``RKneeWidth``,
        ``MarkerDiameter``...; ``LeftLegLength``-style names are accepted too).
    markers : mapping of str to ndarray, shape (n, 3)
        Role-named marker trajectories in metres (``l_asis``, ``r_ankle_lat``...), used to infer
        missing measurements.

    Returns
    -------
    subject : PigSubject
        Measurements in metres.
    warnings : list of str
        One sentence per inferred value. Missing ASIS-trochanter distances use Plug-in Gait's
        own regression on leg length (0.1288 LL − 48.56 mm), as Nexus does.
    """
    warnings: list[str] = []
    legs = _per_side(processing, "LegLength", markers, _infer_leg_length, warnings)
    inter_asis = float(processing.get("InterAsisDistance", 0.0) or 0.0) / 1000.0
    if inter_asis <= 0:
        inter_asis = _median_distance(markers.get("l_asis"), markers.get("r_asis"))
        warnings.append(
            f"InterAsisDistance not in the file; {inter_asis * 1000:.0f} mm from markers"
        )
    trochanter = {
        s: (_lookup_mm(processing, s, "AsisTrocanterDistance") / 1000.0)
        or (0.1288 * legs[s] * 1000.0 - 48.56) / 1000.0
        for s in "lr"
    }
    diameter = float(processing.get("MarkerDiameter", 0.0) or 0.0) / 1000.0
    if diameter <= 0:
        diameter = DEFAULT_MARKER_DIAMETER_M
        warnings.append("MarkerDiameter not in the file; 14 mm assumed")
    knee = _per_side(processing, "KneeWidth", markers, _infer_width("knee", 0.100), warnings)
    ankle = _per_side(processing, "AnkleWidth", markers, _infer_width("ankle", 0.070), warnings)
    return PigSubject(legs, inter_asis, trochanter, knee, ankle, diameter), warnings


def davis_hjc(pelvis: SegmentFrame, subject: PigSubject, /, side: str) -> np.ndarray:
    """Hip joint centre by Davis et al. (1991) as implemented in Plug-in Gait.

    Parameters
    ----------
    pelvis : SegmentFrame
        Pelvis frame from :func:`lbprun.kinematics.frames.pelvis_frame`.
    subject : PigSubject
        Measurements (m). The offset uses the mean leg length, as Plug-in Gait does.
    side : {"l", "r"}
        Which hip.

    Returns
    -------
    ndarray, shape (n, 3)
        Hip joint centre in the lab (m).
    """
    mean_leg_mm = 500.0 * (subject.leg_length["l"] + subject.leg_length["r"])
    c_mm = mean_leg_mm * 0.115 - 15.3
    reach_mm = 1000.0 * (subject.asis_trochanter[side] + subject.marker_radius)
    half_asis_mm = 500.0 * subject.inter_asis
    sin_t, cos_t = np.sin(DAVIS_THETA), np.cos(DAVIS_THETA)
    sin_b, cos_b = np.sin(DAVIS_BETA), np.cos(DAVIS_BETA)
    lateral = c_mm * sin_t - half_asis_mm  # negative: towards the hip's own side
    local_mm = np.array(
        [
            c_mm * cos_t * sin_b - reach_mm * cos_b,
            -lateral if side == "l" else lateral,
            -reach_mm * sin_b - c_mm * cos_t * cos_b,
        ]
    )
    return pelvis.origin + np.einsum("nij,j->ni", pelvis.rot, local_mm / 1000.0)


def chord_joint_centre(
    wand: np.ndarray, proximal: np.ndarray, marker: np.ndarray, /, delta: float
) -> np.ndarray:
    """Plug-in Gait chord function: a joint centre from a wand, a proximal centre and a marker.

    The joint centre J lies in the plane (wand, proximal, marker), at distance ``delta`` from
    the marker, with the angle proximal-J-marker a right angle (J on the circle whose diameter
    is proximal-marker).

    Parameters
    ----------
    wand, proximal, marker : ndarray, shape (n, 3)
        E.g. thigh wand (THI), hip joint centre, lateral knee marker (KNE).
    delta : float
        Marker-to-joint-centre distance: half the joint width plus the marker radius (m).

    Returns
    -------
    ndarray, shape (n, 3)
        Joint centre (m).

    Examples
    --------
    >>> hip = np.array([[0.0, 0.0, 0.8]])
    >>> kne = np.array([[0.0, -0.06, 0.4]])
    >>> thi = np.array([[0.05, -0.08, 0.6]])
    >>> kjc = chord_joint_centre(thi, hip, kne, delta=0.06)
    >>> right_angle = np.sum((hip - kjc) * (kne - kjc))
    >>> float(np.round(np.linalg.norm(kjc - kne), 6)), abs(float(right_angle)) < 1e-12
    (0.06, True)
    """
    chord = np.asarray(proximal, dtype=float) - np.asarray(marker, dtype=float)
    length = np.linalg.norm(chord, axis=-1, keepdims=True)
    normal = unit(np.cross(np.asarray(wand) - np.asarray(marker), chord))
    with np.errstate(invalid="ignore"):
        angle = 2.0 * np.arccos(delta / length)
    # Rotate the chord about the plane normal by 2*acos(delta/|chord|) (Rodrigues; normal ⟂ chord).
    turned = chord * np.cos(angle) + np.cross(normal, chord) * np.sin(angle)
    return 0.5 * (np.asarray(proximal) + np.asarray(marker)) + 0.5 * turned


def _long_frame(proximal_jc, distal_jc, lateral_point, side):
    """Frame with z from distal to proximal centre and y pointing left (lateral point side)."""
    lateral = np.asarray(lateral_point) - distal_jc
    left = lateral if side == "l" else -lateral
    return frame_from_axes(proximal_jc - distal_jc, left, axes="zy")


def pig_leg(markers: Mapping[str, np.ndarray], hjc: np.ndarray, subject: PigSubject, /, side: str):
    """Plug-in Gait knee/ankle centres and femur/tibia frames of one leg.

    Parameters
    ----------
    markers : mapping of str to ndarray, shape (n, 3)
        Role-named markers: ``{side}_thigh``, ``{side}_knee_lat``, ``{side}_tibia``,
        ``{side}_ankle_lat`` (PiG THI, KNE, TIB, ANK), metres.
    hjc : ndarray, shape (n, 3)
        Hip joint centre of that side.
    subject : PigSubject
        Measurements.
    side : {"l", "r"}
        Which leg.

    Returns
    -------
    femur, tibia : SegmentFrame
        Femur (origin KJC) and untorsioned tibia (origin AJC) frames, axes (anterior, left,
        proximal) as in Plug-in Gait's segment outputs (``LFEO``/``LFEA``/``LFEL``/``LFEP``).
    """
    knee_delta = subject.knee_width[side] / 2.0 + subject.marker_radius
    ankle_delta = subject.ankle_width[side] / 2.0 + subject.marker_radius
    kne, ank = markers[f"{side}_knee_lat"], markers[f"{side}_ankle_lat"]
    kjc = chord_joint_centre(markers[f"{side}_thigh"], hjc, kne, delta=knee_delta)
    ajc = chord_joint_centre(markers[f"{side}_tibia"], kjc, ank, delta=ankle_delta)
    femur = SegmentFrame(kjc, _long_frame(hjc, kjc, kne, side), [])
    tibia = SegmentFrame(ajc, _long_frame(kjc, ajc, ank, side), [])
    return femur, tibia


def knee_angles(femur_rot: np.ndarray, tibia_rot: np.ndarray, /, side: str) -> np.ndarray:
    """Knee angles as Plug-in Gait reports them: YXZ Cardan of the tibia in the femur.

    Parameters
    ----------
    femur_rot, tibia_rot : ndarray, shape (n, 3, 3)
        Segment axes (anterior, left, proximal) in the lab.
    side : {"l", "r"}
        Sets the signs of the frontal and transverse components.

    Returns
    -------
    ndarray, shape (n, 3)
        (flexion, adduction/varus, internal rotation) in degrees; flexion 0 = straight,
        positive = flexion (the Grood & Suntay flexion about the femoral medio-lateral axis).
    """
    ang = euler_from_matrix(relative_rotation(femur_rot, tibia_rot), "yxz")
    sign = -1.0 if side == "l" else 1.0
    return np.column_stack([ang[:, 0], sign * ang[:, 1], sign * ang[:, 2]])


def pig_thorax_frame(c7: np.ndarray, t10: np.ndarray, clav: np.ndarray, strn: np.ndarray, /):
    """Plug-in Gait thorax, for comparison with Nexus ``ThoraxAngles`` (not the ISB frame).

    Vertical axis from mid(STRN, T10) to mid(CLAV, C7); anterior axis from mid(C7, T10) to
    mid(CLAV, STRN), made perpendicular. Plug-in Gait's own thorax axes point down and right;
    here they are returned as (anterior, left, superior) like every other frame, which is a
    180° turn about the anterior axis and leaves the rotation angle unchanged.

    Parameters
    ----------
    c7, t10, clav, strn : ndarray, shape (n, 3)
        Plug-in Gait thorax markers (m).

    Returns
    -------
    SegmentFrame
        Origin at CLAV and (anterior, left, superior) axes.
    """
    upper, lower = 0.5 * (clav + c7), 0.5 * (strn + t10)
    front, back = 0.5 * (clav + strn), 0.5 * (c7 + t10)
    return SegmentFrame(clav, frame_from_axes(upper - lower, front - back, axes="zx"), [])


def pig_knee_angles(markers: Mapping[str, np.ndarray], processing: Mapping, /):
    """Plug-in Gait knee angles of both legs from role-named markers and subject measurements.

    Parameters
    ----------
    markers : mapping of str to ndarray, shape (n, 3)
        Roles ``l_asis``, ``r_asis``, ``l_psis``/``r_psis`` or ``sacrum``, and per side
        ``thigh``, ``knee_lat``, ``tibia``, ``ankle_lat`` (metres, lab frame, Z up).
    processing : mapping of str to float
        C3D PROCESSING values in mm (missing ones are inferred, see :func:`pig_subject`).

    Returns
    -------
    angles : dict of str to ndarray, shape (n, 3)
        ``{"l": ..., "r": ...}``: (flexion, adduction, internal rotation) in degrees.
    warnings : list of str
        What was inferred.
    """
    subject, warnings = pig_subject(processing, markers)
    pelvis = pelvis_frame(
        markers["l_asis"],
        markers["r_asis"],
        l_psis=markers.get("l_psis"),
        r_psis=markers.get("r_psis"),
        sacrum=markers.get("sacrum"),
    )
    angles = {}
    for side in "lr":
        femur, tibia = pig_leg(markers, davis_hjc(pelvis, subject, side), subject, side)
        angles[side] = knee_angles(femur.rot, tibia.rot, side)
    return angles, warnings + pelvis.warnings
