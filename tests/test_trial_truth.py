"""`lbprun extract` against the demo cohort's exact ground truth (lbprun.synth), over every trial.

A small cohort is simulated once per session -- treadmill (2 + 2 runners, 6 s, every stance on
the plate) and overground (1 + 1 runners, three plates, the other stances found from the
markers) -- with marker noise and force noise as in the demo, and every trial is extracted
with the participants sheet's body mass. The thresholds are issue 4's; each test prints the
largest error it found, so a run shows the achieved accuracy, not only pass/fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbprun import synth, trial

COHORTS = {
    "treadmill": {"n_per_group": 2, "speeds_mps": (3.0,), "seed": 11, "duration_s": 6.0},
    "overground": {"n_per_group": 1, "speeds_mps": (3.5,), "seed": 12},
}


@pytest.fixture(scope="session")
def cohort(tmp_path_factory) -> dict:
    """setup -> list of (trial key, summary, stances, strides, truth trial, stances, strides)."""
    root = tmp_path_factory.mktemp("truth")
    out = {}
    for setup, options in COHORTS.items():
        folder = root / setup
        synth.write_cohort(folder, setup=setup, **options)
        participants = pd.read_csv(folder / "participants.tsv", sep="\t").set_index("subject")
        trials = pd.read_csv(folder / "trials.tsv", sep="\t")
        jobs = [
            {
                "path": folder / row.path,
                "out_dir": folder / "out" / row.subject / row.trial,
                "mass_kg": participants.loc[row.subject, "mass_kg"],
            }
            for row in trials.itertuples()
        ]
        summaries = trial.extract_many(jobs)
        truth = {
            name: pd.read_csv(folder / f"truth_{name}.csv")
            for name in ("trials", "stances", "strides")
        }
        rows = []
        for row, job, summary in zip(trials.itertuples(), jobs, summaries, strict=True):
            key = (row.subject, row.trial)
            mine = {
                k: truth[k][(truth[k].subject == key[0]) & (truth[k].trial == key[1])]
                for k in truth
            }
            rows.append(
                {
                    "key": f"{setup}:{key[0]}",
                    "summary": summary,
                    "stances": pd.read_csv(job["out_dir"] / "stances.csv"),
                    "strides": pd.read_csv(job["out_dir"] / "strides.csv"),
                    "truth": mine["trials"].iloc[0],
                    "truth_stances": mine["stances"].reset_index(drop=True),
                    "truth_strides": mine["strides"].reset_index(drop=True),
                }
            )
        out[setup] = rows
    return out


def _all(cohort) -> list[dict]:
    return [row for rows in cohort.values() for row in rows]


def _matched(row: dict) -> pd.DataFrame:
    """Truth stances joined to the pipeline's stance of the same side with the nearest TD."""
    found = row["stances"]
    pairs = []
    for _, true in row["truth_stances"].iterrows():
        same = found[found["side"] == true["side"]]
        if not len(same):
            continue
        j = (same["td_s"] - true["td_s"]).abs().idxmin()
        if abs(same.loc[j, "td_s"] - true["td_s"]) > 0.1:  # not found (see test_every_stance_found)
            continue
        pairs.append({**{f"{k}_true": v for k, v in true.items()}, **found.loc[j].to_dict()})
    return pd.DataFrame(pairs)


def _report(name: str, errors: dict[str, float], unit: str) -> float:
    worst = max(errors.values())
    detail = ", ".join(f"{k} {v:.3f}" for k, v in errors.items())
    print(f"\n{name}: max {worst:.3f} {unit} ({detail})")
    return worst


def test_every_trial_extracted(cohort):
    for row in _all(cohort):
        summary = row["summary"]
        assert summary["status"] == "ok", summary["error"]
        assert summary["body_mass_source"] == "sheet"
        assert summary["n_stances"] >= 0.75 * row["truth"]["n_stances"], row["key"]


def test_plate_events_within_one_frame(cohort):
    """Plate touchdown and toe-off within one marker frame of the model's force onset/offset."""
    errors = {}
    for row in _all(cohort):
        pairs = _matched(row)
        plate = pairs[pairs["plate_true"].notna()]
        fs = row["summary"]["markers_hz"]
        assert (plate["event_source"] == "plate").all(), row["key"]
        assert len(plate) == row["truth_stances"]["plate"].notna().sum(), row["key"]
        err = np.abs(np.r_[plate["td_s"] - plate["td_s_true"], plate["to_s"] - plate["to_s_true"]])
        errors[row["key"]] = float(err.max() * fs)
    assert _report("plate TD/TO error", errors, "frames") <= 1.0


def test_kinematic_events_within_one_frame(cohort):
    """Marker-based touchdown/toe-off (overground stances off the plates) within one frame."""
    errors = {}
    for row in cohort["overground"]:
        pairs = _matched(row)
        kin = pairs[pairs["event_source"] == "kinematic"]
        fs = row["summary"]["markers_hz"]
        err = np.abs(np.r_[kin["td_s"] - kin["td_s_true"], kin["to_s"] - kin["to_s_true"]])
        errors[row["key"]] = float(err.max() * fs)
    assert _report("kinematic TD/TO error", errors, "frames") <= 1.0


def test_every_stance_found_once(cohort):
    """Every simulated stance is found, and nothing else is (no swing taken for a stance)."""
    problems = {}
    for row in _all(cohort):
        pairs = _matched(row)
        missed = len(row["truth_stances"]) - len(pairs)
        extra = len(row["stances"]) - len(pairs)
        if missed or extra:
            problems[row["key"]] = f"{missed} missed, {extra} spurious"
    assert not problems, problems


def test_knee_flexion_at_touchdown_within_1deg(cohort):
    """Knee flexion at every touchdown (10 Hz marker filter, plate or kinematic TD) within 1 deg."""
    errors = {}
    for row in _all(cohort):
        pairs = _matched(row)
        errors[row["key"]] = float(
            np.abs(pairs["knee_flex_td_deg"] - pairs["knee_flex_td_deg_true"]).max()
        )
    assert _report("knee flexion at TD error", errors, "deg") <= 1.0


def test_rotation_amplitudes_within_half_degree(cohort):
    """Pelvis, thorax and trunk rotation amplitude (trial means over strides) within 0.5 deg."""
    errors = {}
    for row in _all(cohort):
        for key in ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "trunk_rot_rom_deg"):
            errors[f"{row['key']} {key[:6]}"] = abs(row["summary"][key] - row["truth"][key])
    assert _report("rotation amplitude error", errors, "deg") <= 0.5


def test_relative_phase_within_2deg(cohort):
    """Fourier relative phase and CRP MARP within 2 deg of the model's."""
    errors = {}
    for row in _all(cohort):
        for key in ("relphase_fourier_deg", "crp_marp_deg"):
            errors[f"{row['key']} {key[:8]}"] = abs(row["summary"][key] - row["truth"][key])
    assert _report("relative phase error", errors, "deg") <= 2.0


@pytest.mark.parametrize(
    ("key", "limit_pct"), [("impact_peak_bw", 2.0), ("active_peak_bw", 2.0), ("valr_bw_s", 5.0)]
)
def test_vgrf_measures_per_plate_stance(cohort, key, limit_pct):
    """Impact and active peaks within 2 %, VALR within 5 %, on every plate stance."""
    errors = {}
    for row in _all(cohort):
        pairs = _matched(row)
        plate = pairs[pairs["plate_true"].notna()]
        has = plate[f"{key}_true"].notna()
        assert plate.loc[has, key].notna().all(), row["key"]  # found wherever the model has it
        rel = (plate.loc[has, key] / plate.loc[has, f"{key}_true"] - 1.0).abs() * 100.0
        if len(rel):
            errors[row["key"]] = float(rel.max())
    assert errors, "no plate stance with this measure"
    assert _report(f"{key} error", errors, "%") <= limit_pct


def test_truth_tables_cover_the_outputs(cohort):
    """Guard: the comparisons above saw every trial, stance and stride of the cohort."""
    rows = _all(cohort)
    assert len(rows) == sum(2 * o["n_per_group"] * len(o["speeds_mps"]) for o in COHORTS.values())
    for row in rows:
        assert len(row["truth_stances"]) >= 6 and len(row["truth_strides"]) >= 4
        assert json.dumps(row["summary"]["settings"])  # settings recorded
        assert Path(row["summary"]["file"]).name.startswith(row["key"].split(":")[1])
