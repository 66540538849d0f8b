"""The stance side of one trial: body weight, vertical GRF measures and the stance table.

One row per stance (``stances.csv``): touchdown, toe-off, knee flexion at touchdown and its
peak over stance, trunk inclination at touchdown, and for plate stances the vertical GRF
measures of :mod:`lbprun.kinetics` on the plate's force, filtered once per trial
(:mod:`lbprun.plates`). Body weight comes from the sheet, a static trial on the plates or the
mean treadmill force (SCIENCE.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbprun import kinetics, plates, registry
from lbprun.registry import N_POINTS
from lbprun.settings import Settings
from lbprun.trial.series import Series


def _static_body_weight(static, settings: Settings, out: list[str]) -> float | None:
    """Body weight from a static trial on the plates (SCIENCE.md), or None with a warning."""
    if static is None or not static.plates:
        return None
    try:
        return plates.body_weight_from_static(
            np.column_stack([p.vertical_n for p in static.plates]),
            min_force_n=settings.static_min_force_n,
            max_cv=settings.static_max_cv,
        )
    except ValueError as exc:
        out.append(f"body mass not taken from the static trial {static.path.name}: {exc}")
        return None


def _body_weight(
    trial, found, mass_kg, /, *, static, settings: Settings, out: list[str]
) -> tuple[float | None, str | None]:
    """Body weight (N) and where it came from: sheet, static trial on plates, treadmill mean."""
    g = settings.gravity_m_s2
    if mass_kg:
        return mass_kg * g, "sheet"
    weight = _static_body_weight(static, settings, out)
    if weight is not None:
        out.append(
            f"body mass not given: {weight / g:.1f} kg from the static trial "
            f"{static.path.name} standing on its force plates ({weight:.1f} N)"
        )
        return weight, "static_trial_plates"
    treadmills = [p for p in trial.plates if p.index in found.treadmill_plates]
    tds = [s.td_s for s in found.stances if s.source == "plate"]
    if treadmills and len(tds) >= 2:
        total = np.sum([p.vertical_n for p in treadmills], axis=0)
        weight = plates.body_weight_from_treadmill(total, fs_hz=trial.analog_hz, touchdowns_s=tds)
        out.append(
            f"body mass not given: estimated as {weight / g:.1f} kg from the mean "
            "vertical treadmill force over whole strides"
        )
        return weight, "treadmill_mean_force"
    if tds:
        out.append(
            "body mass not given (participants sheet, --mass-kg or a static trial on a force "
            "plate): force measures in BW are null"
        )
    return None, None


def _filtered_plates(trial, plates, settings: Settings, known: dict) -> dict[int, np.ndarray]:
    """Low-pass vertical force of each plate that carries a stance, filtered once per trial.

    ``known`` holds forces the event detection filtered already (:class:`lbprun.events.Events`).
    """
    out = {}
    for i in sorted({int(p) for p in plates}):
        key = (i, settings.force_cutoff_hz, settings.filter_order)
        out[i] = (
            known[key]
            if key in known
            else plates.force_lowpass(
                trial.plates[i].vertical_n,
                fs_hz=trial.analog_hz,
                cutoff_hz=settings.force_cutoff_hz,
                order=settings.filter_order,
            )
        )
    return out


FORCE_KEYS = registry.names(family="vgrf")


def _stance_forces(trial, found, body_weight_n, settings: Settings) -> tuple[dict, dict]:
    """Vertical GRF measures of the plate stances (columns, NaN elsewhere) and their curves.

    All stances of a plate at once (:func:`lbprun.kinetics.stance_table`); the measure
    columns are left out when no stance has them, as for a trial without body weight.
    """
    stances = found.stances
    fs, n = trial.analog_hz, len(stances)
    columns = {k: np.full(n, np.nan) for k in FORCE_KEYS}
    columns["footstrike"] = np.full(n, np.nan, dtype=object)
    curves, measured = np.full((n, N_POINTS), np.nan), np.zeros(n, dtype=bool)
    plate_of = np.array([-1 if st.plate is None else st.plate for st in stances], dtype=int)
    rows = np.flatnonzero(plate_of >= 0) if body_weight_n else np.zeros(0, dtype=int)
    td, to = np.array([[st.td_s, st.to_s] for st in stances]).reshape(-1, 2).T
    for plate, force in _filtered_plates(trial, plate_of[rows], settings, found.forces).items():
        mine = rows[plate_of[rows] == plate]
        lo, hi = np.ceil(td[mine] * fs).astype(int), np.floor(to[mine] * fs).astype(int)
        table = kinetics.stance_table(
            force,
            starts=lo,
            stops=hi,
            fs_hz=fs,
            body_weight_n=body_weight_n,
            prominence_bw=settings.impact_peak_prominence_bw,
            windows=kinetics.StanceWindows(
                impact_pct=settings.impact_peak_window_pct,
                lr_pct=settings.lr_window_pct,
                valr_pct=settings.valr_window_pct,
            ),
        )
        ok = table["valid"]
        for key, values in columns.items():
            values[mine[ok]] = table[key][ok]
        measured[mine[ok]] = True
        if ok.any():
            curves[mine[ok]] = kinetics.stance_curves(
                force, starts=lo[ok], stops=hi[ok], body_weight_n=body_weight_n, n_points=N_POINTS
            )
    waves = {"vgrf_bw": curves[rows].reshape(-1, N_POINTS), "vgrf_stance_row": rows}
    return columns if measured.any() else {}, waves


def _values_at(series: np.ndarray | None, frames: np.ndarray) -> np.ndarray:
    """:func:`_at` at many fractional frames."""
    if series is None:
        return np.full(len(frames), np.nan)
    inside = (frames >= 0) & (frames <= len(series) - 1)
    return np.where(inside, np.interp(frames, np.arange(len(series)), series), np.nan)


def _stance_peaks(knee: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Largest knee flexion over frames lo..hi of each stance (NaN if any is missing)."""
    out = np.full(len(lo), np.nan)
    inside = (lo >= 0) & (hi < len(knee)) & (hi >= lo)
    if not inside.any():
        return out
    cols = np.arange(int((hi - lo)[inside].max()) + 1)
    frames = lo[inside, None] + cols
    within = cols <= (hi - lo)[inside, None]
    values = knee[np.where(within, frames, 0)]
    complete = np.where(within, np.isfinite(values), True).all(axis=1)
    peaks = np.max(np.where(within, values, -np.inf), axis=1)
    out[inside] = np.where(complete, peaks, np.nan)
    return out


def _stance_tables(trial, found, series: Series, body_weight_n, settings: Settings):
    """stances.csv rows, built column by column, and the vGRF curves of plate stances."""
    fs, stances = trial.markers_hz, found.stances
    measures, waves = _stance_forces(trial, found, body_weight_n, settings)
    td, to = np.array([[st.td_s, st.to_s] for st in stances]).reshape(-1, 2).T
    sides = np.array([st.side for st in stances], dtype=object)
    knee_td, knee_peak = np.full(len(stances), np.nan), np.full(len(stances), np.nan)
    for side, knee in series.knee_flex.items():
        rows = sides == side
        knee_td[rows] = _values_at(knee, td[rows] * fs)
        lo, hi = np.floor(td[rows] * fs).astype(int), np.ceil(to[rows] * fs).astype(int)
        knee_peak[rows] = _stance_peaks(knee, lo, hi)
    table = pd.DataFrame(
        {
            "side": sides,
            "td_s": td,
            "to_s": to,
            "stance_time_s": np.array([st.stance_time_s for st in stances], dtype=float),
            "event_source": np.array([st.source for st in stances], dtype=object),
            "plate": pd.array([st.plate for st in stances], dtype="Int64"),
            "knee_flex_td_deg": knee_td,
            "knee_flex_peak_stance_deg": knee_peak,
            "trunk_incl_td_deg": _values_at(series.trunk_incl, td * fs),
            **measures,
        }
    )
    return (table if len(stances) else pd.DataFrame()), waves


def _kinetics_notes(table: pd.DataFrame, body_weight_n, out: list[str]) -> None:
    """Say why force measures are null (SCIENCE.md vGRF rules), whether or not a mass is known.

    Without any plate stance that is the reason, with or without a body mass (a markerless or
    cluster trial without plates and without a mass used to have no reason at all); with plate
    stances but no body weight, :func:`_body_weight` has said so already.
    """
    if not len(table) or table["plate"].notna().sum() == 0:
        out.append("no stance on a force plate: vertical GRF measures are null")
    elif not body_weight_n:
        return
    elif "impact_peak_bw" not in table or table["impact_peak_bw"].isna().all():
        out.append(
            "no impact peak in any plate stance (non-rearfoot strikes): impact peak, VALR and "
            "VILR are null; the 3-12 % loading rate is reported instead"
        )
