"""Forward model of running: steps, pelvis and thorax poses, and the legs as a planar chain.

Lab frame: metres, x = progression (+X), y = left, z = up; the ground is z = 0. Segment
frames are x anterior, y left, z up, and every orientation is built as
``R = Rz(rotation) @ Rx(obliquity) @ Ry(tilt)`` so that the rotation-first Cardan angle
(Baker 2001) of each frame is its ``rotation`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from lbprun.synth.params import TrialParams, davis_hjc, segment_lengths

MARGIN_S = 1.5  # gait is simulated this long before and after the recorded window

# Foot geometry in the foot's sagittal frame (u forward, w up) from the ankle joint centre,
# metres for a 0.92 m leg: ground contact points and the two foot markers.
HEEL_CONTACT = np.array([-0.05, -0.075])
TOE_CONTACT = np.array([0.14, -0.075])
HEE_MARKER = np.array([-0.075, -0.035])
# After heel rise the foot pivots about the metatarsophalangeal joint with the toes flat on the
# ground, its centre MTP_HEIGHT above them; the TOE marker sits on the dorsum just behind it,
# so that, as on real feet (RBDS001 MT1, JA1Gait21 LTOE: lowest at mid-stance, within 1 mm of
# it at push-off), it does not sink while the heel rises.
MTP_HEIGHT = 0.015
TOE_PIVOT = TOE_CONTACT + np.array([0.0, MTP_HEIGHT])
TOE_MARKER = np.array([0.13, -0.045])
ARRIVAL_VELOCITY = np.array([0.5, -0.7])  # ankle velocity relative to the ground at touchdown


@dataclass
class Steps:
    """Foot contacts of one trial, in time order, both sides alternating."""

    side: np.ndarray  # "L" / "R"
    td_s: np.ndarray
    to_s: np.ndarray
    knee_td_deg: np.ndarray
    placement_deg: np.ndarray
    pitch_td_deg: np.ndarray
    pitch_to_deg: np.ndarray
    impact_bw: np.ndarray
    valr_bw_s: np.ndarray
    active_bw: np.ndarray


def draw_steps(params: TrialParams, /, rng: np.random.Generator) -> Steps:
    """Draw touchdown and toe-off times and per-stance targets with stride-to-stride scatter."""
    step_s = 60.0 / params.cadence_steps_min
    if params.stance_time_s >= 0.95 * step_s:
        raise ValueError("stance time must be shorter than the step time (running has flight)")
    t0 = -MARGIN_S - rng.uniform(0.0, 2.0 * step_s)
    n = int(np.ceil((params.duration_s + 2 * MARGIN_S + 2 * step_s) / step_s)) + 1
    steps = step_s * (1.0 + params.step_time_cv * rng.standard_normal(n))
    td = t0 + np.concatenate([[0.0], np.cumsum(steps[:-1])])
    stance = params.stance_time_s * (1.0 + 0.5 * params.step_time_cv * rng.standard_normal(n))
    knee = params.knee_flex_td_deg + params.knee_td_sd_deg * rng.standard_normal(n)
    dknee = knee - params.knee_flex_td_deg
    rearfoot = params.footstrike == "rearfoot"
    speed_extra = max(params.speed_mps - 3.0, 0.0)
    return Steps(
        side=np.where(np.arange(n) % 2 == 0, "L", "R"),
        td_s=td,
        to_s=td + stance,
        knee_td_deg=knee,
        placement_deg=_placement_deg(params, knee, stance) + 1.0 * rng.standard_normal(n),
        pitch_td_deg=np.full(n, 15.0 if rearfoot else -8.0) + 2.0 * rng.standard_normal(n),
        pitch_to_deg=np.full(n, -(55.0 + 12.0 * speed_extra)),
        impact_bw=params.impact_peak_bw - 0.02 * dknee + params.peak_sd_bw * rng.standard_normal(n),
        valr_bw_s=params.valr_bw_s
        + params.valr_per_knee_deg * dknee
        + params.valr_sd_bw_s * rng.standard_normal(n),
        active_bw=params.active_peak_bw + params.peak_sd_bw * rng.standard_normal(n),
    )


def _placement_deg(params: TrialParams, knee_deg: np.ndarray, stance_s: np.ndarray) -> np.ndarray:
    """Angle of the hip-ankle line at touchdown (default: ankle 28 % of the contact length ahead).

    Running lands the foot ahead of the body by a good quarter of the distance the body
    travels over the foot during stance (JA1Gait21 at 3.5 m/s: ankle 0.20 m ahead of the hip
    joint centre); with the mid-stance hip drop this keeps the knee flexed throughout stance,
    peaking at ~40-45 deg at 3 m/s.
    """
    if params.foot_placement_deg is not None:
        return np.full(len(knee_deg), params.foot_placement_deg)
    reach = chain_reach(*segment_lengths(params), knee_deg)
    ahead = 0.28 * params.speed_mps * stance_s
    return np.degrees(np.arcsin(np.minimum(ahead / reach, 0.6)))


def rotation_matrices(rotation_deg, obliquity_deg, tilt_deg, /) -> np.ndarray:
    """``Rz(rotation) @ Rx(obliquity) @ Ry(tilt)`` for arrays of angles, shape (n, 3, 3)."""
    a, b, c = (
        np.radians(np.asarray(x, dtype=float)) for x in (rotation_deg, obliquity_deg, tilt_deg)
    )
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    r = np.empty((*a.shape, 3, 3))
    r[..., 0, 0] = ca * cc - sa * sb * sc
    r[..., 0, 1] = -sa * cb
    r[..., 0, 2] = ca * sc + sa * sb * cc
    r[..., 1, 0] = sa * cc + ca * sb * sc
    r[..., 1, 1] = ca * cb
    r[..., 1, 2] = sa * sc - ca * sb * cc
    r[..., 2, 0] = -cb * sc
    r[..., 2, 1] = sb
    r[..., 2, 2] = cb * cc
    return r


def rotation_first_angle(rot: np.ndarray, /) -> np.ndarray:
    """Rotation (about z, first) of the rotation-obliquity-tilt Cardan sequence, degrees."""
    return np.degrees(np.arctan2(-rot[..., 0, 1], rot[..., 1, 1]))


class Rhythm:
    """Stride phase and the slowly varying amplitudes and relative phase of a trial.

    The stride phase is 0 at every left touchdown and pi at every right touchdown, smoothly
    interpolated (cubic spline) in between; amplitudes and relative phase get a new random
    value at every touchdown, also splined, which gives stride-to-stride variability.
    """

    def __init__(self, params: TrialParams, steps: Steps, rng: np.random.Generator) -> None:
        n = len(steps.td_s)
        self.phase = CubicSpline(steps.td_s, np.pi * np.arange(n))
        knots = steps.td_s
        self.pelvis_amp = CubicSpline(
            knots, params.pelvis_rot_amp_deg * (1 + params.amp_cv * rng.standard_normal(n))
        )
        self.thorax_amp = CubicSpline(
            knots, params.thorax_rot_amp_deg * (1 + params.amp_cv * rng.standard_normal(n))
        )
        self.relphase = CubicSpline(
            knots, params.relphase_deg + params.relphase_sd_deg * rng.standard_normal(n)
        )
        self.params = params

    def pelvis_angles(self, t: np.ndarray, /) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pelvis rotation, obliquity and tilt (degrees) at times ``t``."""
        p, phi = self.params, self.phase(t)
        h2, h3 = p.pelvis_harmonics
        rot = -self.pelvis_amp(t) * (np.cos(phi) + h2 * np.cos(2 * phi) + h3 * np.cos(3 * phi))
        obl = p.pelvis_obliquity_amp_deg * np.cos(phi - 0.6)
        tilt = p.pelvis_tilt_deg + p.pelvis_tilt_amp_deg * np.cos(2 * phi)
        return rot, obl, tilt

    def thorax_angles(self, t: np.ndarray, /) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Thorax rotation, obliquity and tilt (degrees) at times ``t``."""
        p = self.params
        lag = self.phase(t) - np.radians(self.relphase(t))
        h2, h3 = p.thorax_harmonics
        rot = -self.thorax_amp(t) * (np.cos(lag) + h2 * np.cos(2 * lag) + h3 * np.cos(3 * lag))
        obl = -p.thorax_obliquity_amp_deg * np.cos(lag)
        tilt = p.thorax_lean_deg + 1.0 * np.cos(2 * self.phase(t) - 0.5)
        return rot, obl, tilt

    def pelvis_horizontal(self, t: np.ndarray, /) -> tuple[np.ndarray, np.ndarray]:
        """Pelvis origin x and y (m): progression overground, small surges and sway."""
        p, phi = self.params, self.phase(t)
        x = 0.01 * p.scale * np.sin(2 * phi)
        if p.setup == "overground":
            x = x + p.speed_mps * t
        y = 0.01 * p.scale * np.sin(phi + 1.2)
        return x, y


def rot2(angle_rad: np.ndarray, vec: np.ndarray, /) -> np.ndarray:
    """Rotate 2-D vectors (u, w) counter-clockwise (toe up) by ``angle_rad``, shape (n, 2)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    vec = np.broadcast_to(vec, (*np.shape(angle_rad), 2))
    return np.stack([c * vec[..., 0] - s * vec[..., 1], s * vec[..., 0] + c * vec[..., 1]], axis=-1)


def chain_reach(l1: float, l2: float, knee_deg, /) -> np.ndarray:
    """Hip-to-ankle distance of a two-link leg flexed by ``knee_deg`` (0 = straight)."""
    return np.sqrt(l1**2 + l2**2 + 2 * l1 * l2 * np.cos(np.radians(knee_deg)))


def stance_pitch_deg(tau: np.ndarray, p_td: float, p_to: float, /) -> np.ndarray:
    """Foot pitch over stance (fraction ``tau``): landing angle -> flat -> heel rise."""
    tau = np.asarray(tau, dtype=float)
    early = np.clip(tau / 0.15, 0.0, 1.0)
    late = np.clip((tau - 0.45) / 0.55, 0.0, 1.0)
    return p_td * (1 - (3 * early**2 - 2 * early**3)) + p_to * late**2


def heel_contact_x(params: TrialParams, steps: Steps, k: int, hip_x: float, /) -> float:
    """Heel contact x at touchdown ``k`` given the hip's x then (foot placement and knee)."""
    l1, l2 = segment_lengths(params)
    reach = chain_reach(l1, l2, steps.knee_td_deg[k])
    ankle_x = hip_x + reach * np.sin(np.radians(steps.placement_deg[k]))
    pitch = np.radians(steps.pitch_td_deg[k])
    contact = HEEL_CONTACT if pitch > 0 else TOE_PIVOT
    heel_x = ankle_x + rot2(pitch, contact * params.scale)[0]
    if pitch <= 0:
        heel_x -= (TOE_CONTACT[0] - HEEL_CONTACT[0]) * params.scale
    return float(heel_x)


def _toe_off_height(params: TrialParams, steps: Steps, k: int, hip_x: np.ndarray) -> float:
    """Hip height at toe-off that leaves the knee flexed by ``TO_KNEE_DEG`` (if reachable)."""
    l1, l2 = segment_lengths(params)
    belt = params.speed_mps if params.setup == "treadmill" else 0.0
    toe_x = (
        heel_contact_x(params, steps, k, hip_x[0])
        + (TOE_CONTACT[0] - HEEL_CONTACT[0]) * params.scale
        - belt * (steps.to_s[k] - steps.td_s[k])
    )
    ankle = np.array([toe_x, MTP_HEIGHT * params.scale]) - rot2(
        np.radians(steps.pitch_to_deg[k]), TOE_PIVOT * params.scale
    )
    u = ankle[0] - hip_x[1]
    reach = chain_reach(l1, l2, TO_KNEE_DEG)
    return float(ankle[1] + np.sqrt(max(reach**2 - u**2, 0.0)))


TO_KNEE_DEG = 18.0


def pelvis_origin_z(params: TrialParams, steps: Steps, rhythm: Rhythm, /) -> CubicSpline:
    """Pelvis height spline through touchdown, mid-stance, toe-off and mid-flight knots.

    At each touchdown the hip sits where the chosen knee flexion and foot placement angle put
    it above the landing ankle, so that the knee angle at touchdown is exact; the hip then
    drops to mid-stance and, at toe-off, sits where the knee is flexed ``TO_KNEE_DEG`` (within
    6 cm below and 2 cm above its touchdown height).
    """
    l1, l2 = segment_lengths(params)
    times, heights = [], []
    for k, side in enumerate(steps.side):
        td, to = steps.td_s[k], steps.to_s[k]
        hip = _hip_offset(params, rhythm, side, np.array([td, to]))
        on_heel = steps.pitch_td_deg[k] > 0
        contact, ground = (HEEL_CONTACT, 0.0) if on_heel else (TOE_PIVOT, MTP_HEIGHT)
        ankle_z = (
            ground * params.scale
            - rot2(np.radians(steps.pitch_td_deg[k]), contact * params.scale)[1]
        )
        reach = chain_reach(l1, l2, steps.knee_td_deg[k])
        z_td = ankle_z + reach * np.cos(np.radians(steps.placement_deg[k])) - hip[0, 2]
        z_to = _toe_off_height(params, steps, k, hip[:, 0]) - hip[1, 2]
        times += [td, td + 0.45 * (to - td), to]
        heights += [z_td, z_td - params.vertical_drop_m, np.clip(z_to, z_td - 0.06, z_td + 0.02)]
        if k + 1 < len(steps.td_s):
            flight = steps.td_s[k + 1] - to
            times.append(to + 0.5 * flight)
            heights.append(heights[-1] + 0.125 * GRAVITY_FLIGHT * flight**2)
    return CubicSpline(np.array(times), np.array(heights))


GRAVITY_FLIGHT = 9.81


def _hip_offset(params: TrialParams, rhythm: Rhythm, side: str, t: np.ndarray) -> np.ndarray:
    """Hip joint centre (n, 3) at times ``t`` with the pelvis origin at (x, y, 0)."""
    rot = rotation_matrices(*rhythm.pelvis_angles(t))
    x, y = rhythm.pelvis_horizontal(t)
    return np.stack([x, y, np.zeros_like(x)], axis=-1) + rot @ davis_hjc(params, side=side)
