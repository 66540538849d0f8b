"""The runner: pelvis, thorax and legs evaluated at any times.

Each leg is a hip-knee-ankle chain moving in the vertical plane through its hip joint
centre (normal = lab y), with a rigid foot. In stance the foot's contact point (heel, then the
metatarsophalangeal joint after heel rise) is fixed on the ground (overground) or moves with
the belt (treadmill); in swing the ankle follows a polar path about the hip. The knee
follows from two-link inverse kinematics, so the knee flexion at touchdown is the one chosen
for that stance (the hip height at touchdown is set from it, see ``pelvis_origin_z``). For
``SETTLE_S`` after touchdown the ankle keeps moving along the hip-ankle line into heel pad
and sole (:class:`Settle`), so that the knee angle is C2 across touchdown, as on real knees.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline, PchipInterpolator

from lbprun.synth.model import (
    ARRIVAL_VELOCITY,
    HEEL_CONTACT,
    MTP_HEIGHT,
    TOE_CONTACT,
    TOE_PIVOT,
    Rhythm,
    Steps,
    chain_reach,
    draw_steps,
    heel_contact_x,
    pelvis_origin_z,
    rot2,
    rotation_matrices,
    stance_pitch_deg,
)
from lbprun.synth.params import TrialParams, davis_hjc, segment_lengths

THORAX_HEIGHT = 0.42  # pelvis origin to thorax origin (m, 0.92 m leg)
MIN_KNEE_DEG = 1.0  # the chain never locks fully straight
SETTLE_S = 0.09  # after touchdown the ankle comes to rest on the foot's contact over this long


class Settle:
    """Lengthening of the hip-ankle line after touchdown that keeps the knee angle C2 across it.

    A landing foot does not stop dead: heel pad and shoe compress and the ankle keeps moving
    for some tens of milliseconds (on JA1Gait21 the malleolus still moves at ~1.2 m/s at force
    onset, and the hip-ankle distance shortens smoothly from ~0.2 to ~1 m/s over +-20 ms, so
    the knee flexion velocity rises from ~250 deg/s at touchdown to ~600 deg/s 20-40 ms later).
    The offset, along the hip-ankle line, is the quintic that is zero at touchdown with the
    rate and acceleration of the distance the swing arrived with (minus those of the foot
    pinned on its contact) and vanishes with zero rate and acceleration after ``SETTLE_S``.
    The knee angle, a function of that distance alone, is then C2 across touchdown and keeps
    its chosen value at touchdown exactly.
    """

    def __init__(self, rate: float, acc: float, duration_s: float = SETTLE_S) -> None:
        self.rate, self.acc, self.duration_s = rate, acc, duration_s

    def __call__(self, s: np.ndarray) -> np.ndarray:
        """Lengthening (m, n values) at ``s`` seconds after touchdown (0 outside the settling)."""
        big_t = self.duration_s
        x = np.clip(s / big_t, 0.0, 1.0)
        h1 = x - 6 * x**3 + 8 * x**4 - 3 * x**5  # value 0, slope 1 at 0; all zero at 1
        h2 = 0.5 * (x**2 - 3 * x**3 + 3 * x**4 - x**5)  # curvature 1 at 0; all zero at 1
        return big_t * self.rate * h1 + big_t**2 * self.acc * h2


@dataclass
class Stance:
    """One stance of one foot and the swing that follows it."""

    index: int  # row in Steps
    td_s: float
    to_s: float
    heel_x0: float  # heel contact x at touchdown (m)
    pitch_td_deg: float
    pitch_to_deg: float
    swing: SwingPath | None = None  # ankle (u, w) relative to the hip until the next TD
    swing_pitch: PchipInterpolator | None = None
    next_td_s: float = np.inf
    settle: Settle | None = None  # ankle offset just after touchdown (None: foot pinned)


def _line_angle(rel: np.ndarray) -> float:
    """Angle (rad) of the hip-ankle line from straight down, forward positive."""
    return float(np.arctan2(rel[0], -rel[1]))


def _line_rate(rel_pair: np.ndarray, h: float = 1e-4) -> float:
    """Angular rate (rad/s) of the hip-ankle line from two positions ``h`` seconds apart."""
    return (_line_angle(rel_pair[1]) - _line_angle(rel_pair[0])) / h


def _line_rate_at(rel: np.ndarray, vel: np.ndarray) -> float:
    """Angular rate (rad/s) of the hip-ankle line at ``rel`` moving with velocity ``vel``."""
    u, w = rel
    return float((-w * vel[0] + u * vel[1]) / (u**2 + w**2))


class SwingPath:
    """Ankle (u, w) relative to the hip from a knee-angle curve and a hip-ankle line angle."""

    def __init__(self, knee_deg, line_rad, lengths: tuple[float, float]) -> None:
        self.knee_deg, self.line_rad, self.lengths = knee_deg, line_rad, lengths

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """Ankle positions (n, 2) at times ``t``."""
        dist = chain_reach(*self.lengths, self.knee_deg(t))
        line = self.line_rad(t)
        return np.stack([dist * np.sin(line), -dist * np.cos(line)], axis=-1)


class Runner:
    """A simulated runner whose segments can be evaluated at any times (s)."""

    def __init__(self, params: TrialParams, /, rng: np.random.Generator) -> None:
        self.params = params
        self.steps: Steps = draw_steps(params, rng)
        self.rhythm = Rhythm(params, self.steps, rng)
        self.z_spline = pelvis_origin_z(params, self.steps, self.rhythm)
        self.thigh_m, self.shank_m = segment_lengths(params)
        self.belt_mps = params.speed_mps if params.setup == "treadmill" else 0.0
        self.x_offset = 0.0
        self.stances = {side: self._plan(side) for side in ("L", "R")}

    # --- trunk ---------------------------------------------------------------------------
    def pelvis(self, t: np.ndarray, /) -> tuple[np.ndarray, np.ndarray]:
        """Pelvis rotation matrices (n, 3, 3) and origin (mid-ASIS, n x 3) at times ``t``."""
        t = np.asarray(t, dtype=float)
        x, y = self.rhythm.pelvis_horizontal(t)
        origin = np.stack([x + self.x_offset, y, self.z_spline(t)], axis=-1)
        return rotation_matrices(*self.rhythm.pelvis_angles(t)), origin

    def thorax(self, t: np.ndarray, /) -> tuple[np.ndarray, np.ndarray]:
        """Thorax rotation matrices and origin (mid(IJ, C7) level) at times ``t``."""
        rot_deg, obl_deg, tilt_deg = self.rhythm.thorax_angles(np.asarray(t, dtype=float))
        _, pelvis_origin = self.pelvis(t)
        lean = np.radians(tilt_deg)
        h = THORAX_HEIGHT * self.params.scale
        offset = np.stack([h * np.sin(lean), np.zeros_like(lean), h * np.cos(lean)], axis=-1)
        return rotation_matrices(rot_deg, obl_deg, tilt_deg), pelvis_origin + offset

    def hip(self, t: np.ndarray, side: str, /) -> np.ndarray:
        """Hip joint centre (n, 3) in the lab."""
        rot, origin = self.pelvis(t)
        return origin + rot @ davis_hjc(self.params, side=side)

    # --- legs ----------------------------------------------------------------------------
    def _contact_rel(self, stance: Stance, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ankle (u, w) relative to the hip and foot pitch (rad) during a stance."""
        s = self.params.scale
        tau = (t - stance.td_s) / (stance.to_s - stance.td_s)
        pitch = np.radians(stance_pitch_deg(tau, stance.pitch_td_deg, stance.pitch_to_deg))
        heel_x = stance.heel_x0 - self.belt_mps * (t - stance.td_s)
        toe_x = heel_x + (TOE_CONTACT[0] - HEEL_CONTACT[0]) * s
        on_heel = pitch > 0
        ground = np.stack(
            [np.where(on_heel, heel_x, toe_x), np.where(on_heel, 0.0, MTP_HEIGHT * s)], axis=-1
        )
        local = np.where(on_heel[:, None], HEEL_CONTACT * s, TOE_PIVOT * s)
        ankle = ground - rot2(pitch, local)
        hip = self.hip(t, "L" if self.steps.side[stance.index] == "L" else "R")
        return ankle - hip[:, [0, 2]], pitch

    @staticmethod
    def _settling(stance: Stance, t: np.ndarray, rel: np.ndarray) -> np.ndarray:
        """Ankle offset (n, 2) along the hip-ankle line after touchdown (see :class:`Settle`)."""
        if stance.settle is None:
            return np.zeros_like(rel)
        dist = np.hypot(rel[:, 0], rel[:, 1])
        return rel * (stance.settle(t - stance.td_s) / dist)[:, None]

    def _plan(self, side: str) -> list[Stance]:
        """Place every stance of one side and build the swings between them."""
        st = self.steps
        stances = []
        for k in np.flatnonzero(st.side == side):
            td = st.td_s[k]
            hip_x = self.hip(np.array([td]), side)[0, 0]
            stances.append(
                Stance(
                    int(k),
                    td,
                    st.to_s[k],
                    heel_contact_x(self.params, st, int(k), hip_x),
                    st.pitch_td_deg[k],
                    st.pitch_to_deg[k],
                )
            )
        for prev, nxt in itertools.pairwise(stances):
            self._build_swing(prev, nxt, side)
        return stances

    def _build_swing(self, prev: Stance, nxt: Stance, side: str) -> None:
        """Swing from one toe-off to the next touchdown, in polar form about the hip.

        The knee angle follows a monotone (PCHIP) curve through toe-off, peak swing flexion,
        late-swing extension and the touchdown value, so the chain never over-reaches; the
        angle of the hip-ankle line is a cubic spline matching the stance velocities at
        toe-off and a forward-and-down foot velocity at touchdown.
        """
        h = 1e-4
        rel_to, _ = self._contact_rel(prev, np.array([prev.to_s - h, prev.to_s]))
        rel_td, _ = self._contact_rel(nxt, np.array([nxt.td_s]))
        hip = self.hip(np.array([nxt.td_s - h, nxt.td_s]), side)
        hip_vel = (hip[1, [0, 2]] - hip[0, [0, 2]]) / h
        arrive = ARRIVAL_VELOCITY + np.array([-self.belt_mps, 0.0]) - hip_vel
        swing_s = nxt.td_s - prev.to_s
        knots = [prev.to_s, prev.to_s + 0.45 * swing_s, nxt.td_s - 0.12 * swing_s, nxt.td_s]
        knee_td = self.steps.knee_td_deg[nxt.index]
        knee = [
            self._knee_of(rel_to[1]),
            self.params.knee_flex_swing_deg,
            max(knee_td - 6.0, 4.0),
            self._knee_of(rel_td[0]),
        ]
        line_td = _line_angle(rel_td[0])
        lines = [_line_angle(rel_to[1]), -0.12, line_td + 0.04, line_td]
        prev.swing = SwingPath(
            PchipInterpolator(knots, knee),
            CubicSpline(
                knots,
                lines,
                bc_type=((1, _line_rate(rel_to)), (1, _line_rate_at(rel_td[0], arrive))),
            ),
            (self.thigh_m, self.shank_m),
        )
        prev.swing_pitch = PchipInterpolator(
            [prev.to_s, knots[1], nxt.td_s], [prev.pitch_to_deg, -20.0, nxt.pitch_td_deg]
        )
        prev.next_td_s = nxt.td_s
        nxt.settle = self._settle(prev.swing, nxt)

    def _settle(self, swing: SwingPath, stance: Stance) -> Settle:
        """Rate and acceleration of the hip-ankle distance arriving minus pinned, at TD."""
        h = 1e-5
        steps = h * np.arange(3.0)
        before = np.linalg.norm(swing(stance.td_s - steps), axis=1)  # td, td - h, td - 2h
        after = np.linalg.norm(self._contact_rel(stance, stance.td_s + steps)[0], axis=1)  # pinned
        # one-sided three-point differences (the two sides are different curves)
        rate = (3 * before[0] - 4 * before[1] + before[2]) + (
            3 * after[0] - 4 * after[1] + after[2]
        )
        acc = (before[0] - 2 * before[1] + before[2]) - (after[0] - 2 * after[1] + after[2])
        return Settle(float(rate / (2 * h)), float(acc / h**2))

    def _knee_of(self, rel: np.ndarray) -> float:
        """Knee flexion (deg) of the chain reaching ``rel`` (u, w) from the hip."""
        l1, l2 = self.thigh_m, self.shank_m
        dist = min(float(np.hypot(*rel)), chain_reach(l1, l2, MIN_KNEE_DEG))
        return float(np.degrees(np.arccos((dist**2 - l1**2 - l2**2) / (2 * l1 * l2))))

    def ankle_rel(self, t: np.ndarray, side: str, /) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ankle (u, w) relative to the hip (n, 2), foot pitch (rad) and settling (n, 2).

        The foot (its contact and markers) follows the ankle minus the settling: the shoe
        stays on the ground while the ankle sinks into heel pad and sole.
        """
        t = np.asarray(t, dtype=float)
        rel = np.full((len(t), 2), np.nan)
        pitch = np.full(len(t), np.nan)
        sink = np.zeros((len(t), 2))
        for stance in self.stances[side]:
            on = (t >= stance.td_s) & (t <= stance.to_s)
            if on.any():
                pinned, pitch[on] = self._contact_rel(stance, t[on])
                sink[on] = self._settling(stance, t[on], pinned)
                rel[on] = pinned + sink[on]
            off = (t > stance.to_s) & (t < stance.next_td_s)
            if off.any() and stance.swing is not None:
                rel[off] = stance.swing(t[off])
                pitch[off] = np.radians(stance.swing_pitch(t[off]))
        if np.isnan(rel).any():
            raise ValueError("time outside the simulated gait")
        return rel, pitch, sink

    def leg(self, t: np.ndarray, side: str, /) -> dict[str, np.ndarray]:
        """Hip, knee and ankle joint centres (n, 3), knee flexion (deg) and foot pitch (rad)."""
        t = np.asarray(t, dtype=float)
        hip = self.hip(t, side)
        rel, pitch, sink = self.ankle_rel(t, side)
        l1, l2 = self.thigh_m, self.shank_m
        dist = np.linalg.norm(rel, axis=1)
        dist_max = chain_reach(l1, l2, MIN_KNEE_DEG)
        rel = rel * (np.minimum(dist, dist_max) / dist)[:, None]
        dist = np.minimum(dist, dist_max)
        cos_knee = (dist**2 - l1**2 - l2**2) / (2 * l1 * l2)
        knee_deg = np.degrees(np.arccos(np.clip(cos_knee, -1.0, 1.0)))
        alpha = np.arccos(np.clip((l1**2 + dist**2 - l2**2) / (2 * l1 * dist), -1.0, 1.0))
        thigh = rot2(alpha, rel / dist[:, None]) * l1  # knee forward of the hip-ankle line
        knee = hip.copy()
        knee[:, [0, 2]] += thigh
        ankle = hip.copy()
        ankle[:, [0, 2]] += rel
        foot = ankle.copy()
        foot[:, [0, 2]] -= sink
        return {
            "hip": hip,
            "knee": knee,
            "ankle": ankle,
            "foot": foot,  # where the rigid foot hangs from (the ankle before settling)
            "knee_deg": knee_deg,
            "pitch": pitch,
        }
