"""Gait events: analytic plate signals, synthetic feet, and real running files against plates."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from lbprun import events as ev
from lbprun.c3d import Event, ForcePlate, Trial
from lbprun.settings import Settings

# Foot markers of the two real running files, by role (explicit, so that these tests check the
# event detectors and not the marker-set resolution). "mt5" is the optional fifth metatarsal.
JA1_FEET = {
    "l_heel": "LHEEL", "l_toe": "LTOE", "l_mt1": "LP1MT",
    "r_heel": "RHEEL", "r_toe": "RTOE", "r_mt1": "RP1MT",
}  # fmt: skip
RBDS_FEET = {
    "l_heel": "L.Heel.Bottom", "l_mt1": "L.MT1", "l_mt5": "L.MT5",
    "r_heel": "R.Heel.Bottom", "r_mt1": "R.MT1", "r_mt5": "R.MT5",
}  # fmt: skip
JA1_MT5 = {"l_mt5": "LP5MT", "r_mt5": "RP5MT"}


# ---------------------------------------------------------------- synthetic plate trial


def half_sine_plate(fs, contacts, n, corners=None, cop_xy=(0.3, 0.45)):
    """A plate whose vertical force is a smooth 1500 N sin² pulse over each (td, to) contact."""
    t = np.arange(n) / fs
    fz = np.zeros(n)
    for td, to in contacts:
        inside = (t >= td) & (t <= to)
        fz[inside] = 1500.0 * np.sin(np.pi * (t[inside] - td) / (to - td)) ** 2
    force = np.column_stack([np.zeros(n), np.zeros(n), fz])
    cop = np.tile([*cop_xy, 0.0], (n, 1))
    if corners is None:
        corners = np.array([[0.0, 0.0, 0], [0.6, 0.0, 0], [0.6, 0.9, 0], [0.0, 0.9, 0]])
    return ForcePlate(0, 2, force, cop, corners)


def feet_at(n, left_xy, right_xy):
    """Static three-marker feet centred at the given horizontal positions."""
    out = {}
    for side, (x, y) in (("L", left_xy), ("R", right_xy)):
        offsets = np.array([[0.0, -0.1, 0.03], [0.0, 0.1, 0.02], [0.03, 0.08, 0.02]])
        out[side] = np.broadcast_to(offsets + np.array([x, y, 0.0]), (n, 3, 3)).copy()
    return out


def synthetic_trial(plate, n_frames, markers_hz=200.0):
    return Trial(
        path=Path("synthetic.c3d"),
        markers_hz=markers_hz,
        analog_hz=1000.0,
        labels=[],
        markers_m=np.zeros((n_frames, 0, 3)),
        plates=[plate],
        frames=n_frames,
    )


def test_threshold_crossings_interpolate_and_drop_partial_contacts():
    f = np.array([30.0, 25, 10, 0, 0, 10, 30, 50, 30, 10, 0, 10, 40])
    on, off = ev.threshold_crossings(f, threshold=20.0, fs_hz=100.0)
    np.testing.assert_allclose(on, [0.055])
    np.testing.assert_allclose(off, [0.085])


def test_plate_touchdown_and_toe_off_on_an_analytic_contact():
    plate = half_sine_plate(1000.0, [(0.3, 0.55), (1.9, 2.2)], 2000)
    trial = synthetic_trial(plate, 400)
    feet = feet_at(400, left_xy=(0.3, 0.45), right_xy=(0.45, -1.0))
    stances, warnings = ev.plate_stances(trial, feet=feet)
    # the second contact runs past the end of the record: partial, dropped
    assert len(stances) == 1
    assert warnings == []
    # 20 N on a 1500 N sin² pulse of 0.25 s: asin(sqrt(20/1500)) * 0.25 / pi = 9.2 ms after onset
    delay = np.arcsin(np.sqrt(20 / 1500)) * 0.25 / np.pi
    assert stances[0].td_s == pytest.approx(0.3 + delay, abs=5e-4)
    assert stances[0].to_s == pytest.approx(0.55 - delay, abs=5e-4)
    assert (stances[0].side, stances[0].plate, stances[0].source) == ("L", 0, "plate")


def test_plate_contact_with_the_foot_half_off_is_rejected():
    plate = half_sine_plate(1000.0, [(0.3, 0.55)], 1000)
    trial = synthetic_trial(plate, 200)
    # the left foot's heel sits 10 cm beyond the plate's front edge (y = 0.9)
    feet = feet_at(200, left_xy=(0.3, 0.9), right_xy=(0.45, -1.0))
    stances, warnings = ev.plate_stances(trial, feet=feet)
    assert stances == []
    assert len(warnings) == 1
    assert "plate 0" in warnings[0] and "not entirely on the plate" in warnings[0]


def test_treadmill_plate_is_recognised_by_size_and_by_contacts():
    long_corners = np.array([[0.0, 0, 0], [1.8, 0, 0], [1.8, 0.5, 0], [0.0, 0.5, 0]])
    long_plate = half_sine_plate(1000.0, [(0.3, 0.55)], 1000, corners=long_corners)
    assert ev.is_treadmill(long_plate, fs_hz=1000.0)
    short = half_sine_plate(1000.0, [(0.3, 0.55)], 1000)
    assert not ev.is_treadmill(short, fs_hz=1000.0)
    contacts = [(t, t + 0.25) for t in np.arange(0.1, 9.5, 0.36)]
    busy = half_sine_plate(1000.0, contacts, 10000)
    assert ev.treadmill_reason(busy, fs_hz=1000.0).startswith("27 contacts")


def test_short_overground_record_is_not_a_treadmill():
    # issue 11 defect 2: one stance of 0.25 s in a 0.4 s record loads the plate 62 % of the
    # time; main took any plate loaded > 30 % of the record for a treadmill (50 N threshold)
    plate = half_sine_plate(1000.0, [(0.05, 0.30)], 400)
    trial = synthetic_trial(plate, 80)
    feet = feet_at(80, left_xy=(0.3, 0.45), right_xy=(0.3, -1.0))
    found = ev.detect(trial, feet=feet, settings=Settings(event_source="plate"))
    assert found.plates[0] == {
        "treadmill": False, "treadmill_reason": None, "threshold_n": 20.0, "force_cutoff_hz": 50.0
    }  # fmt: skip
    assert found.settings["plates"]["0"]["threshold_n"] == 20.0
    assert found.treadmill_plates == set()
    # the same contact with the foot carried backwards at 1 m/s by a belt is a treadmill
    moving = {s: m.copy() for s, m in feet.items()}
    moving["L"][..., 1] -= np.arange(80)[:, None] / 200.0
    plate_moving = half_sine_plate(1000.0, [(0.05, 0.30)], 400, cop_xy=(0.3, 0.3))
    found = ev.detect(
        synthetic_trial(plate_moving, 80), feet=moving, settings=Settings(event_source="plate")
    )
    assert found.plates[0]["treadmill"] and found.plates[0]["threshold_n"] == 50.0
    assert "moves across it at 1.00 m/s" in found.plates[0]["treadmill_reason"]


# ---------------------------------------------------------------- strides and file events


def test_strides_flag_missing_and_implausible_events():
    left = [0.0, 0.72, 1.44, 2.9, 3.62, 3.8]
    right = [0.36, 1.08, 1.8, 2.52, 3.26]
    stances = [ev.Stance("L", t, t + 0.25, "plate") for t in left]
    stances += [ev.Stance("R", t, t + 0.25, "kinematic") for t in right]
    out = {(s.side, s.td_s): s for s in ev.strides(stances, invalid_spans_s=[(3.0, 3.1)])}
    assert out["L", 0.0].valid and out["L", 0.72].valid
    assert out["L", 0.0].stride_time_s == pytest.approx(0.72)
    # 1.44 -> 2.9: a left touchdown was missed (twice the typical stride)
    assert out["L", 1.44].invalid_reason.startswith("missing event")
    assert out["L", 2.9].invalid_reason == "gap too long"
    assert out["L", 3.62].invalid_reason == "implausible duration"
    assert out["R", 2.52].invalid_reason == "gap too long"
    # the missed left touchdown also leaves the right stride around it without a contralateral TD
    assert out["R", 1.8].invalid_reason.startswith("missing event")
    assert sum(s.valid for s in out.values()) == 4


def test_file_stances_pair_strikes_with_offs_per_side():
    events = [
        Event("Foot Strike", "Right", 0.9),
        Event("Foot Strike", "Left", 0.52),
        Event("Foot Off", "Left", 0.764),
        Event("Foot Off", "Right", 1.14),
        Event("Foot Off", "Left", 0.4),  # before any strike of that side: ignored
        Event("Foot Strike", "General", 0.1),  # no side: ignored
    ]
    got = [(s.side, s.td_s, s.to_s, s.source) for s in ev.file_stances(events)]
    assert got == [("L", 0.52, 0.764, "file"), ("R", 0.9, 1.14, "file")]


# ---------------------------------------------------------------- kinematic, synthetic


def test_kinematic_clearance_detector_on_a_synthetic_foot():
    # a heel that lands 12 ms before the toe marker; the foot is on the ground while either is low
    fs = 250.0
    t = np.arange(0, 4, 1 / fs)
    phase = np.mod(t, 0.75)
    swing = np.clip((phase - 0.25) / 0.5, 0, 1)
    height = 0.15 * np.sin(np.pi * swing) ** 2  # 0 during stance (phase < 0.25)
    late = 0.15 * np.sin(np.pi * np.clip((phase - 0.25) / 0.512, 0, 1)) ** 2
    heel = np.column_stack([0 * t, 0 * t, 0.04 + height])
    toe = np.column_stack([0 * t, 0.2 + 0 * t, 0.02 + late])
    stances = ev.kinematic_stances({"R": np.stack([heel, toe], 1)}, fs_hz=fs)
    tds = np.array([s.td_s for s in stances])
    # the heel reaches the ground at 0.75 k and is 5 mm above it asin(sqrt(0.005 / 0.15)) / pi
    # of its 0.5 s swing earlier (29 ms), slightly smoothed by the 15 Hz filter
    lead = np.arcsin(np.sqrt(0.005 / 0.15)) / np.pi * 0.5
    np.testing.assert_allclose(tds, np.arange(1, 5)[: len(tds)] * 0.75 - lead, atol=0.004)
    assert len(tds) >= 4
    assert all(s.side == "R" and s.source == "kinematic" for s in stances)


def sine_foot(t0, t1, fs, dip=False):
    """One marker 3 cm above the ground in stance (0.375-0.75 s of every 0.75 s), 10 cm swing.

    With ``dip`` the swing foot drops to the ground for ~40 ms mid-swing (not a stance).
    """
    t = np.arange(t0, t1, 1 / fs)
    z = 0.03 + np.maximum(0.0, 0.1 * np.sin(2 * np.pi * t / 0.75))
    if dip:
        z = np.maximum(0.03, z - 0.15 * np.exp(-(((np.mod(t, 0.75) - 0.1875) / 0.03) ** 2)))
    return {"L": np.stack([0 * t, 0 * t, z], axis=1)[:, None, :]}


def test_kinematic_stances_of_heights_filtered_by_the_caller():
    # cutoff_hz=None: the caller filtered the markers (a cluster, once for several uses)
    from lbprun.signals import butter_lowpass

    fs = 250.0
    foot = sine_foot(0.0, 3.0, fs)["L"].copy()
    foot[300:320] = np.nan  # a long gap
    raw = ev.kinematic_stances({"L": foot}, fs_hz=fs)
    smooth = butter_lowpass(foot, fs_hz=fs, cutoff_hz=15.0)
    assert raw and ev.kinematic_stances({"L": smooth}, fs_hz=fs, cutoff_hz=None) == raw


@pytest.mark.parametrize(
    ("t0", "t1", "dip", "n_stances"),
    [
        (0.0, 3.0, False, 3),  # swing maxima before and after every stance
        (0.33, 2.0, False, 2),  # first stance 45 ms after the start, last one cut by the end
        (0.5, 2.0, False, 1),  # the record starts in stance: its touchdown was not recorded
        (0.0, 3.0, True, 3),  # a swing foot touching the ground for 40 ms is not a stance
    ],
)
def test_kinematic_stances_at_the_record_edges(t0, t1, dip, n_stances):
    fs = 250.0
    stances = ev.kinematic_stances(sine_foot(t0, t1, fs, dip), fs_hz=fs)
    assert len(stances) == n_stances
    # the 5 mm (10 mm) clearance of this sine is crossed 6.0 ms before (12.0 ms after)
    # contact: asin(0.05) and asin(0.1) of its 0.75 s period over 2 pi; the filter moves them
    lead, lag = (np.arcsin(c) * 0.75 / (2 * np.pi) for c in (0.05, 0.1))
    for stance in stances:
        k = round((stance.td_s + t0 - 0.375) / 0.75)  # the true stance it belongs to
        assert stance.td_s + t0 == pytest.approx(0.375 + 0.75 * k - lead, abs=0.004)
        assert stance.to_s + t0 == pytest.approx(0.75 + 0.75 * k + lag, abs=0.004)


# ---------------------------------------------------------------- real running files


def load_trial(c3d_dir, name):
    from lbprun.c3d import load

    return load(c3d_dir / name)


@pytest.fixture(scope="module")
def ja1(c3d_dir):
    return load_trial(c3d_dir, "dorn2012_flash-running/JA1Gait21.c3d")


@pytest.fixture(scope="module")
def rbds(c3d_dir):
    return load_trial(c3d_dir, "bmc-ric/RBDS001runT35.c3d")


def test_ja1_plate_stances_are_plausible_and_match_the_file_events(ja1):
    feet = ev.foot_markers(ja1, JA1_FEET)
    stances, warnings = ev.plate_stances(ja1, feet=feet)
    assert warnings == []
    assert [s.plate for s in stances] == [0, 1, 3, 4, 6]
    assert [s.side for s in stances] == ["L", "R", "L", "R", "L"]
    assert all(0.18 <= s.stance_time_s <= 0.30 for s in stances)
    # Vicon's own Foot Strike events, stored at frame resolution (4 ms), agree with ours
    files = ev.file_stances(ja1.events)
    for stance in stances:
        strike = min(files, key=lambda f: abs(f.td_s - stance.td_s))
        assert strike.side == stance.side
        assert abs(strike.td_s - stance.td_s) <= 0.004


def test_rbds_treadmill_plate_stances_alternate(rbds):
    feet = ev.foot_markers(rbds, RBDS_FEET)
    assert ev.is_treadmill(rbds.plates[0], fs_hz=rbds.analog_hz)
    stances, _ = ev.plate_stances(rbds, feet=feet)
    assert len(stances) >= 80  # 30 s at ~170 steps/min, partial first/last dropped
    sides = [s.side for s in stances]
    assert all(a != b for a, b in itertools.pairwise(sides))
    assert all(0.18 <= s.stance_time_s <= 0.30 for s in stances)


def leave_one_out(kinematic, plate):
    """Kinematic - plate TD differences, each corrected by the bias of the other stances."""
    diffs = ev.calibrate(kinematic, plate).td_diff_s
    n = len(diffs)
    return diffs - (diffs.sum() - diffs) / (n - 1)


def agreement(diffs_s):
    ms = 1000 * np.asarray(diffs_s)
    return {"mad": np.mean(np.abs(ms)), "bias": ms.mean(), "sd": ms.std(ddof=1), "n": len(ms)}


def check(stats):
    assert stats["mad"] <= 15.0, stats
    assert abs(stats["bias"]) <= 10.0, stats
    assert stats["sd"] <= 12.0, stats


@pytest.mark.parametrize(
    ("fixture", "mapping", "n_min"),
    [("ja1", JA1_FEET, 5), ("ja1", {**JA1_FEET, **JA1_MT5}, 5), ("rbds", RBDS_FEET, 80)],
    ids=["JA1Gait21", "JA1Gait21+mt5", "RBDS001runT35"],
)
def test_kinematic_touchdowns_against_plates(request, fixture, mapping, n_min):
    trial = request.getfixturevalue(fixture)
    feet = ev.foot_markers(trial, mapping)
    plate, _ = ev.plate_stances(trial, feet=feet)
    kinematic = ev.kinematic_stances(feet, fs_hz=trial.markers_hz)
    raw = agreement(ev.calibrate(kinematic, plate).td_diff_s)
    calibrated = agreement(leave_one_out(kinematic, plate))
    print(f"\n{fixture} {sorted(mapping)[-1]} raw {raw}\n  leave-one-out {calibrated}")
    assert raw["n"] >= n_min  # every plate stance found by the kinematic detector
    check(calibrated)
    assert raw["sd"] <= 5.0  # the detector is precise; only its offset depends on markers
    if fixture == "rbds" or "l_mt5" in mapping:
        check(raw)  # with a lateral forefoot marker no calibration is needed at all


def test_kinematic_toe_offs_against_plates(request, ja1, rbds):
    for trial, mapping in ((ja1, JA1_FEET), (rbds, RBDS_FEET)):
        feet = ev.foot_markers(trial, mapping)
        plate, _ = ev.plate_stances(trial, feet=feet)
        cal = ev.calibrate(ev.kinematic_stances(feet, fs_hz=trial.markers_hz), plate)
        assert abs(cal.to_bias_s) <= 0.010
        assert cal.to_sd_s <= 0.006


def test_combine_calibrates_kinematic_events_off_the_plates(ja1):
    feet = ev.foot_markers(ja1, JA1_FEET)
    plate, _ = ev.plate_stances(ja1, feet=feet)
    kinematic = ev.kinematic_stances(feet, fs_hz=ja1.markers_hz)
    stances, warnings = ev.combine(plate, kinematic)
    assert [s for s in stances if s.source == "plate"] == plate
    off = [s for s in stances if s.source == "kinematic"]
    assert len(off) >= 2  # the complete stances after the plates (the first one is partial)
    assert not any(
        k.side == p.side and k.td_s < p.to_s and k.to_s > p.td_s for k in off for p in plate
    )
    assert len(warnings) == 1 and "calibrated against 5 plate stances" in warnings[0]
    sides = [s.side for s in stances]
    assert all(a != b for a, b in itertools.pairwise(sides))
    good = [s for s in ev.strides(stances) if s.valid]
    assert len(good) >= 5
    assert all(0.6 <= s.stride_time_s <= 0.85 for s in good)


def roles_of(trial, mapping):
    return {role: trial.marker(label) for role, label in mapping.items()}


def test_handsaker_as_written_is_late_and_the_clearance_detector_is_not(ja1, rbds):
    # SCIENCE.md: Handsaker 2016 lands 11-17 ms late on these files; ours does better raw when
    # the lateral forefoot has a marker (JA1 LP5MT, RBDS MT5; with heel/toe/MT1 only, JA1's
    # lateral forefoot landing makes ours 16.5 ms late too, which the plate calibration removes)
    rbds_roles = {**RBDS_FEET, "l_toe": "L.MT5", "r_toe": "R.MT5"}
    for trial, mapping, hand_roles in (
        (ja1, {**JA1_FEET, **JA1_MT5}, JA1_FEET),
        (rbds, RBDS_FEET, rbds_roles),
    ):
        feet = ev.foot_markers(trial, mapping)
        plate, _ = ev.plate_stances(trial, feet=feet)
        hand = ev.handsaker_stances(roles_of(trial, hand_roles), fs_hz=trial.markers_hz)
        hand = ev.calibrate(hand, plate)
        ours = ev.calibrate(ev.kinematic_stances(feet, fs_hz=trial.markers_hz), plate)
        assert hand.n == ours.n >= len(plate) - 2  # first/last stance lack a swing before/after
        assert 0.010 <= hand.td_bias_s <= 0.020
        assert np.mean(np.abs(ours.td_diff_s)) < 0.5 * np.mean(np.abs(hand.td_diff_s))
        assert ours.td_sd_s < hand.td_sd_s + 0.0015


def test_detect_auto_reports_the_calibration(ja1):
    from lbprun.settings import Settings

    result = ev.detect(ja1, feet=ev.foot_markers(ja1, JA1_FEET))
    assert [s.source for s in result.stances].count("plate") == 5
    assert result.settings["kinematic_vs_plate_n"] == 5
    assert result.settings["kinematic_calibrated"] is True
    assert 10.0 < result.settings["kinematic_td_bias_ms"] < 20.0
    assert any("calibrated against 5 plate stances" in w for w in result.warnings)
    # file source: Vicon's events, said so in a warning
    filed = ev.detect(ja1, feet={}, settings=Settings(event_source="file"))
    assert {s.source for s in filed.stances} == {"file"}
    assert any("EVENT group" in w for w in filed.warnings)
    only_plates = ev.detect(ja1, feet={}, settings=Settings(event_source="plate"))
    assert [s.side for s in only_plates.stances] == [""] * 5  # no feet: foot unknown


def test_an_overground_plates_contacts_are_found_once(ja1, monkeypatch):
    """The treadmill check and the stance search share one filtered force and contact search
    per overground plate (issue 16), and find exactly what two separate searches found."""
    from lbprun import plates
    from lbprun.events import contacts

    settings = Settings()
    feet = ev.foot_markers(ja1, JA1_FEET)
    calls = []
    real = plates._plate_contacts

    def counted(plate, *args):
        calls.append(plate.index)
        return real(plate, *args)

    monkeypatch.setattr(plates, "_plate_contacts", counted)
    stances, _, _, kinds = contacts._plates(ja1, feet, settings)
    assert sorted(calls) == [p.index for p in ja1.plates]  # once each (all overground)
    for plate in ja1.plates:
        assert not kinds[plate.index]["treadmill"]
        _, on, off = real(plate, ja1.analog_hz, kinds[plate.index]["threshold_n"], settings)
        mine = [s for s in stances if s.plate == plate.index]
        assert len(mine) <= len(on)  # feet off the plate are rejected, the rest kept in order
        assert all(s.td_s in on.tolist() and s.to_s in off.tolist() for s in mine)
        assert ev.treadmill_reason(plate, fs_hz=ja1.analog_hz, feet=feet,
                                   markers_hz=ja1.markers_hz, settings=settings) == ""  # fmt: skip
