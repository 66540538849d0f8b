"""Kinematic event detectors: the foot-clearance detector and Handsaker et al. 2016.

Why the foot-clearance detector, and how it compares with the plates: :mod:`lbprun.events`.
"""

from __future__ import annotations

import itertools
import warnings as _warnings

import numpy as np
from scipy.signal import find_peaks

from lbprun.events.stance import Stance
from lbprun.signals import butter_lowpass

# Markers whose lowest point meets the ground. "mt5" is used when a marker set maps it: with a
# lateral forefoot landing first (JA1Gait21) the medial markers touch down ~15 ms later.
FOOT_ROLES = ("heel", "toe", "mt1", "mt5")
# A foot low for less than this is a swing foot passing the ground, not a stance: running
# contacts last 0.15-0.35 s at 2-6 m/s, and only sprinters at top speed get near 0.1 s
# (Weyand et al. 2000, J Appl Physiol 89:1991).
MIN_KINEMATIC_STANCE_S = 0.1


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

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> feet = foot_markers(c3d.load(synth.example_trial()))  # Plug-in Gait: heel and toe
    >>> {side: markers.shape for side, markers in feet.items()}
    {'L': (600, 2, 3), 'R': (600, 2, 3)}
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


def _foot_heights(feet: dict, fs_hz: float, cutoff_hz: float | None) -> dict[str, np.ndarray]:
    """Low-pass filtered heights (n, k) of each foot's markers that have data, in one call.

    ``cutoff_hz=None``: the markers come filtered, those without data already left out by
    the caller; their heights are used as they are.
    """
    heights = {side: np.asarray(m, dtype=float)[..., 2] for side, m in feet.items()}
    if cutoff_hz is not None:
        heights = {s: z[:, np.isfinite(z).any(axis=0)] for s, z in heights.items()}
    heights = {s: z for s, z in heights.items() if z.shape[1]}
    if not heights:
        return {}
    smooth = np.concatenate(list(heights.values()), axis=1)
    if cutoff_hz is not None:
        smooth = butter_lowpass(smooth, fs_hz=fs_hz, cutoff_hz=cutoff_hz)
    cuts = np.cumsum([z.shape[1] for z in heights.values()])[:-1]
    parts = np.split(smooth, cuts, axis=1)
    return {s: z for s, z in zip(heights, parts, strict=True) if not np.isnan(z).all()}


def kinematic_stances(
    feet: dict[str, np.ndarray],
    /,
    *,
    fs_hz: float,
    cutoff_hz: float | None = 15.0,
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
    cutoff_hz : float or None, optional
        Low-pass cutoff of the marker heights (default 15 Hz). None when ``feet`` are already
        filtered (a caller that filters a whole cluster once for several uses) and hold only
        markers with data: the heights are then used as given.
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

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> trial = c3d.load(synth.example_trial())
    >>> roles = {f"{s}_{r}": trial.marker(f"{s.upper()}{label}")
    ...          for s in "lr" for r, label in (("heel", "HEE"), ("toe", "TOE"))}
    >>> roles |= {"l_mt1": roles["l_toe"], "r_mt1": roles["r_toe"]}  # no MT1 marker here
    >>> stances = handsaker_stances(roles, fs_hz=trial.markers_hz)
    >>> len(stances), [s.side for s in stances[:3]]
    (7, ['L', 'R', 'L'])
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
