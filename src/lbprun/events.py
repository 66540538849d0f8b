"""Gait events: touchdown (TD) and toe-off (TO) from force plates, foot markers or the file.

SCIENCE.md, "Gait events". Three sources, each stance saying which one it came from:

- ``plate``: the filtered vertical force crossing a threshold (20 N overground, 50 N on a
  treadmill), complete contacts only, the foot identified by its markers (:func:`plate_stances`).
- ``kinematic``: the *foot-clearance* detector of :func:`kinematic_stances` (below), with
  Handsaker et al. 2016 (J Biomech 49:4128) available for comparison
  (:func:`handsaker_stances`). On trials with plates the kinematic detector is calibrated
  against the plate stances of the same trial (:func:`calibrate`) and its events off the
  plates are shifted by the measured bias (:func:`detect`).
- ``file``: "Foot Strike"/"Foot Off" events stored in the C3D (:func:`file_stances`), only on
  request.

Why not Handsaker as written: on the real running files its acceleration peaks land 11-17 ms
late with a foot-dependent bias, and a heel-top marker decelerates in the air ~60 ms before
contact (SCIENCE.md). Vertical *position* is far less noisy than its second derivative, and a
marker that reaches the ground stops descending at a height it keeps through stance. So for
each candidate stance (a minimum of the foot centre's height between two swing maxima) the
clearance of every foot marker is its height above its own lowest point in that stance (which
also absorbs markers' different heights and a runway or lab calibration that is not level);
the foot's clearance is the smallest of them, and TD (TO) is the instant it falls below (rises
above) a few millimetres. Against the plates (kinematic - plate, mean ± SD, ms; see
tests/test_events.py):

==========================  =============  ============  =============
file (foot markers)         ours, raw TD   ours, TO      Handsaker TD
==========================  =============  ============  =============
RBDS001runT35 (heel, MT1,   +3.0 ± 0.9     -1.4 ± 1.7    +14.6 ± 10.9
MT5), 85 treadmill stances
JA1Gait21 + LP5MT, 5        +1.7 ± 2.0     +5.7 ± 3.7    +15.7 ± 2.1
JA1Gait21 heel/toe/MT1, 5   +16.5 ± 3.1    +5.7 ± 3.7    +15.7 ± 2.1
==========================  =============  ============  =============

The last row is the caveat: without a lateral forefoot marker the detector sees a lateral
forefoot landing only when the medial markers arrive ~15 ms later. That offset is constant
within a trial, so on trials with plates :func:`combine` removes it (leave-one-out residual
SD 3.9 ms on JA1Gait21); on trials without plates it remains and is reported as uncalibrated.

Feet marked by a cluster only (the Running Injury Clinic's ``L_foot_1..4``) feed the same
detector: :func:`foot_markers` takes every role named ``{side}_foot_*`` (the cluster's
markers) with the cluster's forefoot pivot as the toe (:mod:`lbprun.trial.landmarks`,
:func:`lbprun.kinematics.clusters.forefoot_pivot`). Touchdown against the plates (tests/
test_labs_real.py, rear-foot markers taken as a cluster): RBDS001runT35 +1.0 ms (mean |error|
3.2 ms, 85 stances), JA1Gait21 -1.1 ms (9.2 ms, 5), Running_0002 -8.4 ms (1); toe-off from a
cluster is good on the treadmill (RBDS -2.4 ms) but ~30 ms early overground, where a trial
holds too few push-offs to fit the pivot well.
"""

from __future__ import annotations

import itertools
import warnings as _warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.signal import find_peaks

from lbprun.settings import Settings
from lbprun.signals import butter_lowpass

__all__ = [
    "Calibration",
    "Stance",
    "Stride",
    "calibrate",
    "combine",
    "detect",
    "file_stances",
    "foot_markers",
    "force_lowpass",
    "handsaker_stances",
    "is_treadmill",
    "kinematic_stances",
    "match",
    "plate_stances",
    "shifted",
    "strides",
    "threshold_crossings",
    "treadmill_reason",
]

# Markers whose lowest point meets the ground. "mt5" is used when a marker set maps it: with a
# lateral forefoot landing first (JA1Gait21) the medial markers touch down ~15 ms later.
FOOT_ROLES = ("heel", "toe", "mt1", "mt5")
# A foot low for less than this is a swing foot passing the ground, not a stance: running
# contacts last 0.15-0.35 s at 2-6 m/s, and only sprinters at top speed get near 0.1 s
# (Weyand et al. 2000, J Appl Physiol 89:1991).
MIN_KINEMATIC_STANCE_S = 0.1


@dataclass(frozen=True)
class Stance:
    """One foot contact.

    Attributes
    ----------
    side : str
        "L" or "R" ("" when the foot could not be identified).
    td_s, to_s : float
        Touchdown and toe-off (s from the first stored frame).
    source : str
        "plate", "kinematic" or "file".
    plate : int or None
        Plate index for plate stances.
    """

    side: str
    td_s: float
    to_s: float
    source: str
    plate: int | None = None

    @property
    def stance_time_s(self) -> float:
        """Contact time (s)."""
        return self.to_s - self.td_s


@dataclass(frozen=True)
class Stride:
    """TD to the next ipsilateral TD, with a validity flag and the reason when invalid."""

    side: str
    td_s: float
    next_td_s: float
    valid: bool
    invalid_reason: str = ""

    @property
    def stride_time_s(self) -> float:
        """Stride duration (s)."""
        return self.next_td_s - self.td_s


def threshold_crossings(
    x: np.ndarray, /, *, threshold: float, fs_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """Complete above-threshold intervals of a signal, with interpolated crossing times.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Signal (e.g. filtered vertical force); NaN counts as below threshold.
    threshold : float
        Level crossed upward at the start and downward at the end of an interval.
    fs_hz : float
        Sampling rate.

    Returns
    -------
    on_s, off_s : ndarray of float
        Start and end times (s) of each interval. Intervals already above threshold at the
        first sample or still above it at the last (partial contacts) are dropped.

    Examples
    --------
    >>> f = np.array([0.0, 10, 30, 50, 30, 10, 0, 0, 40, 40])
    >>> threshold_crossings(f, threshold=20.0, fs_hz=10.0)
    (array([0.15]), array([0.45]))
    """
    sig = np.nan_to_num(np.asarray(x, dtype=float), nan=-np.inf)
    above = sig > threshold
    step = np.diff(above.astype(np.int8))
    up, down = np.flatnonzero(step == 1), np.flatnonzero(step == -1)
    if above[0]:
        down = down[1:]
    if above[-1]:
        up = up[:-1]
    on = up + (threshold - sig[up]) / (sig[up + 1] - sig[up])
    off = down + (sig[down] - threshold) / (sig[down] - sig[down + 1])
    return on / fs_hz, off / fs_hz


def _plate_frame(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin, unit edge axes (2, 2) and edge lengths (2,) of a plate in the horizontal plane."""
    origin = corners[0, :2]
    edges = np.stack([corners[1, :2] - origin, corners[3, :2] - origin])
    lengths = np.linalg.norm(edges, axis=1)
    return origin, edges / lengths[:, None], lengths


def _foot_speeds(feet: dict, markers_hz: float, on_s, off_s, cop_xy) -> np.ndarray:
    """Horizontal speed (m/s) of the foot loading each contact over its middle third.

    The foot is the one nearest the contact's centre of pressure; its speed is the
    displacement of its mean marker position from the start to the end of the middle third,
    divided by the time between (a still foot gives ~0 whatever the marker noise).
    """
    third = (np.asarray(off_s) - np.asarray(on_s)) / 3
    last = len(next(iter(feet.values()))) - 1
    a = np.clip(np.round((on_s + third) * markers_hz), 0, last).astype(int)
    b = np.clip(np.round((off_s - third) * markers_hz), 0, last).astype(int)
    sides = _assign_feet(feet, (a + b) // 2, cop_xy)
    speed = np.full(len(a), np.nan)
    for side, markers in feet.items():
        rows = (sides == side) & (b > a)
        shift = _mean_xy(markers[b[rows]]) - _mean_xy(markers[a[rows]])
        speed[rows] = np.linalg.norm(shift, axis=1) * markers_hz / (b[rows] - a[rows])
    return speed


def treadmill_reason(
    plate,
    /,
    *,
    fs_hz: float,
    feet: dict | None = None,
    markers_hz: float | None = None,
    settings: Settings | None = None,
) -> str:
    """Why a plate is an instrumented treadmill, or "" when it is an overground plate.

    A treadmill is one plate (or belt) under both feet for a whole record: it is longer than
    any overground plate, or it takes many contacts of one record, or the foot standing on it
    is carried across it by the belt. How long a plate stays loaded is no criterion: a short
    overground record (a single stance of a 0.4 s sprint) loads its plate most of the time.

    Parameters
    ----------
    plate : ForcePlate
        A plate in the canonical frame.
    fs_hz : float
        Analog (force) sampling rate.
    feet : dict, optional
        Foot markers per side (:func:`foot_markers`), for the foot-speed criterion.
    markers_hz : float, optional
        Marker rate of ``feet``.
    settings : Settings, optional
        ``treadmill_min_length_m`` (1.5 m), ``treadmill_min_contacts`` (4, counted at
        ``plate_threshold_overground_n``), ``treadmill_min_foot_speed_mps`` (0.3 m/s: median
        over contacts of the loading foot's speed over the middle third of stance), and the
        force filter, ``plate_min_peak_n`` and ``plate_min_contact_s`` that define a contact.

    Returns
    -------
    str
        The criterion met, in words ("" for an overground plate).
    """
    settings = settings or Settings()
    _, _, lengths = _plate_frame(np.asarray(plate.corners_m))
    if lengths.max() > settings.treadmill_min_length_m:
        return f"longer than {settings.treadmill_min_length_m:g} m ({lengths.max():.2f} m)"
    _, on, off = _plate_contacts(plate, fs_hz, settings.plate_threshold_overground_n, settings)
    if len(on) >= settings.treadmill_min_contacts:
        return f"{len(on)} contacts in one record (at least {settings.treadmill_min_contacts})"
    if feet and markers_hz and len(on):
        speed = _foot_speeds(feet, markers_hz, on, off, _middle_cops(plate, on, off, fs_hz))
        least = settings.treadmill_min_foot_speed_mps
        if np.isfinite(speed).any() and np.nanmedian(speed) >= least:
            return (
                f"the loading foot moves across it at {np.nanmedian(speed):.2f} m/s in "
                f"mid-stance (at least {least:g} m/s)"
            )
    return ""


def is_treadmill(plate, /, **kwargs) -> bool:
    """Whether a plate is an instrumented treadmill (:func:`treadmill_reason` gives why).

    Parameters
    ----------
    plate : ForcePlate
        A plate in the canonical frame.
    **kwargs
        Keyword arguments of :func:`treadmill_reason` (``fs_hz`` at least).

    Returns
    -------
    bool
    """
    return bool(treadmill_reason(plate, **kwargs))


def foot_markers(trial, /, mapping: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """Foot markers of each side, shape (n_frames, k, 3), from the trial's role mapping.

    Parameters
    ----------
    trial : Trial
        Loaded trial.
    mapping : dict of str to str, optional
        Role -> label (from ``lbprun.markersets.resolve``); resolved here when omitted.

    Returns
    -------
    dict
        ``{"L": array, "R": array}`` with the heel, toe, first- (and fifth-, if mapped)
        metatarsal markers present, and any role named ``{side}_foot_*`` (points of the foot
        such as a foot cluster's markers); a side with none is left out.
    """
    if mapping is None:
        from lbprun.markersets import resolve

        _, mapping = resolve(trial)
    feet = {}
    for side in ("L", "R"):
        labels = [mapping[r] for r in (f"{side.lower()}_{s}" for s in FOOT_ROLES) if r in mapping]
        # further points rigid with the foot (a foot cluster's markers: lbprun.trial.landmarks)
        labels += [label for r, label in mapping.items() if r.startswith(f"{side.lower()}_foot_")]
        if labels:
            feet[side] = np.stack([trial.marker(label) for label in labels], axis=1)
    return feet


def _mean_xy(points: np.ndarray) -> np.ndarray:
    """Mean horizontal position of the finite markers of each frame (..., k, 3) -> (..., 2)."""
    xy = points[..., :2]
    finite = np.isfinite(xy)
    with np.errstate(invalid="ignore"):  # NaN where no marker has data
        return np.where(finite, xy, 0.0).sum(axis=-2) / finite.sum(axis=-2)


def _assign_feet(feet: dict, frames: np.ndarray, cop_xy: np.ndarray) -> np.ndarray:
    """Side whose foot markers are nearest the centre of pressure (k, 2) at each marker frame.

    "" where no foot has data at that frame; on equal distances the first side of ``feet``.
    """
    sides = np.array([*feet, ""], dtype=object)
    dist = [np.linalg.norm(_mean_xy(m[frames]) - cop_xy, axis=1) for m in feet.values()]
    dist = np.column_stack([*dist, np.full(len(frames), np.inf)])
    return sides[np.argmin(np.where(np.isnan(dist), np.inf, dist), axis=1)]


def _on_plate(points: np.ndarray, corners: np.ndarray, margin_m: float) -> np.ndarray:
    """Whether every finite foot marker (..., k, 3) lies over the plate, within ``margin_m``."""
    origin, axes, lengths = _plate_frame(corners)
    local = (points[..., :2] - origin) @ axes.T
    finite = np.isfinite(local).all(axis=-1)
    inside = ((local >= -margin_m) & (local <= lengths + margin_m)).all(axis=-1)
    return finite.any(axis=-1) & (inside | ~finite).all(axis=-1)


def force_lowpass(vgrf_n: np.ndarray, /, *, fs_hz: float, cutoff_hz: float, order: int):
    """Low-pass filtered force; a cut-off at or above Nyquist leaves the force as sampled.

    Some files store the plates at the marker rate (100 Hz): a 50 Hz cut-off is then no
    filter at all, and the trial is measured on the force as sampled rather than lost
    (:func:`plate_stances` warns, and ``trial.json`` records it per plate).

    Parameters
    ----------
    vgrf_n : ndarray
        Force samples along axis 0.
    fs_hz, cutoff_hz : float
        Sampling rate and cut-off (Hz).
    order : int
        Butterworth order.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> force_lowpass(np.array([0.0, 10.0, 0.0]), fs_hz=100.0, cutoff_hz=50.0, order=4)
    array([ 0., 10.,  0.])
    """
    if cutoff_hz >= fs_hz / 2:
        return np.array(vgrf_n, dtype=float)
    return butter_lowpass(vgrf_n, fs_hz=fs_hz, cutoff_hz=cutoff_hz, order=order)


def _plate_contacts(plate, fs_hz: float, threshold_n: float, settings):
    """Filter the vertical force; return it and the complete contacts that look like stances.

    A stance lasts at least ``settings.plate_min_contact_s`` and loads the plate beyond
    ``settings.plate_min_peak_n``; shorter or lighter contacts are a touch or noise.
    """
    vertical = force_lowpass(
        np.nan_to_num(plate.force_n[:, 2]),
        fs_hz=fs_hz,
        cutoff_hz=settings.force_cutoff_hz,
        order=settings.filter_order,
    )
    on, off = threshold_crossings(vertical, threshold=threshold_n, fs_hz=fs_hz)
    if not on.size:
        return vertical, on, off
    # largest force from the sample before each crossing up to the one after it
    bounds = np.column_stack([(on * fs_hz).astype(int), (off * fs_hz).astype(int) + 2])
    peak = np.maximum.reduceat(np.r_[vertical, -np.inf], np.minimum(bounds, len(vertical)).ravel())
    keep = (off - on >= settings.plate_min_contact_s) & (peak[::2] >= settings.plate_min_peak_n)
    return vertical, on[keep], off[keep]


def _middle_cops(plate, on_s: np.ndarray, off_s: np.ndarray, fs_hz: float) -> np.ndarray:
    """Mean horizontal centre of pressure over the middle third of each contact (k, 2)."""
    third = (off_s - on_s) / 3
    lo = ((on_s + third) * fs_hz).astype(int)
    width = np.minimum(((off_s - third) * fs_hz).astype(int) + 1, len(plate.cop_m)) - lo
    cols = np.arange(max(int(width.max(initial=0)), 1))
    take = cols < width[:, None]
    cop = plate.cop_m[np.where(take, lo[:, None] + cols, 0), :2]
    take &= np.isfinite(cop).all(axis=-1)
    with np.errstate(invalid="ignore"):  # NaN for a contact without any
        return np.where(take[..., None], cop, 0.0).sum(axis=1) / take.sum(axis=1)[:, None]


def _plate_sides(trial, plate, on_s, off_s, feet: dict, *, treadmill: bool, margin_m: float):
    """Foot of each contact of a plate ("" without foot markers), and "!L"/"!R" if off it."""
    frames = np.minimum(np.round((on_s + off_s) / 2 * trial.markers_hz), trial.frames - 1)
    frames = frames.astype(int)
    cop = _middle_cops(plate, on_s, off_s, trial.analog_hz)
    missing = ~np.isfinite(cop).all(axis=1)
    cop[missing] = np.asarray(plate.corners_m)[:, :2].mean(axis=0)
    if not feet:
        return np.full(len(on_s), "", dtype=object)
    sides = _assign_feet(feet, frames, cop)
    if not treadmill:
        for side, markers in feet.items():
            rows = np.flatnonzero(sides == side)
            off = ~_on_plate(markers[frames[rows]], np.asarray(plate.corners_m), margin_m)
            sides[rows[off]] = "!" + side
    return sides


def plate_stances(
    trial,
    /,
    *,
    feet: dict[str, np.ndarray] | None = None,
    thresholds_n: tuple[float, float] = (20.0, 50.0),
    cutoff_hz: float = 50.0,
    order: int = 4,
) -> tuple[list[Stance], list[str]]:
    """Touchdown and toe-off of every complete contact on the trial's force plates.

    TD and TO are the upward and downward crossings of ``threshold_n`` by the low-pass
    filtered vertical force, interpolated between samples. Contacts that start or end
    outside the record, last less than 50 ms or never exceed 150 N are dropped. The foot is
    the side whose markers (heel, toe, first metatarsal) are nearest the mean centre of
    pressure of the middle third of stance (on a treadmill the swing foot is far from it);
    overground, a contact is rejected when that foot's markers are not all over the plate
    (3 cm tolerance for the marker's overhang), because part of its force was then missed.

    Parameters
    ----------
    trial : Trial
        Loaded trial (canonical frame).
    feet : dict, optional
        ``{"L": (n_frames, k, 3), "R": ...}`` foot markers (see :func:`foot_markers`);
        without them stances have side "" and the on-plate check is skipped.
    thresholds_n : (float, float), optional
        Force thresholds (N) for overground plates and for plates detected as a treadmill
        (:func:`is_treadmill`); default (20, 50) as in SCIENCE.md.
    cutoff_hz, order : float, int, optional
        Butterworth low-pass of the vertical force (default 50 Hz, 4th order).

    Returns
    -------
    stances : list of Stance
        Plate stances sorted by touchdown, ``source="plate"``.
    warnings : list of str
        One sentence per rejected contact.
    """
    settings = replace(
        Settings(),
        plate_threshold_overground_n=thresholds_n[0],
        plate_threshold_treadmill_n=thresholds_n[1],
        force_cutoff_hz=cutoff_hz,
        filter_order=order,
    )
    stances, warnings, _, _ = _plates(trial, feet, settings)
    return stances, warnings


def _plate_kind(trial, plate, feet, settings) -> dict:
    """Treadmill or overground, why, and the contact threshold applied (for ``trial.json``)."""
    why = treadmill_reason(
        plate, fs_hz=trial.analog_hz, feet=feet, markers_hz=trial.markers_hz, settings=settings
    )
    level = settings.plate_threshold_treadmill_n if why else settings.plate_threshold_overground_n
    cutoff = settings.force_cutoff_hz if settings.force_cutoff_hz < trial.analog_hz / 2 else None
    return {
        "treadmill": bool(why),
        "treadmill_reason": why or None,
        "threshold_n": level,
        "force_cutoff_hz": cutoff,
    }


def _plates(trial, feet, settings) -> tuple[list, list, dict, dict]:
    """:func:`plate_stances`, filtered vertical forces, and what each plate was taken for.

    The force is keyed by (plate index, cutoff, order): where no sample is missing it is the
    same as the NaN-aware filter of the plate's force, so later steps need not filter again.
    """
    stances, warnings, forces, kinds = [], [], {}, {}
    force_filter = (settings.force_cutoff_hz, settings.filter_order)
    if trial.plates and settings.force_cutoff_hz >= trial.analog_hz / 2:
        warnings.append(
            f"force cut-off {settings.force_cutoff_hz:g} Hz is not below the Nyquist frequency "
            f"of the {trial.analog_hz:g} Hz plate signals: forces used as sampled (unfiltered)"
        )
    for plate in trial.plates:
        kinds[plate.index] = kind = _plate_kind(trial, plate, feet, settings)
        vertical, on, off = _plate_contacts(plate, trial.analog_hz, kind["threshold_n"], settings)
        if not np.isnan(plate.force_n[:, 2]).any():
            forces[(plate.index, *force_filter)] = vertical
        sides = (
            _plate_sides(
                trial,
                plate,
                on,
                off,
                feet,
                treadmill=kind["treadmill"],
                margin_m=settings.plate_edge_margin_m,
            )
            if on.size
            else []
        )
        for side, on_s, off_s in zip(sides, on.tolist(), off.tolist(), strict=True):
            if side.startswith("!"):
                warnings.append(
                    f"contact on plate {plate.index} at {on_s:.3f} s rejected: the "
                    f"{'left' if side == '!L' else 'right'} foot is not entirely on the plate"
                )
            else:
                stances.append(Stance(side, on_s, off_s, "plate", plate.index))
    return sorted(stances, key=lambda s: s.td_s), warnings, forces, kinds


def _crossing(clearance: np.ndarray, start: int, level: float, *, forward: bool) -> float:
    """Fractional index where clearance crosses ``level`` leaving the low phase at ``start``.

    Backward (``forward=False``) finds the last sample at/above ``level`` before ``start`` and
    the downward crossing after it; forward finds the first upward crossing after ``start``.
    """
    if forward:
        above = np.flatnonzero(clearance[start:] >= level)
        if not above.size:
            return np.nan
        j = start + int(above[0])
        lo, hi = clearance[j - 1], clearance[j]
        return j - 1 + (level - lo) / (hi - lo)
    above = np.flatnonzero(clearance[:start] >= level)
    if not above.size:
        return np.nan
    j = int(above[-1])
    hi, lo = clearance[j], clearance[j + 1]
    return j + (hi - level) / (hi - lo)


def _swing_windows(height: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, low, stop) samples: the lowest point of the foot between consecutive swing maxima.

    Swing maxima rise at least 3 cm above the lows on either side, so each window between
    two of them holds one low phase of the foot. The record's first and last samples stand in
    for a swing maximum the recording does not contain, so that a stance next to either edge
    gets a window too; whether its touchdown and toe-off were recorded is decided by the
    caller. Both ends are padded with the highest point, so that a swing maximum next to an
    edge keeps its full prominence.
    """
    top = np.nanmax(height)
    filled = np.where(np.isnan(height), top, height)
    highs, _ = find_peaks(np.concatenate([[top], filled, [top]]), prominence=0.03)
    bounds = np.unique(np.concatenate([[0], highs - 1, [len(height) - 1]]))  # pads never peak
    return [
        (int(a), int(a + np.argmin(filled[a : b + 1])), int(b))
        for a, b in itertools.pairwise(bounds)
    ]


def _finite_run(rows_ok: np.ndarray, at: int) -> tuple[int, int]:
    """First and last index of the run of True in ``rows_ok`` that contains ``at``."""
    bad = np.flatnonzero(~rows_ok)
    first = int(bad[bad < at][-1]) + 1 if np.any(bad < at) else 0
    last = int(bad[bad > at][0]) - 1 if np.any(bad > at) else len(rows_ok) - 1
    return first, last


def _window_stance(window: np.ndarray, low: int, levels: tuple[float, float], min_len: float):
    """Fractional (TD, TO) indices of the stance in one window of foot heights, or None.

    The window is cut to the gap-free stretch around its low point; the stance is kept only
    if the clearance is seen falling through the TD level and rising through the TO level
    inside that stretch, and stays low for at least ``min_len`` samples.
    """
    ok = np.isfinite(window).all(axis=1)
    if not ok[low]:
        return None
    first, last = _finite_run(ok, low) if not ok.all() else (0, len(window) - 1)
    part = window[first : last + 1]
    clearance = (part - part.min(axis=0)).min(axis=1)
    lowest = int(np.argmin(clearance))
    td = _crossing(clearance, lowest, levels[0], forward=False)
    to = _crossing(clearance, lowest, levels[1], forward=True)
    if not (np.isfinite(td) and np.isfinite(to)) or to - td < min_len:
        return None
    return first + td, first + to


def _first_in_segments(hit: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Position of the first True of each segment starting at ``offsets`` (segments cover hit)."""
    where = np.flatnonzero(hit)
    segment = np.searchsorted(offsets, where, side="right") - 1
    first = np.full(len(offsets), -1)
    found, at = np.unique(segment, return_index=True)
    first[found] = where[at]
    return first


def _gap_free_stances(z: np.ndarray, windows: np.ndarray, levels, min_len: float):
    """:func:`_window_stance` of many gap-free windows (rows start, low, stop) at once.

    The windows are laid end to end; every step is the one of :func:`_window_stance` on each
    window, so the results are the same. Returns global fractional (TD, TO) sample indices
    of the windows that hold a stance.
    """
    lengths = windows[:, 2] - windows[:, 0] + 1
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    index = np.arange(lengths.sum()) - np.repeat(offsets - windows[:, 0], lengths)
    part = z[index]
    floor = np.minimum.reduceat(part, offsets, axis=0)
    clearance = (part - np.repeat(floor, lengths, axis=0)).min(axis=1)
    low = np.minimum.reduceat(clearance, offsets)
    lowest = _first_in_segments(clearance == np.repeat(low, lengths), offsets)
    rows = np.arange(len(clearance))
    # TD: last sample at/above the TD level before the lowest point, within the window
    last_above = np.maximum.accumulate(np.where(clearance >= levels[0], rows, -1))
    j = np.where(lowest > offsets, last_above[np.maximum(lowest - 1, 0)], -1)
    has_td = j >= offsets
    j = np.where(has_td, j, 0)
    hi, lo = clearance[j], clearance[np.minimum(j + 1, len(clearance) - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        td = j - offsets + (hi - levels[0]) / (hi - lo)
        # TO: first sample at/above the TO level after the lowest point, within the window
        big = len(clearance)
        next_above = np.minimum.accumulate(np.where(clearance >= levels[1], rows, big)[::-1])
        k = next_above[::-1][lowest]
        has_to = k <= offsets + lengths - 1
        k = np.where(has_to, k, 1)
        lo, hi = clearance[k - 1], clearance[k]
        to = k - offsets - 1 + (levels[1] - lo) / (hi - lo)
    keep = has_td & has_to & ~(to - td < min_len)
    return windows[keep, 0] + td[keep], windows[keep, 0] + to[keep]


def _side_stances(z: np.ndarray, levels, min_len: float) -> tuple[np.ndarray, np.ndarray]:
    """Fractional TD and TO sample indices of every stance of one foot's heights (n, k)."""
    windows = np.array(_swing_windows(_mean_height(z)), dtype=int).reshape(-1, 3)
    bad = np.concatenate([[0], np.cumsum(~np.isfinite(z).all(axis=1))])
    clean = bad[windows[:, 2] + 1] == bad[windows[:, 0]]
    td, to = _gap_free_stances(z, windows[clean], levels, min_len) if clean.any() else ([], [])
    for a, b, c in windows[~clean]:  # windows with a gap: cut to the stretch around the low
        found = _window_stance(z[a : c + 1], b - a, levels, min_len)
        if found is not None:
            td, to = np.r_[td, a + found[0]], np.r_[to, a + found[1]]
    return np.asarray(td, dtype=float), np.asarray(to, dtype=float)


def _mean_height(z: np.ndarray) -> np.ndarray:
    """Mean over the foot markers (n, k) of each frame, NaN where none has data."""
    if np.isfinite(z).all():
        return z.mean(axis=1)
    with np.errstate(invalid="ignore"), _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)  # frames without any marker
        return np.nanmean(z, axis=1)


def _foot_heights(feet: dict, fs_hz: float, cutoff_hz: float) -> dict[str, np.ndarray]:
    """Low-pass filtered heights (n, k) of each foot's markers that have data, in one call."""
    heights = {side: np.asarray(m, dtype=float)[..., 2] for side, m in feet.items()}
    heights = {s: z[:, np.isfinite(z).any(axis=0)] for s, z in heights.items()}
    heights = {s: z for s, z in heights.items() if z.shape[1]}
    if not heights:
        return {}
    smooth = butter_lowpass(
        np.concatenate(list(heights.values()), axis=1), fs_hz=fs_hz, cutoff_hz=cutoff_hz
    )
    cuts = np.cumsum([z.shape[1] for z in heights.values()])[:-1]
    parts = np.split(smooth, cuts, axis=1)
    return {s: z for s, z in zip(heights, parts, strict=True) if not np.isnan(z).all()}


def kinematic_stances(
    feet: dict[str, np.ndarray],
    /,
    *,
    fs_hz: float,
    cutoff_hz: float = 15.0,
    td_clearance_m: float = 0.005,
    to_clearance_m: float = 0.01,
    min_stance_s: float = MIN_KINEMATIC_STANCE_S,
) -> list[Stance]:
    """Touchdown and toe-off of every stance from foot-marker heights (foot-clearance detector).

    For each stance candidate (a low point of the mean foot height between two swing
    maxima at least 3 cm higher, or between the record's edge and a swing maximum) each
    marker's clearance is its height above its own lowest point in that window; the foot's
    clearance is the smallest over markers. TD is where it falls below ``td_clearance_m``
    before the stance's lowest clearance, TO where it rises above ``to_clearance_m`` after
    it (linear interpolation between frames). The window is cut to its gap-free stretch
    around the low point. A candidate is dropped when either crossing is not seen inside
    that stretch (a stance cut by the record's edge or by a gap) or when the foot stays low
    for less than 0.1 s, shorter than a running contact (a swing foot passing low).

    Parameters
    ----------
    feet : dict
        ``{"L": (n_frames, k, 3), "R": ...}`` foot marker positions (m, Z up).
    fs_hz : float
        Marker rate.
    cutoff_hz : float, optional
        Low-pass cutoff of the marker heights (default 15 Hz).
    td_clearance_m, to_clearance_m : float, optional
        Clearance levels for TD (default 5 mm) and TO (default 10 mm).
    min_stance_s : float, optional
        Shorter low phases are dropped (default ``MIN_KINEMATIC_STANCE_S``); a rear-foot
        cluster alone is low for less than a whole stance.

    Returns
    -------
    list of Stance
        Sorted by touchdown, ``source="kinematic"``.

    Examples
    --------
    >>> t = np.arange(0, 3, 0.004)
    >>> z = np.maximum(0.0, 0.1 * np.sin(2 * np.pi * t / 0.75)) + 0.03  # on the ground from 0.375 s
    >>> foot = np.stack([np.zeros_like(t), np.zeros_like(t), z], axis=1)[:, None, :]
    >>> [round(float(s.td_s), 3) for s in kinematic_stances({"L": foot}, fs_hz=250.0)]
    [0.372, 1.122, 1.872]
    """
    stances = []
    levels, min_len = (td_clearance_m, to_clearance_m), min_stance_s * fs_hz
    for side, z in _foot_heights(feet, fs_hz, cutoff_hz).items():
        td, to = _side_stances(z, levels, min_len)
        stances += [
            Stance(side, a / fs_hz, b / fs_hz, "kinematic")
            for a, b in zip(td.tolist(), to.tolist(), strict=True)
        ]
    return sorted(stances, key=lambda s: s.td_s)


def _first_peak(x: np.ndarray) -> float:
    """Index of the first local maximum of x (NaN if none)."""
    peaks, _ = find_peaks(x)
    return float(peaks[0]) if peaks.size else np.nan


def _handsaker_side(z: np.ndarray, windows: list[Stance], fs_hz: float) -> list[Stance]:
    """Handsaker events of one foot; z is (n, 3) heights of heel, mt1, toe; windows give ±50 ms."""
    acc = np.gradient(np.gradient(z, axis=0), axis=0) * fs_hz**2
    jerk = np.gradient(acc[:, 2]) * fs_hz
    half, out = round(0.05 * fs_hz), []
    for w in windows:
        a, b = round(w.td_s * fs_hz) - half, round(w.to_s * fs_hz) - half
        if a < 0 or b + 2 * half >= len(z):
            continue
        td = np.nanmin(
            [_first_peak(acc[a : a + 2 * half, 0]), _first_peak(acc[a : a + 2 * half, 1])]
        )
        to = b + int(np.argmax(jerk[b : b + 2 * half]))
        if np.isfinite(td):
            out.append(Stance(w.side, (a + td) / fs_hz, to / fs_hz, "kinematic"))
    return out


def handsaker_stances(
    roles: dict[str, np.ndarray], /, *, fs_hz: float, cutoff_hz: float = 15.0
) -> list[Stance]:
    """Handsaker et al. 2016 (J Biomech 49:4128) running events, for comparison.

    TD = the first peak of vertical acceleration of the heel or first-metatarsal marker
    (whichever comes first); TO = the peak of vertical jerk of the toe marker. Each is
    searched within ±50 ms of the foot-clearance event of :func:`kinematic_stances`, which
    only locates the stance (Handsaker's own search windows come from the foot's approach).

    Parameters
    ----------
    roles : dict
        ``{"l_heel": (n, 3), "l_mt1": ..., "l_toe": ..., "r_heel": ...}`` marker positions.
    fs_hz : float
        Marker rate.
    cutoff_hz : float, optional
        Low-pass cutoff before differentiation (default 15 Hz).

    Returns
    -------
    list of Stance
        ``source="kinematic"``, sorted by touchdown.
    """
    stances = []
    for side in ("L", "R"):
        names = [f"{side.lower()}_{r}" for r in ("heel", "mt1", "toe")]
        if not all(n in roles for n in names):
            continue
        markers = np.stack([roles[n] for n in names], axis=1)
        windows = kinematic_stances({side: markers}, fs_hz=fs_hz, cutoff_hz=cutoff_hz)
        z = butter_lowpass(markers[..., 2], fs_hz=fs_hz, cutoff_hz=cutoff_hz)
        stances += _handsaker_side(z, windows, fs_hz)
    return sorted(stances, key=lambda s: s.td_s)


@dataclass(frozen=True)
class Calibration:
    """Kinematic-minus-reference event differences of matched stances (s).

    ``td_diff_s``/``to_diff_s`` hold one difference per matched stance; the bias is their
    mean and the SD their sample standard deviation (NaN with fewer than two).
    """

    td_diff_s: np.ndarray
    to_diff_s: np.ndarray

    @property
    def n(self) -> int:
        """Number of matched stances."""
        return len(self.td_diff_s)

    @property
    def td_bias_s(self) -> float:
        """Mean TD difference (kinematic - reference)."""
        return float(np.mean(self.td_diff_s)) if self.n else np.nan

    @property
    def td_sd_s(self) -> float:
        """SD of the TD difference."""
        return float(np.std(self.td_diff_s, ddof=1)) if self.n > 1 else np.nan

    @property
    def to_bias_s(self) -> float:
        """Mean TO difference (kinematic - reference)."""
        return float(np.mean(self.to_diff_s)) if self.n else np.nan

    @property
    def to_sd_s(self) -> float:
        """SD of the TO difference."""
        return float(np.std(self.to_diff_s, ddof=1)) if self.n > 1 else np.nan


def match(kinematic: list[Stance], reference: list[Stance], /, *, max_offset_s: float = 0.1):
    """Pairs (kinematic, reference) of the same side whose touchdowns differ by < max_offset_s.

    Parameters
    ----------
    kinematic, reference : list of Stance
        Stances to pair (a reference stance with side "" matches either foot).
    max_offset_s : float, optional
        Largest touchdown difference of a pair (default 0.1 s).

    Returns
    -------
    list of tuple of Stance
        One pair per reference stance that found a partner.

    Examples
    --------
    >>> k = [Stance("L", 0.51, 0.75, "kinematic"), Stance("R", 0.9, 1.1, "kinematic")]
    >>> r = [Stance("L", 0.50, 0.76, "plate", 0)]
    >>> [(a.td_s, b.td_s) for a, b in match(k, r)]
    [(0.51, 0.5)]
    """
    if not kinematic or not reference:
        return []
    td = np.array([k.td_s for k in kinematic])
    sides = np.array([k.side for k in kinematic], dtype=object)
    ref_td = np.array([r.td_s for r in reference])
    ref_side = np.array([r.side for r in reference], dtype=object)
    gap = np.abs(td[None, :] - ref_td[:, None])
    gap = np.where((ref_side[:, None] == "") | (sides[None, :] == ref_side[:, None]), gap, np.inf)
    best = np.argmin(gap, axis=1)  # first of equals, as min() over the list
    found = gap[np.arange(len(reference)), best] < max_offset_s
    return [(kinematic[b], r) for b, r, ok in zip(best, reference, found, strict=True) if ok]


def calibrate(kinematic: list[Stance], reference: list[Stance], /) -> Calibration:
    """Differences between kinematic events and reference (plate) events of the same stances.

    Parameters
    ----------
    kinematic, reference : list of Stance
        Kinematic stances and the plate stances of the same trial.

    Returns
    -------
    Calibration
        Matched differences (see :func:`match`), bias and SD.

    Examples
    --------
    >>> k = [Stance("L", 0.51, 0.75, "kinematic"), Stance("R", 0.9, 1.1, "kinematic")]
    >>> r = [Stance("L", 0.50, 0.76, "plate", 0), Stance("R", 0.88, 1.1, "plate", 1)]
    >>> round(calibrate(k, r).td_bias_s, 3)
    0.015
    """
    pairs = match(kinematic, reference)
    td = np.array([k.td_s - r.td_s for k, r in pairs])
    to = np.array([k.to_s - r.to_s for k, r in pairs])
    return Calibration(td, to)


def shifted(stances: list[Stance], /, *, td_s: float, to_s: float) -> list[Stance]:
    """Copy stances with ``td_s`` and ``to_s`` subtracted from their events.

    Examples
    --------
    >>> shifted([Stance("L", 1.0, 1.25, "kinematic")], td_s=0.01, to_s=-0.01)[0].td_s
    0.99
    """
    return [Stance(s.side, s.td_s - td_s, s.to_s - to_s, s.source, s.plate) for s in stances]


def file_stances(events, /) -> list[Stance]:
    """Stances from "Foot Strike"/"Foot Off" events stored in the file (``source="file"``).

    Each Foot Strike of a side is paired with the first Foot Off of that side before its
    next Foot Strike; without one, ``to_s`` is NaN.

    Parameters
    ----------
    events : list of Event
        ``trial.events`` (label, context "Left"/"Right", time_s).

    Returns
    -------
    list of Stance
        Sorted by touchdown.

    Examples
    --------
    >>> from lbprun.c3d import Event
    >>> ev = [Event("Foot Strike", "Left", 0.5), Event("Foot Off", "Left", 0.74),
    ...       Event("Foot Strike", "Left", 1.25)]
    >>> [(s.side, s.td_s, s.to_s) for s in file_stances(ev)]
    [('L', 0.5, 0.74), ('L', 1.25, nan)]
    """
    stances = []
    for context, side in (("left", "L"), ("right", "R")):
        mine = [e for e in events if e.context.strip().lower() == context]
        strikes = sorted(e.time_s for e in mine if e.label.strip().lower() == "foot strike")
        offs = np.sort([e.time_s for e in mine if e.label.strip().lower() == "foot off"])
        for td, nxt in zip(strikes, [*strikes[1:], np.inf][: len(strikes)], strict=True):
            after = offs[(offs > td) & (offs < nxt)]
            stances.append(
                Stance(side, float(td), float(after[0]) if after.size else np.nan, "file")
            )
    return sorted(stances, key=lambda s: s.td_s)


def _stride_reasons(
    tds: np.ndarray, others: np.ndarray, limits: tuple, spans, max_ratio: float
) -> list[str]:
    """Why each TD-to-next-TD interval of one foot is not a valid stride ("" when it is)."""
    td, nxt = tds[:-1], tds[1:]
    duration = nxt - td
    typical = float(np.median(np.diff(tds)))
    # contralateral touchdowns strictly inside each stride
    inside = np.searchsorted(np.sort(others), nxt, side="left") - np.searchsorted(
        np.sort(others), td, side="right"
    )
    reasons = np.full(len(td), "", dtype=object)
    spans = np.asarray(spans, dtype=float).reshape(-1, 2)
    gap = ((spans[None, :, 0] < nxt[:, None]) & (spans[None, :, 1] > td[:, None])).any(axis=1)
    # the first reason that applies, in this order
    for hit, why in (
        (gap, "gap too long"),
        (
            duration > max_ratio * typical,
            f"missing event: stride longer than {max_ratio:g} times the typical stride",
        ),
        (
            (inside == 0) & bool(others.size),
            "missing event: no contralateral touchdown within the stride",
        ),
        (~((limits[0] <= duration) & (duration <= limits[1])), "implausible duration"),
    ):
        reasons[hit] = why
    return reasons.tolist()


def strides(
    stances: list[Stance],
    /,
    *,
    invalid_spans_s: list[tuple[float, float]] = (),
    min_stride_s: float = 0.3,
    max_stride_s: float = 2.5,
    max_ratio: float = 1.5,
) -> list[Stride]:
    """Strides from each touchdown to the next ipsilateral touchdown, with validity flags.

    Parameters
    ----------
    stances : list of Stance
        Stances of both feet (any source).
    invalid_spans_s : list of (float, float), optional
        Time spans where data are unusable (e.g. marker gaps too long to fill); a stride that
        overlaps one is invalid with reason "gap too long".
    min_stride_s, max_stride_s : float, optional
        Plausible stride durations (default 0.3-2.5 s, running to slow walking).
    max_ratio : float, optional
        A stride longer than this many times the side's median stride hides a missed
        touchdown (default 1.5).

    Returns
    -------
    list of Stride
        Sorted by touchdown. Invalid reasons: "implausible duration", "missing event: ..."
        (no contralateral touchdown in between, or a stride longer than 1.5 times the
        side's median, i.e. a missed touchdown), "gap too long".

    Examples
    --------
    >>> st = [Stance("L", t, t + 0.25, "plate") for t in (0.0, 0.72, 1.46, 2.9)]
    >>> st += [Stance("R", t, t + 0.25, "plate") for t in (0.36, 1.1, 1.82)]
    >>> [(s.td_s, s.valid, s.invalid_reason[:14]) for s in strides(st) if s.side == "L"]
    [(0.0, True, ''), (0.72, True, ''), (1.46, False, 'missing event:')]
    """
    out = []
    for side in ("L", "R"):
        tds = np.sort([s.td_s for s in stances if s.side == side])
        others = np.array([s.td_s for s in stances if s.side not in ("", side)], dtype=float)
        if len(tds) < 2:
            continue
        reasons = _stride_reasons(
            tds, others, (min_stride_s, max_stride_s), invalid_spans_s, max_ratio
        )
        out += [
            Stride(side, td, nxt, not why, why)
            for td, nxt, why in zip(tds[:-1].tolist(), tds[1:].tolist(), reasons, strict=True)
        ]
    return sorted(out, key=lambda s: s.td_s)


def _drop_overlapping(candidates: list[Stance], kept: list[Stance]) -> list[Stance]:
    """Candidates that overlap no kept stance of the same foot."""
    if not kept or not candidates:
        return list(candidates)
    k_td, k_to = np.array([[k.td_s, k.to_s] for k in kept]).T
    k_side = np.array([k.side for k in kept], dtype=object)
    c_td, c_to = np.array([[c.td_s, c.to_s] for c in candidates]).T
    c_side = np.array([c.side for c in candidates], dtype=object)
    same = (k_side[None, :] == "") | (k_side[None, :] == c_side[:, None])
    overlap = same & (c_td[:, None] < k_to[None, :]) & (c_to[:, None] > k_td[None, :])
    return [c for c, hit in zip(candidates, overlap.any(axis=1), strict=True) if not hit]


def combine(
    plate: list[Stance],
    kinematic: list[Stance],
    /,
    *,
    calibration: Calibration | None = None,
    min_stances: int = 3,
) -> tuple[list[Stance], list[str]]:
    """Plate stances plus calibrated kinematic stances off the plates.

    With at least ``min_stances`` kinematic stances matched to plate stances of a trial, the
    kinematic events are shifted by the mean kinematic-minus-plate difference (TD and TO
    separately) before they are used; the bias and its SD are reported in a warning. Kinematic
    stances that overlap a plate stance of the same foot are replaced by the plate stance.

    Parameters
    ----------
    plate, kinematic : list of Stance
        Stances from :func:`plate_stances` and :func:`kinematic_stances`.
    calibration : Calibration, optional
        ``calibrate(kinematic, plate)``, when the caller has it already.
    min_stances : int, optional
        Fewest matched stances for the shift to be applied (config
        ``events.calibration_min_stances``, default 3).

    Returns
    -------
    stances : list of Stance
        Sorted by touchdown.
    warnings : list of str
        The calibration applied (or why none was).
    """
    cal = calibrate(kinematic, plate) if calibration is None else calibration
    warnings = []
    if cal.n >= min_stances:
        kinematic = shifted(kinematic, td_s=cal.td_bias_s, to_s=cal.to_bias_s)
        warnings.append(
            f"kinematic events calibrated against {cal.n} plate stances: touchdown shifted by "
            f"{-1000 * cal.td_bias_s:+.1f} ms (SD {1000 * cal.td_sd_s:.1f} ms), toe-off by "
            f"{-1000 * cal.to_bias_s:+.1f} ms (SD {1000 * cal.to_sd_s:.1f} ms)"
        )
    elif plate and kinematic:
        warnings.append(
            f"kinematic events not calibrated: only {cal.n} stance(s) matched a plate stance"
        )
    merged = plate + _drop_overlapping(kinematic, plate)
    return sorted(merged, key=lambda s: s.td_s), warnings


@dataclass(frozen=True)
class Events:
    """The stances of one trial, what was done to find them, and every warning."""

    stances: list[Stance]
    warnings: list[str]
    settings: dict
    # (plate index, cutoff_hz, order) -> that plate's filtered vertical force, where known
    forces: dict = field(default_factory=dict)
    # plate index -> {"treadmill", "treadmill_reason", "threshold_n"} as applied
    plates: dict = field(default_factory=dict)

    @property
    def treadmill_plates(self) -> set[int]:
        """Indices of the plates taken for instrumented treadmills."""
        return {i for i, kind in self.plates.items() if kind["treadmill"]}


def _kinematic(trial, feet: dict, settings) -> list[Stance]:
    """Run the foot-clearance detector with the settings' cut-off and clearances."""
    return kinematic_stances(
        feet,
        fs_hz=trial.markers_hz,
        cutoff_hz=settings.kinematic_cutoff_hz,
        td_clearance_m=settings.td_clearance_m,
        to_clearance_m=settings.to_clearance_m,
    )


def _auto(trial, feet: dict, plate: list[Stance], settings) -> tuple[list, list[str], dict]:
    """Plate stances, completed by calibrated kinematic stances where feet are available."""
    kinematic = _kinematic(trial, feet, settings) if feet else []
    if not plate:
        why = "no complete force-plate stance"
        if not kinematic:
            return [], [f"{why} and no foot markers to detect events from"], {}
        return kinematic, [f"{why}: events from foot markers (foot-clearance, not calibrated)"], {}
    cal = calibrate(kinematic, plate)
    report = {
        "kinematic_vs_plate_n": cal.n,
        "kinematic_td_bias_ms": round(1000 * cal.td_bias_s, 2) if cal.n else None,
        "kinematic_td_sd_ms": round(1000 * cal.td_sd_s, 2) if cal.n > 1 else None,
        "kinematic_to_bias_ms": round(1000 * cal.to_bias_s, 2) if cal.n else None,
        "kinematic_to_sd_ms": round(1000 * cal.to_sd_s, 2) if cal.n > 1 else None,
        "kinematic_td_mean_abs_ms": round(1000 * float(np.mean(np.abs(cal.td_diff_s))), 2)
        if cal.n
        else None,
        "kinematic_to_mean_abs_ms": round(1000 * float(np.mean(np.abs(cal.to_diff_s))), 2)
        if cal.n
        else None,
        "kinematic_calibrated": cal.n >= settings.calibration_min_stances,
    }
    stances, warnings = combine(
        plate, kinematic, calibration=cal, min_stances=settings.calibration_min_stances
    )
    # a calibrated kinematic event may move past the record's edge: that stance was not seen
    last_s = (trial.frames - 1) / trial.markers_hz
    inside = [s for s in stances if s.source == "plate" or (s.td_s >= 0 and s.to_s <= last_s)]
    return inside, warnings, report


def detect(trial, /, *, feet: dict[str, np.ndarray] | None = None, settings=None) -> Events:
    """All stances of a trial from the event source the settings ask for.

    Parameters
    ----------
    trial : Trial
        Loaded trial (canonical frame).
    feet : dict, optional
        Foot markers per side (:func:`foot_markers`); resolved from the trial when omitted.
    settings : Settings, optional
        ``event_source`` ("auto": plates, completed off the plates by calibrated kinematic
        events; "plate"; "kinematic", uncalibrated; "file"), plate thresholds, force filter.

    Returns
    -------
    Events
        Stances sorted by touchdown, warnings, and the settings used (for ``trial.json``).
    """
    settings = settings or Settings()
    feet = foot_markers(trial) if feet is None else feet
    # the detector's cut-off and clearances are recorded with the settings they come from
    used = {"event_source": settings.event_source, "kinematic_detector": "foot_clearance"}
    if settings.event_source == "file":
        stances = file_stances(trial.events)
        note = "events taken from the file's EVENT group (events.source: file)"
        return Events(stances, [note] if stances else [f"{note}, but it holds none"], used)
    if settings.event_source == "kinematic":
        stances = _kinematic(trial, feet, settings)
        return Events(stances, ["events from foot markers only (not calibrated)"], used)
    plate, warnings, forces, kinds = _plates(trial, feet, settings)
    used["plates"] = {str(i): kind for i, kind in kinds.items()}
    if settings.event_source == "plate":
        return Events(plate, warnings, used, forces, kinds)
    stances, more, report = _auto(trial, feet, plate, settings)
    return Events(stances, warnings + more, {**used, **report}, forces, kinds)
