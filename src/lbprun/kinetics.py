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

import numpy as np
from scipy.signal import find_peaks

from lbprun.signals import time_normalise

__all__ = ["body_weight_from_treadmill", "impact_peak_index", "stance_curve", "stance_measures"]

IMPACT_WINDOW = 0.25  # fraction of stance searched for the impact peak (SCIENCE.md)
LR_WINDOW = (0.03, 0.12)  # fractions of stance for the loading rate without an impact peak


def _at_fraction(force: np.ndarray, fraction: float) -> float:
    """Force at a fraction of stance, by linear interpolation between samples."""
    pos = fraction * (len(force) - 1)
    return float(np.interp(pos, np.arange(len(force)), force))


def _first_reach(force: np.ndarray, level: float, stop: int) -> float:
    """Fractional sample where ``force[:stop + 1]`` first reaches ``level`` (rising)."""
    above = np.flatnonzero(force[: stop + 1] >= level)
    i = int(above[0])
    if i == 0:
        return 0.0
    lo, hi = force[i - 1], force[i]
    return i - 1 + (level - lo) / (hi - lo)


def impact_peak_index(force_bw: np.ndarray, /, *, prominence_bw: float = 0.05) -> int | None:
    """Sample index of the impact peak, or None if stance has no impact peak.

    Parameters
    ----------
    force_bw : ndarray, shape (n,)
        Vertical force of one stance in body weights, touchdown to toe-off.
    prominence_bw : float, optional
        Smallest prominence (BW) for a local maximum to count (default 0.05 BW); it rejects
        noise ripples and shoulders that have no dip after them.

    Returns
    -------
    int or None
        Index of the first qualifying local maximum within the first 25 % of stance.

    Examples
    --------
    >>> t = np.linspace(0.0, 1.0, 101)
    >>> rearfoot = 1.5 * np.exp(-(((t - 0.1) / 0.04) ** 2)) + 2.5 * np.sin(np.pi * t)
    >>> impact_peak_index(rearfoot)
    10
    >>> impact_peak_index(2.5 * np.sin(np.pi * t)) is None
    True
    """
    peaks, _ = find_peaks(np.asarray(force_bw, float), prominence=prominence_bw)
    early = peaks[peaks <= IMPACT_WINDOW * (len(force_bw) - 1)]
    return int(early[0]) if early.size else None


def _loading_rates(force_bw: np.ndarray, peak: int, fs_hz: float) -> tuple[float, float]:
    """VALR and VILR (BW/s) between 20 % and 80 % of the impact peak."""
    level = force_bw[peak]
    p20 = _first_reach(force_bw, 0.2 * level, peak)
    p80 = _first_reach(force_bw, 0.8 * level, peak)
    valr = 0.6 * level * fs_hz / (p80 - p20)
    # sample-to-sample slopes whose interval overlaps [p20, p80]
    lo, hi = int(np.floor(p20)), max(int(np.ceil(p80)), int(np.floor(p20)) + 1)
    vilr = float(np.max(np.diff(force_bw[lo : hi + 1]))) * fs_hz
    return float(valr), vilr


def stance_measures(
    vgrf_n: np.ndarray,
    /,
    *,
    fs_hz: float,
    body_weight_n: float,
    prominence_bw: float = 0.05,
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
    force_bw = force / body_weight_n
    duration_s = (len(force) - 1) / fs_hz
    lo, hi = LR_WINDOW
    lr = (_at_fraction(force_bw, hi) - _at_fraction(force_bw, lo)) / ((hi - lo) * duration_s)
    peak = impact_peak_index(force_bw, prominence_bw=prominence_bw)
    valr = vilr = None
    if peak is not None:
        valr, vilr = _loading_rates(force_bw, peak, fs_hz)
    return {
        "impact_peak_bw": None if peak is None else float(force_bw[peak]),
        "active_peak_bw": float(force_bw.max()),
        "valr_bw_s": valr,
        "vilr_bw_s": vilr,
        "lr_3_12_bw_s": float(lr),
        "footstrike": "non_rearfoot" if peak is None else "rearfoot",
        "stance_time_s": float(duration_s),
    }


def stance_curve(vgrf_n: np.ndarray, /, *, body_weight_n: float, n_points: int = 101) -> np.ndarray:
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
    force = np.asarray(vgrf_n, dtype=float) / body_weight_n
    return time_normalise(force, start=0.0, stop=len(force) - 1.0, n_points=n_points)


def body_weight_from_treadmill(
    vgrf_n: np.ndarray, /, *, fs_hz: float, touchdowns_s: np.ndarray
) -> float:
    """Body weight (N) as the mean vertical force over whole strides of a treadmill trial.

    Over a whole number of cycles the body's vertical momentum returns to its start, so the
    mean vertical force equals body weight (the caller must warn that mass was estimated).

    Parameters
    ----------
    vgrf_n : ndarray, shape (n,)
        Vertical force (N) of the treadmill plate(s), summed if there are several.
    fs_hz : float
        Sampling rate of ``vgrf_n``.
    touchdowns_s : array_like of float
        Touchdown times (s) of one foot, or of both feet alternately; the mean is taken from
        the first to the last, which spans whole strides (or steps).

    Returns
    -------
    float
        Mean vertical force between the first and last touchdown.

    Raises
    ------
    ValueError
        If fewer than two touchdowns fall inside the record.

    Examples
    --------
    >>> t = np.arange(1000) / 100.0
    >>> f = 700.0 + 900.0 * np.sin(2 * np.pi * 1.4 * t)
    >>> round(body_weight_from_treadmill(f, fs_hz=100.0, touchdowns_s=[1 / 1.4, 8 / 1.4]), 1)
    700.0
    """
    force = np.asarray(vgrf_n, dtype=float)
    tds = np.sort(np.asarray(touchdowns_s, dtype=float))
    tds = tds[(tds >= 0) & (tds <= (len(force) - 1) / fs_hz)]
    if len(tds) < 2:
        raise ValueError("body weight from a treadmill needs at least two touchdowns")
    start, stop = round(tds[0] * fs_hz), round(tds[-1] * fs_hz)
    return float(np.nanmean(force[start:stop]))
