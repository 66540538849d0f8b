"""Analytic tests of gap filling, zero-lag filtering, differentiation and time normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from scipy.signal import hilbert

from lbprun.signals import (
    butter_lowpass,
    cut_cycles,
    derivative,
    fill_gaps,
    nan_runs,
    time_normalise,
)

FS = 150.0


def _sine(freq_hz: float, seconds: float = 6.0, phase: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * FS)) / FS
    return np.sin(2 * np.pi * freq_hz * t + phase)


# ----------------------------------------------------------------------------- gaps


def test_nan_runs_finds_every_run_per_column():
    mask = np.array([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=bool)
    starts, stops, columns = nan_runs(mask)
    assert starts.tolist() == [0, 3, 1]
    assert stops.tolist() == [2, 4, 3]
    assert columns.tolist() == [0, 0, 1]


def test_short_gap_filled_close_to_truth():
    truth = _sine(1.4)
    x = truth.copy()
    x[300:310] = np.nan  # 10 frames, the default limit
    filled, left = fill_gaps(x)
    assert not left.any()
    # cubic interpolation over 11 intervals of a 1.4 Hz sine at 150 Hz: ~h^4 f''''/384 ~ 1e-4
    assert np.max(np.abs(filled[300:310] - truth[300:310])) < 1e-3
    # valid samples are untouched and the input is not mutated
    assert np.array_equal(filled[:300], truth[:300])
    assert np.isnan(x[300:310]).all()


def test_cubic_polynomial_filled_exactly():
    t = np.arange(60.0)
    truth = 0.01 * t**3 - 0.5 * t**2 + t
    x = truth.copy()
    x[[5, 6, 7, 30, 31]] = np.nan
    filled, _ = fill_gaps(x, max_gap_frames=3)
    np.testing.assert_allclose(filled, truth, rtol=0, atol=1e-9)


def test_long_gap_and_ends_stay_nan():
    x = _sine(1.4)
    x[:3] = np.nan  # leading
    x[400:411] = np.nan  # 11 > 10 frames
    x[-2:] = np.nan  # trailing
    filled, left = fill_gaps(x, max_gap_frames=10)
    expected = np.zeros(len(x), dtype=bool)
    expected[:3] = expected[400:411] = expected[-2:] = True
    assert np.array_equal(left, expected)
    assert np.array_equal(np.isnan(filled), expected)


def test_fill_gaps_marker_array_each_column_independent():
    truth = np.stack([_sine(f) for f in (0.8, 1.4, 2.0, 2.6, 3.1, 1.1)], axis=1)
    truth = truth.reshape(-1, 2, 3)
    x = truth.copy()
    x[100:105, 0, :] = np.nan  # whole marker, short gap
    x[200:203, 1, 2] = np.nan  # one coordinate only
    x[500:540, 1, :] = np.nan  # long gap
    filled, left = fill_gaps(x)
    assert filled.shape == x.shape
    assert np.array_equal(left, np.isnan(filled))
    assert left[500:540, 1, :].all()
    assert left.sum() == 40 * 3
    valid = ~left
    assert np.max(np.abs(filled[valid] - truth[valid])) < 1e-3


def test_fill_gaps_without_nan_returns_equal_copy():
    x = np.arange(12.0).reshape(4, 3)
    filled, left = fill_gaps(x)
    assert np.array_equal(filled, x)
    assert filled is not x
    assert not left.any()


# ----------------------------------------------------------------------------- filter


def _amplitude_and_lag(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Amplitude ratio and phase lag (degrees) of y vs x over the central part."""
    inner = slice(len(x) // 4, 3 * len(x) // 4)
    ax, ay = hilbert(x), hilbert(y)
    ratio = np.median(np.abs(ay[inner]) / np.abs(ax[inner]))
    lag = np.rad2deg(np.median(np.angle(ay[inner] * np.conj(ax[inner]))))
    return float(ratio), float(lag)


@pytest.mark.parametrize("order", [2, 4])
def test_sinusoid_below_cutoff_passes_without_lag(order):
    x = _sine(2.0, seconds=10.0)
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=10.0, order=order)
    ratio, lag = _amplitude_and_lag(x, y)
    assert abs(ratio - 1.0) < 0.005
    assert abs(lag) < 1e-3
    # inside, exactly the analytic two-pass gain |H|^2 = 1 / (1 + (f/fc)^(2N)), no phase
    gain = 1.0 / (1.0 + (2.0 / 10.0) ** (2 * order))
    assert np.max(np.abs(y[60:-60] - gain * x[60:-60])) < 1e-4
    # odd padding keeps the ends close too (the extension's curvature costs ~1 %)
    assert np.max(np.abs(y - x)) < 0.02


def test_sinusoid_above_cutoff_attenuated():
    x = _sine(30.0, seconds=10.0)
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=10.0, order=4)
    inner = slice(200, -200)
    # |H|^2 of a 4th-order Butterworth at 3x the cutoff: 1 / (1 + 3^8) = 1.5e-4
    assert np.max(np.abs(y[inner])) < 2e-4


def test_gain_at_cutoff_is_one_half():
    # two passes square the magnitude: |H(fc)|^2 = 0.5 (documented: no cutoff correction)
    x = _sine(10.0, seconds=10.0)
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=10.0, order=4)
    ratio, _ = _amplitude_and_lag(x, y)
    assert ratio == pytest.approx(0.5, abs=0.01)


def test_filter_short_gap_filled_long_gap_restored_no_leakage():
    truth = _sine(1.5, seconds=12.0)
    x = truth.copy()
    x[300:305] = np.nan  # short: filled then filtered
    x[900:960] = np.nan  # long: NaN after filtering
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=10.0)
    assert np.array_equal(np.isnan(y), np.isnan(x) & (np.arange(len(x)) >= 900))
    valid = ~np.isnan(y)
    # a 1.5 Hz sine passes unchanged; near each end of a segment only the ~1 % odd-padding
    # artefact remains, and away from the ends nothing
    assert np.max(np.abs(y[valid] - truth[valid])) < 0.02
    inner = np.r_[30:870, 990 : len(x) - 30]
    assert np.max(np.abs(y[inner] - truth[inner])) < 1e-3


def test_filter_segments_independent_of_each_other():
    # the segment after a long gap must filter as if it were a signal on its own
    x = _sine(1.5, seconds=12.0) + np.linspace(0, 5, round(12 * FS))
    x[900:960] = np.nan
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=6.0)
    alone = butter_lowpass(x[960:], fs_hz=FS, cutoff_hz=6.0)
    np.testing.assert_allclose(y[960:], alone, rtol=0, atol=1e-12)


def test_filter_islands_shorter_than_padding_become_nan():
    x = _sine(1.5, seconds=6.0)
    x[300:320] = np.nan
    x[330:400] = np.nan  # leaves a 10-sample island between two long gaps
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=10.0)
    assert np.isnan(y[300:400]).all()
    assert not np.isnan(y[:300]).any()
    assert not np.isnan(y[400:]).any()


def test_filter_marker_array_matches_column_by_column():
    rng = np.random.default_rng(1)
    x = np.cumsum(rng.standard_normal((600, 4, 3)), axis=0)
    x[100:150, 2, :] = np.nan
    x[50:53, 1, 0] = np.nan
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=8.0)
    for m in range(4):
        for c in range(3):
            alone = butter_lowpass(x[:, m, c], fs_hz=FS, cutoff_hz=8.0)
            np.testing.assert_allclose(y[:, m, c], alone, rtol=0, atol=1e-10)


def test_filter_columns_do_not_depend_on_their_neighbours_bit_for_bit():
    # issue 16: a cluster filtered once serves its heights too (trial.landmarks), so a
    # column's result must not change with the columns filtered beside it, gaps included
    rng = np.random.default_rng(16)
    for _ in range(20):
        x = np.cumsum(rng.standard_normal((700, 4, 3)), axis=0)
        for _ in range(6):  # short gaps (spline-filled) and long ones, per marker
            start, length = rng.integers(0, 680), rng.integers(1, 20)
            x[start : start + length, rng.integers(0, 4)] = np.nan
        whole = butter_lowpass(x, fs_hz=FS, cutoff_hz=15.0)
        heights = butter_lowpass(x[..., 2], fs_hz=FS, cutoff_hz=15.0)
        assert np.ascontiguousarray(whole[..., 2]).tobytes() == heights.tobytes()


def test_filter_does_not_mutate_and_keeps_all_nan_columns():
    x = np.stack([_sine(1.0), np.full(900, np.nan)], axis=1)
    x[100:104, 0] = np.nan
    before = x.copy()
    y = butter_lowpass(x, fs_hz=FS, cutoff_hz=10.0)
    np.testing.assert_array_equal(x, before)
    assert np.isnan(y[:, 1]).all()
    assert not np.isnan(y[:, 0]).any()


@pytest.mark.parametrize("order", [2, 4, 6])
def test_zero_lag_pass_is_scipys_sosfiltfilt_bit_for_bit(order):
    # the cached initial state must change nothing: same bits as scipy, every shape and length
    from lbprun.signals import _lowpass_sos, _padlen, _sosfiltfilt

    rng = np.random.default_rng(order)
    for fs, cutoff in ((100.0, 10.0), (200.0, 15.0), (1000.0, 50.0)):
        sos = _lowpass_sos(fs, cutoff, order)
        for n in (_padlen(sos) + 1, 40, 257, 2000):
            for shape in ((n,), (n, 1), (n, 7)):
                x = np.cumsum(rng.standard_normal(shape), axis=0)
                ours = _sosfiltfilt(sos, x, axis=0)
                theirs = scipy.signal.sosfiltfilt(sos, x, axis=0)
                assert ours.shape == theirs.shape
                assert ours.tobytes() == np.ascontiguousarray(theirs).tobytes()
        with pytest.raises(ValueError, match="padlen"):
            _sosfiltfilt(sos, np.zeros(_padlen(sos)), axis=0)


def test_filter_rejects_cutoff_above_nyquist():
    with pytest.raises(ValueError, match="Nyquist"):
        butter_lowpass(np.zeros(100), fs_hz=100.0, cutoff_hz=60.0)


# ----------------------------------------------------------------------------- derivative


def test_derivative_of_quadratic_exact_inside():
    t = np.arange(50) / FS
    v = derivative(3.0 * t**2, fs_hz=FS)
    np.testing.assert_allclose(v[1:-1], 6.0 * t[1:-1], rtol=1e-10)


# ----------------------------------------------------------------------------- normalisation


def test_time_normalise_linear_ramp():
    x = 2.0 * np.arange(100.0) + 1.0
    y = time_normalise(x, start=10.25, stop=60.75)
    assert y.shape == (101,)
    np.testing.assert_allclose(y, 2.0 * np.linspace(10.25, 60.75, 101) + 1.0, rtol=1e-12)


def test_cut_cycles_shapes_and_values_for_markers():
    n = 200
    ramp = np.arange(n, dtype=float)
    x = np.stack([ramp, -ramp, 2 * ramp], axis=1)[:, None, :].repeat(2, axis=1)  # (n, 2, 3)
    out = cut_cycles(x, starts=[0.0, 33.3], stops=[50.5, 199.0], n_points=11)
    assert out.shape == (2, 11, 2, 3)
    np.testing.assert_allclose(out[1, :, 0, 0], np.linspace(33.3, 199.0, 11))
    np.testing.assert_allclose(out[0, :, 1, 1], -np.linspace(0.0, 50.5, 11))


def test_cycle_touching_nan_is_nan_only_in_that_column():
    x = np.stack([np.arange(100.0), np.arange(100.0)], axis=1)
    x[40, 1] = np.nan
    out = cut_cycles(x, starts=[0.0, 39.5, 41.0], stops=[39.5, 60.0, 90.0])
    assert not np.isnan(out[:, :, 0]).any()
    # cycle 0 reaches sample 40 by interpolation (ceil(39.5) = 40): touched
    assert np.isnan(out[0, :, 1]).all()
    assert np.isnan(out[1, :, 1]).all()
    assert not np.isnan(out[2, :, 1]).any()


@pytest.mark.parametrize(("start", "stop"), [(-1.0, 10.0), (5.0, 5.0), (0.0, 100.0)])
def test_cut_cycles_rejects_bad_boundaries(start, stop):
    with pytest.raises(ValueError, match="cycle boundaries"):
        cut_cycles(np.zeros(100), starts=[start], stops=[stop])
