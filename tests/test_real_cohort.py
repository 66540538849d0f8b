"""A cohort sheet built from real files of many labs runs through the whole workflow.

The files come from ../shared/data/c3d (read in place through ``data_dir``; never copied into
the repo). Some cannot yield any measure (empty, corrupt parameter section, no 3-D data); the
run must finish, list exactly those in cohort/failed_trials.csv with one sentence each, and
still produce every statistics, table and figure output from the others.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_workflow import CONTRACT_OUTPUTS, snakemake, write_config

# subject, group, mass_kg, trial, path (relative to the corpus), static
REAL_TRIALS = [
    ("JA1", "healthy", 70, "run21", "dorn2012_flash-running/JA1Gait21.c3d",
     "dorn2012_flash-running/JA1Static05.c3d"),
    ("RBDS001", "lbp", 68, "run35", "bmc-ric/RBDS001runT35.c3d", "bmc-ric/RBDS001static.c3d"),
    ("QTM", "healthy", 75, "run02", "pyorerun/Running_0002.c3d", ""),
    ("PIG", "lbp", 72, "walk", "btkdata/PiG_Motion-FlatFoot-Full.c3d", ""),
    ("GAIT", "healthy", 71, "treadmill", "gaitalytics/treadmill_events.c3d", ""),
    ("ISB", "lbp", 69, "walk", "ezc3d-testfiles/Qualisys.c3d", ""),
    ("BTS", "healthy", 66, "walk", "ezc3d-testfiles/BTS.c3d", ""),
    ("OSIM", "lbp", 74, "walk", "opensim-core/walking2.c3d", ""),
]  # fmt: skip
BROKEN = [
    ("BAD1", "healthy", 70, "empty", "btkdata/others/Empty.c3d", ""),
    ("BAD2", "lbp", 70, "params", "c3dorg-via-btkdata/sample18/bad_parameter_section.c3d", ""),
    ("BAD3", "healthy", 70, "no3d", "c3dorg-via-btkdata/sample20/phasespace_sample.c3d", ""),
]


@pytest.mark.slow
def test_real_files_run_end_to_end(tmp_path, c3d_dir):
    rows = REAL_TRIALS + BROKEN
    participants = pd.DataFrame(
        [r[:3] for r in rows], columns=["subject", "group", "mass_kg"]
    ).drop_duplicates("subject")
    participants.to_csv(tmp_path / "participants.tsv", sep="\t", index=False)
    trials = pd.DataFrame(
        [(s, t, p, "self_selected", st) for s, _, _, t, p, st in rows],
        columns=["subject", "trial", "path", "condition", "static"],
    )
    trials.to_csv(tmp_path / "trials.tsv", sep="\t", index=False)
    write_config(tmp_path, data_dir=str(c3d_dir), batch_size=4)

    run = snakemake(tmp_path, "--cores", "2", timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]
    results = tmp_path / "results"
    assert [p for p in CONTRACT_OUTPUTS if not (results / p).is_file()] == []

    failed = pd.read_csv(results / "cohort" / "failed_trials.csv")
    assert sorted(failed["subject"]) == ["BAD1", "BAD2", "BAD3"]
    for error, path in zip(failed["error"], failed["path"], strict=True):
        assert error.count("\n") == 0 and len(error) < 300
        assert path.split("/")[-1].split(".")[0] in error  # names the file
    ok = pd.read_csv(results / "cohort" / "trials.csv")
    ok = ok[ok["status"] == "ok"].set_index("subject")
    assert sorted(ok.index) == sorted(r[0] for r in REAL_TRIALS)
    # Running trials yield their measures; what is null is explained by a warning.
    assert 0 < ok.loc["JA1", "knee_flex_td_deg"] < 35
    assert 1.8 < ok.loc["RBDS001", "active_peak_bw"] < 3.5
    assert pd.isna(ok.loc["RBDS001", "relphase_fourier_deg"])  # no thorax markers
    assert "thorax" in ok.loc["RBDS001", "warnings"]
