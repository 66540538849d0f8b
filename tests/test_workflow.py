"""The real Snakemake workflow, run as a subprocess in temporary folders (never in results/).

Validation tests use header-only C3D files: sheets are checked while the DAG is built, so a bad
sheet must stop even a dry run. The end-to-end test runs the tiny demo cohort.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
C3D_HEADER = bytes([2, 0x50]) + bytes(510)
SUBJECTS = [("H01", "healthy", 70), ("H02", "healthy", 72), ("L01", "lbp", 68), ("L02", "lbp", 66)]
CONDITIONS = ["slow", "fast"]


def snakemake(
    workdir: Path, *args: str, presets: tuple[Path, ...] = (), timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run the repo's workflow in ``workdir`` with ``presets`` then ``workdir/config.yaml``."""
    cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--directory", str(workdir)]
    cmd += ["--configfile", *map(str, presets), str(workdir / "config.yaml"), *args]
    env = {**os.environ, "PATH": f"{SNAKEMAKE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def write_config(workdir: Path, **overrides) -> dict:
    config = {
        "participants": str(workdir / "participants.tsv"),
        "trials": str(workdir / "trials.tsv"),
        "data_dir": str(workdir / "data"),
        "batch_size": 2,
        "demo": {"enabled": False},
    } | overrides
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return config


@pytest.fixture
def fake_cohort(tmp_path: Path) -> Path:
    """Four subjects × two conditions of header-only C3D files, and a config for them."""
    return write_fake_cohort(tmp_path)


def write_fake_cohort(tmp_path: Path) -> Path:
    """Write the ``fake_cohort`` fixture's files into ``tmp_path`` (also for wider scopes)."""
    rows = []
    for subject, _, _ in SUBJECTS:
        for condition in CONDITIONS:
            rel = f"{subject}/{subject}_{condition}.c3d"
            (tmp_path / "data" / subject).mkdir(parents=True, exist_ok=True)
            (tmp_path / "data" / rel).write_bytes(C3D_HEADER)
            rows.append((subject, condition, rel, condition))
    pd.DataFrame(SUBJECTS, columns=["subject", "group", "mass_kg"]).to_csv(
        tmp_path / "participants.tsv", sep="\t", index=False
    )
    pd.DataFrame(rows, columns=["subject", "trial", "path", "condition"]).to_csv(
        tmp_path / "trials.tsv", sep="\t", index=False
    )
    write_config(tmp_path)
    return tmp_path


def edit_sheet(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new, 1))


def test_good_cohort_dry_run_plans_one_job_per_batch(fake_cohort):
    run = snakemake(fake_cohort, "-n")
    assert run.returncode == 0, run.stderr
    jobs = job_counts(run.stdout)
    assert jobs["extract_batch"] == 4  # 8 trials in batches of 2
    assert jobs["gather_cohort"] == 1
    assert jobs["waveform_figure"] == 1  # one job draws the 6 waveform figures
    for name in ("pelvis_rot_deg", "thorax_rot_deg", "trunk_rot_deg", "crp_deg", "knee_flex_deg"):
        assert f"results/figures/waveform_{name}.svg" in run.stdout


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("config.yaml", "batch_size:", "batchsize:"), "config key 'batchsize' is unknown"),
        (("config.yaml", "batch_size: 2", "batch_size: two"), "config key 'batch_size'"),
        (("participants.tsv", "mass_kg", "mass"), "missing column(s) 'mass_kg'"),
        (("trials.tsv", "condition", "cond"), "missing column(s) 'condition'"),
        (("participants.tsv", "\tlbp", "\tLBP"), "group 'LBP' is neither"),
        (("trials.tsv", "H01/H01_fast.c3d", "H01/H01_run.c3d"), "H01_run.c3d: file does not exist"),
        (("trials.tsv", "H01/H01_fast.c3d", "../trials.tsv"), "'../trials.tsv' escapes data_dir"),
        (("participants.tsv", "L02", "L02;touch pwned"), "column 'subject'"),
        (("trials.tsv", "L02\tslow", "L02\t$(touch pwned)"), "column 'trial'"),
        (("trials.tsv", "L02\tslow", "L02\tfast"), "trial 'fast' appears more than once"),
        (("participants.tsv", "L02", "L01"), "subject 'L01' appears more than once"),
    ],
)
def test_bad_input_stops_the_run_before_any_job(fake_cohort, edit, message):
    name, old, new = edit
    edit_sheet(fake_cohort / name, old, new)
    dry = snakemake(fake_cohort, "-n")
    assert dry.returncode != 0
    assert message in dry.stdout + dry.stderr, dry.stdout + dry.stderr
    assert "Traceback" not in dry.stdout + dry.stderr
    assert not list(fake_cohort.rglob("pwned"))


def test_bad_sheet_stops_a_real_run_before_any_job(fake_cohort):
    edit_sheet(fake_cohort / "trials.tsv", "L02\tslow\tL02/L02_slow.c3d", "L02\tslow\t../../x.c3d")
    run = snakemake(fake_cohort, "--cores", "1")
    assert run.returncode != 0
    assert "column 'path': path '../../x.c3d' escapes data_dir" in run.stdout + run.stderr
    assert not (fake_cohort / "results").exists()  # no job started


def test_non_c3d_file_is_a_failed_trial_not_a_stopped_study(fake_cohort):
    # issue 12: one rule for bad trials -- a text file named .c3d is that trial's problem
    # (tests/test_faults.py lists it in failed_trials.csv); only a missing file stops the study.
    (fake_cohort / "data" / "L01" / "L01_slow.c3d").write_bytes(b"#!/bin/sh\nreboot\n")
    run = snakemake(fake_cohort, "-n")
    assert run.returncode == 0, run.stdout + run.stderr
    (fake_cohort / "data" / "L01" / "L01_slow.c3d").unlink()
    run = snakemake(fake_cohort, "-n")
    assert run.returncode != 0
    assert "L01_slow.c3d: file does not exist" in run.stdout + run.stderr


@pytest.mark.parametrize("preset", sorted((REPO / "config" / "presets").glob("*.yaml")))
def test_each_preset_plans_its_waveforms(fake_cohort, preset):
    run = snakemake(fake_cohort, "-n", presets=(preset,))
    assert run.returncode == 0, run.stdout + run.stderr
    waveforms = yaml.safe_load(preset.read_text())["stats"]["waveforms"]
    planned = set(re.findall(r"figures/waveform_(\w+)\.pdf", run.stdout))
    assert planned == set(waveforms)


@pytest.mark.parametrize("demo", ["absent", {"enabled": True}, {"enabled": False}])
def test_own_sheets_never_plan_the_demo(fake_cohort, demo):
    # issue 12: README-style cohort config without `demo: {enabled: false}` (config/config.yaml
    # leaves it on) once planned the demo rule with the user's C3D files as its outputs.
    config = yaml.safe_load((fake_cohort / "config.yaml").read_text())
    config.pop("demo")
    config |= {} if demo == "absent" else {"demo": demo}
    (fake_cohort / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(fake_cohort, "-n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "demo_cohort" not in job_counts(run.stdout)
    assert "rule demo_cohort" not in run.stdout


def test_builtin_demo_is_generated_only_into_its_output_folder(tmp_path):
    builtin = REPO / "config" / "demo"
    write_config(
        tmp_path,
        participants=str(builtin / "participants.tsv"),
        trials=str(builtin / "trials.tsv"),
        data_dir=str(tmp_path / "data"),  # ignored: the demo's data are generated
        output_dir="demo_out",
        demo={"enabled": True},
    )
    run = snakemake(tmp_path, "-n", "--forceall", "demo_out/demo/trials.tsv")
    assert run.returncode == 0, run.stdout + run.stderr
    assert job_counts(run.stdout) == {"demo_cohort": 1}
    outputs = re.search(r"output: (.*)", run.stdout.split("rule demo_cohort", 1)[1]).group(1)
    assert all(p.startswith("demo_out/demo/") for p in outputs.split(", ")), outputs
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("output_dir", "message"),
    [
        ("data", "config output_dir 'data' is inside data_dir"),
        ("data/results", "config output_dir 'data/results' is inside data_dir"),
        (".", "is inside output_dir '.'"),
    ],
)
def test_output_folder_overlapping_the_study_is_refused(fake_cohort, output_dir, message):
    write_config(
        fake_cohort, participants="participants.tsv", trials="trials.tsv", data_dir="data",
        output_dir=output_dir,
    )  # fmt: skip
    run = snakemake(fake_cohort, "--cores", "1")
    assert run.returncode != 0
    assert message in run.stdout + run.stderr, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert sorted(p.name for p in fake_cohort.iterdir()) == [
        ".snakemake", "config.yaml", "data", "participants.tsv", "trials.tsv"
    ]  # fmt: skip


def test_lint_is_clean(fake_cohort):
    run = snakemake(fake_cohort, "--lint")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Congratulations, your workflow is in a good condition!" in run.stdout + run.stderr


def test_lint_is_clean_on_the_default_demo_config():
    # Linting only parses the workflow: nothing is written to the repo's results/.
    run = subprocess.run(
        [str(SNAKEMAKE), "--lint"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Congratulations, your workflow is in a good condition!" in run.stdout + run.stderr


def job_counts(stdout: str) -> dict[str, int]:
    """Job counts from the 'Job stats' table of a dry run."""
    counts = {}
    block = stdout.split("Job stats:", 1)[-1] if "Job stats:" in stdout else ""
    for line in block.splitlines():
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


def summary_outputs(workdir: Path) -> list[Path]:
    """Every output file of the workflow, from `snakemake --summary`."""
    run = snakemake(workdir, "--summary")
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t") for line in run.stdout.splitlines()[1:] if "\t" in line]
    return [workdir / row[0] for row in rows]


def test_touching_one_trial_reruns_only_its_batch_and_what_follows(fake_cohort):
    # Outputs made up to date by hand (all newer than every C3D), then one C3D touched.
    now = time.time()
    for c3d in (fake_cohort / "data").rglob("*.c3d"):
        os.utime(c3d, (now - 1000, now - 1000))
    for out in summary_outputs(fake_cohort):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch()
        os.utime(out, (now, now))
    assert "Nothing to be done" in snakemake(fake_cohort, "-n", "--rerun-triggers", "mtime").stdout
    changed = fake_cohort / "data" / "L01" / "L01_slow.c3d"
    changed.write_bytes(C3D_HEADER + bytes(512))  # new content, new mtime
    run = snakemake(fake_cohort, "-n")
    jobs = job_counts(run.stdout)
    assert jobs["extract_batch"] == 1
    assert "wildcards: batch=b0002" in run.stdout  # H01, H02, then L01 fast + slow
    assert jobs["gather_cohort"] == 1 and jobs["group_tests"] == 1


# ---------------------------------------------------------------------------------------------
# End to end on the tiny demo: needs lbprun.synth, trial, cohort, stats, figures, tables.

CONTRACT_OUTPUTS = [
    *(f"cohort/{n}.csv" for n in ("trials", "stances", "strides", "subjects", "failed_trials")),
    *(
        f"stats/{n}.csv"
        for n in ("group_tests", "mixed_models", "spm_clusters", "associations", "discriminant")
    ),
    *(f"tables/{t}.{e}" for t in ("participants", "outcomes") for e in ("csv", "md", "tex")),
    *(
        f"figures/{f}.{e}"
        for f in ("waveform_pelvis_rot_deg", "waveform_vgrf_bw", "discrete", "vector_coding", "qc")
        for e in ("pdf", "png", "svg")
    ),
]


@pytest.fixture
def tiny_demo(tmp_path: Path) -> Path:
    """A 2 + 2 subject, one-speed, 4 s synthetic cohort in ``data/``, run as a user's study."""
    from lbprun import synth  # lbprun's own modules: an import error fails, never skips

    synth.write_cohort(tmp_path / "data", n_per_group=2, speeds_mps=(3.0,), seed=3, duration_s=4.0)
    write_config(
        tmp_path,
        participants=str(tmp_path / "data" / "participants.tsv"),
        trials=str(tmp_path / "data" / "trials.tsv"),
        data_dir=str(tmp_path / "data"),
        demo={"enabled": True},  # ignored: these are not the built-in demo sheets
    )
    return tmp_path


@pytest.mark.slow
def test_tiny_demo_end_to_end_then_touch_one_trial(tiny_demo):
    run = snakemake(tiny_demo, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    results = tiny_demo / "results"
    missing = [p for p in CONTRACT_OUTPUTS if not (results / p).is_file()]
    assert missing == []
    trials = pd.read_csv(results / "cohort" / "trials.csv")
    assert len(trials) == 4 and set(trials["status"]) == {"ok"}
    for row in trials.itertuples():
        assert (results / "trials" / row.subject / row.trial / "trial.json").is_file()

    report = snakemake(tiny_demo, "--report", str(results / "report.html"))
    assert report.returncode == 0, report.stderr[-3000:]
    assert (results / "report.html").stat().st_size > 10_000

    # Replace one trial's recording: only its batch (S03, S04 -> b0001) and what follows rerun.
    c3d = tiny_demo / "data" / "c3d"
    kept = results / "trials" / "S01" / "speed_3.0" / "trial.json"
    kept_mtime = kept.stat().st_mtime_ns
    shutil.copyfile(c3d / "S04_speed_3.0.c3d", c3d / "S03_speed_3.0.c3d")
    plan = snakemake(tiny_demo, "-n")
    jobs = job_counts(plan.stdout)
    assert jobs["extract_batch"] == 1 and "demo_cohort" not in jobs, plan.stdout
    assert "wildcards: batch=b0001" in plan.stdout
    assert jobs["gather_cohort"] == 1 and jobs["group_tests"] == 1
    rerun = snakemake(tiny_demo, "--cores", "2")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert kept.stat().st_mtime_ns == kept_mtime
    summary = json.loads((results / "trials" / "S03" / "speed_3.0" / "trial.json").read_text())
    assert summary["sha256"] == hashlib.sha256((c3d / "S04_speed_3.0.c3d").read_bytes()).hexdigest()

    # Editing one participant's body mass reruns only the batch holding their trials.
    sheet = tiny_demo / "data" / "participants.tsv"
    people = pd.read_csv(sheet, sep="\t", dtype=str)
    people.loc[people["subject"] == "S04", "mass_kg"] = "81.5"
    people.to_csv(sheet, sep="\t", index=False)
    plan = snakemake(tiny_demo, "-n")
    jobs = job_counts(plan.stdout)
    assert jobs["extract_batch"] == 1 and "wildcards: batch=b0001" in plan.stdout
