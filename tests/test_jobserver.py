"""lbprun.jobserver: workflow jobs run in copies of one preloaded process (issue 16).

A job handed over must behave as the same script run by ``python script.py``: its argv,
environment, working folder, standard streams and exit status (code, uncaught error, signal);
killing the job's process kills the copy; without a server the script runs in its own process.
The workflow-level checks (every rule's job handed over, outputs byte-identical with
``preload_jobs`` on and off) are at the end.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lbprun import jobserver
from tests import faults_helpers as fh

SCRIPT = textwrap.dedent(
    """\
    import sys
    from lbprun import jobserver
    jobserver.hand_over()
    import os, json, time
    what = sys.argv[1]
    print(json.dumps({"pid": os.getpid(), "preloaded": "decimal" in sys.modules,
                      "cwd": os.getcwd(), "argv": sys.argv[1:], "env": os.environ.get("MARK"),
                      "path_has": "/extra/path" in sys.path, "copy": jobserver.in_copy()}),
          flush=True)
    print("to stderr", file=sys.stderr)
    if what == "code":
        sys.exit(3)
    if what == "raise":
        raise RuntimeError("the job failed")
    if what == "signal":
        os.kill(os.getpid(), 15)
    if what == "sigkill":
        os.kill(os.getpid(), 9)
    if what == "sleep":
        open(sys.argv[2], "w").write(str(os.getpid()))
        time.sleep(60)
    """
)


@pytest.fixture(scope="module")
def server():
    started = jobserver.start((("decimal",),))
    try:
        yield started
    finally:
        started.stop()
        os.environ.pop(jobserver.ENV, None)


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "job.py"
    path.write_text(SCRIPT)
    return path


def _run(script: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "MARK": "yes", "PYTHONPATH": "/extra/path", **(env or {})}
    environ |= dict.fromkeys(jobserver.THREAD_VARS, "1")  # as Snakemake sets them for a job
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        cwd=script.parent,
        env=environ,
        timeout=60,
        check=False,
    )


def _report(done: subprocess.CompletedProcess) -> dict:
    import json

    return json.loads(done.stdout.splitlines()[0])


def test_a_job_runs_in_a_preloaded_copy_as_its_own_script_would(server, script):
    done = _run(script, "ok", "more")
    assert done.returncode == 0, done.stderr
    report = _report(done)
    assert report["copy"] is True and report["preloaded"] is True  # decimal: imported by the server
    assert report["argv"] == ["ok", "more"]
    assert report["cwd"] == str(script.parent)
    assert report["env"] == "yes" and report["path_has"] is True
    assert done.stderr == "to stderr\n"


@pytest.mark.parametrize(
    ("what", "code", "stderr"),
    [
        ("code", 3, "^to stderr\n$"),
        ("raise", 1, r"Traceback[\s\S]*RuntimeError: the job failed\n$"),
        ("signal", -signal.SIGTERM, "^to stderr\n$"),
        ("sigkill", -signal.SIGKILL, "^to stderr\n$"),
    ],
)
def test_the_job_ends_as_the_copy_did(server, script, what, code, stderr):
    done = _run(script, what)
    assert _report(done)["copy"] is True
    assert done.returncode == code, done.stderr
    assert re.search(stderr, done.stderr), done.stderr


def test_killing_the_jobs_process_kills_the_copy(server, script, tmp_path):
    pid_file = tmp_path / "copy.pid"
    env = {**os.environ, "MARK": "yes", **dict.fromkeys(jobserver.THREAD_VARS, "1")}
    job = subprocess.Popen([sys.executable, str(script), "sleep", str(pid_file)], env=env)
    try:
        assert fh.wait_until(lambda: pid_file.is_file() and pid_file.read_text(), timeout=30)
        copy = int(pid_file.read_text())
        assert copy != job.pid and Path(f"/proc/{copy}").exists()
        job.kill()
        job.wait()
        assert fh.wait_until(lambda: not _alive(copy), timeout=5)
    finally:
        job.kill()


@pytest.mark.parametrize(
    "case",
    [
        (signal.SIGTERM, False, ""),
        (signal.SIGINT, False, "KeyboardInterrupt"),
        (signal.SIGINT, True, None),  # started ignoring it (as under nohup or `&`): ignored
    ],
)
def test_a_signal_to_the_jobs_process_reaches_the_copy(server, script, tmp_path, case):
    sig, ignored, said = case
    pid_file = tmp_path / "copy.pid"
    env = {**os.environ, "MARK": "yes", **dict.fromkeys(jobserver.THREAD_VARS, "1")}

    def dispositions() -> None:  # whatever the test runner's own (CI runs it in the background)
        signal.signal(sig, signal.SIG_IGN if ignored else signal.SIG_DFL)

    job = subprocess.Popen(
        [sys.executable, str(script), "sleep", str(pid_file)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=dispositions,  # noqa: PLW1509 - set before exec; the test starts no thread
    )
    try:
        assert fh.wait_until(lambda: pid_file.is_file() and pid_file.read_text(), timeout=30)
        copy = int(pid_file.read_text())
        job.send_signal(sig)
        if ignored:  # as `python script.py` started so: both keep running
            time.sleep(1.0)
            assert job.poll() is None and _alive(copy)
            return
        _, stderr = job.communicate(timeout=30)
        assert job.returncode == -sig  # as the script itself would end, run by python
        assert said in stderr
        assert fh.wait_until(lambda: not _alive(copy), timeout=5)
    finally:
        job.kill()
        job.wait()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_to_the_server_leaves_it_serving(server, script):
    # A terminal's Ctrl-C reaches the whole process group, the server included.
    os.kill(server.process.pid, signal.SIGINT)
    time.sleep(0.2)
    assert server.process.poll() is None
    assert _report(_run(script, "ok"))["copy"] is True


def test_without_a_server_the_job_runs_in_its_own_process(script):
    for env in ({jobserver.ENV: ""}, {jobserver.ENV: "lbprun-jobs-nobody-listens"}):
        done = _run(script, "code", env=env)
        assert done.returncode == 3
        report = _report(done)
        assert report["copy"] is False and report["preloaded"] is False


def test_a_server_declines_another_interpreter_or_lbprun():
    import lbprun

    request = {"executable": sys.executable, "lbprun": lbprun.__file__}
    request["env"] = {name: os.environ.get(name) for name in jobserver.THREAD_VARS}
    assert jobserver._refusal(request, [0, 1, 2]) is None
    assert jobserver._refusal(request | {"env": {"OMP_NUM_THREADS": "64"}}, [0, 1, 2])
    assert jobserver._refusal(request | {"executable": "/usr/bin/python9"}, [0, 1, 2])
    assert jobserver._refusal(request | {"lbprun": "/elsewhere/lbprun/__init__.py"}, [0, 1, 2])
    assert jobserver._refusal(request, [0])


def test_the_server_ends_with_the_process_that_started_it():
    code = (
        'from lbprun import jobserver; s = jobserver.start((("decimal",),)); '
        "print(s.process.pid, flush=True)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    pid = int(done.stdout)
    assert fh.wait_until(lambda: not _alive(pid), timeout=10)


def test_every_workflow_script_hands_over_first_and_says_what_it_imports():
    scripts = sorted((fh.REPO / "workflow" / "scripts").glob("*.py"))
    assert {p.stem for p in scripts} == set(jobserver.NEEDS)
    for path in scripts:
        lines = [
            line
            for line in path.read_text().split('"""', 2)[2].splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert lines[:2] == ["from lbprun import jobserver", lines[1]], path.name
        assert lines[1].startswith("jobserver.hand_over()"), path.name
    for groups in jobserver.NEEDS.values():
        assert set(groups) <= set(jobserver.GROUPS)


@pytest.mark.slow
def test_what_each_script_imports_is_preloaded():
    # Imports each script's modules after its preload groups, in a fresh interpreter: nothing
    # heavy (pandas aside, in the base group) may be left for the job to import itself.
    heavy = ("scipy.stats", "spm1d", "statsmodels", "matplotlib", "lbprun.trial", "lbprun.synth")
    for script, groups in jobserver.NEEDS.items():
        preload = [m for g in jobserver.preload_for([script]) for m in g]
        source = (fh.REPO / "workflow" / "scripts" / f"{script}.py").read_text()
        imports = [
            line
            for line in source.splitlines()
            if line.startswith(("import ", "from ")) and "jobserver" not in line
        ]
        code = textwrap.dedent(
            f"""\
            import importlib, sys
            for name in {preload!r}:
                importlib.import_module(name)
            before = set(sys.modules)
            {"; ".join(imports)}
            """
        )
        code += _lazy_imports(script)
        code += "print(sorted(set(sys.modules) - before))\n"
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, (script, done.stderr)
        late = eval(done.stdout)  # our own subprocess printed a list
        assert not [m for m in late if m.startswith(heavy)], (script, groups, late)


def _lazy_imports(script: str) -> str:
    """The modules a script's lbprun calls import inside functions (kept in step by hand)."""
    lazy = {
        "participants_table": ["scipy.stats"],
        "group_tests": ["scipy.stats", "statsmodels.stats.multitest"],
        "associations": ["scipy.stats", "statsmodels.stats.multitest"],
        "mixed_models": ["statsmodels.formula.api", "statsmodels.stats.multitest"],
        "spm_clusters": ["spm1d", "statsmodels.stats.multitest"],
        "waveform_figure": ["scipy.stats"],
    }
    return "".join(f"import {name}\n" for name in lazy.get(script, []))


# --- the workflow ------------------------------------------------------------------------------


@pytest.mark.slow
def test_workflow_outputs_are_byte_identical_with_and_without_the_server(tmp_path):
    runs = {}
    for preload in (True, False):
        workdir = tmp_path / f"preload-{preload}"
        workdir.mkdir()
        fh.good_cohort(workdir, n_per_group=2)
        fh.write_config(workdir, preload_jobs=preload)
        done = fh.snakemake(workdir, "--cores", "2")
        assert done.returncode == 0, done.stderr[-3000:]
        runs[preload] = workdir / "results"

    def rule_logs(results: Path) -> list[Path]:  # logs/trials/: one per trial, not per job
        return [p for p in results.joinpath("logs").rglob("*.log") if "trials" not in p.parts]

    assert len(rule_logs(runs[True])) >= 12
    for log in rule_logs(runs[True]):  # every job was handed over, and said so in its log
        assert "run by the job server" in log.read_text(), log
    for log in rule_logs(runs[False]):
        assert "run by the job server" not in log.read_text(), log
    compared = 0
    for folder in ("cohort", "stats", "tables", "figures", "trials"):
        ours = fh.sha256_tree(runs[True] / folder)
        theirs = fh.sha256_tree(runs[False] / folder)
        assert ours == theirs, folder
        compared += len(ours)
    assert compared >= 70  # 76 files: cohort, stats, tables, 27 figures, every trial
