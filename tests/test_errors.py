"""Bad input raises lbprun's own errors (one sentence); anything else is a bug and says so.

Issue 15: a programming error must never pass as a "failed trial". Bad data keep failing
cleanly (tests/test_trial.py, tests/test_faults.py, the fuzz corpus of tests/test_c3d.py);
here an unforeseen error is injected where a bug would be and must surface as a bug: raised by
:func:`lbprun.trial.extract` (no ``trial.json`` written), one line naming a traceback log on the
command line (exit 70), the traceback in a workflow job's log.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lbprun import cli, errors, trial
from lbprun.c3d import C3DError
from lbprun.kinematics.clusters import StaticMismatchError
from lbprun.markersets import MarkerSetError
from lbprun.sheets import SheetError
from lbprun.study import StudyError

TRIAL = "pyorerun/Running_0002.c3d"


def _bug(*args, **kwargs):
    raise KeyError("pelvis")  # what a bug in the measuring code would raise


def test_every_bad_input_error_is_an_lbprun_error():
    for kind in (C3DError, MarkerSetError, SheetError, StudyError, StaticMismatchError):
        assert issubclass(kind, errors.LbprunError), kind
    for kind in (errors.NoEventsError, errors.StaticTrialError):
        assert issubclass(kind, errors.TrialError)
    # callers that caught the former base classes still do
    assert issubclass(MarkerSetError, ValueError) and issubclass(StudyError, RuntimeError)
    assert issubclass(errors.ConfigError, ValueError) and issubclass(errors.UsageError, ValueError)


def test_bad_data_is_a_failed_trial_and_a_bug_is_raised(c3d_dir, tmp_path, monkeypatch):
    empty = tmp_path / "empty.c3d"
    empty.write_bytes(b"")
    failed = trial.extract(empty, tmp_path / "bad")
    assert failed["status"] == "failed" and failed["error"] == "empty.c3d: the file is empty"
    assert (tmp_path / "bad" / "trial.json").is_file()

    monkeypatch.setattr(trial, "measure_trial", _bug)
    with pytest.raises(KeyError, match="pelvis"):
        trial.extract(c3d_dir / TRIAL, tmp_path / "bug")
    assert not (tmp_path / "bug" / "trial.json").exists()


def test_cli_bug_is_one_line_naming_the_traceback_log(c3d_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(trial, "measure_trial", _bug)
    out = tmp_path / "out"
    assert cli.main(["extract", str(c3d_dir / TRIAL), "--out", str(out)]) == cli.EXIT_BUG == 70
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: a bug in lbprun (KeyError: 'pelvis'), not a problem of")
    log = Path(err[0].rsplit("traceback in ", 1)[1])
    assert log.parent == tmp_path
    text = log.read_text()
    assert text.startswith(f"lbprun extract {c3d_dir / TRIAL} --out {out}\n")
    assert "Traceback (most recent call last)" in text and "in _bug" in text
    assert not (out / "trial.json").exists()
    # inspect runs the trial too: the same bug, the same report
    assert cli.main(["inspect", str(c3d_dir / TRIAL)]) == 70
    assert "error: a bug in lbprun (KeyError" in capsys.readouterr().err


def test_cli_bad_input_is_still_exit_2(tmp_path, capsys):
    assert cli.main(["extract", str(tmp_path / "none.c3d"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("error: --out ") and "never writes among the files" in err[0]


def test_a_workflow_script_logs_the_traceback_of_an_uncaught_error(tmp_path):
    log = tmp_path / "job.log"
    script = (
        "from lbprun import logs; "
        f"logs.to_file({str(log)!r}); "
        "import logging; logging.info('trial 1/1: x.c3d'); "
        "raise KeyError('pelvis')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1 and "KeyError: 'pelvis'" in done.stderr
    text = log.read_text()
    assert "trial 1/1: x.c3d" in text and "uncaught KeyError: the job stops" in text
    assert "Traceback (most recent call last)" in text and "KeyError: 'pelvis'" in text
    logging.shutdown()
