"""vGRF stance measures against analytic curves with known peaks and slopes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from lbprun.kinetics import (
    body_weight_from_treadmill,
    impact_peak_index,
    stance_curve,
    stance_measures,
    stance_table,
)

BW = 700.0
FS = 1000.0


def piecewise(knots_s, values_bw, fs=FS):
    """Piecewise-linear force (N) through (time, BW) knots, sampled at fs."""
    t = np.arange(0.0, knots_s[-1] + 0.5 / fs, 1.0 / fs)
    return np.interp(t, knots_s, values_bw) * BW


def test_piecewise_rearfoot_exact():
    # impact 1.6 BW reached linearly at 30 ms (53.33 BW/s), dip 1.3 BW, active 2.5 BW
    force = piecewise([0.0, 0.03, 0.05, 0.12, 0.25], [0.0, 1.6, 1.3, 2.5, 0.0])
    m = stance_measures(force, fs_hz=FS, body_weight_n=BW)
    slope = 1.6 / 0.03
    assert m["footstrike"] == "rearfoot"
    assert m["impact_peak_bw"] == pytest.approx(1.6)
    assert m["active_peak_bw"] == pytest.approx(2.5)
    assert m["valr_bw_s"] == pytest.approx(slope, rel=1e-9)
    assert m["vilr_bw_s"] == pytest.approx(slope, rel=1e-9)
    # 3 % and 12 % of 0.25 s are 7.5 ms and 30 ms, both on the first ramp
    assert m["lr_3_12_bw_s"] == pytest.approx(slope, rel=1e-9)
    assert m["stance_time_s"] == pytest.approx(0.25)


def test_vilr_is_the_steepest_part_of_the_window():
    # two ramps before the impact peak: 0-0.6 BW in 20 ms (30 BW/s), then to 1.5 BW in 10 ms
    force = piecewise([0.0, 0.02, 0.03, 0.05, 0.12, 0.25], [0.0, 0.6, 1.5, 1.2, 2.4, 0.0])
    m = stance_measures(force, fs_hz=FS, body_weight_n=BW)
    t20 = 0.3 / 30.0  # 20 % of 1.5 BW on the first ramp
    t80 = 0.02 + (1.2 - 0.6) / 90.0  # 80 % on the second ramp (90 BW/s)
    assert m["valr_bw_s"] == pytest.approx(0.9 / (t80 - t20), rel=1e-6)
    assert m["vilr_bw_s"] == pytest.approx(90.0, rel=1e-6)


def gaussians(t, stance_s=0.25):
    """Rearfoot running curve (BW): an impact Gaussian on a half-sine active peak."""
    return 1.2 * np.exp(-(((t - 0.028) / 0.01) ** 2)) + 2.4 * np.sin(np.pi * t / stance_s)


def test_sum_of_gaussians_within_one_percent():
    t = np.arange(0.0, 0.25 + 1e-9, 1.0 / FS)
    m = stance_measures(gaussians(t) * BW, fs_hz=FS, body_weight_n=BW)
    fine = np.linspace(0.0, 0.0625, 200001)
    peak_t = fine[np.argmax(gaussians(fine) * (fine < 0.0625))]
    impact = gaussians(peak_t)
    t20 = brentq(lambda x: gaussians(x) - 0.2 * impact, 0.0, peak_t)
    t80 = brentq(lambda x: gaussians(x) - 0.8 * impact, 0.0, peak_t)
    slope = np.gradient(gaussians(fine), fine)
    window = (fine >= t20) & (fine <= t80)
    assert m["footstrike"] == "rearfoot"
    assert m["impact_peak_bw"] == pytest.approx(impact, rel=0.01)
    assert m["valr_bw_s"] == pytest.approx(0.6 * impact / (t80 - t20), rel=0.01)
    assert m["vilr_bw_s"] == pytest.approx(slope[window].max(), rel=0.01)
    assert m["active_peak_bw"] == pytest.approx(
        gaussians(np.linspace(0, 0.25, 100001)).max(), rel=0.01
    )


def test_forefoot_half_sine_has_no_impact_peak():
    stance_s = 0.22
    t = np.arange(0.0, stance_s + 1e-9, 1.0 / FS)
    m = stance_measures(2.6 * np.sin(np.pi * t / stance_s) * BW, fs_hz=FS, body_weight_n=BW)
    expected = 2.6 * (np.sin(0.12 * np.pi) - np.sin(0.03 * np.pi)) / (0.09 * stance_s)
    assert m["footstrike"] == "non_rearfoot"
    assert m["impact_peak_bw"] is None
    assert m["valr_bw_s"] is None
    assert m["vilr_bw_s"] is None
    assert m["lr_3_12_bw_s"] == pytest.approx(expected, rel=0.01)
    assert m["active_peak_bw"] == pytest.approx(2.6, rel=1e-3)


def test_shoulder_without_dip_is_not_an_impact_peak():
    # an impact transient that merges into the active peak: an inflection, no local maximum
    t = np.arange(0.0, 0.25 + 1e-9, 1.0 / FS)
    curve = 0.4 * np.exp(-(((t - 0.03) / 0.015) ** 2)) + 2.4 * np.sin(np.pi * t / 0.25)
    assert np.all(np.diff(curve[: int(0.06 * FS)]) > 0)
    m = stance_measures(curve * BW, fs_hz=FS, body_weight_n=BW)
    assert m["footstrike"] == "non_rearfoot"


def test_prominence_threshold_controls_small_ripples():
    # a 0.02 BW bump followed by a dip: below the default 0.05 BW, above 0.01 BW
    force_bw = piecewise([0.0, 0.03, 0.035, 0.12, 0.25], [0.0, 1.0, 0.98, 2.5, 0.0]) / BW
    assert impact_peak_index(force_bw) is None
    assert impact_peak_index(force_bw, prominence_bw=0.01) == 30


def test_late_local_maximum_is_not_an_impact_peak():
    # a dip-and-peak after 25 % of stance (e.g. a double-humped active peak) does not count
    force = piecewise([0.0, 0.08, 0.1, 0.14, 0.25], [0.0, 2.0, 1.8, 2.5, 0.0])
    assert stance_measures(force, fs_hz=FS, body_weight_n=BW)["impact_peak_bw"] is None


def test_stance_table_gives_each_stance_its_own_measures():
    # stances back to back on one record: a rearfoot, a forefoot, and one starting at 1 BW whose
    # 0.04 BW bump is no impact peak on its own (but would be, seen from the 0 BW before it)
    t = np.arange(0.0, 0.22 + 1e-9, 1.0 / FS)
    parts = [
        piecewise([0.0, 0.03, 0.05, 0.12, 0.25], [0.0, 1.6, 1.3, 2.5, 0.0]),
        2.6 * np.sin(np.pi * t / 0.22) * BW,
        piecewise([0.0, 0.01, 0.02, 0.12, 0.25], [1.0, 1.04, 0.9, 2.5, 0.0]),
        np.ones(8) * BW,  # too short for a stance
    ]
    stops = np.cumsum([len(p) for p in parts]) - 1
    starts = np.r_[0, stops[:-1] + 1]
    table = stance_table(
        np.concatenate(parts), starts=starts, stops=stops, fs_hz=FS, body_weight_n=BW
    )
    assert list(table["footstrike"]) == ["rearfoot", "non_rearfoot", "non_rearfoot", None]
    assert list(table["valid"]) == [True, True, True, False]
    for i, part in enumerate(parts[:3]):
        alone = stance_measures(part, fs_hz=FS, body_weight_n=BW)
        for key, value in alone.items():
            got = table[key][i]
            assert (got == value) or (value is None and np.isnan(got)), (i, key)
    assert all(np.isnan(table[k][3]) for k in ("active_peak_bw", "lr_3_12_bw_s"))


def _stance(n: int, peak: float, impact_bw: float) -> np.ndarray:
    """A stance of n samples: half sine of 2.5 BW plus an impact bump at a fraction of it."""
    t = np.linspace(0.0, 1.0, n)
    return (impact_bw * np.exp(-(((t - peak) / 0.04) ** 2)) + 2.5 * np.sin(np.pi * t)) * BW


def test_short_stance_after_a_late_impact_peak_does_not_raise():
    # issue 11 defect 4: a later stance shorter than an earlier one's impact-peak index + 2
    # made the loading-rate window index past the end of the record (IndexError on main)
    parts = [_stance(15, 0.15, 1.5), _stance(101, 0.2, 1.5), _stance(15, 0.15, 1.5)]
    stops = np.cumsum([len(p) for p in parts]) - 1
    table = stance_table(
        np.concatenate(parts), starts=np.r_[0, stops[:-1] + 1], stops=stops, fs_hz=FS,
        body_weight_n=BW,
    )  # fmt: skip
    assert list(table["footstrike"]) == ["rearfoot"] * 3
    assert table["valr_bw_s"][2] == table["valr_bw_s"][0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=10, max_value=160),  # stance length (samples)
            st.floats(min_value=0.02, max_value=0.4),  # impact bump position (fraction)
            st.floats(min_value=0.0, max_value=1.5),  # impact bump height (BW)
            st.integers(min_value=0, max_value=5),  # samples between this stance and the last
        ),
        min_size=1,
        max_size=6,
    )
)
def test_stance_table_equals_one_stance_at_a_time(stances):
    # property (issue 11): however long, in whatever order and wherever their impact peaks,
    # stances measured together on one record give each stance's measures on its own
    record, starts, stops = [], [], []
    at = 0
    for n, peak, impact, gap in stances:
        record += [np.zeros(gap), _stance(n, peak, impact)]
        starts.append(at + gap)
        stops.append(at + gap + n - 1)
        at += gap + n
    table = stance_table(
        np.concatenate(record), starts=starts, stops=stops, fs_hz=FS, body_weight_n=BW
    )
    for i, (n, peak, impact, _) in enumerate(stances):
        alone = stance_measures(_stance(n, peak, impact), fs_hz=FS, body_weight_n=BW)
        assert table["footstrike"][i] == alone["footstrike"]
        for key, value in alone.items():
            if key != "footstrike":
                got = table[key][i]
                assert got == value or (value is None and np.isnan(got)), (i, key, got, value)


def test_bad_stances_raise_one_sentence():
    with pytest.raises(ValueError, match="at least 10"):
        stance_measures(np.ones(5), fs_hz=FS, body_weight_n=BW)
    with pytest.raises(ValueError, match="body weight"):
        stance_measures(np.ones(50), fs_hz=FS, body_weight_n=0.0)


def test_stance_curve_is_101_points_in_bw():
    force = piecewise([0.0, 0.125, 0.25], [0.0, 2.0, 0.0])
    curve = stance_curve(force, body_weight_n=BW)
    assert curve.shape == (101,)
    assert curve[50] == pytest.approx(2.0)
    assert curve[25] == pytest.approx(1.0)


def test_body_weight_from_whole_strides():
    # running-like force: zero in flight, half-sine stances; mean over whole steps = BW
    fs, step_s, contact_s, mass_bw = 1000.0, 0.36, 0.24, 800.0
    t = np.arange(0.0, 10.0, 1.0 / fs)
    phase = np.mod(t, step_s)
    peak = mass_bw * step_s / contact_s * np.pi / 2  # impulse per step = BW * step time
    force = np.where(phase < contact_s, peak * np.sin(np.pi * phase / contact_s), 0.0)
    tds = np.arange(0.0, 10.0, step_s)[2:-2]
    assert body_weight_from_treadmill(force, fs_hz=fs, touchdowns_s=tds) == pytest.approx(
        mass_bw, rel=1e-3
    )
    with pytest.raises(ValueError, match="two touchdowns"):
        body_weight_from_treadmill(force, fs_hz=fs, touchdowns_s=[1.0])
