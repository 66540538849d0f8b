"""Pelvis–thorax coordination in the transverse plane: three families of measures.

SCIENCE.md, "Pelvis–thorax coordination", asks for all three, each compared with its own papers:

1. Continuous relative phase (CRP) from the Hilbert transform (Lamb & Stöckl 2014, Clin Biomech
   29:484), summarised per trial as MARP (mean absolute relative phase) and DP (deviation phase).
2. Fourier relative phase at the main (stride) frequency of the thorax rotation, with
   magnitude-squared coherence and gain (Lamoth et al. 2002, Gait Posture 16:101;
   van den Hoorn et al. 2012, J Biomech 45:342).
3. Vector coding: coupling angles between consecutive time-normalised points, their circular
   mean and variability, and the time spent in four coordination bins (Chang, Van Emmerik &
   Hamill 2008, J Biomech 41:3101; Needham, Naemi & Chockalingam 2014, J Biomech 47:1020).

All angles are in degrees. Inputs are rotation angles (pelvis, thorax) as plain arrays; the
functions know nothing about trials or files.

Over 500 lines on purpose: the three families share the circular statistics and the cycle
handling at the top of the module, and each family's docstrings cite its papers; about half of
the module is docstrings and examples.
"""

from __future__ import annotations

import numpy as np
import scipy.stats
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import get_window, hilbert, welch

from lbprun.registry import N_POINTS, VC_BINS, VC_PATTERNS
from lbprun.signals import cut_cycles, nan_runs

__all__ = [
    "centre",
    "continuous_relative_phase",
    "coupling_angles",
    "crp_cycles",
    "crp_summary",
    "fourier_relative_phase",
    "hilbert_phase",
    "vector_coding_summary",
    "welch_segments",
]

_CENTRING = ("midrange", "mean")
_VC_BINS = VC_BINS  # pattern names in the order of their bins (0°, 45°, 90°, 135°)


def _wrap180(angle_deg: np.ndarray) -> np.ndarray:
    """Wrap angles to (-180, 180]."""
    return 180.0 - np.mod(180.0 - angle_deg, 360.0)


def _wrap360(angle_deg: np.ndarray) -> np.ndarray:
    """Wrap angles to [0, 360) (``np.mod`` can round a tiny negative angle up to 360)."""
    wrapped = np.mod(angle_deg, 360.0)
    return np.where(wrapped >= 360.0, 0.0, wrapped)


def _circular_mean(angles_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular mean (degrees, (-180, 180]) and mean resultant length R along axis 0.

    ``scipy.stats.circmean`` and ``circstd`` (``sqrt(-2 ln R)``, Mardia & Jupp 2000), from which
    R is recovered for the angular deviation of vector coding.
    """
    rad = np.deg2rad(np.asarray(angles_deg, dtype=float))
    if rad.ndim >= 2 and rad.size and np.isnan(rad).any():
        mean, circ_sd = _circ_mean_sd_per_column(rad)
    elif rad.ndim >= 2 and len(rad):  # complete, or no stride at all (empty results)
        mean, circ_sd = _circ_mean_sd_along_first(rad)
    else:
        mean = scipy.stats.circmean(rad, high=np.pi, low=-np.pi, axis=0)
        circ_sd = scipy.stats.circstd(rad, high=np.pi, low=-np.pi, axis=0)
    return _wrap180(np.rad2deg(mean)), np.minimum(np.exp(-0.5 * circ_sd**2), 1.0)


def _circ_mean_sd_along_first(rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``circmean`` and ``circstd`` (-pi..pi) along axis 0 of an array without NaN.

    scipy's ``axis_nan_policy`` wrapper costs about 1 ms per call around a few microseconds of
    arithmetic (two calls per curve set, a sixth of a markerless trial's extraction; issue 16).
    This is scipy 1.17's own arithmetic on the same array: the wrapper moves the axis last
    (a view, not a copy) and the functions reduce over it, so the sums run in the same order
    and the results are bit-identical (tested against scipy on random arrays).
    """
    x = np.moveaxis(rad, 0, -1)
    period, low = np.pi - -np.pi, -np.pi
    scaled = x * ((2.0 * np.pi) / period)
    sin_samp, cos_samp = np.sin(scaled), np.cos(scaled)
    angle = np.arctan2(np.sum(sin_samp, axis=-1), np.sum(cos_samp, axis=-1))
    mean = (angle * (period / (2.0 * np.pi)) - low) % period + low
    hypotenuse = (np.mean(sin_samp, axis=-1) ** 2.0 + np.mean(cos_samp, axis=-1) ** 2.0) ** 0.5
    r = np.clip(hypotenuse, None, 1.0)
    circ_sd = (-2 * np.log(r)) ** 0.5 + 0.0
    circ_sd *= (np.pi - low) / (2.0 * np.pi)
    return mean, circ_sd


def _circ_mean_sd_per_column(rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``circmean`` and ``circstd`` (-pi..pi) along axis 0, NaN where a column has a NaN.

    When its input holds a NaN, scipy computes these column by column through
    ``np.apply_along_axis``, with about 50 us of Python per column: most of an extraction's
    coordination time (issue 16). This is the same arithmetic, so the results are
    bit-identical: the sines and cosines of contiguous values, each column summed on its own
    (numpy's pairwise sum, hence the transposed copy), and the powers and the modulo on numpy
    scalars as scipy does them (on a scalar ``x**0.5`` is C ``pow``, on an array ``sqrt``).
    """
    columns = np.ascontiguousarray(rad.reshape(rad.shape[0], -1).T)
    n = columns.shape[1]
    sin_sum = np.sin(columns).sum(axis=-1)
    cos_sum = np.cos(columns).sum(axis=-1)
    complete = np.flatnonzero(~np.isnan(columns).any(axis=-1))
    period = 2.0 * np.pi
    angle = np.arctan2(sin_sum[complete], cos_sum[complete]) - -np.pi
    sin_mean, cos_mean = sin_sum[complete] / n, cos_sum[complete] / n
    squares = [s**2.0 + c**2.0 for s, c in zip(sin_mean, cos_mean, strict=True)]
    r = np.clip(np.array([h**0.5 for h in squares]), None, 1.0)
    minus_2_log_r = -2 * np.log(r)
    mean = np.full(columns.shape[0], np.nan)
    circ_sd = np.full(columns.shape[0], np.nan)
    mean[complete] = [a % period + -np.pi for a in angle]
    circ_sd[complete] = [v**0.5 + 0.0 for v in minus_2_log_r]
    return mean.reshape(rad.shape[1:]), circ_sd.reshape(rad.shape[1:])


def _complete_rows(cycles: np.ndarray) -> np.ndarray:
    """Rows (strides) of a (n_strides, n_points) array without any NaN."""
    cycles = np.atleast_2d(np.asarray(cycles, dtype=float))
    return cycles[~np.isnan(cycles).any(axis=1)]


def centre(x: np.ndarray, /, *, method: str = "midrange") -> np.ndarray:
    """Centre an angle series around zero before the Hilbert transform.

    Lamb & Stöckl (2014) show that the Hilbert phase is only meaningful for a signal
    oscillating around zero; they recommend the mid-range ``(x - min) - (max - min) / 2``.
    The centre is taken over the whole multi-stride series (the same series that is
    transformed, SCIENCE.md), not per stride, so no step is introduced at stride boundaries.

    Parameters
    ----------
    x : ndarray, shape (n, ...)
        Angle series along axis 0; NaN samples are ignored.
    method : {"midrange", "mean"}, optional
        Mid-range (default) or the mean.

    Returns
    -------
    ndarray, same shape as ``x``

    Raises
    ------
    ValueError
        If ``method`` is unknown.

    Examples
    --------
    >>> centre(np.array([10.0, 14.0, 12.0, 20.0]))
    array([-5., -1., -3.,  5.])
    >>> centre(np.array([10.0, 14.0, 12.0, 20.0]), method="mean")
    array([-4.,  0., -2.,  6.])
    """
    data = np.asarray(x, dtype=float)
    if method == "midrange":
        lo, hi = np.nanmin(data, axis=0), np.nanmax(data, axis=0)
        return (data - lo) - (hi - lo) / 2.0
    if method == "mean":
        return data - np.nanmean(data, axis=0)
    raise ValueError(f"unknown CRP centring {method!r}; use one of {', '.join(_CENTRING)}")


def hilbert_phase(x: np.ndarray, /) -> np.ndarray:
    """Phase angle of the analytic signal, ``atan2(imag, real)``, in degrees (-180, 180].

    The transform runs over each contiguous finite stretch of ``x`` separately (NaN stays
    NaN), so a long gap cannot smear into the rest of the series. Centre the signal first
    (:func:`centre`).

    Parameters
    ----------
    x : ndarray, shape (n,)
        A centred angle series.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> t = np.arange(8) / 8
    >>> np.round(hilbert_phase(np.cos(2 * np.pi * t)), 6)
    array([   0.,   45.,   90.,  135.,  180., -135.,  -90.,  -45.])
    """
    data = np.asarray(x, dtype=float)
    phase = np.full(data.shape, np.nan)
    starts, stops, _ = nan_runs(np.isfinite(data))
    for start, stop in zip(starts, stops, strict=True):
        phase[start:stop] = np.rad2deg(np.angle(hilbert(data[start:stop])))
    return _wrap180(phase)


def continuous_relative_phase(
    pelvis: np.ndarray, thorax: np.ndarray, /, *, centering: str = "midrange"
) -> np.ndarray:
    """Continuous relative phase thorax − pelvis over a whole multi-stride series.

    Following Lamb & Stöckl (2014): centre each angle series, take the Hilbert phase of the
    whole series (cut into strides afterwards with :func:`lbprun.signals.cut_cycles`, which
    keeps the transform's edge effects out of the inner strides) and subtract. The Hilbert
    kernel decays only as 1/t, so when the series is not a whole number of cycles the first
    and last strides keep a few degrees of phase error (two sinusoids over 10–17 s at a
    non-integer number of strides: MARP within 0.7°, DP up to ~1.5° instead of 0); include
    data beyond the first and last stride of interest when the trial has them.

    Parameters
    ----------
    pelvis, thorax : ndarray, shape (n,)
        Pelvis and thorax transverse rotation (degrees), same sampling.
    centering : {"midrange", "mean"}, optional
        See :func:`centre`.

    Returns
    -------
    ndarray, shape (n,)
        CRP in degrees, wrapped to (-180, 180]; 0 is in-phase, ±180 anti-phase.

    Examples
    --------
    >>> t = np.arange(400) / 100
    >>> crp = continuous_relative_phase(np.sin(2 * np.pi * t), np.sin(2 * np.pi * t - 0.5))
    >>> round(float(np.median(crp)), 2)
    -28.65
    """
    phi_pelvis = hilbert_phase(centre(pelvis, method=centering))
    phi_thorax = hilbert_phase(centre(thorax, method=centering))
    return _wrap180(phi_thorax - phi_pelvis)


def crp_cycles(
    crp_deg: np.ndarray, /, *, starts: np.ndarray, stops: np.ndarray, n_points: int = N_POINTS
) -> np.ndarray:
    """Cut a CRP series into time-normalised strides, interpolating on the circle.

    Linear interpolation of wrapped angles would pass through 0° between +179° and −179°
    (anti-phase read as in-phase); the unit vector ``(cos, sin)`` is interpolated instead.

    Parameters
    ----------
    crp_deg : ndarray, shape (n,)
        From :func:`continuous_relative_phase`.
    starts, stops : array_like of float, shape (n_strides,)
        Stride boundaries as fractional sample positions (see
        :func:`lbprun.signals.cut_cycles`).
    n_points : int, optional
        Points per stride (default 101).

    Returns
    -------
    ndarray, shape (n_strides, n_points)
        CRP in (-180, 180]; NaN rows for strides touching a NaN.

    Examples
    --------
    >>> crp_cycles(np.array([170.0, -170.0, -150.0]), starts=[0.0], stops=[2.0], n_points=5)
    array([[ 170.,  180., -170., -160., -150.]])
    """
    rad = np.deg2rad(np.asarray(crp_deg, dtype=float))
    unit = np.stack([np.cos(rad), np.sin(rad)], axis=-1)
    cycles = cut_cycles(unit, starts=starts, stops=stops, n_points=n_points)
    return _wrap180(np.rad2deg(np.arctan2(cycles[..., 1], cycles[..., 0])))


def crp_summary(crp_cycles: np.ndarray, /) -> dict:
    """MARP, DP and mean curve of time-normalised CRP strides.

    Strides containing NaN are left out. Circular statistics across strides at each point:
    MARP is the mean over points of the absolute circular mean (0° in-phase … 180°
    anti-phase); DP is the mean over points of the circular standard deviation
    ``sqrt(-2 ln R)`` (Mardia & Jupp 2000, Directional Statistics, eq. 2.3.11), with R the
    mean resultant length across strides.

    Parameters
    ----------
    crp_cycles : ndarray, shape (n_strides, n_points)
        CRP per stride (degrees), e.g. 101 points per stride.

    Returns
    -------
    dict
        ``marp_deg``, ``dp_deg`` (float, NaN without a complete stride) and
        ``mean_curve_deg`` (ndarray, shape (n_points,), circular mean in (-180, 180]).

    Examples
    --------
    >>> s = crp_summary(np.array([[10.0, 20.0], [30.0, 20.0]]))
    >>> round(s["marp_deg"], 6), round(s["dp_deg"], 3)
    (20.0, 5.013)
    """
    strides = _complete_rows(crp_cycles)
    if len(strides) == 0:
        n_points = np.atleast_2d(crp_cycles).shape[1]
        return {"marp_deg": np.nan, "dp_deg": np.nan, "mean_curve_deg": np.full(n_points, np.nan)}
    mean_curve, r = _circular_mean(strides)
    circ_sd = np.rad2deg(np.sqrt(-2.0 * np.log(r)))
    return {
        "marp_deg": float(np.mean(np.abs(mean_curve))),
        "dp_deg": float(np.mean(circ_sd)),
        "mean_curve_deg": mean_curve,
    }


def _main_frequency(x: np.ndarray, /, *, fs_hz: float) -> float:
    """Frequency of the highest peak of the power spectrum of ``x`` (DC excluded).

    One Hann-windowed periodogram of the whole series, zero padded to a ~0.005 Hz grid.
    """
    nfft = max(len(x), int(2 ** np.ceil(np.log2(fs_hz / 0.005))))
    f, pxx = welch(x, fs=fs_hz, window="hann", nperseg=len(x), nfft=nfft)
    return float(f[1:][np.argmax(pxx[1:])])


def _welch_at(
    x: np.ndarray, y: np.ndarray, /, *, fs_hz: float, freq_hz: float, nperseg: int
) -> tuple[float, float, complex]:
    """Welch auto- and cross-spectra of ``x`` and ``y`` at one frequency (arbitrary units).

    The estimator of ``scipy.signal.welch``/``csd``/``coherence`` with their defaults (Hann
    window, 50 % overlap, mean removed per segment, segments averaged), evaluated at exactly
    ``freq_hz`` by a direct DFT instead of at the nearest FFT bin. The common scale factor is
    dropped: phase, coherence and gain do not depend on it.
    """
    step = nperseg - nperseg // 2
    window = get_window("hann", nperseg)
    kernel = window * np.exp(-2j * np.pi * freq_hz * np.arange(nperseg) / fs_hz)
    spectra = []
    for signal in (x, y):
        segments = sliding_window_view(signal, nperseg)[::step]
        spectra.append((segments - segments.mean(axis=1, keepdims=True)) @ kernel)
    fx, fy = spectra
    pxx, pyy = np.mean(np.abs(fx) ** 2), np.mean(np.abs(fy) ** 2)
    return float(pxx), float(pyy), complex(np.mean(np.conj(fx) * fy))


def welch_segments(n: int, nperseg: int, /) -> int:
    """Count the Welch segments (50 % overlap) of ``nperseg`` samples in ``n`` samples.

    Examples
    --------
    >>> welch_segments(600, 200), welch_segments(150, 200)
    (5, 0)
    """
    step = nperseg - nperseg // 2
    return 0 if n < nperseg else (n - nperseg) // step + 1


def fourier_relative_phase(
    pelvis: np.ndarray,
    thorax: np.ndarray,
    /,
    *,
    fs_hz: float,
    freq_hz: float | None = None,
    segment_periods: float = 4.0,
    min_segments: int = 5,
    nperseg: int | None = None,
) -> dict:
    """Relative Fourier phase, coherence and gain of thorax vs pelvis rotation.

    Welch estimates (Hann window, 50 % overlap, mean removed per segment, as
    ``scipy.signal.csd`` and ``coherence``) of the auto- and cross-spectra of pelvis and
    thorax rotation over a steady window; the phase of the cross-spectrum at the main
    frequency of the thorax oscillation (Lamoth et al. 2002; van den Hoorn et al. 2012) is
    reported as ``|phase|`` in [0, 180]. The spectra are evaluated at exactly that frequency
    rather than at the nearest FFT bin, so the result does not depend on where the stride
    frequency falls relative to the bins.

    Magnitude-squared coherence is a ratio of *averaged* spectra: from one segment it is 1
    whatever the signals (|X Y*|² = |X|² |Y|²), and from K independent segments two unrelated
    signals still give about 1/K. So it is NaN unless the record holds ``min_segments``
    segments; phase and gain (which one segment estimates well) are still given. A record
    needs ``segment_periods * (min_segments + 1) / 2`` periods: 12 strides by default.

    Parameters
    ----------
    pelvis, thorax : ndarray, shape (n,)
        Transverse rotation angles (degrees), same sampling, no NaN.
    fs_hz : float
        Sampling rate.
    freq_hz : float, optional
        Frequency at which to read the spectra (e.g. the stride frequency from the events).
        Default: the peak of the thorax power spectrum.
    segment_periods : float, optional
        Welch segment length in periods of ``freq_hz`` (default 4, config
        ``coordination.fourier_segment_periods``); a shorter record is one segment of its
        whole length.
    min_segments : int, optional
        Fewest segments for a coherence (default 5, ``coordination.coherence_min_segments``).
    nperseg : int, optional
        Segment length in samples, instead of ``segment_periods`` (at most ``n``).

    Returns
    -------
    dict
        ``relphase_deg`` (0 in-phase … 180 anti-phase), ``coherence`` (magnitude-squared,
        0–1, NaN with fewer than ``min_segments`` segments), ``gain`` (``|P_pt| / P_pp``:
        thorax amplitude per unit pelvis amplitude), ``freq_hz`` (the frequency used),
        ``n_segments`` and ``periods_needed`` (record length a coherence needs, in periods).

    Raises
    ------
    ValueError
        If the series differ in length, contain NaN, or are shorter than one period.

    Examples
    --------
    >>> t = np.arange(3000) / 150
    >>> out = fourier_relative_phase(
    ...     np.sin(2 * np.pi * 1.4 * t), 0.5 * np.sin(2 * np.pi * 1.4 * t - 1.0), fs_hz=150.0
    ... )
    >>> round(out["relphase_deg"], 1), round(out["gain"], 3), round(out["freq_hz"], 2)
    (57.3, 0.5, 1.4)
    >>> out["n_segments"], round(out["coherence"], 6)
    (13, 1.0)
    """
    x, y = np.asarray(pelvis, dtype=float), np.asarray(thorax, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(
            "pelvis and thorax rotation must be 1-D series of equal length without NaN"
        )
    if freq_hz is None:
        freq_hz = _main_frequency(y, fs_hz=fs_hz)
    wanted = nperseg or round(segment_periods * fs_hz / freq_hz)
    nperseg = min(wanted, len(x))
    if nperseg * freq_hz < fs_hz:
        raise ValueError(
            f"the series ({len(x)} samples) is shorter than one period at {freq_hz} Hz"
        )
    n_segments = welch_segments(len(x), nperseg)
    pxx, pyy, pxy = _welch_at(x, y, fs_hz=fs_hz, freq_hz=freq_hz, nperseg=nperseg)
    # |Pxy|^2 <= Pxx Pyy (Cauchy-Schwarz); rounding can exceed 1 by an ulp when it is tight
    coherence = float(np.clip(abs(pxy) ** 2 / (pxx * pyy), 0.0, 1.0))
    return {
        "relphase_deg": float(abs(np.rad2deg(np.angle(pxy)))),
        "coherence": coherence if n_segments >= min_segments else np.nan,
        "gain": abs(pxy) / pxx,
        "freq_hz": float(freq_hz),
        "n_segments": n_segments,
        # with the full segment length asked for (a shorter record has one, shorter, segment)
        "periods_needed": (wanted + (min_segments - 1) * (wanted - wanted // 2)) * freq_hz / fs_hz,
    }


def coupling_angles(pelvis_cycles: np.ndarray, thorax_cycles: np.ndarray, /) -> np.ndarray:
    """Vector-coding coupling angles between consecutive time-normalised points.

    γ = atan2(Δθ_thorax, Δθ_pelvis) in [0, 360) (Chang et al. 2008; Needham et al. 2014):
    0°/180° pelvis-only motion, 90°/270° thorax-only, 45°/225° in-phase, 135°/315° anti-phase.
    Where neither segment moves (Δ = 0 for both) γ is 0 by the convention of ``arctan2``.

    Parameters
    ----------
    pelvis_cycles, thorax_cycles : ndarray, shape (n_strides, n_points)
        Time-normalised rotation angles per stride (degrees).

    Returns
    -------
    ndarray, shape (n_strides, n_points - 1)

    Examples
    --------
    >>> ramp = np.linspace(0.0, 10.0, 5)[None, :]
    >>> coupling_angles(ramp, ramp)
    array([[45., 45., 45., 45.]])
    >>> coupling_angles(ramp, -ramp)
    array([[315., 315., 315., 315.]])
    """
    d_pelvis = np.diff(np.atleast_2d(np.asarray(pelvis_cycles, dtype=float)), axis=1)
    d_thorax = np.diff(np.atleast_2d(np.asarray(thorax_cycles, dtype=float)), axis=1)
    return _wrap360(np.rad2deg(np.arctan2(d_thorax, d_pelvis)))


def _pattern_pct(curves_deg: np.ndarray) -> np.ndarray:
    """Percent of each row's points in each coordination bin (order of ``_VC_BINS``).

    Shifting by half a bin and folding opposite quadrants together gives 0 pelvis phase,
    1 in-phase, 2 thorax phase, 3 anti-phase. Rows containing NaN give NaN. Angles are rounded
    to 1e-9 deg first: a mean angle on a bin edge must not change bins by the last bits of a
    circular mean (~1e-14 deg).
    """
    curves = np.round(np.atleast_2d(curves_deg), 9)
    complete = np.isfinite(curves).all(axis=1)
    with np.errstate(invalid="ignore"):
        bins = np.minimum(np.floor(np.mod(curves + 22.5, 180.0) / 45.0), 3)
    n_points = max(curves.shape[1], 1)
    pct = np.stack([(bins == b).sum(axis=1) * 100.0 / n_points for b in range(4)], axis=1)
    return np.where(complete[:, None], pct, np.nan)


def vector_coding_per_stride(coupling_angles_deg: np.ndarray, /) -> dict[str, np.ndarray]:
    """Coordination-pattern percentages of each stride on its own, all strides at once.

    Each row gives what :func:`vector_coding_summary` gives for that stride alone (its
    circular mean over one stride is the curve itself), without a call per stride.

    Parameters
    ----------
    coupling_angles_deg : ndarray, shape (n_strides, n_intervals)
        From :func:`coupling_angles`.

    Returns
    -------
    dict of str to ndarray, shape (n_strides,)
        ``vc_inphase_pct``, ``vc_antiphase_pct``, ``vc_pelvis_phase_pct``,
        ``vc_thorax_phase_pct``; NaN for strides containing NaN.

    Examples
    --------
    >>> ramps = np.array([[45.0] * 4, [0.0, 90.0, 135.0, 135.0]])
    >>> vector_coding_per_stride(ramps)["vc_antiphase_pct"].tolist()
    [0.0, 50.0]
    """
    curves = np.atleast_2d(np.asarray(coupling_angles_deg, dtype=float))
    with np.errstate(invalid="ignore"):
        own_mean = _wrap360(_circular_mean(curves[None])[0])
    pct = _pattern_pct(own_mean)
    return {name: pct[:, _VC_BINS.index(name)] for name in VC_PATTERNS}


def vector_coding_summary(coupling_angles_deg: np.ndarray, /) -> dict:
    """Mean coupling angle, its variability and the time spent in each coordination bin.

    At each point the coupling angles are averaged across strides with circular statistics
    (Needham et al. 2014); coupling-angle variability is ``sqrt(2 (1 - r)) · 180/π`` (the
    angular deviation, Batschelet 1981) with r the mean resultant length, averaged over
    points. The mean curve is binned (Chang et al. 2008), each bin spanning ±22.5°:
    pelvis phase around 0°/180°, in-phase 45°/225°, thorax phase 90°/270°, anti-phase
    135°/315°. A bin includes its lower edge and excludes its upper edge (counter-clockwise),
    so every angle lands in exactly one bin and the four percentages sum to 100.

    Parameters
    ----------
    coupling_angles_deg : ndarray, shape (n_strides, n_intervals)
        From :func:`coupling_angles`; strides containing NaN are left out.

    Returns
    -------
    dict
        ``vc_inphase_pct``, ``vc_antiphase_pct``, ``vc_pelvis_phase_pct``,
        ``vc_thorax_phase_pct`` (percent of the stride), ``vc_cav_deg`` (float) and
        ``mean_curve_deg`` (ndarray, shape (n_intervals,), in [0, 360)). NaN without a
        complete stride.

    Examples
    --------
    >>> s = vector_coding_summary(np.array([[45.0, 45.0, 135.0, 0.0], [45.0, 45.0, 135.0, 0.0]]))
    >>> s["vc_inphase_pct"], s["vc_antiphase_pct"], s["vc_pelvis_phase_pct"]
    (50.0, 25.0, 25.0)
    >>> round(s["vc_cav_deg"], 6)
    0.0
    """
    strides = _complete_rows(coupling_angles_deg)
    n_points = np.atleast_2d(coupling_angles_deg).shape[1]
    if len(strides) == 0:
        empty = dict.fromkeys((*_VC_BINS, "vc_cav_deg"), np.nan)
        return {**empty, "mean_curve_deg": np.full(n_points, np.nan)}
    mean_curve, r = _circular_mean(strides)
    mean_curve = _wrap360(mean_curve)
    pct = _pattern_pct(mean_curve[None])[0]
    out = {name: float(p) for name, p in zip(_VC_BINS, pct, strict=True)}
    out["vc_cav_deg"] = float(np.mean(np.rad2deg(np.sqrt(2.0 * (1.0 - r)))))
    out["mean_curve_deg"] = mean_curve
    return out
