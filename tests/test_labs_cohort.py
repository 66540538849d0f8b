"""Issue 10: four labs' running files in one folder, drafted by `lbprun init`, through the workflow.

Vicon/Melbourne (JA1Gait21 + static), RBDS dotted names (RBDS001runT35 + static), the Running
Injury Clinic's clusters-only treadmill run (+ its static) and a Qualisys sports file
(Running_0002) share one sheet. Each trial must be resolved on its own: no trial comes back
``ok`` with every kinematic outcome null, and the cohort's QC column says, per trial, which
outcomes are null and why.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from lbprun import cli
from tests.test_workflow import snakemake

LABS = {
    "JA1": ("dorn2012_flash-running/JA1Gait21.c3d", "dorn2012_flash-running/JA1Static05.c3d"),
    "RBDS001": ("bmc-ric/RBDS001runT35.c3d", "bmc-ric/RBDS001static.c3d"),
    "RIC": ("bmc-ric/20140515T133244_run.c3d", "bmc-ric/20140515T133244_static.c3d"),
    "QTM": ("pyorerun/Running_0002.c3d", None),
}
KINEMATIC = ("pelvis_rot_rom_deg", "thorax_rot_rom_deg", "knee_flex_td_deg", "trunk_incl_td_deg")


@pytest.mark.slow
def test_four_labs_drafted_by_init_run_through_the_workflow(tmp_path, c3d_dir, capsys):
    data = tmp_path / "data"
    for subject, files in LABS.items():
        (data / subject).mkdir(parents=True)
        for rel in filter(None, files):
            (data / subject / rel.split("/")[-1]).symlink_to(c3d_dir / rel)
    sheets = tmp_path / "sheets"
    assert cli.main(["init", str(data), "--out", str(sheets)]) == 0
    assert "files disagree" in capsys.readouterr().out
    people = pd.read_csv(sheets / "participants.tsv", sep="\t")
    people["group"] = ["healthy", "lbp"] * 2
    people["mass_kg"] = 70.0
    people.to_csv(sheets / "participants.tsv", sep="\t", index=False)
    config = yaml.safe_load((sheets / "config.yaml").read_text())
    assert config["markerset"] in ("auto", str(sheets / "markerset.yaml"))

    run = snakemake(sheets, "--cores", "2", timeout=1500)
    assert run.returncode == 0, run.stderr[-4000:]
    trials = pd.read_csv(sheets / "results" / "cohort" / "trials.csv").set_index("subject")
    assert sorted(trials.index) == sorted(LABS)
    assert (trials["status"] == "ok").all(), trials["error"].to_dict()
    for subject, row in trials.iterrows():
        assert row[list(KINEMATIC)].notna().any(), f"{subject}: every kinematic outcome null"
    # what each file's markers allow, and the QC line for what they do not
    assert trials.loc["RIC", ["pelvis_rot_rom_deg", "knee_flex_td_deg"]].notna().all()
    assert "no thorax markers" in trials.loc["RIC", "null_outcomes"]
    assert "no thorax markers" in trials.loc["RBDS001", "null_outcomes"]
    assert "no valid stride" in trials.loc["QTM", "null_outcomes"]
    assert trials.loc["JA1", ["pelvis_rot_rom_deg", "thorax_rot_rom_deg"]].notna().all()


@pytest.mark.slow
def test_the_whole_corpus_drafted_by_init_runs_to_the_end(tmp_path, c3d_dir, capsys):
    # Every C3D of every lab in the corpus (running, walking, statics, plates only, markerless,
    # damaged, crafted) as one study: init drafts it, the workflow runs to the end, every trial
    # is in trials.csv, each failed one in failed_trials.csv with one sentence naming its file,
    # every "ok" or partial trial says why each of its null outcomes is null.
    sheets = tmp_path / "sheets"
    assert cli.main(["init", str(c3d_dir), "--out", str(sheets)]) == 0
    capsys.readouterr()
    people = pd.read_csv(sheets / "participants.tsv", sep="\t")
    people["group"] = (["healthy", "lbp"] * len(people))[: len(people)]
    people["mass_kg"] = people["mass_kg"].fillna(70.0)
    people.to_csv(sheets / "participants.tsv", sep="\t", index=False)
    sheet = pd.read_csv(sheets / "trials.tsv", sep="\t")
    skipped = pd.read_csv(sheets / "skipped.tsv", sep="\t")
    assert len(sheet) >= 35 and len(skipped) >= 1  # unreadable files are listed, never fatal

    run = snakemake(sheets, "--cores", "2", timeout=1500)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Traceback" not in run.stdout + run.stderr
    results = sheets / "results" / "cohort"
    trials = pd.read_csv(results / "trials.csv")
    failed = pd.read_csv(results / "failed_trials.csv")
    assert len(trials) == len(sheet)
    assert set(trials.loc[trials["status"] == "failed", "trial"]) == set(failed["trial"])
    for _, row in failed.iterrows():
        assert "\n" not in row["error"] and row["error"].split(":")[0].lower().endswith(".c3d")
    measured = trials[trials["status"] != "failed"]
    assert len(measured) >= 20
    assert not measured["null_outcomes"].str.contains("see the warnings").any()
