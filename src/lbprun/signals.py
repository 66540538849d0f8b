"""Gaps, zero-lag filtering, differentiation and time normalisation of sampled signals.

Every function takes the data first (positional-only), options by keyword, works along
axis 0 (time) for arrays shaped ``(n,)``, ``(n, k)`` or ``(n, m, 3)``, and returns new arrays.
Each trailing "column" (one coordinate of one marker, one force component) is treated as
an independent signal; columns that share the same NaN pattern (the x, y, z of a marker)
are processed together, so a trial with 60 markers costs a handful of vectorised calls.

Conventions (SCIENCE.md, "Signals and segment angles"):

- Gaps: interior NaN runs of at most ``max_gap_frames`` samples are filled with a cubic
  spline through the valid samples; longer gaps and leading/trailing NaN stay NaN.
- Filter: ``scipy.signal.butter(order)`` applied forward and backward by ``sosfiltfilt``.
  The two passes cancel the phase (zero lag) and square the magnitude, so ``order=4`` is an
  effective 8th-order response whose gain at ``cutoff_hz`` is 0.5 (-6 dB), not 0.707.
  Winter's (2009, Biomechanics and Motor Control of Human Movement, §3.4.4.4) two-pass
  cutoff correction is deliberately *not* applied: the cutoff written in the settings is the
  one passed to ``butter``, as in most biomechanics software.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfilt, sosfilt_zi

from lbprun.registry import N_POINTS

__all__ = [
    "butter_lowpass",
    "cut_cycles",
    "derivative",
    "fill_gaps",
    "nan_runs",
    "time_normalise",
]

# Valid samples kept on each side of a gap for the local cubic spline; the influence of a
# knot on a not-a-knot spline decays by ~0.27 per knot, so 20 knots make the fill identical
# (to ~1e-11 of the signal range) to a spline through the whole series, at a fraction of the cost.
_SPLINE_SUPPORT = 20


def _columns(x: np.ndarray) -> np.ndarray:
    """Float copy of ``x`` viewed as (n, n_columns)."""
    data = np.array(x, dtype=float)
    if data.ndim == 0:
        raise ValueError("a signal needs a time axis; got a scalar")
    return data.reshape(len(data), -1)


def nan_runs(mask: np.ndarray, /) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, stop (exclusive) and column of every run of True along axis 0.

    Parameters
    ----------
    mask : ndarray of bool, shape (n,) or (n, k)
        Typically ``np.isnan(x)``.

    Returns
    -------
    starts, stops, columns : ndarray of int
        One entry per run, ordered by column then time.

    Examples
    --------
    >>> nan_runs(np.array([False, True, True, False, True]))
    (array([1, 4]), array([3, 5]), array([0, 0]))
    """
    cols = np.asarray(mask, dtype=bool).reshape(len(mask), -1).T
    padded = np.zeros((cols.shape[0], cols.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = cols
    step = np.diff(padded, axis=1)
    column, starts = np.nonzero(step == 1)
    _, stops = np.nonzero(step == -1)
    return starts, stops, column


def _short_gap_mask(nan: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """Mark samples of ``nan`` (n, k) in interior NaN runs of at most ``max_gap_frames``."""
    n = nan.shape[0]
    starts, stops, column = nan_runs(nan)
    keep = (starts > 0) & (stops < n) & (stops - starts <= max_gap_frames)
    # difference array: +1 at each run start, -1 at its stop, cumulative sum marks the run
    marks = np.zeros((n + 1, nan.shape[1]), dtype=np.int32)
    np.add.at(marks, (starts[keep], column[keep]), 1)
    np.add.at(marks, (stops[keep], column[keep]), -1)
    return np.cumsum(marks[:-1], axis=0) > 0


def _near(mask: np.ndarray, radius: int) -> np.ndarray:
    """1-D mask dilated by ``radius`` samples on each side."""
    count = np.concatenate([[0], np.cumsum(mask)])
    idx = np.arange(len(mask))
    lo = np.clip(idx - radius, 0, len(mask))
    hi = np.clip(idx + radius + 1, 0, len(mask))
    return count[hi] - count[lo] > 0


def _groups(mask: np.ndarray) -> list[np.ndarray]:
    """Column indices of ``mask`` (n, k) grouped by identical column pattern."""
    packed = np.packbits(mask, axis=0)
    groups: dict[bytes, list[int]] = {}
    for j in range(mask.shape[1]):
        groups.setdefault(packed[:, j].tobytes(), []).append(j)
    return [np.asarray(g) for g in groups.values()]


def fill_gaps(x: np.ndarray, /, *, max_gap_frames: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Fill short interior NaN gaps with a cubic spline along axis 0.

    Parameters
    ----------
    x : ndarray, shape (n,), (n, k) or (n, m, 3)
        Signal(s) sampled at a constant rate, NaN where missing.
    max_gap_frames : int, optional
        Longest run of missing samples that is filled (default 10, SCIENCE.md).

    Returns
    -------
    filled : ndarray, same shape as ``x``
        Copy of ``x`` with short interior gaps filled by a not-a-knot cubic spline through
        the valid samples around each gap (up to 20 each side); longer gaps and leading or
        trailing NaN are left NaN.
    long_gap_mask : ndarray of bool, same shape as ``x``
        True where ``filled`` is still NaN (gaps too long to fill, or at the ends).

    Examples
    --------
    >>> filled, left = fill_gaps(np.array([0.0, 1.0, np.nan, 27.0, 64.0, 125.0]))
    >>> float(filled[2])
    8.0
    >>> left.any()
    np.False_
    """
    data = np.asarray(x)
    cols = _columns(data)
    nan = np.isnan(cols)
    gappy = np.flatnonzero(nan.any(axis=0))
    if gappy.size:
        short = _short_gap_mask(nan[:, gappy], max_gap_frames)
        for group in _groups(nan[:, gappy]):
            fill = short[:, group[0]]
            if not fill.any():
                continue
            support = _near(fill, _SPLINE_SUPPORT) & ~nan[:, gappy[group[0]]]
            rows = np.flatnonzero(support)
            spline = CubicSpline(rows, cols[np.ix_(rows, gappy[group])], axis=0)
            cols[np.ix_(np.flatnonzero(fill), gappy[group])] = spline(np.flatnonzero(fill))
    filled = cols.reshape(data.shape)
    return filled, np.isnan(filled)


def _lowpass_sos(fs_hz: float, cutoff_hz: float, order: int) -> np.ndarray:
    """Butterworth low-pass in second-order sections, with a clear error for bad settings."""
    if not 0 < cutoff_hz < fs_hz / 2:
        raise ValueError(
            f"low-pass cutoff {cutoff_hz} Hz must lie between 0 and the Nyquist "
            f"frequency {fs_hz / 2} Hz of a signal sampled at {fs_hz} Hz"
        )
    # a copy: the cached design stays read-only, and scipy's filters need a writeable one
    return _butter_sos(float(fs_hz), float(cutoff_hz), int(order)).copy()


@functools.lru_cache(maxsize=64)
def _butter_sos(fs_hz: float, cutoff_hz: float, order: int) -> np.ndarray:
    """Design the filter once per setting (a trial uses a few settings, many times)."""
    sos = butter(order, cutoff_hz, btype="low", fs=fs_hz, output="sos")
    sos.flags.writeable = False  # shared between callers
    return sos


def _padlen(sos: np.ndarray) -> int:
    """Return the default edge padding of ``scipy.signal.sosfiltfilt`` for ``sos``."""
    zeros = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - zeros)


_INITIAL_STATES: dict[bytes, np.ndarray] = {}


def _sosfiltfilt(sos: np.ndarray, x: np.ndarray, *, axis: int = 0) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x, axis=0)`` (odd padding, default length), bit for bit.

    The same steps as scipy 1.17's, with the filter's steady-state initial conditions
    (``sosfilt_zi``: a linear solve per section) computed once per design instead of on
    every call: a trial with gaps filters each valid segment separately, dozens of calls.
    """
    if axis != 0:
        raise ValueError("only axis=0 (time) is supported")
    key = sos.tobytes()
    zi = _INITIAL_STATES.get(key)
    if zi is None:
        zi = _INITIAL_STATES.setdefault(key, sosfilt_zi(sos))
        zi.flags.writeable = False
    edge = _padlen(sos)
    if len(x) <= edge:
        raise ValueError(f"The length of the input vector x must be greater than padlen, {edge}.")
    zi = zi.reshape([len(sos), 2] + [1] * (x.ndim - 1))
    # scipy.signal._arraytools.odd_ext(x, edge, axis=0)
    ext = np.concatenate((2 * x[0:1] - x[edge:0:-1], x, 2 * x[-1:] - x[-2 : -(edge + 2) : -1]))
    y, _ = sosfilt(sos, ext, axis=0, zi=zi * ext[0:1])
    y, _ = sosfilt(sos, y[::-1], axis=0, zi=zi * y[-1:])
    return y[::-1][edge:-edge]


def _filter_segments(cols: np.ndarray, sos: np.ndarray, columns: np.ndarray) -> None:
    """Filter, in place, each contiguous valid segment of ``cols[:, columns]`` (same NaN mask)."""
    padlen = _padlen(sos)
    starts, stops, _ = nan_runs(~np.isnan(cols[:, columns[0]]))
    for start, stop in zip(starts, stops, strict=True):
        block = np.ix_(np.arange(start, stop), columns)
        if stop - start > padlen:
            cols[block] = _sosfiltfilt(sos, cols[block], axis=0)
        else:
            # too short to pad: a zero-lag result cannot be formed, so it is dropped
            cols[block] = np.nan


def butter_lowpass(
    x: np.ndarray,
    /,
    *,
    fs_hz: float,
    cutoff_hz: float,
    order: int = 4,
    max_gap_frames: int = 10,
) -> np.ndarray:
    """Zero-lag Butterworth low-pass filter that respects gaps.

    Short interior gaps are first filled (:func:`fill_gaps`); each contiguous valid
    segment is then filtered forward and backward (``sosfiltfilt``, odd padding) and the
    gaps that were too long to fill stay NaN. Nothing leaks across a gap.

    Parameters
    ----------
    x : ndarray, shape (n,), (n, k) or (n, m, 3)
        Signal(s) along axis 0, NaN where missing.
    fs_hz : float
        Sampling rate.
    cutoff_hz : float
        Cutoff passed to ``scipy.signal.butter`` (no two-pass correction: the gain at the
        cutoff is 0.5 after the forward and backward passes).
    order : int, optional
        Order of the Butterworth design (default 4); the two passes double the effective
        order.
    max_gap_frames : int, optional
        Longest gap filled before filtering (default 10).

    Returns
    -------
    ndarray, same shape as ``x``
        Filtered signal. Gaps longer than ``max_gap_frames``, and valid islands shorter
        than the filter's padding (15 samples for ``order=4``), are NaN.

    Raises
    ------
    ValueError
        If the cutoff is not between 0 and the Nyquist frequency.

    Examples
    --------
    >>> t = np.arange(300) / 100.0
    >>> y = butter_lowpass(np.sin(2 * np.pi * t), fs_hz=100.0, cutoff_hz=10.0)
    >>> bool(np.allclose(y[50:250], np.sin(2 * np.pi * t[50:250]), atol=1e-4))
    True
    """
    sos = _lowpass_sos(fs_hz, cutoff_hz, order)
    data = np.asarray(x)
    filled, _ = fill_gaps(data, max_gap_frames=max_gap_frames)
    cols = filled.reshape(len(filled), -1)  # a fresh array: filtered in place
    nan = np.isnan(cols)
    clean = ~nan.any(axis=0)
    if len(cols) <= _padlen(sos):
        cols[:] = np.nan  # too short for a zero-lag result (see _filter_segments)
    elif clean.all():
        cols = _sosfiltfilt(sos, cols, axis=0)
    elif clean.any():
        # every column without a remaining gap in one vectorised call
        cols[:, clean] = _sosfiltfilt(sos, cols[:, clean], axis=0)
    if not clean.all():
        gappy = np.flatnonzero(~clean)
        for group in _groups(nan[:, gappy]):
            _filter_segments(cols, sos, gappy[group])
    return cols.reshape(data.shape)


def derivative(x: np.ndarray, /, *, fs_hz: float) -> np.ndarray:
    """Time derivative by central differences (one-sided at the ends), per second.

    Parameters
    ----------
    x : ndarray, shape (n, ...)
        Signal along axis 0; NaN propagates to the neighbouring samples.
    fs_hz : float
        Sampling rate.

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> derivative(np.array([0.0, 1.0, 4.0, 9.0]), fs_hz=1.0)
    array([1., 2., 4., 5.])
    """
    return np.gradient(np.asarray(x, dtype=float), 1.0 / fs_hz, axis=0)


def cut_cycles(
    x: np.ndarray,
    /,
    *,
    starts: np.ndarray,
    stops: np.ndarray,
    n_points: int = N_POINTS,
) -> np.ndarray:
    """Time-normalise many cycles at once by linear interpolation.

    Parameters
    ----------
    x : ndarray, shape (n, ...)
        Signal along axis 0.
    starts, stops : array_like of float, shape (n_cycles,)
        Cycle boundaries as (fractional) sample positions, i.e. ``time_s * fs_hz`` counted
        from the first sample; each cycle runs from ``starts[i]`` to ``stops[i]`` inclusive.
    n_points : int, optional
        Samples per normalised cycle (default 101: 0 %, 1 %, ..., 100 %).

    Returns
    -------
    ndarray, shape (n_cycles, n_points, ...)
        Normalised cycles. A cycle whose span (from ``floor(start)`` to ``ceil(stop)``)
        contains a NaN in a column is NaN over its whole row in that column.

    Raises
    ------
    ValueError
        If a boundary lies outside the signal or a cycle does not move forward in time.

    Examples
    --------
    >>> cut_cycles(np.arange(10.0), starts=[0.5, 2.0], stops=[4.5, 9.0], n_points=3)
    array([[0.5, 2.5, 4.5],
           [2. , 5.5, 9. ]])
    """
    data = np.asarray(x, dtype=float)
    cols = data.reshape(len(data), -1)
    lo, hi = np.atleast_1d(np.asarray(starts, float)), np.atleast_1d(np.asarray(stops, float))
    if lo.shape != hi.shape or np.any(hi <= lo) or np.any(lo < 0) or np.any(hi > len(data) - 1):
        raise ValueError(
            f"cycle boundaries must satisfy 0 <= start < stop <= {len(data) - 1} "
            f"(the last sample); got starts {lo.tolist()} and stops {hi.tolist()}"
        )
    pos = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, n_points)
    i0 = np.clip(np.floor(pos).astype(int), 0, max(len(data) - 2, 0))
    w = (pos - i0)[..., None]
    i1 = np.minimum(i0 + 1, len(data) - 1)
    out = cols[i0] * (1.0 - w) + cols[i1] * w
    # a cycle touching a NaN anywhere in its span is invalid in that column
    nan_count = np.concatenate([np.zeros((1, cols.shape[1])), np.cumsum(np.isnan(cols), 0)])
    first, last = np.floor(lo).astype(int), np.ceil(hi).astype(int)
    touched = nan_count[last + 1] - nan_count[first] > 0
    out = np.where(touched[:, None, :], np.nan, out)
    return out.reshape((len(lo), n_points, *data.shape[1:]))


def time_normalise(
    x: np.ndarray, /, *, start: float, stop: float, n_points: int = N_POINTS
) -> np.ndarray:
    """Time-normalise one cycle by linear interpolation (see :func:`cut_cycles`).

    Parameters
    ----------
    x : ndarray, shape (n, ...)
        Signal along axis 0.
    start, stop : float
        Cycle boundaries as (fractional) sample positions.
    n_points : int, optional
        Samples in the normalised cycle (default 101).

    Returns
    -------
    ndarray, shape (n_points, ...)
        NaN in every column whose span contains a NaN.

    Examples
    --------
    >>> time_normalise(np.arange(5.0) * 2.0, start=1.0, stop=3.0, n_points=5)
    array([2., 3., 4., 5., 6.])
    """
    return cut_cycles(x, starts=[start], stops=[stop], n_points=n_points)[0]
