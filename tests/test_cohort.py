"""Cohort gathering on fabricated trial folders with known means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbprun import cohort
from lbprun.outputs import empty_waveforms, write_trial_outputs

PARTICIPANTS = pd.DataFrame(
    {
        "subject": ["s01", "s02"],
        "group": ["healthy", "lbp"],
        "mass_kg": [70.0, 80.0],
        "age": [30, 40],
    }
)
TRIALS = pd.DataFrame(
    {
        "subject": ["s01", "s01", "s01", "s02"],
        "trial": ["t1", "t2", "t3", "t1"],
        "path": ["s01/a.c3d", "s01/b.c3d", "s01/c.c3d", "s02/a.c3d"],
        "condition": ["run", "run", "walk", "run"],
        "speed_mps": [3.0, 3.0, 1.4, 3.0],
    }
)


def _write_ok(folder, *, pelvis_rom, stride_curves, crp_deg, n_stances=2):
    """A successful trial whose pelvis waveform strides are the given constant levels."""
    waves = empty_waveforms(len(stride_curves), n_stances)
    waves["pelvis_rot_deg"] = np.repeat(np.asarray(stride_curves, float)[:, None], 101, axis=1)
    waves["crp_deg"] = np.full((len(stride_curves), 101), float(crp_deg))
    waves["vgrf_bw"] = np.ones((n_stances, 101)) * 2.0
    stances = pd.DataFrame({"side": ["L", "R"][:n_stances], "knee_flex_td_deg": 10.0})
    strides = pd.DataFrame({"side": ["L"] * len(stride_curves), "valid": True})
    summary = {"status": "ok", "error": None, "n_strides": len(stride_curves),
               "pelvis_rot_rom_deg": pelvis_rom, "warnings": ["a", "b"],
               "settings": {"marker_cutoff_hz": 10.0}}  # fmt: skip
    write_trial_outputs(folder, summary=summary, stances=stances, strides=strides, waveforms=waves)


@pytest.fixture
def gathered(tmp_path):
    root = tmp_path / "trials"
    # s01/t1: strides 1 and 3 and an invalid NaN stride -> trial mean 2; CRP 170 deg
    _write_ok(root / "s01" / "t1", pelvis_rom=8.0, stride_curves=[1.0, 3.0, np.nan], crp_deg=170)
    # s01/t2: one stride of 6 -> trial mean 6; CRP -170 deg (circular mean with t1 is 180)
    _write_ok(root / "s01" / "t2", pelvis_rom=12.0, stride_curves=[6.0], crp_deg=-170)
    _write_ok(root / "s01" / "t3", pelvis_rom=5.0, stride_curves=[0.5], crp_deg=10)
    failed = root / "s02" / "t1"
    failed.mkdir(parents=True)
    (failed / "trial.json").write_text('{"status": "failed", "error": "no force plate."}')
    dirs = [root / "s02" / "t1", root / "s01" / "t2", root / "s01" / "t1", root / "s01" / "t3"]
    out = tmp_path / "cohort"
    cohort.gather(dirs, participants=PARTICIPANTS, trials=TRIALS, out_dir=out)
    return out


def test_trials_table_has_every_trial_sorted_with_sheet_columns(gathered):
    trials = pd.read_csv(gathered / "trials.csv")
    assert list(trials["subject"] + "/" + trials["trial"]) == ["s01/t1", "s01/t2", "s01/t3",
                                                               "s02/t1"]  # fmt: skip
    assert list(trials["group"]) == ["healthy", "healthy", "healthy", "lbp"]
    assert list(trials["status"]) == ["ok", "ok", "ok", "failed"]
    assert trials.loc[0, "settings_marker_cutoff_hz"] == 10.0
    assert trials.loc[0, "n_warnings"] == 2


def test_failed_trial_listed_with_path_and_error(gathered):
    failed = pd.read_csv(gathered / "failed_trials.csv")
    assert failed.to_dict("records") == [
        {"subject": "s02", "trial": "t1", "path": "s02/a.c3d", "error": "no force plate."}
    ]


def test_stances_and_strides_rows_carry_identifiers(gathered):
    stances = pd.read_csv(gathered / "stances.csv")
    strides = pd.read_csv(gathered / "strides.csv")
    assert len(stances) == 6 and len(strides) == 5  # NaN strides keep their row
    assert list(stances.columns[:5]) == ["subject", "trial", "group", "condition", "speed_mps"]
    assert set(stances["trial"]) == {"t1", "t2", "t3"}  # the failed trial has no rows
    assert list(strides.loc[strides["trial"] == "t3", "condition"]) == ["walk"]


def test_subjects_are_means_of_ok_trials_per_condition(gathered):
    subjects = pd.read_csv(gathered / "subjects.csv")
    assert list(subjects["condition"]) == ["run", "walk"]  # s02's only trial failed
    run = subjects.iloc[0]
    assert run["pelvis_rot_rom_deg"] == pytest.approx(10.0)
    assert run["n_trials"] == 2 and run["age"] == 30 and run["speed_mps"] == 3.0


def test_waveforms_average_trial_means_not_pooled_strides(gathered):
    waves = pd.read_parquet(gathered / "waveforms.parquet")
    pelvis = waves[(waves["waveform"] == "pelvis_rot_deg") & (waves["condition"] == "run")]
    # trial means 2 and 6 -> 4 (pooling the 3 valid strides would give 3.33)
    np.testing.assert_allclose(cohort.waveform_matrix(pelvis), 4.0)
    assert pelvis["n_trials"].item() == 2 and pelvis["n_cycles"].item() == 3
    crp = waves[(waves["waveform"] == "crp_deg") & (waves["condition"] == "run")]
    # circular mean of 170 and -170 is 180 (a linear mean would say 0)
    np.testing.assert_allclose(np.abs(cohort.waveform_matrix(crp)), 180.0)
    # all-NaN waveforms (knee flexion here) give no row rather than a NaN curve
    assert "vgrf_bw" in set(waves["waveform"]) and "knee_flex_deg" not in set(waves["waveform"])


def test_unknown_trial_folder_is_one_clear_error(tmp_path):
    stray = tmp_path / "s09" / "t1"
    stray.mkdir(parents=True)
    with pytest.raises(ValueError, match="s09/t1 is not in the trials sheet"):
        cohort.gather([stray], participants=PARTICIPANTS, trials=TRIALS, out_dir=tmp_path / "o")


def test_missing_trial_json_is_recorded_as_failed(tmp_path):
    folder = tmp_path / "s01" / "t1"
    folder.mkdir(parents=True)
    cohort.gather([folder], participants=PARTICIPANTS, trials=TRIALS, out_dir=tmp_path / "o")
    failed = pd.read_csv(tmp_path / "o" / "failed_trials.csv")
    assert failed["error"].item().endswith("trial.json is missing.")
