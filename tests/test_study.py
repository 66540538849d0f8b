"""lbprun.study: one run per output folder, one study per folder, a killed run's state cleared."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from lbprun import study


def _config(tmp_path, name="a"):
    return {
        "participants": str(tmp_path / name / "p.tsv"),
        "trials": str(tmp_path / name / "t.tsv"),
        "data_dir": str(tmp_path / name / "data"),
    }


def test_second_run_is_refused_while_the_first_holds_the_folder(tmp_path):
    results = tmp_path / "results"
    held = study.lock(results)
    try:
        with pytest.raises(study.StudyError) as error:
            study.lock(results)  # a second open file description: flock refuses it
        message = str(error.value)
        assert message == (
            f"a run is in progress on {results} (process {os.getpid()}); wait for it to end "
            "or stop it before starting another."
        )
        # from another process too, whatever it was asked to do
        code = f"from lbprun import study; study.lock({str(results)!r})"
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert other.returncode != 0 and "a run is in progress" in other.stderr
    finally:
        held.close()
    study.lock(results).close()  # released with its holder


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    results = tmp_path / "results"
    code = (
        f"from lbprun import study; h = study.lock({str(results)!r}); "
        "print('held', flush=True); input()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout.readline().strip() == b"held"
    with pytest.raises(study.StudyError, match=f"process {holder.pid}"):
        study.lock(results)
    holder.kill()
    holder.wait()
    study.lock(results).close()


def test_another_study_is_refused_in_the_same_or_an_enclosing_folder(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    study.check_stamp(results, study=study.identity(_config(tmp_path)))  # same study: fine
    with pytest.raises(study.StudyError) as error:
        study.check_stamp(results, study=study.identity(_config(tmp_path, "b")))
    assert str(error.value) == (
        f"output folder {results} holds the outputs of another study (trials sheet "
        f"{tmp_path / 'a' / 't.tsv'}); set output_dir to a folder of this study's own."
    )
    inner = results / "b"
    inner.mkdir()
    with pytest.raises(study.StudyError, match=f"is inside {results}, which holds"):
        study.check_stamp(inner, study=study.identity(_config(tmp_path, "b")))
    beside = tmp_path / "results_b"
    beside.mkdir()
    study.check_stamp(beside, study=study.identity(_config(tmp_path, "b")))


def _record(folder, key: str) -> None:
    name = base64.urlsafe_b64encode(key.encode()).decode()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("{}")


def test_a_killed_runs_snakemake_state_for_this_folder_only_is_cleared(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = tmp_path / ".snakemake"
    (state / "locks").mkdir(parents=True)
    (state / "locks" / "0.input.lock").write_text("data/a.c3d\n")
    (state / "locks" / "0.output.lock").write_text("results/batches/b0000.tsv\nresults/x.csv\n")
    (state / "locks" / "1.input.lock").write_text("other.tsv\n")
    (state / "locks" / "1.output.lock").write_text("elsewhere/x.csv\n")
    (tmp_path / "results" / "batches").mkdir(parents=True)
    (tmp_path / "results" / "batches" / "b0000.tsv").write_text("half")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "y.csv").write_text("other run's")
    _record(state / "incomplete", "results/batches/b0000.tsv")
    _record(state / "incomplete", "elsewhere/y.csv")
    deleted = study.clear_stale_snakemake_state("results", snakemake_dir=state)
    assert deleted == ["results/batches/b0000.tsv"]
    assert not (tmp_path / "results" / "batches" / "b0000.tsv").exists()
    assert sorted(p.name for p in (state / "locks").iterdir()) == ["1.input.lock", "1.output.lock"]
    assert (tmp_path / "elsewhere" / "y.csv").read_text() == "other run's"
    assert len(list((state / "incomplete").iterdir())) == 1


def test_a_job_of_the_holding_run_may_run_snakemake_on_its_folder(tmp_path, monkeypatch):
    # The report rule runs `snakemake --report` inside the run: neither refused nor clearing.
    results = tmp_path / "results"
    monkeypatch.delenv(study.INHERITED_LOCK_ENV, raising=False)
    held = study.claim(results, config=_config(tmp_path), snakemake_dir=tmp_path / ".snakemake")
    try:
        assert os.environ[study.INHERITED_LOCK_ENV] == str(results)
        code = (
            "import sys; from lbprun import study; "
            f"print(study.claim({str(results)!r}, config={_config(tmp_path)!r}, "
            f"snakemake_dir={str(tmp_path / '.snakemake')!r}))"
        )
        job = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert job.returncode == 0 and job.stdout.strip() == "None", job.stderr
        # the same process without the inherited token is a second run: refused
        env = {k: v for k, v in os.environ.items() if k != study.INHERITED_LOCK_ENV}
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
        )
        assert other.returncode != 0 and "a run is in progress" in other.stderr
    finally:
        held.close()
