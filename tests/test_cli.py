"""lbprun inspect: exactly the contract's keys, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

from lbprun.cli import SUBCOMMANDS, main

CONTRACT_KEYS = {
    "frames",
    "frames_declared",
    "markers_hz",
    "analog_hz",
    "units",
    "vertical_axis",
    "markerset",
    "roles",
    "plates",
    "events",
    "warnings",
}


def test_inspect_json_on_a_real_trial(c3d_dir, capsys):
    assert main(["inspect", str(c3d_dir / "dorn2012_flash-running/JA1Gait21.c3d"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info) >= CONTRACT_KEYS
    assert (info["frames"], info["frames_declared"], info["markers_hz"]) == (837, 837, 250.0)
    assert (info["analog_hz"], info["units"], info["vertical_axis"]) == (1500.0, "mm", "+Z")
    assert info["markerset"] == "dorn_melbourne" and info["roles"]["ij"] == "MAN"
    assert info["roles"]["l_psis"] is None  # missing roles are listed, as null
    assert sum(p["loaded"] for p in info["plates"]) == 5
    assert max(p["peak_vertical_n"] for p in info["plates"]) > 2000
    assert len(info["events"]) == 12


def test_inspect_text_lists_roles_plates_and_warnings(c3d_dir, capsys):
    assert main(["inspect", str(c3d_dir / "nimblephysics/JH_01.c3d")]) == 0
    out = capsys.readouterr().out
    assert "vertical axis   +Z" in out and "l_asis" in out and "missing" in out
    assert "plate 1: type 4, loaded" in out and "sign was flipped" in out


def test_inspect_bad_file_exits_2_with_one_line(c3d_dir, capsys):
    assert main(["inspect", str(c3d_dir / "crafted/segfault_ezc3d.c3d"), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: segfault_ezc3d.c3d:")


def test_console_entry_point_without_traceback(tmp_path):
    empty = tmp_path / "empty.c3d"
    empty.write_bytes(b"")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from lbprun.cli import main; sys.exit(main())",
            "inspect",
            str(empty),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == "error: empty.c3d: the file is empty\n"


def test_subcommands_are_a_registry():
    help_text, add_arguments, run = SUBCOMMANDS["inspect"]
    assert callable(add_arguments) and callable(run) and help_text


def test_extract_bad_config_and_bad_static_each_give_one_line(c3d_dir, tmp_path, capsys):
    trial = str(c3d_dir / "pyorerun" / "Running_0002.c3d")
    bad = tmp_path / "bad.yaml"
    bad.write_text("filters: {bogus: 1}\n")
    cases = [
        (["--config", str(tmp_path / "missing.yaml")], "missing.yaml: cannot be read"),
        (["--config", str(bad)], "bad.yaml: not a usable config (unknown setting(s): bogus)"),
        (
            ["--static", str(c3d_dir / "btkdata" / "others" / "Empty.c3d")],
            "Running_0002.c3d: its static trial could not be read (Empty.c3d: the file is empty)",
        ),
    ]
    for i, (options, message) in enumerate(cases):
        assert main(["extract", trial, "--out", str(tmp_path / f"out{i}"), *options]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_version_and_a_closed_pipe(c3d_dir):
    from lbprun import __version__

    done = subprocess.run([sys.executable, "-m", "lbprun.cli", "--version"],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0 and done.stdout == f"lbprun {__version__}\n"
    # `lbprun inspect --json | head -c 10`: the reader closes the pipe early; no error at all
    trial = str(c3d_dir / "bmc-ric" / "RBDS001runT35.c3d")
    piped = subprocess.run(
        f"{sys.executable} -m lbprun.cli inspect {trial} --json | head -c 10",
        shell=True, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert piped.stdout == '{\n  "file"' and piped.stderr == ""
