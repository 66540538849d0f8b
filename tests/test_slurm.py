"""Snakemake's SLURM executor on a real single-node cluster started by the tests.

Needs root and Debian's slurm-wlm + munge (``bash .ci/slurm-setup.sh``). Outside CI the tests
skip when SLURM is missing; under CI (``CI`` set) they fail instead, so a broken install
cannot pass as a skip. Deselected from the fast suite by the ``slurm`` marker.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "workflow" / "profiles" / "slurm"
# The profile polls every 10 s or more; on a one-node test cluster 2 s keeps the run short.
FAST_POLL = ("--slurm-init-seconds-before-status-checks", "2")

pytestmark = pytest.mark.slurm


def _load_helper():
    # Tests are imported with --import-mode=importlib, so the sibling is loaded by path.
    spec = importlib.util.spec_from_file_location(
        "lbprun_slurm_cluster", Path(__file__).with_name("slurm_cluster.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


slurm_helper = _load_helper()


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running one-node cluster; daemons started here are stopped at the session's end."""
    reason = slurm_helper.missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"SLURM test cluster unavailable in CI: {reason}")
        pytest.skip(reason)
    with slurm_helper.running_cluster() as cluster:
        yield cluster


def run_snakemake(workdir: Path, *args: str, timeout: float = 240) -> str:
    """Run Snakemake from this venv in ``workdir``; return its log, failing with it shown."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"snakemake failed ({proc.returncode}):\n{log[-6000:]}"
    return log


TINY_SNAKEFILE = """\
rule all:
    input: expand("out/{i}.txt", i=[1, 2, 3])

rule where:
    output: "out/{i}.txt"
    resources: mem_mb=200, runtime=5
    shell: "echo $SLURM_JOB_ID $SLURMD_NODENAME $SLURM_JOB_PARTITION {wildcards.i} > {output}"
"""


def test_tiny_workflow_runs_as_slurm_jobs(slurm_cluster, tmp_path):
    (tmp_path / "Snakefile").write_text(TINY_SNAKEFILE)
    log = run_snakemake(tmp_path, "--profile", str(PROFILE), *FAST_POLL)

    submitted = set(re.findall(r"submitted with SLURM jobid (\d+)", log))
    rows = [(tmp_path / f"out/{i}.txt").read_text().split() for i in (1, 2, 3)]
    # Each job saw its own SLURM allocation, on this node, in the profile's partition.
    assert {row[0] for row in rows} == submitted
    assert len(submitted) == 3
    assert {(row[1], row[2]) for row in rows} == {(slurm_cluster.node, slurm_cluster.partition)}
    assert [row[3] for row in rows] == ["1", "2", "3"]

    # slurmctld's own records agree: every job finished COMPLETED with exit code 0.
    done = re.findall(
        r"JobId=(\d+) .*?JobState=(\w+) .*?ExitCode=(\S+)", slurm_cluster.jobcomp_log.read_text()
    )
    states = {job: (state, code) for job, state, code in done if job in submitted}
    assert states == dict.fromkeys(submitted, ("COMPLETED", "0:0"))
    # The plugin kept one SLURM log per job under .snakemake/slurm_logs (profile setting).
    logs = sorted(p.stem for p in (tmp_path / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert logs == sorted(submitted)


# ---------------------------------------------------------------------------------------------
# The lbprun workflow itself: the tiny demo through SLURM gives the local run's results.


def _load_workflow_tests():
    """Reuse test_workflow.py's runner and ``tiny_demo`` fixture, or None if it is absent."""
    path = Path(__file__).with_name("test_workflow.py")
    spec = importlib.util.spec_from_file_location("lbprun_workflow_tests", path)
    if not path.is_file():
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


workflow_tests = _load_workflow_tests()
if workflow_tests is not None:
    tiny_demo = workflow_tests.tiny_demo  # the workflow helper's 2 + 2 subject, 4 s demo
else:

    @pytest.fixture
    def tiny_demo():
        pytest.skip("tests/test_workflow.py (tiny demo fixture) is missing")


def result_tables(workdir: Path) -> dict[str, bytes]:
    """Every cohort and statistics table of a run, by path under results/."""
    results = workdir / "results"
    return {
        str(path.relative_to(results)): path.read_bytes()
        for folder in ("cohort", "stats")
        for path in sorted((results / folder).glob("*.csv"))
    }


def test_demo_through_slurm_equals_local_run(slurm_cluster, tiny_demo, tmp_path_factory):
    on_slurm = tmp_path_factory.mktemp("on_slurm")
    shutil.copytree(tiny_demo, on_slurm, dirs_exist_ok=True)  # sheets and config, no results
    local = workflow_tests.snakemake(tiny_demo, "--cores", "2")
    assert local.returncode == 0, local.stderr[-3000:]

    run = workflow_tests.snakemake(on_slurm, "--profile", str(PROFILE), *FAST_POLL, timeout=480)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-6000:]
    submitted = set(re.findall(r"submitted with SLURM jobid (\d+)", log))
    finished = re.findall(r"JobId=(\d+) .*?JobState=(\w+)", slurm_cluster.jobcomp_log.read_text())
    assert {job for job, state in finished if state == "COMPLETED"} >= submitted
    # Every batch of trials was extracted by a SLURM job, not locally.
    batches = list((on_slurm / "results" / "batches").glob("*.tsv"))
    slurm_logs = on_slurm / ".snakemake" / "slurm_logs"
    assert len(batches) >= 2
    assert len(list((slurm_logs / "rule_extract_batch").rglob("*.log"))) == len(batches)
    assert len(list(slurm_logs.rglob("*.log"))) == len(submitted)

    # Same code, same seeds: the tables must be byte-identical, wherever the jobs ran.
    local_tables, slurm_tables = result_tables(tiny_demo), result_tables(on_slurm)
    assert {"cohort/trials.csv", "stats/group_tests.csv"} <= set(local_tables)
    assert sorted(slurm_tables) == sorted(local_tables)
    differ = [name for name, data in local_tables.items() if slurm_tables[name] != data]
    assert differ == []
