"""lbprun.kinematics on analytic cases: known rotations, synthetic segments, reference numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lbprun.kinematics import (
    PigSubject,
    SegmentFrame,
    cardan_angles,
    chord_joint_centre,
    clusters,
    davis_hjc,
    euler_from_matrix,
    fit_rigid,
    jcs_leg,
    knee_angles,
    matrix_from_euler,
    pelvis_frame,
    progression_frame,
    reconstruct_points,
    segment_angles,
    stride_amplitudes,
    thorax_frame,
    trunk_angles,
    trunk_inclination,
)
from lbprun.kinematics.clusters import fit_residual_m

SEQUENCES = ["zxy", "yxz", "xyz", "zyx", "xzy", "yzx"]
RNG = np.random.default_rng(4)


def _random_angles(n=200):
    return np.column_stack(
        [RNG.uniform(-170, 170, n), RNG.uniform(-85, 85, n), RNG.uniform(-170, 170, n)]
    )


def test_known_matrix_gives_its_cardan_angles():
    # A 30 deg turn about the vertical: x goes to (cos30, sin30, 0).
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    assert np.allclose(euler_from_matrix(rot, "zxy"), [[30.0, 0.0, 0.0]])
    assert np.allclose(euler_from_matrix(rot, "yxz"), [[0.0, 0.0, 30.0]])
    # 90 deg about x then nothing: y goes to z.
    rot_x = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    assert np.allclose(euler_from_matrix(rot_x, "xyz"), [[90.0, 0.0, 0.0]])


@pytest.mark.parametrize("seq", SEQUENCES)
def test_matrix_matches_scipy_intrinsic_convention(seq):
    angles = _random_angles()
    ours = matrix_from_euler(angles, seq)
    ref = Rotation.from_euler(seq.upper(), angles, degrees=True).as_matrix()
    assert np.allclose(ours, ref, atol=1e-12)


@pytest.mark.parametrize("seq", SEQUENCES)
def test_cardan_round_trip(seq):
    angles = _random_angles()
    back = euler_from_matrix(matrix_from_euler(angles, seq), seq)
    assert np.allclose(back, angles, atol=1e-9)
    ref = Rotation.from_matrix(matrix_from_euler(angles, seq)).as_euler(seq.upper(), degrees=True)
    assert np.allclose(back, ref, atol=1e-9)


def test_cardan_angles_unwraps_rotation_through_180():
    rotation = np.linspace(150, 250, 101)
    rot = matrix_from_euler(np.column_stack([rotation, np.zeros(101), np.full(101, 5.0)]), "zxy")
    out = cardan_angles(rot)
    assert np.allclose(out[:, 0] - out[0, 0] + 150, rotation, atol=1e-9)
    assert np.allclose(out[:, 2], 5.0)


def test_nan_frames_stay_nan_and_do_not_break_neighbours():
    rot = matrix_from_euler([[10.0, 0, 0], [20.0, 0, 0], [30.0, 0, 0]], "zxy")
    rot[1] = np.nan
    out = cardan_angles(rot)
    assert np.isnan(out[1]).all()
    assert np.allclose(out[[0, 2], 0], [10.0, 30.0])


@pytest.mark.parametrize(
    ("direction", "name"), [((1, 0), "+X"), ((-1, 0), "-X"), ((0, 1), "+Y"), ((0, -1), "-Y")]
)
def test_progression_found_from_pelvis_travel(direction, name):
    t = np.linspace(0, 3, 300)
    path = np.column_stack([direction[0] * 3.5 * t, direction[1] * 3.5 * t, np.full_like(t, 1.0)])
    path[:, :2] += 0.05 * np.sin(2 * np.pi * 1.5 * t)[:, None]  # sway
    rot, found = progression_frame(path)
    assert found == name
    assert np.allclose(rot @ [*direction, 0.0], [1.0, 0.0, 0.0])
    assert np.allclose(np.linalg.det(rot), 1.0)


def test_treadmill_progression_from_pelvis_anterior():
    still = np.column_stack([np.zeros(50), 0.01 * np.ones(50), np.ones(50)])
    anterior = np.tile([0.1, -0.99, 0.05], (50, 1))
    _, name = progression_frame(still, pelvis_anterior=anterior)
    assert name == "-Y"
    with pytest.raises(ValueError, match="progression"):
        progression_frame(still)


def _pelvis_markers(rot, origin=(0.0, 0.0, 1.0)):
    """ASIS/PSIS of a pelvis with the given orientation (local: x ant, y left, z up)."""
    local = {
        "l_asis": [0.0, 0.12, 0.0],
        "r_asis": [0.0, -0.12, 0.0],
        "l_psis": [-0.16, 0.045, 0.0],
        "r_psis": [-0.16, -0.045, 0.0],
    }
    return {k: np.einsum("nij,j->ni", rot, v) + origin for k, v in local.items()}


def test_pelvis_angles_recover_known_rotation_obliquity_tilt():
    truth = np.column_stack(
        [8 * np.sin(np.linspace(0, 4 * np.pi, 101)), np.full(101, 4.0), np.full(101, 12.0)]
    )
    heading = matrix_from_euler([[180.0, 0.0, 0.0]], "zxy")[0]  # running along -X
    seg = np.einsum("ij,njk->nik", heading, matrix_from_euler(truth, "zxy"))
    m = _pelvis_markers(seg)
    pelvis = pelvis_frame(m["l_asis"], m["r_asis"], l_psis=m["l_psis"], r_psis=m["r_psis"])
    path = pelvis.origin - np.linspace(0, 3, 101)[:, None] * [1.0, 0.0, 0.0]
    prog, name = progression_frame(path)
    assert name == "-X"
    assert np.allclose(segment_angles(pelvis.rot, prog), truth, atol=1e-9)
    rom = stride_amplitudes(segment_angles(pelvis.rot, prog)[:, 0], [[0, 50], [50, 100]])
    assert np.allclose(rom, np.ptp(truth[:51, 0]))


def test_pelvis_needs_a_posterior_landmark():
    m = _pelvis_markers(np.tile(np.eye(3), (2, 1, 1)))
    with pytest.raises(ValueError, match="PSIS"):
        pelvis_frame(m["l_asis"], m["r_asis"])
    sac = pelvis_frame(m["l_asis"], m["r_asis"], sacrum=0.5 * (m["l_psis"] + m["r_psis"]))
    assert np.allclose(sac.rot, pelvis_frame(m["l_asis"], m["r_asis"], **_psis(m)).rot)


def _psis(m):
    return {"l_psis": m["l_psis"], "r_psis": m["r_psis"]}


def _thorax_markers(rot):
    """IJ/C7 and PX/T8 pairs with mid(IJ, C7) straight above mid(PX, T8) in the local x-z plane."""
    local = {"ij": [0.06, 0, 0.0], "c7": [-0.08, 0, 0.0], "px": [0.08, 0, -0.2]}
    local["t8"] = [-0.1, 0, -0.2]
    return {k: np.einsum("nij,j->ni", rot, v) + np.array([0, 0, 1.4]) for k, v in local.items()}


def test_isb_thorax_frame_and_trunk_angles():
    truth = np.array([[15.0, -3.0, 7.0], [-10.0, 2.0, 9.0]])
    thorax = thorax_frame(**_thorax_markers(matrix_from_euler(truth, "zxy")))
    assert not thorax.warnings
    assert np.allclose(segment_angles(thorax.rot, np.eye(3)), truth, atol=1e-9)
    twist = matrix_from_euler([[25.0, 0, 0], [-20.0, 0, 0]], "zxy")
    pelvis = matrix_from_euler([[5.0, 0, 0], [5.0, 0, 0]], "zxy")
    thorax = thorax_frame(**_thorax_markers(twist))
    assert np.allclose(trunk_angles(thorax.rot, pelvis), [[20.0, 0, 0], [-25.0, 0, 0]], atol=1e-9)


def test_thorax_fallbacks_are_reported():
    m = _thorax_markers(np.tile(np.eye(3), (3, 1, 1)))
    no_px = thorax_frame(c7=m["c7"], t8=m["t8"], ij=m["ij"])
    assert any("T8" in w for w in no_px.warnings)
    assert np.isfinite(no_px.rot).all()
    no_ij = thorax_frame(c7=m["c7"], t8=m["t8"], px=m["px"])
    assert np.isnan(no_ij.rot).all()
    assert any("NaN" in w for w in no_ij.warnings)


def test_trunk_inclination_positive_forward():
    lean = matrix_from_euler([[0, 0, 10.0], [0, 0, -5.0], [90.0, 0, 10.0]], "zxy")
    # The third frame is turned 90 deg left while leaning about its own left axis: the lean is
    # then sideways in the progression frame, so the sagittal inclination is 0.
    assert np.allclose(trunk_inclination(lean, np.eye(3)), [10.0, -5.0, 0.0], atol=1e-9)


def test_chord_function_geometry():
    n = 20
    hip = np.column_stack([np.zeros(n), np.zeros(n), np.full(n, 0.9)])
    kne = hip + np.array([0.05, -0.07, -0.42]) + RNG.normal(0, 0.01, (n, 3))
    thi = 0.5 * (hip + kne) + [0.04, -0.09, 0.0]
    kjc = chord_joint_centre(thi, hip, kne, delta=0.0595)
    assert np.allclose(np.linalg.norm(kjc - kne, axis=1), 0.0595)
    assert np.allclose(np.einsum("ni,ni->n", hip - kjc, kne - kjc), 0.0, atol=1e-12)
    normal = np.cross(thi - kne, hip - kne)
    assert np.allclose(np.einsum("ni,ni->n", kjc - kne, normal), 0.0, atol=1e-12)


def test_davis_hjc_matches_pycgm_reference_numbers():
    """Reference input and output of pyCGM's hipJointCenter docstring (mm), a PiG clone."""
    origin = np.array([[251.60830688, 391.74131775, 1032.89349365]])
    ends = np.array(
        [
            [251.74063624, 392.72694721, 1032.78850073],
            [250.61711554, 391.87232862, 1032.8741063],
            [251.60295336, 391.84795134, 1033.88777762],
        ]
    )
    rot = (ends - origin).T[None]
    pelvis = SegmentFrame(origin / 1000, rot, [])
    subject = PigSubject(
        leg_length={"l": 0.94, "r": 0.94},
        inter_asis=0.215908996582031,
        asis_trochanter={"l": 0.072512, "r": 0.072512},
        knee_width={"l": 0.1, "r": 0.1},
        ankle_width={"l": 0.07, "r": 0.07},
        marker_diameter=0.014,
    )
    left = davis_hjc(pelvis, subject, "l") * 1000
    right = davis_hjc(pelvis, subject, "r") * 1000
    assert np.allclose(left, [[182.57097799, 339.43231799, 935.52900136]], atol=1e-3)
    assert np.allclose(right, [[308.38050352, 322.80342433, 937.98979092]], atol=1e-3)


def _leg(flexion_deg, side="r"):
    """Hip, epicondyles and malleoli of a leg facing +X with a known knee flexion."""
    n = len(flexion_deg)
    hjc = np.tile([0.0, 0.0, 0.9], (n, 1))
    lat = 1.0 if side == "l" else -1.0
    thigh_down = np.array([0.0, 0.0, -0.42])
    kjc = hjc + thigh_down
    f = np.radians(flexion_deg)
    shank = np.column_stack([-0.4 * np.sin(f), np.zeros(n), -0.4 * np.cos(f)])
    ajc = kjc + shank
    ml = np.array([0.0, 0.05 * lat, 0.0])
    return hjc, {
        f"{side}_knee_lat": kjc + ml,
        f"{side}_knee_med": kjc - ml,
        f"{side}_ankle_lat": ajc + 0.7 * ml,
        f"{side}_ankle_med": ajc - 0.7 * ml,
    }


@pytest.mark.parametrize("side", ["l", "r"])
def test_jcs_knee_flexion_known_angle(side):
    flexion = np.linspace(0, 100, 11)
    hjc, markers = _leg(flexion, side)
    femur, tibia = jcs_leg(markers, hjc, side)
    angles = knee_angles(femur.rot, tibia.rot, side)
    assert np.allclose(angles[:, 0], flexion, atol=1e-9)
    assert np.allclose(angles[:, 1:], 0.0, atol=1e-9)


def test_rigid_fit_and_cluster_reconstruction():
    ref = np.array([[0.0, 0, 0], [0.08, 0.01, 0], [0.0, 0.07, 0.02], [0.05, 0.05, 0.06]])
    rot = matrix_from_euler(_random_angles(50), "zxy")
    trans = RNG.normal(0, 1, (50, 3))
    cur = np.einsum("nij,mj->nmi", rot, ref) + trans[:, None]
    r, t = fit_rigid(ref, cur + RNG.normal(0, 1e-4, cur.shape))
    assert (
        np.abs(
            np.degrees(Rotation.from_matrix(np.einsum("nji,njk->nik", r, rot)).magnitude())
        ).max()
        < 0.5
    )
    assert np.allclose(t, trans, atol=1e-3)
    point = np.array([[0.02, -0.03, -0.25]])  # e.g. an epicondyle below the cluster
    static_cluster = np.tile(ref, (10, 1, 1)) + RNG.normal(0, 1e-4, (10, 4, 3))
    rebuilt = reconstruct_points(static_cluster, np.tile(point, (10, 1, 1)), cur)
    expected = np.einsum("nij,j->ni", rot, point[0]) + trans
    assert np.abs(rebuilt[:, 0] - expected).max() < 2e-3
    cur[3, 1] = np.nan
    assert np.isnan(reconstruct_points(static_cluster, np.tile(point, (10, 1, 1)), cur)[3]).all()


def test_rigid_fit_rotation_is_the_einsum_product_bit_for_bit():
    # fit_rigid forms U @ Vt without einsum (issue 16): same bits as the einsum formulation,
    # with reflections, an identity (exact zeros), degenerate and incomplete frames
    def einsum_fit(ref, cur):
        cross = np.einsum("nmi,mj->nij", cur - cur.mean(axis=1)[:, None], ref - ref.mean(axis=0))
        bad = ~np.isfinite(cross).all(axis=(1, 2))
        cross[bad] = np.eye(3)
        u, _, vt = np.linalg.svd(cross)
        u[:, :, 2] *= np.linalg.det(np.einsum("nij,njk->nik", u, vt))[:, None]
        rot = np.einsum("nij,njk->nik", u, vt)
        rot[bad] = np.nan
        return rot, cur.mean(axis=1) - np.einsum("nij,j->ni", rot, ref.mean(axis=0))

    rng = np.random.default_rng(16)
    for m in (3, 4, 5):
        ref = rng.normal(0, 0.1, (m, 3))
        cur = rng.normal(0, 0.1, (3000, m, 3))  # half of them reflections
        cur[:1000] = ref + rng.normal(0, 1e-3, (1000, m, 3))  # near-rigid
        cur[1000:1010] = 0.0
        cur[1010:1020] = ref
        cur[1020:1030, 0] = np.nan
        for ours, theirs in zip(fit_rigid(ref, cur), einsum_fit(ref, cur), strict=True):
            assert ours.tobytes() == theirs.tobytes()


class _Markers:
    """The little of a Trial that cluster calibration reads: labels, markers and a path."""

    def __init__(self, name, markers):
        self.path, self.markers, self.labels = Path(name), markers, list(markers)

    def marker(self, label):
        return self.markers[label]


@pytest.mark.parametrize("gap", [False, True])
def test_cluster_calibration_is_the_checked_reconstruction(gap):
    """calibrate() shares the shape check's rigid fit with the calibration when the static shapes
    agree, and refits when a static frame holds the cluster but not a point: either way its
    points and residual are bit for bit reconstruct_points' and fit_residual_m's."""
    ref = np.array([[0.0, 0, 0], [0.08, 0.01, 0], [0.0, 0.07, 0.02], [0.05, 0.05, 0.06]])
    knee = np.array([[0.02, -0.03, -0.25], [0.02, 0.09, -0.25]])
    static_cluster = np.tile(ref, (6, 1, 1)) + RNG.normal(0, 1e-3, (6, 4, 3))
    static_knee = np.tile(knee, (6, 1, 1)) + RNG.normal(0, 1e-3, (6, 2, 3))
    if gap:
        static_knee[2, 1] = np.nan
    rot = matrix_from_euler(_random_angles(40), "zxy")
    dyn = np.einsum("nij,mj->nmi", rot, ref) + RNG.normal(0, 1, (40, 1, 3))
    labels = [f"L_thigh_{i}" for i in range(1, 5)]
    static = _Markers(
        "static.c3d",
        {**{lab: static_cluster[:, i] for i, lab in enumerate(labels)},
         "LKNE": static_knee[:, 0], "LKNM": static_knee[:, 1]},
    )  # fmt: skip
    trial = _Markers("run.c3d", {lab: dyn[:, i] for i, lab in enumerate(labels)})
    static_map = {"l_knee_lat": "LKNE", "l_knee_med": "LKNM"}
    cal = clusters.calibrate(trial, {}, static, static_map)
    expected = reconstruct_points(static_cluster, static_knee, dyn)
    assert np.array_equal(cal.points["l_knee_lat@static"], expected[:, 0])
    assert np.array_equal(cal.points["l_knee_med@static"], expected[:, 1])
    assert cal.residual_mm["l_thigh"] == round(1000 * fit_residual_m(static_cluster, dyn), 2)


def test_segment_angles_are_vectorised_over_4500_frames():
    rot = matrix_from_euler(_random_angles(4500), "zxy")
    out = segment_angles(rot, np.eye(3))
    assert out.shape == (4500, 3)
