"""Each rule receives only the settings it uses (issue 15), so a change reruns what depends on it.

A finished run is simulated on header-only C3D files: every output is created by hand, then
``snakemake --touch --forceall`` records each job's params in Snakemake's metadata without
running it. A setting is then edited and a dry run with ``--rerun-triggers params`` says which
jobs it would rerun, and which of them because their own params changed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from tests.test_workflow import job_counts, snakemake, summary_outputs, write_fake_cohort

# What any change reruns besides the jobs using it: the provenance record and the report.
RUN_LEVEL = {"provenance", "report", "everything"}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A fake cohort whose every output exists and is recorded as made by the workflow."""
    workdir = write_fake_cohort(tmp_path_factory.mktemp("params"))
    now = time.time()
    for c3d in (workdir / "data").rglob("*.c3d"):
        os.utime(c3d, (now - 1000, now - 1000))
    for out in summary_outputs(workdir):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch()
    run = snakemake(workdir, "--touch", "--forceall", "--cores", "1")
    assert run.returncode == 0, run.stderr[-2000:]
    return workdir


def rerun_after(workdir: Path, section: str, key: str, value) -> tuple[dict, set]:
    """Jobs a dry run plans after config ``section.key`` is set to ``value``, and those
    whose own params changed; the config is restored afterwards."""
    path = workdir / "config.yaml"
    original = path.read_text()
    config = yaml.safe_load(original)
    config.setdefault(section, {})[key] = value
    path.write_text(yaml.safe_dump(config))
    try:
        run = snakemake(workdir, "-n", "--rerun-triggers", "params")
    finally:
        path.write_text(original)
    assert run.returncode == 0, run.stderr[-2000:]
    text = run.stdout + run.stderr
    block = text.split("params have changed since last execution:", 1)[1].splitlines()[1]
    return job_counts(run.stdout), {rule.strip() for rule in block.split(",")}


def test_nothing_reruns_without_a_change(finished_run):
    run = snakemake(finished_run, "-n", "--rerun-triggers", "params")
    assert "Nothing to be done" in run.stdout + run.stderr


# (config section, key, new value): jobs whose own params change, and the other jobs rerun
# because they read an output of those (the run-level records included).
CASES = [
    # the case: the SPM job, the waveform figures that shade its clusters, its report page
    (
        ("stats", "spm_iterations", 500),
        {"spm_clusters"},
        {"waveform_figure", "report_table", "run_summary", *RUN_LEVEL},
    ),
    (("figures", "band", "ci"), {"waveform_figure"}, {"run_summary", *RUN_LEVEL}),
    (("stats", "discriminant_shrinkage", 0.2), {"discriminant"}, {"report_table", *RUN_LEVEL}),
]


@pytest.mark.parametrize(("edit", "changed", "downstream"), CASES, ids=[c[0][1] for c in CASES])
def test_a_setting_reruns_only_what_uses_it(finished_run, edit, changed, downstream):
    jobs, params_changed = rerun_after(finished_run, *edit)
    assert params_changed == changed
    assert set(jobs) == changed | downstream
    assert jobs.get("report_table", 0) <= 1  # the changed statistic's page only


def test_merged_jobs_give_each_file_its_own_caption(finished_run):
    # One job draws every waveform figure and one writes every table page, so their report
    # captions are written per file while the DAG is built (caption_file in common.smk).
    import jinja2

    config = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())
    captions = finished_run / ".snakemake" / "lbprun" / "captions"
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)  # as Snakemake's report
    snakemake_ns = type("Snakemake", (), {"config": config})
    text = env.from_string((captions / "waveform_crp_deg.rst").read_text())
    rendered = text.render(snakemake=snakemake_ns)
    assert rendered.startswith("Mean crp_deg waveform of the healthy (blue) and lbp")
    assert "continuous relative phase" in rendered  # the crp-only sentence
    assert ".. include:: results/report/notes/waveform_crp_deg.rst" in rendered
    vgrf = env.from_string((captions / "waveform_vgrf_bw.rst").read_text())
    assert "stance phase" in vgrf.render(snakemake=snakemake_ns)
    page = env.from_string((captions / "table_mixed_models.rst").read_text())
    assert "{" not in page.render(snakemake=snakemake_ns)
    assert len(page.render(snakemake=snakemake_ns).split("\n\n")[0]) > 40  # the table's caption
