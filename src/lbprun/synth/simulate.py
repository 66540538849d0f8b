"""One synthetic trial: markers, force plates and the truth that produced them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lbprun.synth import poses as synth_poses
from lbprun.synth.grf import Plate, StanceForce, shear_bw, vgrf_bw
from lbprun.synth.legs import Runner, Stance
from lbprun.synth.markers import all_markers
from lbprun.synth.model import HEEL_CONTACT, TOE_CONTACT
from lbprun.synth.params import (
    TrialParams,
    ankle_delta_m,
    asis_trocanter_mm,
    knee_delta_m,
)
from lbprun.synth.truth import angle_series, stance_rows, stride_rows, trial_row

TREADMILL = (Plate(np.array([0.0, 0.0]), (1.6, 0.6)),)
RUNWAY = tuple(Plate(np.array([x, 0.0]), (0.9, 0.6)) for x in (-1.05, 0.0, 1.05))


def noiseless(params: TrialParams, /) -> TrialParams:
    """Return the same trial without marker noise, force noise or gaps."""
    return replace(params, marker_noise_m=0.0, force_noise_n=0.0, gaps=())


def _stance_by_index(runner: Runner) -> dict[int, Stance]:
    return {s.index: s for side in ("L", "R") for s in runner.stances[side]}


def _cop(runner: Runner, stance: Stance, t: np.ndarray, y: float) -> np.ndarray:
    """Centre of pressure (n, 3): heel to toe (rearfoot) or under the forefoot."""
    s = runner.params.scale
    tau = np.clip((t - stance.td_s) / (stance.to_s - stance.td_s), 0.0, 1.0)
    heel_x = stance.heel_x0 - runner.belt_mps * (t - stance.td_s)
    foot = (TOE_CONTACT[0] - HEEL_CONTACT[0]) * s
    if stance.pitch_td_deg > 0:
        x = heel_x + 0.02 * s + (foot - 0.02 * s) * (3 * tau**2 - 2 * tau**3)
    else:
        x = heel_x + foot - 0.04 * s * (1 - tau)
    return np.stack([x, np.full_like(t, y), np.zeros_like(t)], axis=-1)


def _centre_on_runway(runner: Runner) -> None:
    """Shift the overground run so that the stance nearest mid-trial is centred on plate 1."""
    st = runner.steps
    k = int(np.argmin(np.abs(st.td_s - runner.params.duration_s / 2)))
    stance = _stance_by_index(runner)[k]
    mid = _cop(runner, stance, np.array([stance.td_s, stance.to_s]), 0.0)[:, 0].mean()
    shift = RUNWAY[1].centre[0] - mid
    runner.x_offset += shift
    for side in ("L", "R"):
        for s in runner.stances[side]:
            s.heel_x0 += shift


def _ground_forces(runner: Runner, t: np.ndarray):
    """Lab force on the runner (n, 3) and COP (n, 3) at analog times; stance shapes."""
    p, st = runner.params, runner.steps
    force, cop = np.zeros((len(t), 3)), np.full((len(t), 3), np.nan)
    shapes, by_index = [], _stance_by_index(runner)
    for k in range(len(st.td_s)):
        shape = StanceForce.design(
            st.to_s[k] - st.td_s[k],
            st.impact_bw[k],
            st.valr_bw_s[k],
            st.active_bw[k],
            p.footstrike == "rearfoot",
        )
        shapes.append(shape)
        on = (t >= st.td_s[k]) & (t <= st.to_s[k])
        if not on.any():
            continue
        s = t[on] - st.td_s[k]
        ap, ml = shear_bw(shape, s, str(st.side[k]))
        force[on] = p.body_weight_n * np.stack([ap, ml, vgrf_bw(shape, s)], axis=-1)
        y = runner.hip(np.array([st.td_s[k]]), str(st.side[k]))[0, 1]
        cop[on] = _cop(runner, by_index[k], t[on], y)
    return force, cop, shapes


def _plate_of_stances(runner: Runner, plates) -> list[int | None]:
    """Index of the plate holding each stance's whole COP path, else None."""
    out = []
    by_index = _stance_by_index(runner)
    for k in range(len(runner.steps.td_s)):
        stance = by_index[k]
        t = np.linspace(stance.td_s, stance.to_s, 50)
        y = runner.hip(np.array([stance.td_s]), str(runner.steps.side[k]))[0, 1]
        path = _cop(runner, stance, t, y)[:, :2]
        hits = [i for i, plate in enumerate(plates) if plate.contains(path).all()]
        out.append(hits[0] if hits else None)
    return out


def _analogs(force: np.ndarray, cop: np.ndarray, plates, noise_n: float, rng) -> np.ndarray:
    """Six channels per plate; each sample's force goes to the plate under its COP."""
    channels = []
    for plate in plates:
        on = plate.contains(np.nan_to_num(cop[:, :2], nan=1e9))
        f = np.where(on[:, None], force, 0.0)
        c = np.where(on[:, None], cop, np.array([*plate.centre, 0.0]))
        raw = plate.channels(f, c)
        if noise_n > 0:
            raw = raw + noise_n * rng.standard_normal(raw.shape) * np.array(
                [[1.0]] * 3 + [[50.0]] * 3
            )
        channels.append(raw)
    return np.concatenate(channels)


def _noisy_markers(params: TrialParams, markers: dict, t: np.ndarray, rng) -> dict:
    """Add measurement noise and gaps (NaN) to marker trajectories."""
    out = {}
    for name, clean in markers.items():
        pos = clean + params.marker_noise_m * rng.standard_normal(clean.shape)
        for label, start, dur in params.gaps:
            if label == name:
                pos[(t >= start) & (t < start + dur)] = np.nan
        out[name] = pos
    return out


def processing_parameters(params: TrialParams, /) -> dict[str, float]:
    """Plug-in Gait subject measurements for the C3D PROCESSING group (mm, kg)."""
    mm = 1000.0
    out = {
        "Bodymass": params.mass_kg,
        "Height": params.height_m * mm,
        "MarkerDiameter": params.marker_diameter_m * mm,
        "InterAsisDistance": params.inter_asis_m * mm,
    }
    for side in ("L", "R"):
        out[f"{side}LegLength"] = params.leg_length_m * mm
        out[f"{side}AsisTrocanterDistance"] = asis_trocanter_mm(params)
        out[f"{side}KneeWidth"] = params.knee_width_m * mm
        out[f"{side}AnkleWidth"] = params.ankle_width_m * mm
        for name in ("TibialTorsion", "ThighRotation", "ShankRotation"):
            out[f"{side}{name}"] = 0.0
    return out


def simulate_trial(
    params: TrialParams, /, *, seed: int, poses: tuple[str, ...] = (), markers: bool = True
) -> tuple[dict, dict]:
    """Simulate one running trial.

    Parameters
    ----------
    params : TrialParams
        Subject and trial parameters.
    seed : int
        Random seed (events, stride-to-stride scatter, noise): same seed, same trial.
    poses : tuple of str, optional
        Segments to also write as markerless poses (:data:`lbprun.synth.poses.SEGMENTS`),
        noiseless; the truth then holds each foot's heel, ball and toe tip
        (``series["foot_landmarks"]``).
    markers : bool, optional
        ``False`` writes no markers (a markerless trial).

    Returns
    -------
    data : dict
        What :func:`lbprun.synth.write_c3d` writes: ``labels``, ``markers_m`` (n_frames,
        n_markers, 3, NaN in gaps), ``markers_hz``, ``analog_hz``, ``analog_labels``,
        ``analog_units``, ``analogs`` (n_channels, n_analog), ``plates`` (list of
        :class:`~lbprun.synth.grf.Plate`), ``processing`` (PROCESSING group values).
    truth : dict
        ``trial`` (dict of trial-level measures), ``stances`` and ``strides`` (lists of
        dicts), ``series`` (noiseless angles, joint centres and forces for tests).
    """
    markers_wanted = markers
    rng = np.random.default_rng(seed)
    runner = Runner(params, rng)
    plates = TREADMILL if params.setup == "treadmill" else RUNWAY
    if params.setup == "overground":
        _centre_on_runway(runner)
    n_frames = round(params.duration_s * params.markers_hz)
    ratio = round(params.analog_hz / params.markers_hz)
    t = np.arange(n_frames) / params.markers_hz
    t_analog = np.arange(n_frames * ratio) / params.analog_hz
    force, cop, shapes = _ground_forces(runner, t_analog)
    truth = _truth(runner, t, shapes, _plate_of_stances(runner, plates))
    truth["series"] |= {"t_analog": t_analog, "force_n": force, "cop_m": cop}
    markers = all_markers(runner, t)
    truth["series"]["markers_m"] = markers
    markers = _noisy_markers(params, markers, t, rng) if markers_wanted else {}
    data = {
        "labels": list(markers),
        "markers_m": np.stack(list(markers.values()), axis=1)
        if markers
        else np.zeros((len(t), 0, 3)),
        "markers_hz": params.markers_hz,
        "analog_hz": params.analog_hz,
        "analog_labels": [
            f"{c}{i + 1}" for i in range(len(plates)) for c in ("Fx", "Fy", "Fz", "Mx", "My", "Mz")
        ],
        "analog_units": ["N", "N", "N", "Nmm", "Nmm", "Nmm"] * len(plates),
        "analogs": _analogs(force, cop, plates, params.force_noise_n, rng),
        "plates": list(plates),
        "processing": processing_parameters(params),
        "subject": params.subject,
    }
    if poses:
        data["poses"] = {
            k: v for k, v in synth_poses.segment_poses(runner, t).items() if k in poses
        }
        data["pose_landmarks"] = synth_poses.landmark_parameters(params.scale)
        truth["series"]["foot_landmarks"] = {
            side: synth_poses.foot_landmarks(runner, t, side) for side in ("L", "R")
        }
    return data, truth


def _truth(runner: Runner, t: np.ndarray, shapes: list, plates: list) -> dict:
    stances = stance_rows(runner, shapes, plates)
    strides = stride_rows(runner)
    series = {"t": t, **angle_series(runner, t)}
    for side in ("L", "R"):
        leg = runner.leg(t, side)
        series |= {f"{side}_{k}": v for k, v in leg.items()}
    series["knee_delta_m"] = knee_delta_m(runner.params)
    series["ankle_delta_m"] = ankle_delta_m(runner.params)
    return {
        "trial": trial_row(runner, stances, strides),
        "stances": stances,
        "strides": strides,
        "series": series,
    }
