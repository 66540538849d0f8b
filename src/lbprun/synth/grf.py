"""Vertical ground reaction force per stance and the force plates that record it.

Each stance's vertical force (in body weights, time ``s`` from touchdown, stance time ``T``)
is a chain of quarter-sine pieces with zero slope at every peak and dip:

- rearfoot: rise ``I sin(pi/2 s/tI)`` to the impact peak ``I`` at ``tI``, ease down to a
  dip ``0.85 I``, ease up to the active peak ``A`` at ``0.45 T``, fall
  ``A sin(pi/2 (T - s)/(T - tA))`` to zero at toe-off. ``tI`` is chosen so that the average
  loading rate between 20 % and 80 % of the impact peak (VALR) is the one asked for,
  capped at 20 % of stance so that the impact peak stays in the first 25 % of stance.
- non-rearfoot: a single rise ``A sin(pi/2 s/tA)`` without an impact peak.

Every vGRF measure of SCIENCE.md follows in closed form (:func:`stance_measures`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVE_AT = 0.45  # active peak at this fraction of stance
DIP_RATIO = 0.85  # dip after the impact peak, fraction of the impact peak
# Quarter-sine rise: 20 % and 80 % of the peak are reached at these fractions of the rise time.
_X20 = 2 / np.pi * np.arcsin(0.2)
_X80 = 2 / np.pi * np.arcsin(0.8)


@dataclass(frozen=True)
class StanceForce:
    """Shape of one stance's vertical force."""

    stance_s: float
    active_bw: float
    impact_bw: float | None  # None: no impact peak (non-rearfoot)
    impact_s: float = np.nan

    @classmethod
    def design(
        cls, stance_s: float, impact_bw: float, valr_bw_s: float, active_bw: float, rearfoot: bool
    ) -> StanceForce:
        """Shape giving the chosen impact peak, VALR and active peak (rearfoot) or active only."""
        if not rearfoot:
            return cls(stance_s, active_bw, None)
        impact_bw = min(impact_bw, 0.9 * active_bw)
        t_impact = 0.6 * impact_bw / ((_X80 - _X20) * valr_bw_s)
        return cls(stance_s, active_bw, impact_bw, min(t_impact, 0.2 * stance_s))


def _ease(x: np.ndarray) -> np.ndarray:
    """sin^2 easing from 0 to 1 with zero slope at both ends."""
    return np.sin(np.pi / 2 * np.clip(x, 0.0, 1.0)) ** 2


def vgrf_bw(shape: StanceForce, s: np.ndarray, /) -> np.ndarray:
    """Vertical force (BW) at times ``s`` from touchdown (zero outside the stance)."""
    s = np.asarray(s, dtype=float)
    big_t, a = shape.stance_s, shape.active_bw
    t_a = ACTIVE_AT * big_t
    fall = a * np.sin(np.pi / 2 * np.clip((big_t - s) / (big_t - t_a), 0.0, 1.0))
    if shape.impact_bw is None:
        rise = a * np.sin(np.pi / 2 * np.clip(s / t_a, 0.0, 1.0))
    else:
        imp, t_i = shape.impact_bw, shape.impact_s
        dip = DIP_RATIO * imp
        t_d = t_i + 0.4 * (t_a - t_i)
        rise = np.where(
            s <= t_i,
            imp * np.sin(np.pi / 2 * np.clip(s / t_i, 0.0, 1.0)),
            np.where(
                s <= t_d,
                imp - (imp - dip) * _ease((s - t_i) / (t_d - t_i)),
                dip + (a - dip) * _ease((s - t_d) / (t_a - t_d)),
            ),
        )
    out = np.where(s <= t_a, rise, fall)
    return np.where((s < 0) | (s > big_t), 0.0, out)


def stance_measures(shape: StanceForce, /) -> dict[str, float | str]:
    """Exact vGRF measures of SCIENCE.md for one stance shape (BW, BW/s)."""
    big_t = shape.stance_s
    f3, f12 = vgrf_bw(shape, np.array([0.03 * big_t, 0.12 * big_t]))
    out: dict[str, float | str] = {
        "active_peak_bw": shape.active_bw,
        "lr_3_12_bw_s": (f12 - f3) / (0.09 * big_t),
        "impact_peak_bw": np.nan,
        "valr_bw_s": np.nan,
        "vilr_bw_s": np.nan,
        "footstrike": "non_rearfoot",
    }
    if shape.impact_bw is not None:
        imp, t_i = shape.impact_bw, shape.impact_s
        out["impact_peak_bw"] = imp
        out["valr_bw_s"] = 0.6 * imp / ((_X80 - _X20) * t_i)
        # the quarter-sine is steepest at its start, so within [20 %, 80 %] at 20 %
        out["vilr_bw_s"] = imp * np.pi / (2 * t_i) * np.cos(np.pi / 2 * _X20)
        out["footstrike"] = "rearfoot"
    return out


def shear_bw(shape: StanceForce, s: np.ndarray, side: str, /) -> tuple[np.ndarray, np.ndarray]:
    """Antero-posterior (braking then propulsion) and medio-lateral force (BW)."""
    s = np.asarray(s, dtype=float)
    tau = np.clip(s / shape.stance_s, 0.0, 1.0)
    inside = (s >= 0) & (s <= shape.stance_s)
    ap = np.where(inside, -0.3 * np.sin(2 * np.pi * tau), 0.0)
    ml = np.where(inside, (-0.05 if side == "L" else 0.05) * np.sin(np.pi * tau), 0.0)
    return ap, ml


@dataclass(frozen=True)
class Plate:
    """A type-2 force plate lying in the ground plane (z = 0), lab metres.

    Plate axes as on Vicon/AMTI installations: x_plate = -X, y_plate = +Y, z_plate = -Z (down);
    the sensor origin lies ``depth_m`` below the surface centre.
    """

    centre: np.ndarray  # surface centre (x, y) in the lab
    size: tuple[float, float]  # length along X, width along Y
    depth_m: float = 0.02

    ROT = np.diag([-1.0, 1.0, -1.0])  # columns: plate axes in the lab

    def contains(self, xy: np.ndarray, /) -> np.ndarray:
        """Whether points (n, 2) lie on the plate surface."""
        half = np.asarray(self.size) / 2
        return np.all(np.abs(np.asarray(xy) - self.centre) <= half, axis=-1)

    def corners(self) -> np.ndarray:
        """Corners (4, 3) in C3D order: plate quadrants (+x,+y), (-x,+y), (-x,-y), (+x,-y)."""
        hx, hy = np.asarray(self.size) / 2
        cx, cy = self.centre
        return np.array(
            [
                [cx - hx, cy + hy, 0],
                [cx + hx, cy + hy, 0],
                [cx + hx, cy - hy, 0],
                [cx - hx, cy - hy, 0],
            ]
        )

    def channels(self, force_n: np.ndarray, cop_m: np.ndarray, /) -> np.ndarray:
        """Analog Fx Fy Fz Mx My Mz (N, N mm), shape (6, n), for lab force applied at cop.

        ``force_n`` is the reaction on the runner in the lab (vertical positive up), which is
        what Vicon stores and ezc3d's platform module returns in the lab frame.
        """
        f_plate = force_n @ self.ROT  # = ROT.T @ f for each row
        centre3 = np.array([*self.centre, 0.0])
        p_plate = (np.nan_to_num(cop_m) - centre3) @ self.ROT
        lever_mm = (p_plate - np.array([0.0, 0.0, self.depth_m])) * 1000.0
        moment = np.cross(lever_mm, f_plate)
        return np.concatenate([f_plate.T, moment.T])
