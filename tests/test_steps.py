"""The workflow jobs' logic (lbprun.steps), tested without Snakemake (issue 15)."""

from __future__ import annotations

import hashlib
import json
import os

import pandas as pd
import pytest

from lbprun import stats, steps
from tests.test_stats import _waves

JOBS = [
    {
        "subject": s,
        "trial": "run",
        "condition": "fast",
        "path": f"{s}/run.c3d",
        "out_dir": f"out/{s}/run",
        "mass_kg": 70.0,
    }
    for s in ("S01", "S02")
]
RESULTS = [
    {"status": "ok", "error": None, "sha256": "aa", "n_strides": 12},
    {"status": "failed", "error": "S02/run.c3d: no force plate", "sha256": None},
]


def test_batch_writes_logs_then_a_manifest_the_gather_step_reads(tmp_path):
    manifest = tmp_path / "batches" / "b0001.tsv"
    manifest.parent.mkdir()
    steps.write_batch(JOBS, RESULTS, manifest=manifest, log_dir=tmp_path / "logs")
    table = pd.read_csv(manifest, sep="\t", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(steps.MANIFEST_COLUMNS)
    assert table["out_dir"].tolist() == ["out/S01/run", "out/S02/run"]
    assert table["status"].tolist() == ["ok", "failed"]
    assert table["error"].tolist() == ["", "S02/run.c3d: no force plate"]
    assert table["sha256"].tolist() == ["aa", ""]
    log = json.loads((tmp_path / "logs" / "S01" / "run.log").read_text())
    assert log["mass_kg"] == 70.0 and log["n_strides"] == 12  # the job and its summary
    assert sorted(p.name for p in manifest.parent.iterdir()) == ["b0001.tsv"]  # no temp file


def test_batch_with_a_missing_result_writes_no_manifest(tmp_path):
    with pytest.raises(ValueError, match="zip"):
        steps.write_batch(JOBS, RESULTS[:1], manifest=tmp_path / "b.tsv", log_dir=tmp_path)
    assert not (tmp_path / "b.tsv").exists()


def test_replace_text_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "provenance.json"
    target.write_text("old\n")
    with pytest.raises(TypeError):
        steps.replace_text(target, None)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["provenance.json"]


def test_provenance_records_hashes_relative_paths_and_trials(tmp_path):
    results = tmp_path / "results"
    (results / "stats").mkdir(parents=True)
    (results / "stats" / "b.csv").write_text("x\n1\n")
    (results / "a.txt").write_text("hello\n")
    sheet = tmp_path / "trials.tsv"
    sheet.write_text("subject\ttrial\n")
    trials = results / "trials.csv"
    pd.DataFrame(
        {"subject": ["S01"], "trial": ["run"], "extra": [1], "path": ["p"], "status": ["ok"]}
        | {"sha256": ["ab"]}
    ).to_csv(trials, index=False)
    record = steps.provenance_record(
        config={"alpha": 0.05},
        sheets={"trials": str(sheet)},
        trials=trials,
        outputs=[results / "stats" / "b.csv", results / "a.txt"],
        results=results,
        versions={"lbprun_version": "1", "snakemake_version": "9"},
    )
    assert list(record)[:2] == ["lbprun_version", "snakemake_version"]
    assert record["sheets"]["trials"]["sha256"] == hashlib.sha256(sheet.read_bytes()).hexdigest()
    assert list(record["outputs"]) == ["a.txt", "stats/b.csv"]  # sorted, relative
    assert record["outputs"]["a.txt"] == hashlib.sha256(b"hello\n").hexdigest()
    assert record["trials"] == [  # the identifying columns only, in this order
        {"subject": "S01", "trial": "run", "path": "p", "status": "ok", "sha256": "ab"}
    ]
    assert json.loads(steps.provenance_text(record)) == json.loads(json.dumps(record))


def test_demo_mismatch_names_the_sheet_and_the_fix(tmp_path):
    made, committed = tmp_path / "made", tmp_path / "committed"
    for folder, mass in ((made, "70"), (committed, "71")):
        folder.mkdir()
        (folder / "participants.tsv").write_text(f"subject\tmass_kg\nS01\t{mass}\n")
        (folder / "trials.tsv").write_text("subject\ttrial\nS01\trun\n")
    sheets = {name: str(committed / f"{name}.tsv") for name in ("participants", "trials")}
    message = steps.demo_mismatch(made, sheets, {"size": 1, "seed": 2})
    assert message.startswith("the demo generated with config demo {'size': 1, 'seed': 2}")
    assert f"does not match {sheets['participants']}; copy {made}/participants.tsv" in message
    (committed / "participants.tsv").write_text("subject\tmass_kg\nS01\t70\n")
    assert steps.demo_mismatch(made, sheets, {}) == ""


@pytest.mark.parametrize("nonparametric", [False, True])
def test_spm_clusters_is_the_configured_tests_in_order(nonparametric):
    waves = _waves()
    result = steps.spm_clusters(
        waves,
        waveforms=["pelvis_rot_deg"],
        conditions=[],
        reference="healthy",
        comparison="lbp",
        alpha=0.05,
        nonparametric=nonparametric,
        iterations=100,
    )
    only_pelvis = waves[waves["waveform"] == "pelvis_rot_deg"]
    expected = [stats.spm_waveforms(only_pelvis)]
    if nonparametric:
        expected.append(stats.spm_waveforms(only_pelvis, method="nonparametric", iterations=100))
    pd.testing.assert_frame_equal(result, pd.concat(expected, ignore_index=True))
    assert result["method"].tolist() == ["parametric", "nonparametric"][: len(expected)]


def test_inputs_stamp_is_dated_like_its_newest_file_and_changes_with_a_file(tmp_path):
    # One stamp stands for a batch's C3D files in Snakemake's DAG (issue 16): it must make the
    # batch rerun exactly when a file newer than its output appears, as the files would.
    files = [tmp_path / "a.c3d", tmp_path / "b.c3d"]
    for i, path in enumerate(files):
        path.write_bytes(b"x" * (i + 1))
        os.utime(path, ns=(10**18 + i, 10**18 + i))
    stamp = tmp_path / "inputs" / "b0000.tsv"
    names = [str(p) for p in files]
    assert steps.inputs_stamp(stamp, names) == str(stamp)
    assert stamp.read_text() == f"{files[0]}\t1\t{10**18}\n{files[1]}\t2\t{10**18 + 1}\n"
    assert stamp.stat().st_mtime_ns == 10**18 + 1
    inode = stamp.stat().st_ino
    steps.inputs_stamp(stamp, names)  # nothing changed: not rewritten, date kept
    assert (stamp.stat().st_ino, stamp.stat().st_mtime_ns) == (inode, 10**18 + 1)
    os.utime(stamp, ns=(5, 5))  # a stamp touched by hand gets its date back
    steps.inputs_stamp(stamp, names)
    assert stamp.stat().st_mtime_ns == 10**18 + 1

    files[0].write_bytes(b"new")  # edited now: the stamp follows it
    steps.inputs_stamp(stamp, names)
    assert stamp.stat().st_mtime_ns == files[0].stat().st_mtime_ns > 10**18 + 1
    assert f"{files[0]}\t3\t{files[0].stat().st_mtime_ns}\n" in stamp.read_text()

    # A symbolic link counts with the newer of its own date and its target's (as Snakemake).
    link = tmp_path / "link.c3d"
    link.symlink_to(files[1])
    os.utime(link, ns=(2 * 10**18, 2 * 10**18), follow_symlinks=False)
    steps.inputs_stamp(stamp, [str(link)])
    assert stamp.read_text() == f"{link}\t2\t{2 * 10**18}\n"
    assert stamp.stat().st_mtime_ns == 2 * 10**18

    # A file gone since the sheets were checked is listed as such; a job's re-read writes nothing.
    steps.inputs_stamp(stamp, [str(tmp_path / "gone.c3d"), str(files[1])])
    assert stamp.read_text().splitlines()[0] == f"{tmp_path / 'gone.c3d'}\tmissing"
    other = tmp_path / "inputs" / "b0001.tsv"
    assert steps.inputs_stamp(other, names, write=False) == str(other)
    assert not other.exists()
