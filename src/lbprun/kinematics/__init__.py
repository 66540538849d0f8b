"""Segment frames, joint centres and joint angles from marker trajectories.

All functions take plain arrays in metres in the canonical lab frame (Z up), frames on axis 0,
and are vectorised (no per-frame Python loops). Segment orientations are (n, 3, 3) arrays whose
columns are the segment axes (anterior, left, superior/proximal) in the lab.

Public functions
----------------
Rotations (:mod:`.rotations`)
    ``euler_from_matrix(R, seq)``, ``matrix_from_euler(angles_deg, seq)``,
    ``cardan_angles(R, *, sequence="zxy")`` (unwrapped; rotation-first by default),
    ``relative_rotation(proximal, distal)``, ``unwrap_deg``.
Frames and segment angles (:mod:`.frames`)
    ``progression_frame(pelvis_origin, *, pelvis_anterior=None) -> (R lab->progression, "+X")``,
    ``pelvis_frame(l_asis, r_asis, *, l_psis, r_psis, sacrum) -> SegmentFrame``,
    ``thorax_frame(*, c7, t8, ij, px) -> SegmentFrame``,
    ``segment_angles(R, progression, *, sequence="zxy")`` -> (rotation, obliquity, tilt),
    ``trunk_angles(thorax_R, pelvis_R)``, ``trunk_inclination(thorax_R, progression)``,
    ``stride_amplitudes(angle, bounds)`` (max − min per stride).
Plug-in Gait (:mod:`.pig`)
    ``pig_subject(processing_mm, markers) -> (PigSubject, warnings)``,
    ``davis_hjc(pelvis, subject, side)``, ``chord_joint_centre(wand, proximal, marker, delta)``,
    ``pig_leg(markers, hjc, subject, side) -> (femur, tibia)``,
    ``knee_angles(femur_R, tibia_R, side)`` -> (flexion, adduction, rotation), YXZ,
    ``pig_knee_angles(markers, processing_mm) -> ({"l", "r"}, warnings)`` (all of the above),
    ``pig_thorax_frame(c7, t10, clav, strn)`` (Nexus's thorax, for validation only).
Anatomical markers and clusters (:mod:`.jcs`)
    ``harrington_hjc(pelvis, l_asis, r_asis, back, side)``,
    ``jcs_leg(markers, hjc, side) -> (femur, tibia)``,
    ``fit_rigid(reference, current)`` (Söderkvist & Wedin 1993),
    ``reconstruct_points(cluster_static, points_static, cluster_dynamic)``.
"""

from lbprun.kinematics.frames import (
    SegmentFrame,
    frame_from_axes,
    pelvis_frame,
    progression_frame,
    segment_angles,
    stride_amplitudes,
    thorax_frame,
    trunk_angles,
    trunk_inclination,
    unit,
)
from lbprun.kinematics.jcs import fit_rigid, harrington_hjc, jcs_leg, reconstruct_points
from lbprun.kinematics.pig import (
    PigSubject,
    chord_joint_centre,
    davis_hjc,
    knee_angles,
    pig_knee_angles,
    pig_leg,
    pig_subject,
    pig_thorax_frame,
)
from lbprun.kinematics.rotations import (
    cardan_angles,
    euler_from_matrix,
    matrix_from_euler,
    relative_rotation,
    unwrap_deg,
)

__all__ = [
    "PigSubject",
    "SegmentFrame",
    "cardan_angles",
    "chord_joint_centre",
    "davis_hjc",
    "euler_from_matrix",
    "fit_rigid",
    "frame_from_axes",
    "harrington_hjc",
    "jcs_leg",
    "knee_angles",
    "matrix_from_euler",
    "pelvis_frame",
    "pig_knee_angles",
    "pig_leg",
    "pig_subject",
    "pig_thorax_frame",
    "progression_frame",
    "reconstruct_points",
    "relative_rotation",
    "segment_angles",
    "stride_amplitudes",
    "thorax_frame",
    "trunk_angles",
    "trunk_inclination",
    "unit",
    "unwrap_deg",
]
