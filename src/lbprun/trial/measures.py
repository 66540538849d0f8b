"""From angle series and gait events to the stride, stance and trial tables of one trial.

Unit of averaging (SCIENCE.md): stride measures are computed per stride and averaged over the
valid strides; stance measures per stance and averaged over the stances where they exist.
Invalid strides keep a row (with the reason) and NaN waveforms, and never enter a mean.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lbprun import coordination as coord
from lbprun import events as ev
from lbprun import kinematics as kin
from lbprun import registry
from lbprun.errors import NoEventsError
from lbprun.registry import N_POINTS, STRIDE_WAVEFORMS
from lbprun.settings import Settings
from lbprun.signals import cut_cycles
from lbprun.trial.series import Series, angle_series
from lbprun.trial.stances import FORCE_KEYS, _body_weight, _kinetics_notes, _stance_tables

__all__ = ["COORDINATION_KEYS", "FORCE_KEYS", "Measured", "measure_trial"]

COORDINATION_KEYS = tuple(
    name for family in ("fourier", "crp", "vector_coding") for name in registry.names(family=family)
)


@dataclass
class Measured:
    """Everything one trial yields."""

    summary: dict
    stances: pd.DataFrame
    strides: pd.DataFrame
    waveforms: dict
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def _nanmean(values) -> float | None:
    if isinstance(values, pd.Series) and values.dtype.kind == "f":
        values = values.to_numpy()  # no None in a float column: skip the loop below
    else:
        values = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    if not np.isfinite(values).any():
        return None
    return float(np.nanmean(values))


def _at(series: np.ndarray | None, frame: float) -> float:
    """Linear interpolation of a series at a fractional frame (NaN outside or missing)."""
    if series is None or not 0 <= frame <= len(series) - 1:
        return np.nan
    return float(np.interp(frame, np.arange(len(series)), series))


def _filled(x: np.ndarray) -> np.ndarray:
    """Linear fill of NaN for the Hilbert transform; strides touching NaN are invalid anyway."""
    good = np.isfinite(x)
    if good.all() or not good.any():
        return x
    idx = np.arange(len(x))
    return np.interp(idx, idx[good], x[good])


def _stride_signals(series: Series) -> dict[str, np.ndarray | None]:
    return {
        "pelvis_rot_deg": series.pelvis_rot,
        "thorax_rot_deg": series.thorax_rot,
        "trunk_rot_deg": series.trunk_rot,
    }


def _gap_counts(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Count the non-finite samples of ``x[lo:hi + 1]`` for each pair of bounds."""
    bad = np.concatenate([[0], np.cumsum(~np.isfinite(x))])
    lo = np.clip(lo, 0, len(x))
    return bad[np.clip(hi + 1, lo, len(x))] - bad[lo]


def _validate(strides: list, series: Series, fs_hz: float) -> list:
    """Invalidate strides whose required signals have an unfilled gap."""
    if not strides:
        return []
    lo = np.floor(np.array([s.td_s for s in strides]) * fs_hz).astype(int)
    hi = np.ceil(np.array([s.next_td_s for s in strides]) * fs_hz).astype(int)
    sides = np.array([s.side for s in strides], dtype=object)
    gaps = {}
    for name, x in _stride_signals(series).items():
        if x is not None:
            gaps[name.removesuffix("_deg")] = _gap_counts(x, lo, hi) > 0
    knee = np.zeros(len(strides), dtype=bool)
    for side, x in series.knee_flex.items():
        knee[sides == side] = _gap_counts(x, lo[sides == side], hi[sides == side]) > 0
    gaps["knee_flex"] = knee
    out = list(strides)
    for i in np.flatnonzero(np.any(list(gaps.values()), axis=0)):
        stride = strides[i]
        if stride.valid:
            gappy = ", ".join(name for name, hit in gaps.items() if hit[i])
            out[i] = ev.Stride(
                stride.side, stride.td_s, stride.next_td_s, False, f"gap too long in {gappy}"
            )
    return out


def _cycles(x: np.ndarray | None, starts, stops) -> np.ndarray:
    if x is None or not len(starts):
        return np.full((len(starts), N_POINTS), np.nan)
    return cut_cycles(x, starts=starts, stops=stops, n_points=N_POINTS)


def _stride_tables(strides: list, series: Series, fs_hz: float, settings: Settings):
    """strides.csv rows and per-stride waveforms (NaN rows for invalid strides)."""
    starts = np.array([s.td_s * fs_hz for s in strides])
    stops = np.array([s.next_td_s * fs_hz for s in strides])
    valid = np.array([s.valid for s in strides], dtype=bool)
    waves = {k: _cycles(x, starts, stops) for k, x in _stride_signals(series).items()}
    waves["knee_flex_deg"] = np.full((len(strides), N_POINTS), np.nan)
    for side, knee in series.knee_flex.items():
        rows = np.array([s.side == side for s in strides], dtype=bool)
        if rows.any():
            waves["knee_flex_deg"][rows] = _cycles(knee, starts[rows], stops[rows])
    coordination = _coordination_cycles(series, starts, stops, settings)
    waves.update(coordination)
    _mirror_left(waves, np.array([s.side == "L" for s in strides], dtype=bool))
    for key in STRIDE_WAVEFORMS:
        waves[key][~valid] = np.nan
    columns = {
        "side": [s.side for s in strides],
        "td_s": np.array([s.td_s for s in strides], dtype=float),
        "next_td_s": np.array([s.next_td_s for s in strides], dtype=float),
        "stride_time_s": np.array([s.stride_time_s for s in strides], dtype=float),
    }
    lo, hi = np.floor(starts).astype(int), np.ceil(stops).astype(int)
    for key, x in _stride_signals(series).items():
        rom = (
            np.full(len(strides), np.nan)
            if x is None
            else kin.stride_amplitudes(x, np.column_stack([lo, hi]))
        )
        columns[key.replace("_deg", "_rom_deg")] = np.where(valid, rom, np.nan)
    crp = np.abs(waves["crp_deg"])
    columns["crp_mean_abs_deg"] = np.nanmean(crp, axis=1) if len(strides) else np.zeros(0)
    columns.update(coord.vector_coding_per_stride(waves["vc_coupling_deg"][:, :-1]))
    columns["valid"] = valid
    columns["invalid_reason"] = [s.invalid_reason for s in strides]
    return pd.DataFrame(columns), waves


def _mirror_left(waves: dict, left: np.ndarray) -> None:
    """Mirror left strides in place so that both sides' transverse curves align.

    A stride starting at left touchdown sees the pelvis and thorax rotated the other way from
    one starting at right touchdown; averaging them unmirrored cancels the curves. Flipping the
    sign of left strides' rotations expresses every stride as if it started at right
    touchdown. The coupling angle of negated signals is the angle + 180°, which is added back;
    CRP is unchanged by negating both signals. Amplitudes (max − min) are unaffected.
    """
    for key in ("pelvis_rot_deg", "thorax_rot_deg", "trunk_rot_deg"):
        waves[key][left] = -waves[key][left]
    waves["vc_coupling_deg"][left] = np.mod(waves["vc_coupling_deg"][left] + 180.0, 360.0)


def _coordination_cycles(series: Series, starts, stops, settings: Settings) -> dict:
    n = len(starts)
    nan = {
        "crp_deg": np.full((n, N_POINTS), np.nan),
        "vc_coupling_deg": np.full((n, N_POINTS), np.nan),
    }
    if series.pelvis_rot is None or series.thorax_rot is None or not n:
        return nan
    pelvis, thorax = _filled(series.pelvis_rot), _filled(series.thorax_rot)
    if not (np.isfinite(pelvis).all() and np.isfinite(thorax).all()):
        return nan
    crp = coord.continuous_relative_phase(pelvis, thorax, centering=settings.crp_centering)
    crp_cyc = coord.crp_cycles(crp, starts=starts, stops=stops, n_points=N_POINTS)
    gamma = coord.coupling_angles(
        cut_cycles(pelvis, starts=starts, stops=stops),
        cut_cycles(thorax, starts=starts, stops=stops),
    )
    # The coupling angle lives between consecutive points (100 intervals); the contract's
    # 101-point waveform repeats the last interval so every curve has the same length.
    vc = np.concatenate([gamma, gamma[:, -1:]], axis=1)
    return {"crp_deg": crp_cyc, "vc_coupling_deg": vc}


def _coordination_summary(
    waves: dict, valid: np.ndarray, /, *, series: Series, strides, fs_hz, settings: Settings
):
    out = dict.fromkeys(COORDINATION_KEYS)
    crp = waves["crp_deg"][valid]
    crp = crp[np.isfinite(crp).all(axis=1)]
    if not len(crp):
        return out
    summary = coord.crp_summary(crp)
    out.update(crp_marp_deg=summary["marp_deg"], crp_dp_deg=summary["dp_deg"])
    vc = waves["vc_coupling_deg"][valid][:, :-1]
    vcs = coord.vector_coding_summary(vc)
    out.update({k: v for k, v in vcs.items() if k != "mean_curve_deg"})
    valid_strides = [s for s, ok in zip(strides, valid, strict=True) if ok]
    out.update(_fourier(series, valid_strides, fs_hz, settings))
    return out


def _fourier(series: Series, valid_strides: list, fs_hz: float, settings: Settings) -> dict:
    """Fourier relative phase over the steady window spanned by the valid strides."""
    start = int(np.floor(min(s.td_s for s in valid_strides) * fs_hz))
    stop = int(np.ceil(max(s.next_td_s for s in valid_strides) * fs_hz)) + 1
    pelvis, thorax = series.pelvis_rot[start:stop], series.thorax_rot[start:stop]
    if not (np.isfinite(pelvis).all() and np.isfinite(thorax).all()):
        pelvis, thorax = _filled(pelvis), _filled(thorax)
    stride_hz = 1.0 / np.mean([s.stride_time_s for s in valid_strides])
    try:
        res = coord.fourier_relative_phase(
            pelvis,
            thorax,
            fs_hz=fs_hz,
            freq_hz=stride_hz,
            segment_periods=settings.fourier_segment_periods,
            min_segments=settings.coherence_min_segments,
        )
    except ValueError:
        return {}
    out = {
        "relphase_fourier_deg": res["relphase_deg"],
        "coherence_stride": None if np.isnan(res["coherence"]) else res["coherence"],
        "gain_stride": res["gain"],
    }
    if out["coherence_stride"] is None:
        strides = len(pelvis) / fs_hz * stride_hz
        series.warnings.append(
            f"coherence_stride is null: the {strides:.1f} strides from the first to the last "
            f"valid stride give {res['n_segments']} Welch segment(s) of at most "
            f"{settings.fourier_segment_periods:g} strides, and a coherence needs "
            f"{settings.coherence_min_segments} (at least {res['periods_needed']:.1f} strides; "
            "one segment gives 1 whatever the signals)"
        )
    return out


def _stance_summary(table: pd.DataFrame) -> dict:
    keys = registry.names(level="stance")
    return {k: _nanmean(table[k]) if k in table else None for k in keys}


def measure_trial(trial, mapping, found, /, *, static, mass_kg, settings: Settings) -> Measured:
    """Every stride, stance and trial-level measure of one loaded trial.

    Parameters
    ----------
    trial : lbprun.c3d.Trial
        The trial with its virtual points (:func:`lbprun.trial.landmarks.landmarks`).
    mapping : dict of str to str
        Role -> label.
    found : lbprun.events.Events
        The trial's stances (:func:`lbprun.events.detect`).
    static : lbprun.c3d.Trial or None
        Its static trial (body weight from its plates when ``mass_kg`` is not given).
    mass_kg : float or None
        Body mass from the participants sheet.
    settings : Settings
        Processing choices.

    Returns
    -------
    Measured
        The ``trial.json`` measures, the stance and stride tables, the waveforms, warnings and
        the settings applied.

    Raises
    ------
    NoEventsError
        If the trial has no usable marker and no stance at all.

    Examples
    --------
    >>> from lbprun import c3d, events, synth
    >>> from lbprun.trial.landmarks import landmarks
    >>> marks = landmarks(c3d.load(synth.example_trial()))
    >>> found = events.detect(marks.trial)
    >>> measured = measure_trial(marks.trial, marks.found.mapping, found, static=None,
    ...                          mass_kg=70.0, settings=Settings())
    >>> len(measured.strides), len(measured.stances), measured.summary["body_mass_source"]
    (5, 7, 'sheet')
    >>> round(measured.summary["cadence_steps_min"])  # simulated: 168 steps/min
    167
    """
    series = angle_series(trial, mapping, static=static, settings=settings)
    fs = trial.markers_hz
    notes = series.warnings  # the same list: later steps (Fourier coherence) add to it
    strides = ev.strides(
        found.stances,
        min_stride_s=settings.min_stride_s,
        max_stride_s=settings.max_stride_s,
        max_ratio=settings.max_stride_ratio,
    )
    strides = _validate(strides, series, fs)
    if not strides and not found.stances:
        raise NoEventsError(
            f"{trial.path.name}: no gait events found (no force-plate contact and no foot "
            "markers to detect touchdowns from)"
        )
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN means are reported as null
        stride_table, waves = _stride_tables(strides, series, fs, settings)
        body_weight, mass_source = _body_weight(
            trial, found, mass_kg, static=static, settings=settings, out=notes
        )
        stance_table, vgrf = _stance_tables(trial, found, series, body_weight, settings)
        waves.update(vgrf)
        _kinetics_notes(stance_table, body_weight, notes)
        valid = stride_table["valid"].to_numpy(bool) if len(stride_table) else np.zeros(0, bool)
        summary = _summary(
            stride_table, stance_table, waves, series=series, strides=strides, fs=fs,
            settings=settings,
        )  # fmt: skip
    if not valid.any():
        notes.append("no valid stride: stride-based measures are null")
    summary.update(
        body_mass_kg=None if body_weight is None else body_weight / settings.gravity_m_s2,
        body_mass_source=mass_source,
    )
    used = {**series.settings, "left_strides_mirrored": True}
    return Measured(summary, stance_table, stride_table, waves, notes, used)


def _summary(stride_table, stance_table, waves, /, *, series, strides, fs, settings) -> dict:
    valid = stride_table["valid"].to_numpy(bool) if len(stride_table) else np.zeros(0, bool)
    ok = stride_table[valid] if len(stride_table) else stride_table
    stride_time = _nanmean(ok["stride_time_s"]) if len(ok) else None
    summary = {
        "n_strides": int(valid.sum()),
        "n_strides_total": len(stride_table),
        "n_stances": len(stance_table),
        "n_plate_stances": int(stance_table["plate"].notna().sum()) if len(stance_table) else 0,
        "stride_frequency_hz": None if not stride_time else 1.0 / stride_time,
        "cadence_steps_min": None if not stride_time else 120.0 / stride_time,
    }
    for key in ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "trunk_rot_rom_deg"):
        summary[key] = _nanmean(ok[key]) if len(ok) else None
    if valid.any():
        summary.update(
            _coordination_summary(
                waves, valid, series=series, strides=strides, fs_hz=fs, settings=settings
            )
        )
    summary.update(_stance_summary(stance_table))
    return summary
