"""The run summary, the report's tables and the report itself, read in a real browser."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from lbprun import report, stats, tables
from tests.test_workflow import CONTRACT_OUTPUTS, snakemake, write_config

PARTICIPANTS = pd.DataFrame({"subject": ["H1", "H2", "L1", "L2", "X9"],
                             "group": ["healthy", "healthy", "lbp", "lbp", "lbp"],
                             "mass_kg": [70, 71, 68, 69, 70]})  # fmt: skip
SHEET = pd.DataFrame({"subject": ["H1", "H2", "L1", "L2"], "trial": ["t1"] * 4,
                      "path": ["h1.c3d", "h2.c3d", "l1.c3d", "l2.c3d"],
                      "condition": ["run"] * 4})  # fmt: skip
TRIALS = SHEET.assign(
    group=["healthy", "healthy", "lbp", "lbp"],
    status=["ok", "ok", "ok", "failed"],
    valr_bw_s=[60.0, 64.0, None, None],
    knee_flex_td_deg=[20.0, 22.0, 15.0, None],
    warnings=[
        "",
        "",
        "no impact peak in any plate stance: impact peak, VALR and VILR are null",
        "",
    ],
)
FAILED = pd.DataFrame(
    {"subject": ["L2"], "trial": ["t1"], "path": ["l2.c3d"],
     "error": ["l2.c3d has no POINT data; nothing can be measured."]}
)  # fmt: skip


def _summary():
    subjects = TRIALS[TRIALS["status"] == "ok"]
    tests = stats.group_tests(subjects, outcomes=["valr_bw_s", "knee_flex_td_deg"])
    return report.run_summary(
        participants=PARTICIPANTS, trials_sheet=SHEET, trials=TRIALS, failed=FAILED,
        group_tests=tests, groups=("healthy", "lbp"), notes=["VALR is not shown: test note."],
    ), tests  # fmt: skip


def test_run_summary_counts_what_was_made_and_what_was_not():
    summary, _ = _summary()
    assert summary["trials"] == {"total": 4, "ok": 2, "partial": 1, "failed": 1}
    assert summary["partial"] == [{"subject": "L1", "trial": "t1", "missing": "valr_bw_s",
                                   "reason": TRIALS["warnings"][2]}]  # fmt: skip
    assert summary["n"] == {"healthy": {"run": 2}, "lbp": {"run": 1}}
    assert summary["participants_without_trials"] == ["X9"]
    assert summary["participants_all_failed"] == ["L2"]
    # lbp has one subject: neither outcome can be compared, each says why
    assert summary["comparisons_made"] == 0
    reasons = {c["outcome"]: c["reason"] for c in summary["comparisons_not_possible"]}
    assert reasons == {
        "valr_bw_s": "fewer than 2 subjects with a value (lbp n = 0)",
        "knee_flex_td_deg": "fewer than 2 subjects with a value (lbp n = 1)",
    }
    text = report.summary_text(summary)
    assert "4 processed - 2 ok, 1 partial (some measures missing), 1 failed" in text
    assert "failed: L2/t1: l2.c3d has no POINT data; nothing can be measured." in text
    assert "participants without trials: X9" in text
    assert "group comparisons: 0 made, 2 not possible" in text


def test_summary_html_shows_reasons_and_comparisons_as_table_cells():
    summary, tests = _summary()
    page = report.summary_html(summary, headline=tables.group_tests_table(tests))
    cells = re.findall(r"<td>(.*?)</td>", page)
    assert html.escape(FAILED["error"][0]) in cells
    assert "fewer than 2 subjects with a value (lbp n = 1)" in cells
    assert "Knee flexion at touchdown (°)" in cells  # outcome names with units, not crp_deg
    assert "X9" in page and "VALR is not shown: test note." in page
    labelled = report.summary_html(summary, headline=tables.group_tests_table(tests),
                                   labels={"run": "3.0 m/s"})  # fmt: skip
    assert "<th>3.0 m/s</th>" in labelled and "<td>3.0 m/s</td>" in labelled
    assert "<td>run</td>" not in labelled


def test_group_tests_table_keeps_the_numbers_of_the_csv():
    rows = pd.DataFrame({"subject": [f"s{i}" for i in range(8)], "condition": "run",
                         "group": ["healthy"] * 4 + ["lbp"] * 4,
                         "valr_bw_s": [60, 62, 58, 65, 70, 75, 69, 72.0]})  # fmt: skip
    tests = stats.group_tests(rows, outcomes=["valr_bw_s"])
    table = tables.group_tests_table(tests).iloc[0]
    t = tests.iloc[0]
    assert (table["n healthy"], table["n lbp"]) == (4, 4)
    assert table["g [95 % CI]"] == f"{t.hedges_g:.2f} [{t.g_ci_low:.2f}, {t.g_ci_high:.2f}]"
    assert table["p (Holm)"] == tables.p_value(t.p_adj)


def test_methods_name_the_settings_used():
    config = {"filters": {"marker_cutoff_hz": 8.0, "force_cutoff_hz": 40.0, "filter_order": 4,
                          "max_gap_frames": 10},
              "events": {"event_source": "auto", "plate_threshold_overground_n": 20.0,
                         "plate_threshold_treadmill_n": 50.0},
              "coordination": {"crp_centering": "midrange"},
              "stats": {"correction": "holm", "alpha": 0.05, "covariates": [],
                        "spm_nonparametric": False, "spm_iterations": 1000,
                        "discriminant_shrinkage": 0.1},
              "groups": {"reference": "healthy", "comparison": "lbp"}}  # fmt: skip
    text = report.methods_html(config)
    assert "filtered at 8 Hz and forces at 40 Hz" in text
    assert "Holm method (α = 0.05)" in text and "Pataky 2012" in text


# --------------------------------------------------------------------------- the real report


def chromium_dom(page: Path) -> str:
    """The page's DOM after its JavaScript ran, from Debian's headless Chromium."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=15000",
             "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    # what the browser drew, not the report's embedded data (scripts hold it as JSON strings)
    return re.sub(r"<script\b.*?</script>", "", run.stdout, flags=re.DOTALL)


def table_cells(dom: str, table_id: str) -> list[str]:
    match = re.search(rf'<table class="lbprun" id="{table_id}">(.*?)</table>', dom, re.DOTALL)
    assert match, f"no table {table_id} on the rendered page"
    return [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", match.group(1))]


@pytest.fixture
def small_cohort_with_a_broken_trial(tmp_path: Path, c3d_dir: Path) -> Path:
    """2 + 2 synthetic runners, one speed, plus one trial whose C3D file is empty."""
    from lbprun import synth

    synth.write_cohort(tmp_path / "data", n_per_group=2, speeds_mps=(3.0,), seed=3, duration_s=4.0)
    sheet = pd.read_csv(tmp_path / "data" / "trials.tsv", sep="\t", dtype=str)
    shutil.copyfile(c3d_dir / "btkdata" / "others" / "Empty.c3d", tmp_path / "data" / "empty.c3d")
    broken = sheet.iloc[[0]].assign(trial="retest", path="empty.c3d", static="")
    pd.concat([sheet, broken]).to_csv(tmp_path / "data" / "trials.tsv", sep="\t", index=False)
    write_config(
        tmp_path,
        participants=str(tmp_path / "data" / "participants.tsv"),
        trials=str(tmp_path / "data" / "trials.tsv"),
        data_dir=str(tmp_path / "data"),
    )
    return tmp_path


@pytest.mark.slow
def test_report_reads_in_a_browser(small_cohort_with_a_broken_trial):
    workdir = small_cohort_with_a_broken_trial
    run = snakemake(workdir, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    results = workdir / "results"
    # one command: the run printed its summary and built the report
    assert "lbprun run summary" in run.stderr + run.stdout
    summary = json.loads((results / "summary.json").read_text())
    assert summary["trials"]["total"] == 5 and summary["trials"]["failed"] == 1
    # 4 s trials are too short for stride coherence: processed, that measure missing, said so
    assert summary["trials"]["ok"] + summary["trials"]["partial"] == 4
    assert f"{summary['trials']['partial']} partial" in (results / "summary.txt").read_text()
    failed = pd.read_csv(results / "cohort" / "failed_trials.csv")
    reason = failed["error"].iloc[0]
    tests = pd.read_csv(results / "stats" / "group_tests.csv")

    dom = chromium_dom(results / "report.html")
    assert "Run summary" in dom and "1 failed" in html.unescape(dom)
    assert reason in table_cells(dom, "lbprun-failed")
    row = tests.dropna(subset=["hedges_g"]).iloc[0]
    cells = table_cells(dom, "lbprun-group-tests")
    assert tables.estimate_ci(row.hedges_g, row.g_ci_low, row.g_ci_high) in cells
    assert str(int(row.n_reference)) in cells
    assert "Methods" in dom and "Trials failed" in dom  # metadata front page, graph in menu

    # nothing to do on a second run: the report is an output like any other, never stale
    again = snakemake(workdir, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.slow
def test_lower_limb_only_real_cohort_runs_to_the_end(tmp_path, c3d_dir):
    """Lower-limb markers only: no thorax, so coordination waveforms are skipped and said so."""
    pd.DataFrame({"subject": ["RBDS001", "QTM"], "group": ["lbp", "healthy"],
                  "mass_kg": [68, 75]}).to_csv(tmp_path / "participants.tsv", sep="\t",
                                               index=False)  # fmt: skip
    pd.DataFrame({"subject": ["RBDS001", "QTM"], "trial": ["run35", "run02"],
                  "path": ["bmc-ric/RBDS001runT35.c3d", "pyorerun/Running_0002.c3d"],
                  "condition": ["self_selected"] * 2,
                  "static": ["bmc-ric/RBDS001static.c3d", ""]}).to_csv(
        tmp_path / "trials.tsv", sep="\t", index=False)  # fmt: skip
    write_config(tmp_path, data_dir=str(c3d_dir))
    run = snakemake(tmp_path, "--cores", "2", timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Traceback" not in run.stderr
    results = tmp_path / "results"
    assert [p for p in CONTRACT_OUTPUTS if not (results / p).is_file()] == []
    assert (results / "report.html").stat().st_size > 100_000
    summary = json.loads((results / "summary.json").read_text())
    assert summary["trials"]["failed"] == 0
    # one subject per group: no comparison is possible, and the summary says why
    assert summary["comparisons_made"] == 0 and summary["comparisons_not_possible"]
    assert {c["reason"] for c in summary["comparisons_not_possible"]} <= {
        "fewer than 2 subjects with a value (healthy n = 1, lbp n = 1)",
        "fewer than 2 subjects with a value (healthy n = 0, lbp n = 1)",
        "fewer than 2 subjects with a value (healthy n = 1, lbp n = 0)",
        "no subject has a value",
    }
    notes = " ".join(summary["notes"])
    assert "no trial has a Thorax rotation (°) waveform" in notes
    # every waveform figure is drawn by one job (issue 16), whose log says what it left out
    log = (results / "logs" / "figures" / "waveforms.log").read_text()
    assert "no trial has a Thorax rotation" in log


def test_mixed_models_table_puts_terms_in_words_and_variances_without_ci():
    models = pd.DataFrame({"outcome": ["valr_bw_s"] * 3,
                           "term": ["group[T.lbp]:condition[T.fast]", "subject_var", "icc"],
                           "estimate": [1.5, 20.0, 0.4], "se": [0.5, None, None],
                           "ci_low": [0.5, None, None], "ci_high": [2.5, None, None],
                           "p": [0.01, None, None]})  # fmt: skip
    table = tables.mixed_models_table(models)
    assert list(table["term"]) == ["lbp × fast", "Between-subject variance (unit²)", "ICC"]
    assert list(table["estimate [95 % CI]"]) == ["1.500 [0.500, 2.500]", "20.000", "0.400"]
    assert list(table["p"]) == ["0.010", "–", "–"]
