"""Analytic tests of CRP, Fourier relative phase and vector coding (SCIENCE.md sanity anchors)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from scipy.signal import coherence, csd, welch

from lbprun.coordination import (
    centre,
    continuous_relative_phase,
    coupling_angles,
    crp_cycles,
    crp_summary,
    fourier_relative_phase,
    hilbert_phase,
    vector_coding_summary,
)

FS = 150.0
LAGS = [0, 15, 45, 90, 135, 170, 180]
# 1.4 Hz over 20 s is a whole number of strides and sits on an FFT bin; 1.3713 Hz over
# 17.3 s does neither (non-integer number of strides, between bins).
STRIDES = [(1.4, 20.0), (1.3713, 17.3)]


def _rotations(lag_deg: float, freq_hz: float, seconds: float):
    """Pelvis and thorax rotation (degrees) with the thorax lagging by ``lag_deg``."""
    t = np.arange(round(seconds * FS)) / FS
    pelvis = 6.0 * np.sin(2 * np.pi * freq_hz * t + 0.4) + 3.0
    thorax = 9.0 * np.sin(2 * np.pi * freq_hz * t + 0.4 - np.deg2rad(lag_deg)) - 5.0
    return pelvis, thorax


def _stride_bounds(freq_hz: float, n: int):
    period = FS / freq_hz
    starts = np.arange(0.0, n - 1 - period, period)
    return starts, starts + period


# ----------------------------------------------------------------------------- CRP


def test_centre_midrange_and_mean():
    x = np.array([[1.0, 10.0], [3.0, 30.0], [8.0, 20.0]])
    np.testing.assert_allclose(centre(x), [[-3.5, -10.0], [-1.5, 10.0], [3.5, 0.0]])
    np.testing.assert_allclose(centre(x, method="mean"), x - x.mean(axis=0))
    with pytest.raises(ValueError, match="centring"):
        centre(x, method="median")


def test_hilbert_phase_of_cosine_is_linear():
    t = np.arange(300) / FS
    phase = hilbert_phase(np.cos(2 * np.pi * 1.5 * t))  # whole number of periods
    expected = np.rad2deg(np.angle(np.exp(2j * np.pi * 1.5 * t)))
    diff = (phase - expected + 180.0) % 360.0 - 180.0
    assert np.max(np.abs(diff)) < 1e-9


def test_hilbert_phase_keeps_nan_and_segments():
    t = np.arange(600) / FS
    x = np.cos(2 * np.pi * 1.5 * t)
    x[300:320] = np.nan
    phase = hilbert_phase(x)
    assert np.array_equal(np.isnan(phase), np.isnan(x))


@pytest.mark.parametrize(("freq_hz", "seconds"), STRIDES)
@pytest.mark.parametrize("lag", LAGS)
def test_marp_equals_lag(lag, freq_hz, seconds):
    pelvis, thorax = _rotations(lag, freq_hz, seconds)
    crp = continuous_relative_phase(pelvis, thorax)
    starts, stops = _stride_bounds(freq_hz, len(pelvis))
    cycles = crp_cycles(crp, starts=starts, stops=stops)
    assert cycles.shape == (len(starts), 101)
    summary = crp_summary(cycles)
    assert summary["marp_deg"] == pytest.approx(lag, abs=1.0)
    # with a non-integer number of strides the Hilbert kernel's 1/t tail leaves a few degrees
    # of phase error in the first and last strides; MARP averages it out (<0.2° here), DP sees
    # it (up to 2.0° at 17.3 s; 0 for a whole number of strides)
    assert summary["dp_deg"] < (2.5 if freq_hz * seconds % 1 else 1e-3)
    # every point of the mean curve, not only the average, carries the lag
    assert np.max(np.abs(np.abs(summary["mean_curve_deg"]) - lag)) < 3.0


def test_crp_sign_thorax_minus_pelvis():
    pelvis, thorax = _rotations(30.0, 1.4, 20.0)  # thorax lags: its phase is behind
    crp = continuous_relative_phase(pelvis, thorax)
    assert np.median(crp) == pytest.approx(-30.0, abs=0.5)


def test_crp_cycles_interpolate_across_the_wrap():
    # anti-phase jitters between +179 and -179: linear interpolation would read ~0 in between
    crp = np.array([179.0, -179.0, 179.0, -179.0, 179.0])
    cycles = crp_cycles(crp, starts=[0.0], stops=[4.0], n_points=9)
    assert np.min(np.abs(cycles)) > 178.9


def test_identical_strides_give_zero_dp():
    stride = 40.0 * np.sin(np.linspace(0, 2 * np.pi, 101)) - 20.0
    summary = crp_summary(np.tile(stride, (8, 1)))
    assert summary["dp_deg"] == pytest.approx(0.0, abs=1e-6)
    assert summary["marp_deg"] == pytest.approx(np.mean(np.abs(stride)), abs=1e-9)


def test_dp_is_circular_sd():
    # two strides at ±a around 100°: R = cos(a), circular SD = sqrt(-2 ln cos a)
    a = np.deg2rad(20.0)
    cycles = np.array([[100.0 + 20.0] * 5, [100.0 - 20.0] * 5])
    summary = crp_summary(cycles)
    assert summary["dp_deg"] == pytest.approx(np.rad2deg(np.sqrt(-2 * np.log(np.cos(a)))))
    assert summary["marp_deg"] == pytest.approx(100.0)


def test_crp_summary_skips_nan_strides_and_handles_none():
    good = np.full((3, 101), 40.0)
    bad = np.full((1, 101), np.nan)
    assert crp_summary(np.vstack([good, bad]))["marp_deg"] == pytest.approx(40.0)
    empty = crp_summary(bad)
    assert np.isnan(empty["marp_deg"])
    assert np.isnan(empty["dp_deg"])


# ----------------------------------------------------------------------------- Fourier


@pytest.mark.parametrize(("freq_hz", "seconds"), STRIDES)
@pytest.mark.parametrize("lag", LAGS)
def test_fourier_relative_phase_equals_lag(lag, freq_hz, seconds):
    pelvis, thorax = _rotations(lag, freq_hz, seconds)
    out = fourier_relative_phase(pelvis, thorax, fs_hz=FS)
    assert out["relphase_deg"] == pytest.approx(lag, abs=1.0)
    assert out["freq_hz"] == pytest.approx(freq_hz, abs=0.01)
    assert out["coherence"] == pytest.approx(1.0, abs=1e-3)
    assert out["gain"] == pytest.approx(9.0 / 6.0, rel=0.01)


def test_fourier_relative_phase_at_given_frequency_with_noise():
    rng = np.random.default_rng(3)
    pelvis, thorax = _rotations(60.0, 1.45, 25.0)
    thorax = thorax + 2.0 * np.sin(2 * np.pi * 2.9 * np.arange(len(thorax)) / FS)  # harmonic
    pelvis = pelvis + rng.normal(0, 0.5, len(pelvis))
    thorax = thorax + rng.normal(0, 0.5, len(thorax))
    out = fourier_relative_phase(pelvis, thorax, fs_hz=FS, freq_hz=1.45)
    assert out["freq_hz"] == 1.45
    assert out["relphase_deg"] == pytest.approx(60.0, abs=2.0)
    assert 0.9 < out["coherence"] <= 1.0


@pytest.mark.parametrize("n", range(300, 1200, 7))
def test_fourier_coherence_never_above_one(n):
    # one Welch segment (allowed here with min_segments=1): coherence is 1 by construction,
    # and rounding must not push it past 1
    t = np.arange(n) / 150.0
    pelvis, thorax = np.sin(2 * np.pi * 1.4 * t), 0.5 * np.sin(2 * np.pi * 1.4 * t - 1.0)
    out = fourier_relative_phase(pelvis, thorax, fs_hz=150.0, nperseg=n, min_segments=1)
    assert 0.0 <= out["coherence"] <= 1.0
    assert out["coherence"] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_fourier_coherence_is_null_when_the_record_is_too_short(seed):
    # issue 11 defect 1: 600 samples of white noise gave coherence 0.99999999 on main (nperseg
    # clipped to the record: one segment); a coherence now needs 5 segments = 12 strides
    rng = np.random.default_rng(seed)
    pelvis, thorax = rng.normal(0, 5.0, 600), rng.normal(0, 5.0, 600)
    out = fourier_relative_phase(pelvis, thorax, fs_hz=FS, freq_hz=1.4)
    assert out["n_segments"] == 1 and np.isnan(out["coherence"])
    assert out["periods_needed"] == pytest.approx(12.0, abs=0.05)
    # long enough: unrelated noise has low coherence, the expected value near 1 / segments
    long = rng.normal(0, 5.0, (2, 60 * int(FS)))
    out = fourier_relative_phase(*long, fs_hz=FS, freq_hz=1.4)
    assert out["n_segments"] >= 5 and out["coherence"] < 0.3


def test_fourier_coherence_needs_twelve_strides_by_default():
    for strides, segments in ((11.9, 4), (12.1, 5)):
        pelvis, thorax = _rotations(30.0, 1.4, strides / 1.4)
        out = fourier_relative_phase(pelvis, thorax, fs_hz=FS, freq_hz=1.4)
        assert out["n_segments"] == segments
        assert np.isnan(out["coherence"]) == (segments < 5)
        assert out["relphase_deg"] == pytest.approx(30.0, abs=1.0)  # phase needs no average


def test_fourier_coherence_low_for_unrelated_signals():
    rng = np.random.default_rng(4)
    pelvis, _ = _rotations(0.0, 1.4, 20.0)
    thorax = rng.normal(0, 5.0, len(pelvis))
    out = fourier_relative_phase(pelvis, thorax, fs_hz=FS, freq_hz=1.4)
    assert out["coherence"] < 0.5


def test_fourier_matches_scipy_welch_on_a_bin():
    # on an FFT bin, the single-frequency Welch estimate is scipy's csd/coherence exactly
    rng = np.random.default_rng(6)
    pelvis = np.cumsum(rng.standard_normal(3000))
    thorax = 0.7 * np.roll(pelvis, 9) + rng.standard_normal(3000)
    nperseg, k = 400, 4
    freq_hz = k * FS / nperseg
    out = fourier_relative_phase(pelvis, thorax, fs_hz=FS, freq_hz=freq_hz, nperseg=nperseg)
    _, pxy = csd(pelvis, thorax, fs=FS, nperseg=nperseg)
    _, pxx = welch(pelvis, fs=FS, nperseg=nperseg)
    _, cxy = coherence(pelvis, thorax, fs=FS, nperseg=nperseg)
    assert out["relphase_deg"] == pytest.approx(abs(np.rad2deg(np.angle(pxy[k]))), abs=1e-9)
    assert out["coherence"] == pytest.approx(cxy[k], rel=1e-9)
    assert out["gain"] == pytest.approx(abs(pxy[k]) / pxx[k], rel=1e-9)


def test_fourier_rejects_nan():
    pelvis, thorax = _rotations(0.0, 1.4, 10.0)
    thorax[5] = np.nan
    with pytest.raises(ValueError, match="without NaN"):
        fourier_relative_phase(pelvis, thorax, fs_hz=FS)


# ----------------------------------------------------------------------------- vector coding


def test_in_phase_ramps_give_45_degrees():
    ramp = np.tile(np.linspace(-10.0, 10.0, 101), (5, 1))
    gamma = coupling_angles(ramp, 2.0 * ramp)  # same direction, thorax twice as fast
    assert gamma.shape == (5, 100)
    np.testing.assert_allclose(coupling_angles(ramp, ramp), 45.0)
    np.testing.assert_allclose(coupling_angles(-ramp, -ramp), 225.0)
    np.testing.assert_allclose(gamma, np.rad2deg(np.arctan(2.0)))


@pytest.mark.parametrize(
    ("d_pelvis", "d_thorax", "gamma"),
    [(1, 0, 0), (1, 1, 45), (0, 1, 90), (-1, 1, 135), (-1, 0, 180), (0, -1, 270), (1, -1, 315)],
)
def test_coupling_angle_quadrants(d_pelvis, d_thorax, gamma):
    pelvis = np.array([[0.0, d_pelvis]])
    thorax = np.array([[0.0, d_thorax]])
    assert coupling_angles(pelvis, thorax)[0, 0] == pytest.approx(gamma)


def test_identical_strides_give_zero_cav_and_bins_sum_to_100():
    rng = np.random.default_rng(5)
    stride = rng.uniform(0.0, 360.0, 100)
    summary = vector_coding_summary(np.tile(stride, (6, 1)))
    assert summary["vc_cav_deg"] == pytest.approx(0.0, abs=1e-5)
    total = sum(
        summary[k]
        for k in (
            "vc_inphase_pct",
            "vc_antiphase_pct",
            "vc_pelvis_phase_pct",
            "vc_thorax_phase_pct",
        )
    )
    assert total == pytest.approx(100.0)
    np.testing.assert_allclose(summary["mean_curve_deg"], stride, atol=1e-9)


def test_vector_coding_bins_edges_inclusive_low():
    # one interval per angle; each bin spans [centre - 22.5, centre + 22.5)
    angles = np.array([[0.0, 22.5, 67.5, 112.5, 157.5, 202.5, 247.5, 292.5, 337.5, 359.9]])
    s = vector_coding_summary(angles)
    assert s["vc_pelvis_phase_pct"] == pytest.approx(40.0)  # 0, 157.5, 337.5, 359.9
    assert s["vc_inphase_pct"] == pytest.approx(20.0)  # 22.5, 202.5
    assert s["vc_thorax_phase_pct"] == pytest.approx(20.0)  # 67.5, 247.5
    assert s["vc_antiphase_pct"] == pytest.approx(20.0)  # 112.5, 292.5


def test_cav_of_two_directions():
    # strides at 80° and 100° at every point: r = cos 10°, CAV = sqrt(2 (1 - r)) in degrees
    angles = np.array([[80.0] * 10, [100.0] * 10])
    s = vector_coding_summary(angles)
    r = np.cos(np.deg2rad(10.0))
    assert s["vc_cav_deg"] == pytest.approx(np.rad2deg(np.sqrt(2 * (1 - r))))
    np.testing.assert_allclose(s["mean_curve_deg"], 90.0)
    assert s["vc_thorax_phase_pct"] == 100.0


def test_sinusoids_in_phase_vector_coding():
    # in-phase pelvis and thorax of equal amplitude spend the whole stride in-phase
    t = np.linspace(0, 2 * np.pi, 101)
    pelvis = np.tile(np.sin(t), (4, 1))
    s = vector_coding_summary(coupling_angles(pelvis, pelvis))
    assert s["vc_inphase_pct"] == 100.0


def test_circular_mean_without_gaps_is_scipys_bit_for_bit():
    """The circular mean and SD of complete strides (scipy's arithmetic without its per-call
    wrapper) equal scipy's exactly, C- or Fortran-ordered, one stride, many, or none."""
    from lbprun.coordination import _circ_mean_sd_along_first

    rng = np.random.default_rng(17)
    shapes = ((1, 101), (2, 101), (8, 101), (9, 101), (40, 101), (129, 101), (1, 40, 101))
    for shape in (*shapes, (1, 0, 101), (3, 0)):  # and a trial without a complete stride
        for spread in (0.05, 0.3, 1.0):
            rad = rng.uniform(-np.pi, np.pi, shape) * spread + 2.5 * spread
            for arr in (rad, np.asfortranarray(rad)):
                mean, circ_sd = _circ_mean_sd_along_first(arr)
                expected_mean = scipy.stats.circmean(arr, high=np.pi, low=-np.pi, axis=0)
                expected_sd = scipy.stats.circstd(arr, high=np.pi, low=-np.pi, axis=0)
                np.testing.assert_array_equal(mean, expected_mean)
                np.testing.assert_array_equal(circ_sd, expected_sd)
                assert mean.shape == expected_mean.shape == circ_sd.shape


def test_circular_mean_with_gaps_is_scipys_bit_for_bit():
    """The per-column circular mean and SD taken when strides hold NaN equal scipy's exactly."""
    from lbprun.coordination import _circ_mean_sd_per_column

    rng = np.random.default_rng(16)
    for shape in ((1, 101), (3, 101), (8, 101), (9, 101), (40, 101), (129, 101), (1, 40, 101)):
        rad = rng.uniform(-np.pi, np.pi, shape) * 0.3 + 2.5
        rad[rng.random(rad.shape) < 0.02] = np.nan
        rad.flat[0] = np.nan  # at least one, as when the function is used
        mean, circ_sd = _circ_mean_sd_per_column(rad)
        expected_mean = scipy.stats.circmean(rad, high=np.pi, low=-np.pi, axis=0)
        expected_sd = scipy.stats.circstd(rad, high=np.pi, low=-np.pi, axis=0)
        assert np.isnan(mean.flat[0]) and np.isnan(circ_sd.flat[0])
        np.testing.assert_array_equal(mean, expected_mean)
        np.testing.assert_array_equal(circ_sd, expected_sd)
