"""`lbprun extract` on real running trials: complete, plausible, explained, deterministic output.

Every case runs the command line (``lbprun.cli.main``) once per session and the tests read the
four files it wrote, checking them against CONTRACT.md (keys, columns, shapes, internal
consistency) and against ranges that running biomechanics allows, each with its reason.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbprun import cli, trial

# CONTRACT.md, written out here (not imported) so that a change to the package cannot pass silently
CONTRACT_TRIAL_KEYS = (
    "status", "error", "file", "sha256", "markers_hz", "analog_hz", "vertical_axis", "markerset",
    "n_strides", "n_stances", "n_plate_stances", "stride_frequency_hz", "cadence_steps_min",
    "pelvis_rot_rom_deg", "thorax_rot_rom_deg", "trunk_rot_rom_deg", "relphase_fourier_deg",
    "coherence_stride", "crp_marp_deg", "crp_dp_deg", "vc_inphase_pct", "vc_antiphase_pct",
    "vc_pelvis_phase_pct", "vc_thorax_phase_pct", "vc_cav_deg", "knee_flex_td_deg",
    "knee_flex_peak_stance_deg", "trunk_incl_td_deg", "impact_peak_bw", "active_peak_bw",
    "valr_bw_s", "vilr_bw_s", "stance_time_s", "warnings", "settings",
)  # fmt: skip
CONTRACT_STANCE_COLUMNS = [
    "side", "td_s", "to_s", "stance_time_s", "event_source", "plate", "knee_flex_td_deg",
    "knee_flex_peak_stance_deg", "trunk_incl_td_deg", "impact_peak_bw", "active_peak_bw",
    "valr_bw_s", "vilr_bw_s", "lr_3_12_bw_s", "footstrike",
]  # fmt: skip
CONTRACT_STRIDE_COLUMNS = [
    "side", "td_s", "next_td_s", "stride_time_s", "pelvis_rot_rom_deg", "thorax_rot_rom_deg",
    "trunk_rot_rom_deg", "crp_mean_abs_deg", "vc_inphase_pct", "vc_antiphase_pct",
    "vc_pelvis_phase_pct", "vc_thorax_phase_pct", "valid", "invalid_reason",
]  # fmt: skip
STRIDE_WAVEFORMS = (
    "pelvis_rot_deg", "thorax_rot_deg", "trunk_rot_deg", "crp_deg", "vc_coupling_deg",
    "knee_flex_deg",
)  # fmt: skip

# Ranges for distance running at 2.5-5 m/s, with their reasons:
PLAUSIBLE = {
    # contact 0.18-0.30 s at 3-5 m/s (Cavanagh & Lafortune 1980; Dorn 2012); margin for slow jogs
    "stance_time_s": (0.15, 0.32),
    # 150-190 steps/min covers recreational to elite runners (Heiderscheit 2011)
    "cadence_steps_min": (150.0, 190.0),
    # the knee lands flexed 5-25 deg and flexes to 35-50 deg in mid-stance (Novacheck 1998)
    "knee_flex_td_deg": (0.0, 30.0),
    "knee_flex_peak_stance_deg": (30.0, 55.0),
    # forward trunk lean in running 0-30 deg (Teng & Powers 2014)
    "trunk_incl_td_deg": (0.0, 30.0),
    # transverse ranges per stride: pelvis 5-20 deg, thorax 5-30 deg (Schache 2002; Seay 2011)
    "pelvis_rot_rom_deg": (3.0, 25.0),
    "thorax_rot_rom_deg": (3.0, 35.0),
    "trunk_rot_rom_deg": (3.0, 45.0),
    # vertical GRF: active peak 2-3.5 BW; impact peak 1.2-2.5 BW; loading rates 20-150 BW/s
    # (Cavanagh & Lafortune 1980; Milner 2006; Drozda 2024)
    "active_peak_bw": (2.0, 3.5),
    "impact_peak_bw": (1.2, 2.5),
    "valr_bw_s": (20.0, 150.0),
    "lr_3_12_bw_s": (15.0, 150.0),
    # relative phases are angles in [0, 180]
    "relphase_fourier_deg": (0.0, 180.0),
    "crp_marp_deg": (0.0, 180.0),
    # adult runners
    "body_mass_kg": (40.0, 110.0),
}
# A null measure must be explained by a warning containing one of these words.
NULL_REASONS = {
    "stride": ("stride",),
    "rot_rom": ("stride", "pelvis", "thorax"),
    "coordination": ("stride", "thorax", "pelvis"),
    "knee": ("knee",),
    "trunk_incl": ("thorax",),
    "force": ("body mass", "impact peak", "force plate"),  # and see test_every_null_is_explained
}
NULL_GROUPS = {
    "stride": ("stride_frequency_hz", "cadence_steps_min"),
    "rot_rom": ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "trunk_rot_rom_deg"),
    "coordination": (
        "relphase_fourier_deg",
        "coherence_stride",
        "crp_marp_deg",
        "crp_dp_deg",
        "vc_inphase_pct",
        "vc_antiphase_pct",
        "vc_pelvis_phase_pct",
        "vc_thorax_phase_pct",
        "vc_cav_deg",
    ),
    "knee": ("knee_flex_td_deg", "knee_flex_peak_stance_deg"),
    "trunk_incl": ("trunk_incl_td_deg",),
    "force": ("impact_peak_bw", "active_peak_bw", "valr_bw_s", "vilr_bw_s"),
}

JA1 = "dorn2012_flash-running/JA1Gait21.c3d"
JA1_STATIC = "dorn2012_flash-running/JA1Static05.c3d"
RUN2 = "pyorerun/Running_0002.c3d"
RBDS = "bmc-ric/RBDS001runT35.c3d"
RBDS_STATIC = "bmc-ric/RBDS001static.c3d"
# case -> (trial, static, mass_kg)
CASES = {
    "ja1": (JA1, None, None),
    "ja1_static_mass": (JA1, JA1_STATIC, 70.0),
    "ja1_static": (JA1, JA1_STATIC, None),
    "running_0002": (RUN2, None, None),
    "rbds001": (RBDS, None, None),
    "rbds001_static": (RBDS, RBDS_STATIC, 60.5),
}
# The trial-level keys each case leaves null (each explained: test_every_null_is_explained), so
# that no check below passes because a value it guards is missing.
_FORCE_NULL = {"impact_peak_bw", "valr_bw_s"}  # non-rearfoot strikes: no impact peak
_NO_MASS = {"active_peak_bw", "lr_3_12_bw_s", "body_mass_kg", *_FORCE_NULL}
_NO_THORAX = {"thorax_rot_rom_deg", "trunk_rot_rom_deg", "trunk_incl_td_deg", "crp_marp_deg",
              "relphase_fourier_deg"}  # fmt: skip
NULLS = {
    "ja1": {"coherence_stride", *_NO_MASS},
    "ja1_static_mass": {"coherence_stride", *_FORCE_NULL},
    "ja1_static": {"coherence_stride", *_FORCE_NULL},
    "running_0002": {
        "coherence_stride",
        "cadence_steps_min",
        "stride_frequency_hz",
        "pelvis_rot_rom_deg",
        "crp_marp_deg",
        "relphase_fourier_deg",
        "thorax_rot_rom_deg",
        "trunk_rot_rom_deg",
        *_NO_MASS,
    },
    "rbds001": {
        "coherence_stride",
        "knee_flex_td_deg",
        "knee_flex_peak_stance_deg",
        *_NO_THORAX,
        *_FORCE_NULL,
    },
    "rbds001_static": {"coherence_stride", *_NO_THORAX, *_FORCE_NULL},
}
CHECKED = {*PLAUSIBLE, "coherence_stride", "cadence_steps_min", "stride_frequency_hz"}
FAILING = {
    "empty": "btkdata/others/Empty.c3d",
    "segfault": "crafted/segfault_ezc3d.c3d",
    # every pelvis and foot marker named but empty, 100 Hz plates never loaded: main failed on
    # the 50 Hz force filter at Nyquist, then on a pelvis "that does not travel"
    "no_data": "btkdata/others/parameterOverflow.c3d",
    # a static trial named as a running trial: its plate has no analog samples (was IndexError)
    "static_as_trial": "bmc-ric/RBDS001static.c3d",
    # force plates only, POINT:RATE 0 (was ZeroDivisionError)
    "force_only": "ezc3d-testfiles/Kistler.c3d",
}


def _run_cli(c3d_dir: Path, out: Path, rel: str, static=None, mass_kg=None) -> int:
    argv = ["extract", str(c3d_dir / rel), "--out", str(out)]
    if static:
        argv += ["--static", str(c3d_dir / static)]
    if mass_kg:
        argv += ["--mass-kg", str(mass_kg)]
    return cli.main(argv)


@pytest.fixture(scope="module")
def runs(c3d_dir, tmp_path_factory) -> dict:
    """case -> (exit code, output folder), each case extracted once."""
    root = tmp_path_factory.mktemp("extract")
    out = {}
    for case, (rel, static, mass) in {
        **CASES,
        **{k: (v, None, None) for k, v in FAILING.items()},
    }.items():
        out[case] = (_run_cli(c3d_dir, root / case, rel, static, mass), root / case)
    return out


def _read(folder: Path):
    summary = json.loads((folder / "trial.json").read_text())
    stances = pd.read_csv(folder / "stances.csv", keep_default_na=True)
    strides = pd.read_csv(folder / "strides.csv")
    if not len(strides):  # header only: numeric (empty) columns, as a reader would cast them
        strides = strides.astype(float)
    with np.load(folder / "waveforms.npz") as npz:
        waves = {k: npz[k] for k in npz.files}
    return summary, stances, strides, waves


def _assert_mean(value, column: pd.Series, key: str) -> None:
    """A trial-level value is the mean of its column, or null when the column is all empty."""
    if column.notna().any():
        assert value == pytest.approx(column.mean(), rel=1e-9), key
    else:
        assert value is None, key


@pytest.mark.parametrize("case", list(CASES))
def test_contract_files_complete(runs, case):
    code, folder = runs[case]
    assert code == 0
    summary, stances, strides, waves = _read(folder)
    assert summary["status"] == "ok" and summary["error"] is None
    assert set(CONTRACT_TRIAL_KEYS) <= summary.keys()
    assert list(stances.columns) == CONTRACT_STANCE_COLUMNS
    assert list(strides.columns) == CONTRACT_STRIDE_COLUMNS
    assert isinstance(summary["warnings"], list) and isinstance(summary["settings"], dict)
    assert len(summary["sha256"]) == 64
    for key in STRIDE_WAVEFORMS:
        assert waves[key].shape == (len(strides), 101), key
    assert waves["vgrf_bw"].ndim == 2 and waves["vgrf_bw"].shape[1] == 101
    assert waves["vgrf_stance_row"].shape == (len(waves["vgrf_bw"]),)


@pytest.mark.parametrize("case", list(CASES))
def test_tables_consistent_with_summary(runs, case):
    summary, stances, strides, waves = _read(runs[case][1])
    valid = strides["valid"].to_numpy(bool)
    assert summary["n_stances"] == len(stances)
    assert summary["n_strides"] == int(valid.sum())
    assert summary["n_plate_stances"] == int(stances["plate"].notna().sum())
    assert stances["side"].isin(["L", "R"]).all() and strides["side"].isin(["L", "R"]).all()
    assert stances["event_source"].isin(["plate", "kinematic", "file"]).all()
    assert np.all(np.diff(stances["td_s"]) > 0)
    np.testing.assert_allclose(stances["stance_time_s"], stances["to_s"] - stances["td_s"])
    np.testing.assert_allclose(strides["stride_time_s"], strides["next_td_s"] - strides["td_s"])
    # invalid strides say why and have NaN waveforms; valid ones are finite where computed
    assert strides.loc[~valid, "invalid_reason"].notna().all()
    for key in STRIDE_WAVEFORMS:
        assert np.isnan(waves[key][~valid]).all()
        rows = waves[key][valid]
        assert np.isfinite(rows).all(axis=1).all() or np.isnan(rows).all(axis=1).all(), key
    # trial-level values are means over the valid strides / the stances
    ok = strides[valid]
    for key in ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "trunk_rot_rom_deg"):
        _assert_mean(summary[key], ok[key], key)
    for key in ("stance_time_s", "knee_flex_td_deg", "active_peak_bw", "lr_3_12_bw_s"):
        _assert_mean(summary[key], stances[key], key)
    if "cadence_steps_min" in NULLS[case]:
        assert summary["cadence_steps_min"] is None and not valid.any()
        return
    stride_s = ok["stride_time_s"].mean()
    assert summary["cadence_steps_min"] == pytest.approx(120.0 / stride_s)
    assert summary["stride_frequency_hz"] == pytest.approx(1.0 / stride_s)


@pytest.mark.parametrize("case", list(CASES))
def test_vgrf_stance_rows(runs, case):
    """Each vGRF curve belongs to a plate stance, and its peak is that stance's active peak."""
    summary, stances, _, waves = _read(runs[case][1])
    rows, curves = waves["vgrf_stance_row"], waves["vgrf_bw"]
    assert len(set(rows.tolist())) == len(rows)
    assert (summary["body_mass_kg"] is None) == ("body_mass_kg" in NULLS[case])
    if summary["body_mass_kg"] is None:
        assert len(rows) == 0  # nothing in BW without a body weight
        return
    assert sorted(rows.tolist()) == np.flatnonzero(stances["plate"].notna()).tolist()
    for row, curve in zip(rows, curves, strict=True):
        peak = stances.loc[row, "active_peak_bw"]
        # the 101-point curve samples the stance; its max is within 1 % of the true peak
        assert np.nanmax(curve) == pytest.approx(peak, rel=0.01)
        assert np.nanmax(curve) <= peak + 1e-9
        assert curve[0] < 0.5 and curve[-1] < 0.5  # touchdown and toe-off: force near zero


@pytest.mark.parametrize("case", list(CASES))
def test_values_plausible(runs, case):
    summary, stances, strides, _ = _read(runs[case][1])
    assert {k for k in CHECKED if summary.get(k) is None} == NULLS[case]
    for key, (lo, hi) in PLAUSIBLE.items():
        value = summary[key]
        assert value is None or lo <= value <= hi, f"{case}: {key} = {value} outside [{lo}, {hi}]"
    for key in ("stance_time_s", "knee_flex_td_deg", "knee_flex_peak_stance_deg"):
        lo, hi = PLAUSIBLE[key]
        values = stances[key].dropna()
        assert values.between(lo, hi).all(), f"{case}: stance {key} {values.tolist()}"
    valid = strides["valid"].to_numpy(bool)
    pct = strides.loc[valid, ["vc_inphase_pct", "vc_antiphase_pct", "vc_pelvis_phase_pct",
                              "vc_thorax_phase_pct"]].dropna()  # fmt: skip
    np.testing.assert_allclose(pct.sum(axis=1), 100.0, atol=1e-6)
    # coherence needs 12 strides: null on every case here (JA1Gait21 has 3.5 stride periods,
    # RBDS001 has no thorax); its range is tested in tests/test_coordination.py


@pytest.mark.parametrize("case", list(CASES))
def test_every_null_is_explained(runs, case):
    summary = _read(runs[case][1])[0]
    text = " ".join(summary["warnings"]).lower()
    for group, keys in NULL_GROUPS.items():
        null = [k for k in keys if summary.get(k) is None]
        if null:
            assert any(word in text for word in NULL_REASONS[group]), (case, null, text)
    # force measures: each null for its own reason
    if summary["body_mass_kg"] is None:
        assert "body mass not given" in text
    elif summary["active_peak_bw"] is None:
        assert "no stance on a force plate" in text
    elif summary["impact_peak_bw"] is None:
        assert "no impact peak" in text


def test_ja1gait21_overground(runs):
    """Dorn 2012 JA1Gait21: overground, five stances on plates, thorax and pelvis markers."""
    summary, stances, _, _ = _read(runs["ja1"][1])
    assert summary["markers_hz"] == 250.0 and summary["vertical_axis"] == "+Z"
    assert summary["n_plate_stances"] == 5 and summary["n_stances"] >= 6
    assert summary["n_strides"] >= 4
    assert set(stances["event_source"]) == {"plate", "kinematic"}
    # complete kinematics: every coordination measure computed but the coherence, which six
    # strides cannot support (one Welch segment gives 1 whatever the signals; issue 11)
    for key in NULL_GROUPS["coordination"] + NULL_GROUPS["rot_rom"] + NULL_GROUPS["knee"]:
        assert (summary[key] is None) == (key == "coherence_stride"), key
    assert any(w.startswith("coherence_stride is null") for w in summary["warnings"])
    assert summary["impact_peak_bw"] is None  # no body mass given
    assert any("body mass" in w for w in summary["warnings"])


def test_ja1gait21_static_calibration(runs):
    """The static trial changes the knee model (cluster-calibrated epicondyles), not the events."""
    plain, st_plain, *_ = _read(runs["ja1"][1])
    calib, st_calib, *_ = _read(runs["ja1_static_mass"][1])
    assert calib["settings"]["knee_model_L"] == "jcs_static_calibrated"
    assert plain["settings"]["knee_model_L"] == "plug_in_gait"
    np.testing.assert_allclose(st_plain["td_s"], st_calib["td_s"])
    diff = st_calib["knee_flex_td_deg"] - st_plain["knee_flex_td_deg"]
    assert 0.5 < diff.abs().mean() < 10.0  # different models, same knee
    assert calib["body_mass_kg"] == pytest.approx(70.0)
    assert calib["active_peak_bw"] is not None and calib["lr_3_12_bw_s"] is not None


def test_ja1gait21_body_mass_from_the_static_trial_on_a_plate(runs):
    """Issue 11 defect 5: JA1Static05 stands on plate 4 (744.8 N); main reported forces null."""
    summary, stances, _, _ = _read(runs["ja1_static"][1])
    assert summary["body_mass_source"] == "static_trial_plates"
    weight_n = 744.8  # median vertical force of JA1Static05's plate 4 (SD 4.2 N)
    g = summary["settings"]["gravity_m_s2"]
    assert summary["body_mass_kg"] * g == pytest.approx(weight_n, abs=0.5)
    assert any("from the static trial JA1Static05.c3d" in w for w in summary["warnings"])
    with_mass = _read(runs["ja1_static_mass"][1])[0]
    # the same forces in BW as with the sheet's mass, scaled by the two body weights
    ratio = 70.0 * g / (summary["body_mass_kg"] * g)
    assert summary["active_peak_bw"] == pytest.approx(with_mass["active_peak_bw"] * ratio)
    assert stances["lr_3_12_bw_s"].notna().sum() == summary["n_plate_stances"] == 5


def test_running_0002_single_stance(runs):
    """Running_0002 has one stance: stance measures exist, stride measures are null, explained."""
    summary, stances, _, _ = _read(runs["running_0002"][1])
    assert summary["n_stances"] == 1 and summary["n_strides"] == 0
    assert stances.loc[0, "event_source"] == "plate"
    assert summary["knee_flex_td_deg"] is not None and summary["stance_time_s"] is not None
    for key in NULL_GROUPS["stride"] + NULL_GROUPS["rot_rom"] + NULL_GROUPS["coordination"]:
        assert summary[key] is None, key
    assert any("stride" in w for w in summary["warnings"])


@pytest.mark.parametrize("case", ["rbds001", "rbds001_static"])
def test_rbds001_treadmill(runs, case):
    """RBDS001runT35: 30 s of treadmill, every stance on the plate, no thorax markers."""
    summary, stances, _, _ = _read(runs[case][1])
    assert summary["vertical_axis"] == "+Y"  # Y-up lab, rotated to Z-up internally
    assert (stances["event_source"] == "plate").all() and len(stances) >= 80
    assert summary["n_strides"] >= 80
    for key in NULL_GROUPS["coordination"] + ("thorax_rot_rom_deg", "trunk_rot_rom_deg"):
        assert summary[key] is None, key
    assert any("no thorax markers" in w for w in summary["warnings"])
    assert summary["pelvis_rot_rom_deg"] is not None
    # non-rearfoot striker: no impact peak, the 3-12 % loading rate instead
    assert (stances["footstrike"] == "non_rearfoot").mean() > 0.9
    assert summary["lr_3_12_bw_s"] is not None
    if case == "rbds001":
        # no mass given: estimated from the treadmill's mean force, with a warning
        assert summary["body_mass_source"] == "treadmill_mean_force"
        assert any("estimated" in w for w in summary["warnings"])
        assert summary["knee_flex_td_deg"] is None  # cluster-only legs without the static
    else:
        assert summary["settings"]["knee_model_R"] == "jcs_static_calibrated"
        assert stances["knee_flex_td_deg"].notna().all()


@pytest.mark.parametrize("case", list(FAILING))
def test_unreadable_files_fail_cleanly(runs, case, capsys):
    code, folder = runs[case]
    assert code == 2
    summary, stances, strides, _ = _read(folder)
    assert summary["status"] == "failed"
    error = summary["error"]
    assert "\n" not in error and error.startswith(Path(FAILING[case]).name + ":")
    assert error.count(". ") == 0 and len(error) < 200  # one sentence
    assert summary["n_strides"] == summary["n_stances"] == 0
    assert "could not be processed" not in error  # our own sentence, not an unforeseen error
    assert list(stances.columns) == CONTRACT_STANCE_COLUMNS and len(stances) == 0
    assert list(strides.columns) == CONTRACT_STRIDE_COLUMNS and len(strides) == 0


@pytest.mark.parametrize("case", ["ja1_static_mass", "rbds001"])
def test_outputs_byte_identical_across_runs(runs, case, tmp_path):
    rel, static, mass = CASES[case]
    first = runs[case][1]
    c3d_dir = Path(json.loads((first / "trial.json").read_text())["file"]).parents[1]
    trial.extract(
        c3d_dir / rel,
        tmp_path,
        static=c3d_dir / static if static else None,
        mass_kg=mass,
    )
    for name in ("trial.json", "stances.csv", "strides.csv", "waveforms.npz"):
        assert (tmp_path / name).read_bytes() == (first / name).read_bytes(), name


def test_nan_free_json(runs):
    """trial.json is strict JSON: NaN and infinities become null."""
    for _, folder in runs.values():
        text = (folder / "trial.json").read_text()
        json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_a_batch_reads_its_static_once(c3d_dir, tmp_path, monkeypatch):
    """extract_many's trials of one session share one read of their static (issue 16); each gets
    its own copy, a static rewritten since is read again, and the trial extracted with the
    cached static writes the same bytes as the one that read it."""
    static = tmp_path / "static.c3d"
    static.write_bytes((c3d_dir / "bmc-ric/20140515T133244_static.c3d").read_bytes())
    dynamic = c3d_dir / "bmc-ric/20140515T133244_run.c3d"
    reads = []
    real_load = trial.c3d.load
    monkeypatch.setattr(trial.c3d, "load", lambda p, **kw: reads.append(Path(p)) or real_load(p))
    monkeypatch.setattr(trial, "_STATICS", {})
    jobs = [{"path": dynamic, "out_dir": tmp_path / f"t{i}", "static": static} for i in range(2)]
    trial.extract_many(jobs)
    assert reads.count(static) == 1 and reads.count(dynamic) == 2
    first, second = (trial._load_static(static) for _ in range(2))
    assert first is not second and first.markers_m is not second.markers_m
    np.testing.assert_array_equal(first.markers_m, second.markers_m)
    os.utime(static, ns=(1, 1))  # rewritten (another mtime): read again
    trial._load_static(static)
    assert reads.count(static) == 2
    for name in ("trial.json", "stances.csv", "strides.csv", "waveforms.npz"):
        assert (tmp_path / "t0" / name).read_bytes() == (tmp_path / "t1" / name).read_bytes()


def test_a_batch_is_flushed_once_not_file_by_file(c3d_dir, tmp_path, monkeypatch):
    """extract_many writes exactly what extract writes, without an fsync per file, and flushes
    the batch to disk once before it returns (issue 16); where syncfs is missing or fails,
    every output file and folder is fsynced instead."""
    from lbprun import outputs

    path = c3d_dir / "pyorerun/Running_0002.c3d"
    trial.extract(path, tmp_path / "single")
    if sys.platform.startswith("linux"):
        assert outputs._syncfs(tmp_path)  # the real call works here
    fsyncs, flushes = [], []
    monkeypatch.setattr(os, "fsync", fsyncs.append)
    for works in (True, False):
        fsyncs.clear()
        monkeypatch.setattr(outputs, "_syncfs", lambda d, w=works: flushes.append(d) or w)
        jobs = [{"path": path, "out_dir": tmp_path / f"{works}{i}"} for i in range(3)]
        trial.extract_many(jobs)
        if works:  # one filesystem: one flush, no fsync
            assert len(flushes) == 1 and fsyncs == []
        else:  # four files and the folder, for each trial
            assert len(fsyncs) == 3 * 5
        for job in jobs:
            for name in outputs.OUTPUT_FILES:
                single = (tmp_path / "single" / name).read_bytes()
                assert (job["out_dir"] / name).read_bytes() == single, name


def test_every_corpus_file_is_extracted_or_fails_with_one_sentence(c3d_dir, tmp_path, capsys):
    # What `lbprun extract` and `lbprun inspect` do with each C3D file of every lab in the
    # corpus (walking, statics, plates only, markerless, crafted): a result (exit 0) or one
    # sentence (exit 2), never a bug (exit 70) -- a cohort naming any of them keeps its other
    # trials, and inspecting a static trial works.
    codes = {}
    for path in sorted(c3d_dir.rglob("*.c3d")):
        rel = path.relative_to(c3d_dir).as_posix()
        out = tmp_path / str(len(codes))
        codes[rel] = (cli.main(["extract", str(path), "--out", str(out)]),
                      cli.main(["inspect", str(path)]))  # fmt: skip
    capsys.readouterr()
    assert len(codes) >= 40
    assert {rel: c for rel, c in codes.items() if not set(c) <= {0, 2}} == {}


def _extract_fuzz(c3d_dir: Path, tmp_path: Path, keep) -> dict:
    """Extract the fuzz variants ``keep(index, name)`` selects: outcome counts; a bug raises."""
    from tests import faults_helpers as fh

    counts = {"ok": 0, "failed": 0}
    for k, (name, content) in enumerate(fh.fuzz_corpus(c3d_dir)):
        if not keep(k, name):
            continue
        path = tmp_path / f"{name}.c3d"
        path.write_bytes(content)
        # the code a batch job runs for each trial: bad data is a failed trial with one
        # sentence; anything else (a bug) raises here and fails the test
        summary = trial.extract(path, tmp_path / "out" / name, mass_kg=70.0)
        if summary["status"] == "failed":
            message = summary["error"]
            assert message.startswith(path.name) and "\n" not in message, message
            counts["failed"] += 1
        else:
            counts["ok"] += 1
        path.unlink()
    return counts


def test_damaged_rates_fail_the_trial_with_one_sentence(c3d_dir, tmp_path):
    # POINT:RATE inf, 1e38 or 1e-9 in a damaged file reached the filters (ValueError,
    # LinAlgError: a bug, the batch job and the run stopped); now each is the trial's sentence
    counts = _extract_fuzz(c3d_dir, tmp_path, lambda k, name: "POINT_RATE" in name)
    assert counts["failed"] >= 9, counts


def test_fuzz_sample_is_extracted_or_fails_with_one_sentence(c3d_dir, tmp_path):
    counts = _extract_fuzz(c3d_dir, tmp_path, lambda k, name: k % 40 == 0)
    assert counts["ok"] and counts["failed"], counts


@pytest.mark.slow
def test_fuzz_corpus_is_extracted_or_fails_with_one_sentence(c3d_dir, tmp_path):
    counts = _extract_fuzz(c3d_dir, tmp_path, lambda k, name: True)
    print("\nextraction fuzz:", counts)
    assert counts["ok"] + counts["failed"] >= 1000, counts
