"""Exact ground truth of a simulated trial, with SCIENCE.md's definitions.

Angles come from the noiseless model, evaluated on a fine time grid (``TRUTH_HZ``) for
per-stride ranges and at the exact event times for touchdown values; the vGRF measures are
closed-form (see :mod:`lbprun.synth.grf`). Coordination measures use the noiseless angle
series sampled at the marker rate, as the pipeline sees them.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.signal import hilbert

from lbprun.synth.grf import StanceForce, stance_measures
from lbprun.synth.legs import Runner
from lbprun.synth.model import rotation_first_angle

TRUTH_HZ = 2000.0


def angle_series(runner: Runner, t: np.ndarray, /) -> dict[str, np.ndarray]:
    """Pelvis, thorax and trunk (thorax re pelvis) rotation-first angles (deg) at ``t``."""
    rot_p, _ = runner.pelvis(t)
    rot_t, _ = runner.thorax(t)
    trunk = np.swapaxes(rot_p, -1, -2) @ rot_t
    return {
        "pelvis_rot_deg": rotation_first_angle(rot_p),
        "thorax_rot_deg": rotation_first_angle(rot_t),
        "trunk_rot_deg": rotation_first_angle(trunk),
    }


def trunk_inclination_deg(runner: Runner, t: np.ndarray, /) -> np.ndarray:
    """Sagittal angle of the thorax's long axis from the lab vertical, forward positive."""
    rot_t, _ = runner.thorax(t)
    axis = rot_t[..., :, 2]
    return np.degrees(np.arctan2(axis[..., 0], axis[..., 2]))


def _wrap180(x: np.ndarray) -> np.ndarray:
    return -((-np.asarray(x) + 180.0) % 360.0 - 180.0)


def stance_rows(runner: Runner, shapes: list[StanceForce], plates: list, /) -> list[dict]:
    """One truth row per stance fully inside the recording, in time order."""
    p, st = runner.params, runner.steps
    last = (round(p.duration_s * p.markers_hz) - 1) / p.markers_hz
    rows = []
    for k in np.flatnonzero((st.td_s >= 0) & (st.to_s <= last)):
        side = str(st.side[k])
        td, to = float(st.td_s[k]), float(st.to_s[k])
        grid = np.linspace(td, to, max(int((to - td) * TRUTH_HZ), 2))
        knee = runner.leg(np.concatenate([[td], grid]), side)["knee_deg"]
        row = {
            "side": side,
            "td_s": td,
            "to_s": to,
            "stance_time_s": to - td,
            "plate": plates[k],
            "knee_flex_td_deg": float(knee[0]),
            "knee_flex_peak_stance_deg": float(knee[1:].max()),
            "trunk_incl_td_deg": float(trunk_inclination_deg(runner, np.array([td]))[0]),
        }
        row |= stance_measures(shapes[k])
        rows.append(row)
    return rows


def stride_rows(runner: Runner, /) -> list[dict]:
    """One truth row per stride (touchdown to next ipsilateral touchdown) inside the recording."""
    p, st = runner.params, runner.steps
    last = (round(p.duration_s * p.markers_hz) - 1) / p.markers_hz
    rows = []
    for side in ("L", "R"):
        td = st.td_s[st.side == side]
        for a, b in itertools.pairwise(td):
            if a < 0 or b > last:
                continue
            grid = np.linspace(a, b, int((b - a) * TRUTH_HZ) + 1)
            ang = angle_series(runner, grid)
            row = {"side": side, "td_s": float(a), "next_td_s": float(b), "stride_time_s": b - a}
            for name, series in ang.items():
                row[name.replace("_deg", "_rom_deg")] = float(series.max() - series.min())
            rows.append(row)
    return sorted(rows, key=lambda r: r["td_s"])


def fourier_relphase_deg(
    pelvis: np.ndarray, thorax: np.ndarray, t: np.ndarray, strides: list, /
) -> float:
    """|phase| of the thorax-pelvis cross-spectrum at stride frequency (Lamoth 2002), degrees.

    Read exactly from a discrete Fourier transform over a whole number of left strides (first
    to last left touchdown inside the recording), at the frequency of those strides.
    """
    left = [r for r in strides if r["side"] == "L"]
    if not left:  # a recording shorter than one whole left stride has no stride frequency
        return float("nan")
    t0, t1 = left[0]["td_s"], left[-1]["next_td_s"]
    win = (t >= t0) & (t < t1)
    kernel = np.exp(-2j * np.pi * len(left) / (t1 - t0) * t[win])
    xp = np.sum((pelvis[win] - pelvis[win].mean()) * kernel)
    xt = np.sum((thorax[win] - thorax[win].mean()) * kernel)
    return float(abs(np.degrees(np.angle(xt * np.conj(xp)))))


def crp_truth(pelvis: np.ndarray, thorax: np.ndarray, t: np.ndarray, strides: list, /) -> dict:
    """CRP (Lamb & Stöckl 2014) MARP, DP and per-stride mean |CRP| from noiseless series."""

    def phase(x):
        centred = (x - x.min()) - (x.max() - x.min()) / 2
        return np.degrees(np.angle(hilbert(centred)))

    crp = np.radians(_wrap180(phase(thorax) - phase(pelvis)))
    cycles = []
    for r in strides:
        tn = np.linspace(r["td_s"], r["next_td_s"], 101)
        c, s = np.interp(tn, t, np.cos(crp)), np.interp(tn, t, np.sin(crp))
        cycles.append(np.degrees(np.arctan2(s, c)))
    cycles = np.array(cycles)
    mean_vec = np.exp(1j * np.radians(cycles)).mean(axis=0)
    return {
        "crp_marp_deg": float(np.mean(np.abs(np.degrees(np.angle(mean_vec))))),
        "crp_dp_deg": float(
            np.mean(np.degrees(np.sqrt(-2 * np.log(np.minimum(np.abs(mean_vec), 1.0)))))
        ),
        "crp_mean_abs_deg": np.abs(cycles).mean(axis=1),
    }


def trial_row(runner: Runner, stances: list[dict], strides: list[dict], /) -> dict:
    """Trial-level truth: means over strides and stances plus coordination measures."""
    p = runner.params
    t = np.arange(round(p.duration_s * p.markers_hz)) / p.markers_hz
    ang = angle_series(runner, t)
    crp = crp_truth(ang["pelvis_rot_deg"], ang["thorax_rot_deg"], t, strides)
    for r, v in zip(strides, crp.pop("crp_mean_abs_deg"), strict=True):
        r["crp_mean_abs_deg"] = float(v)
    tds = np.array([s["td_s"] for s in stances])
    plate_rows = [s for s in stances if s["plate"] is not None]
    row = {
        "n_strides": len(strides),
        "n_stances": len(stances),
        "n_plate_stances": len(plate_rows),
        "stride_frequency_hz": 1.0 / np.mean([s["stride_time_s"] for s in strides]),
        "cadence_steps_min": 60.0 / np.mean(np.diff(tds)),
        "relphase_fourier_deg": fourier_relphase_deg(
            ang["pelvis_rot_deg"], ang["thorax_rot_deg"], t, strides
        ),
        **crp,
    }
    for key in ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "trunk_rot_rom_deg"):
        row[key] = float(np.mean([s[key] for s in strides]))
    for key in (
        "knee_flex_td_deg",
        "knee_flex_peak_stance_deg",
        "trunk_incl_td_deg",
        "stance_time_s",
    ):
        row[key] = float(np.mean([s[key] for s in stances]))
    for key in ("impact_peak_bw", "active_peak_bw", "valr_bw_s", "vilr_bw_s", "lr_3_12_bw_s"):
        vals = [s[key] for s in plate_rows]
        row[key] = float(np.nanmean(vals)) if vals and np.isfinite(vals).any() else np.nan
    return row
