"""Vertical ground reaction force measures of one stance (SCIENCE.md, "Vertical GRF").

Pure functions on 1-D arrays: the caller cuts the filtered vertical force of one plate from
touchdown to toe-off and passes it with the sampling rate and body weight. Times inside a
stance are ``sample / fs_hz`` from its first sample, so a stance of ``n`` samples lasts
``(n - 1) / fs_hz`` seconds, and "x % of stance" is the time ``x / 100 * (n - 1) / fs_hz``,
read by linear interpolation.

Definitions (impact peak, VALR and VILR as in Milner et al. 2006, Med Sci Sports Exerc
38:323, and the running literature that follows it; foot-strike class by the presence of the
impact peak, Lieberman et al. 2010, Nature 463:531):

- impact peak: the first *local maximum* in the first 25 % of stance. A local maximum is a
  real peak followed by a dip: its topographic prominence (``scipy.signal.peak_prominences``
  on the whole stance, in body weights) must reach ``prominence_bw`` (default 0.05 BW).
  A plateau or a shoulder on the rising edge is therefore *not* an impact peak.
- footstrike: ``"rearfoot"`` if an impact peak exists, else ``"non_rearfoot"``.
- active peak: the maximum of stance.
- VALR: mean slope between the instants the rising force first reaches 20 % and 80 % of the
  impact peak, i.e. ``0.6 * impact / (t80 - t20)``; VILR: the largest sample-to-sample slope
  within that window. Both null without an impact peak: the literature's substitute (a
  13 %-of-stance pseudo-peak) mixes definitions, so SCIENCE.md reports instead
- ``lr_3_12_bw_s``: the mean slope between 3 % and 12 % of stance, computed for every
  stance (its own column, the measure used when there is no impact peak).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks, peak_prominences

from lbprun import registry
from lbprun.plates import body_weight_from_static, body_weight_from_treadmill
from lbprun.signals import cut_cycles

__all__ = [
    "StanceWindows",
    "body_weight_from_static",
    "body_weight_from_treadmill",
    "impact_peak_index",
    "stance_curve",
    "stance_curves",
    "stance_measures",
    "stance_table",
]

# SCIENCE.md's defaults (config kinetics.impact_peak_window_pct, lr_window_pct, valr_window_pct)
IMPACT_WINDOW_PCT = 25.0  # share of stance searched for the impact peak
LR_WINDOW_PCT = (3.0, 12.0)  # share of stance of the loading rate reported for every stance
VALR_WINDOW_PCT = (20.0, 80.0)  # share of the impact peak between which VALR and VILR are taken


@dataclass(frozen=True)
class StanceWindows:
    """Where in a stance the measures are taken (percent; SCIENCE.md defaults).

    Attributes
    ----------
    impact_pct : float
        Share of stance searched for the impact peak (25 %).
    lr_pct : (float, float)
        Share of stance of ``lr_3_12_bw_s`` (3-12 %).
    valr_pct : (float, float)
        Share of the impact peak between which VALR and VILR are taken (20-80 %).
    """

    impact_pct: float = IMPACT_WINDOW_PCT
    lr_pct: tuple[float, float] = LR_WINDOW_PCT
    valr_pct: tuple[float, float] = VALR_WINDOW_PCT


_FLOAT_KEYS = (*registry.names(family="vgrf"), "stance_time_s")


def _segments(x: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    """Stances of one signal laid end to end with +inf after each, and where each begins.

    The +inf between stances lets one peak search over the whole array see each stance on
    its own: no sample next to it is a local maximum, and a prominence walk stops at it just
    as it stops at the end of a single stance's array.
    """
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(int)
    before = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    within = np.arange(int(lengths.sum())) - np.repeat(before, lengths)
    cat = np.full(int(offsets[-1] + lengths[-1] + 1), np.inf)
    cat[np.repeat(offsets, lengths) + within] = x[np.repeat(starts, lengths) + within]
    return cat, offsets


def _first_impact_peaks(
    cat: np.ndarray, offsets, lengths, prominence_bw: float, window_pct: float = IMPACT_WINDOW_PCT
) -> np.ndarray:
    """Index in its stance of each stance's impact peak (-1 where it has none)."""
    peaks, _ = find_peaks(cat)
    stance = np.searchsorted(offsets, peaks, side="right") - 1
    local = peaks - offsets[stance]
    early = np.isfinite(cat[peaks]) & (local <= window_pct / 100 * (lengths[stance] - 1))
    peaks, stance, local = peaks[early], stance[early], local[early]
    # prominence of the early local maxima only, as find_peaks(prominence=...) would give them
    keep = peak_prominences(cat, peaks)[0] >= prominence_bw if peaks.size else early[:0]
    found, first = np.unique(stance[keep], return_index=True)
    out = np.full(len(offsets), -1)
    out[found] = local[keep][first]
    return out


def _first_reach(window: np.ndarray, level: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Fractional sample where each row of ``window[:, :last + 1]`` first reaches ``level``."""
    cols = np.arange(window.shape[1])
    i = np.argmax((window >= level[:, None]) & (cols <= last[:, None]), axis=1)
    rows = np.arange(len(window))
    lo, hi = window[rows, i - 1], window[rows, i]
    with np.errstate(divide="ignore", invalid="ignore"):  # rows with i == 0 are not used
        return np.where(i == 0, 0.0, i - 1 + (level - lo) / (hi - lo))


def _loading_rates(
    cat: np.ndarray, offsets, peaks, fs_hz: float, window_pct=VALR_WINDOW_PCT
) -> tuple[np.ndarray, ...]:
    """VALR and VILR (BW/s) between 20 % and 80 % of each impact peak (rows with peaks >= 0)."""
    offsets, peaks = offsets[peaks >= 0], peaks[peaks >= 0]
    cols = np.arange(int(peaks.max()) + 2)
    # each stance from its first sample to one past its impact peak (still inside the stance);
    # a short stance's row reaches past the end of ``cat`` where it is masked anyway
    mine = cols <= peaks[:, None] + 1
    window = np.where(mine, cat[np.where(mine, offsets[:, None] + cols, 0)], 0.0)
    level = cat[offsets + peaks]
    low, high = (pct / 100 for pct in window_pct)
    p20 = _first_reach(window, low * level, peaks)
    p80 = _first_reach(window, high * level, peaks)
    valr = (high - low) * level * fs_hz / (p80 - p20)
    # sample-to-sample slopes whose interval overlaps [p20, p80]
    lo = np.floor(p20).astype(int)
    hi = np.maximum(np.ceil(p80).astype(int), lo + 1)
    inside = (cols[:-1] >= lo[:, None]) & (cols[:-1] < hi[:, None])
    vilr = np.max(np.where(inside, np.diff(window, axis=1), -np.inf), axis=1) * fs_hz
    return valr, vilr


def _at_fractions(cat: np.ndarray, offsets, lengths, fraction: float) -> np.ndarray:
    """Each stance's value at a fraction of it, interpolated as ``np.interp`` on the stance."""
    pos = fraction * (lengths - 1)
    j = np.floor(pos).astype(int)
    lo, hi = cat[offsets + j], cat[offsets + np.minimum(j + 1, lengths - 1)]
    return np.where(pos == j, lo, (hi - lo) * (pos - j) + lo)


def impact_peak_index(
    force_bw: np.ndarray,
    /,
    *,
    prominence_bw: float = 0.05,
    window_pct: float = IMPACT_WINDOW_PCT,
) -> int | None:
    """Sample index of the impact peak, or None if stance has no impact peak.

    Parameters
    ----------
    force_bw : ndarray, shape (n,)
        Vertical force of one stance in body weights, touchdown to toe-off.
    prominence_bw : float, optional
        Smallest prominence (BW) for a local maximum to count (default 0.05 BW); it rejects
        noise ripples and shoulders that have no dip after them.
    window_pct : float, optional
        Share of stance searched (default 25 %).

    Returns
    -------
    int or None
        Index of the first qualifying local maximum within the first ``window_pct`` of stance.

    Examples
    --------
    >>> t = np.linspace(0.0, 1.0, 101)
    >>> rearfoot = 1.5 * np.exp(-(((t - 0.1) / 0.04) ** 2)) + 2.5 * np.sin(np.pi * t)
    >>> impact_peak_index(rearfoot)
    10
    >>> impact_peak_index(2.5 * np.sin(np.pi * t)) is None
    True
    """
    x = np.asarray(force_bw, dtype=float)
    peak = _first_impact_peaks(x, np.zeros(1, int), np.array([len(x)]), prominence_bw, window_pct)[
        0
    ]
    return int(peak) if peak >= 0 else None


def stance_measures(
    vgrf_n: np.ndarray,
    /,
    *,
    fs_hz: float,
    body_weight_n: float,
    prominence_bw: float = 0.05,
    windows: StanceWindows | None = None,
) -> dict:
    """Impact and active peaks, loading rates, foot-strike class and stance time of one stance.

    Parameters
    ----------
    vgrf_n : ndarray, shape (n,)
        Filtered vertical ground reaction force (N, positive up) from touchdown to toe-off.
    fs_hz : float
        Sampling rate of ``vgrf_n``.
    body_weight_n : float
        Body weight (N) used to normalise forces.
    prominence_bw : float, optional
        Prominence threshold of the impact peak (see :func:`impact_peak_index`).
    windows : StanceWindows, optional
        Impact-peak search window, ``lr_3_12_bw_s`` window and VALR levels (SCIENCE.md
        defaults: 25 %, 3-12 %, 20-80 %).

    Returns
    -------
    dict
        ``impact_peak_bw``, ``active_peak_bw``, ``valr_bw_s``, ``vilr_bw_s`` (None without
        an impact peak), ``lr_3_12_bw_s``, ``footstrike`` ("rearfoot"/"non_rearfoot"),
        ``stance_time_s``.

    Raises
    ------
    ValueError
        If the stance has fewer than 10 samples, contains NaN, or body weight is not positive.

    Examples
    --------
    >>> ramp = np.concatenate([np.linspace(0, 1000, 21), np.linspace(1000, 0, 21)[1:]])
    >>> m = stance_measures(ramp, fs_hz=100.0, body_weight_n=500.0)
    >>> m["footstrike"], m["active_peak_bw"], m["stance_time_s"], m["valr_bw_s"]
    ('non_rearfoot', 2.0, 0.4, None)
    >>> round(m["lr_3_12_bw_s"], 6)
    10.0
    """
    force = np.asarray(vgrf_n, dtype=float)
    if force.ndim != 1 or len(force) < 10 or np.isnan(force).any():
        raise ValueError("a stance needs at least 10 finite vertical-force samples")
    if not body_weight_n > 0:
        raise ValueError(f"body weight must be positive, got {body_weight_n} N")
    row = stance_table(
        force,
        starts=[0],
        stops=[len(force) - 1],
        fs_hz=fs_hz,
        body_weight_n=body_weight_n,
        prominence_bw=prominence_bw,
        windows=windows,
    )
    out = {k: float(row[k][0]) for k in _FLOAT_KEYS}
    for key in ("impact_peak_bw", "valr_bw_s", "vilr_bw_s"):
        out[key] = None if np.isnan(out[key]) else out[key]
    return {**out, "footstrike": str(row["footstrike"][0])}


def stance_table(
    vgrf_n: np.ndarray,
    /,
    *,
    starts: np.ndarray,
    stops: np.ndarray,
    fs_hz: float,
    body_weight_n: float,
    prominence_bw: float = 0.05,
    windows: StanceWindows | None = None,
) -> dict[str, np.ndarray]:
    """:func:`stance_measures` of many stances of one force signal at once, as columns.

    Parameters
    ----------
    vgrf_n : ndarray, shape (n,)
        Filtered vertical force (N) of one plate over the whole record.
    starts, stops : array_like of int
        First and last sample (inclusive) of each stance.
    fs_hz, body_weight_n, prominence_bw, windows
        See :func:`stance_measures`.

    Returns
    -------
    dict of ndarray
        The keys of :func:`stance_measures`, one value per stance, NaN where a measure does
        not exist; ``footstrike`` is an object array; ``valid`` is False (and every measure
        NaN, ``footstrike`` None) for a stance of fewer than 10 samples or with NaN.

    Examples
    --------
    >>> ramp = np.concatenate([np.linspace(0, 1000, 21), np.linspace(1000, 0, 21)[1:]])
    >>> m = stance_table(np.r_[ramp, ramp], starts=[0, 41], stops=[40, 81], fs_hz=100.0,
    ...                  body_weight_n=500.0)
    >>> m["active_peak_bw"], m["footstrike"]
    (array([2., 2.]), array(['non_rearfoot', 'non_rearfoot'], dtype=object))
    """
    force = np.asarray(vgrf_n, dtype=float) / body_weight_n
    starts, stops = np.asarray(starts, dtype=int), np.asarray(stops, dtype=int)
    lengths = stops - starts + 1
    finite = np.concatenate([[0], np.cumsum(np.isfinite(force))])
    valid = (lengths >= 10) & (finite[np.maximum(stops + 1, starts)] - finite[starts] == lengths)
    out = {k: np.full(len(starts), np.nan) for k in _FLOAT_KEYS}
    out["footstrike"] = np.full(len(starts), None, dtype=object)
    out["valid"] = valid
    if not valid.any():
        return out
    n = lengths[valid]
    cat, offsets = _segments(force, starts[valid], n)
    duration_s = (n - 1) / fs_hz
    windows = windows or StanceWindows()
    lo, hi = (pct / 100 for pct in windows.lr_pct)
    lr = (_at_fractions(cat, offsets, n, hi) - _at_fractions(cat, offsets, n, lo)) / (
        (hi - lo) * duration_s
    )
    peaks = _first_impact_peaks(cat, offsets, n, prominence_bw, windows.impact_pct)
    rear = peaks >= 0
    impact, valr, vilr = (np.full(len(n), np.nan) for _ in range(3))
    impact[rear] = cat[offsets[rear] + peaks[rear]]
    if rear.any():
        valr[rear], vilr[rear] = _loading_rates(cat, offsets, peaks, fs_hz, windows.valr_pct)
    columns = {
        "impact_peak_bw": impact,
        "active_peak_bw": np.maximum.reduceat(np.where(np.isinf(cat), -np.inf, cat), offsets),
        "valr_bw_s": valr,
        "vilr_bw_s": vilr,
        "lr_3_12_bw_s": lr,
        "stance_time_s": duration_s,
    }
    for key, values in columns.items():
        out[key][valid] = values
    out["footstrike"][valid] = np.where(rear, "rearfoot", "non_rearfoot")
    return out


def stance_curve(
    vgrf_n: np.ndarray, /, *, body_weight_n: float, n_points: int = registry.N_POINTS
) -> np.ndarray:
    """Time-normalised stance curve in body weights (0 % = touchdown, 100 % = toe-off).

    Parameters
    ----------
    vgrf_n : ndarray, shape (n,)
        Vertical force of one stance (N), touchdown to toe-off.
    body_weight_n : float
        Body weight (N).
    n_points : int, optional
        Points of the normalised curve (default 101).

    Returns
    -------
    ndarray, shape (n_points,)

    Examples
    --------
    >>> stance_curve(np.array([0.0, 500.0, 1000.0]), body_weight_n=500.0, n_points=5)
    array([0. , 0.5, 1. , 1.5, 2. ])
    """
    force = np.asarray(vgrf_n, dtype=float)
    curves = stance_curves(
        force, starts=[0], stops=[len(force) - 1], body_weight_n=body_weight_n, n_points=n_points
    )
    return curves[0]


def stance_curves(
    vgrf_n: np.ndarray,
    /,
    *,
    starts: np.ndarray,
    stops: np.ndarray,
    body_weight_n: float,
    n_points: int = registry.N_POINTS,
) -> np.ndarray:
    """:func:`stance_curve` of many stances of one force signal at once.

    Parameters
    ----------
    vgrf_n : ndarray, shape (n,)
        Vertical force (N) of one plate over the whole record.
    starts, stops : array_like of int
        First and last sample (inclusive) of each stance.
    body_weight_n : float
        Body weight (N).
    n_points : int, optional
        Points of each normalised curve (default 101).

    Returns
    -------
    ndarray, shape (n_stances, n_points)

    Examples
    --------
    >>> stance_curves(np.arange(6.0) * 100, starts=[0, 3], stops=[2, 5], body_weight_n=100.0,
    ...               n_points=3)
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    force = np.asarray(vgrf_n, dtype=float) / body_weight_n
    starts = np.asarray(starts, dtype=float)
    return cut_cycles(force, starts=starts, stops=np.asarray(stops, dtype=float), n_points=n_points)
