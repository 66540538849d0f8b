"""Broken-trial cohorts and a Snakemake runner for tests/test_faults.py.

Everything is written into a pytest tmp folder: the real crafted C3D corpus file is copied
there at test time, never into the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
SEGFAULT_C3D = Path("/work/shared/data/c3d/crafted/segfault_ezc3d.c3d")
THORAX = {"C7", "T10", "CLAV", "STRN"}
FEET = {"LHEE", "LTOE", "RHEE", "RTOE"}

# Each broken variant: (trial id, what is wrong, expected outcome). "failed" trials are listed in
# cohort/failed_trials.csv; "partial" trials are status ok with some measures null and a warning.
FAILED = {
    "truncated": "the file is truncated",
    "badparams": "the C3D reader refused it",
    "badpointer": "unknown processor type",
    "segfault": "the C3D reader crashed on it",
    "empty": "the file is empty",
    "binary": "in the parameter section",
    "noevents": "no gait events found",
}
PARTIAL = {
    "nothorax": ("thorax_rot_rom_deg", "no thorax markers"),
    "noplate": ("impact_peak_bw", "no complete force-plate stance"),
}
BROKEN = (*FAILED, *PARTIAL)


def run_env() -> dict:
    """Environment for a snakemake subprocess (the venv's bin first on PATH)."""
    path = f"{SNAKEMAKE.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path}


def command(workdir: Path, *args: str) -> list[str]:
    """The snakemake command line for the repo's workflow run in ``workdir``."""
    cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "--directory", str(workdir)]
    return [*cmd, "--configfile", str(workdir / "config.yaml"), *args]


def snakemake(workdir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` and wait for it."""
    return subprocess.run(
        command(workdir, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=run_env(),
        check=False,
    )


def popen(workdir: Path, *args: str, log: Path) -> subprocess.Popen:
    """Start the workflow in its own process group (so that ``killpg`` reaches every job)."""
    with open(log, "w") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command(workdir, *args),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=run_env(),
            start_new_session=True,
        )


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the whole process group of ``proc`` and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def write_config(workdir: Path, **overrides) -> dict:
    """Config with paths relative to ``workdir`` (so outputs do not name the tmp folder)."""
    config = {
        "participants": "participants.tsv",
        "trials": "trials.tsv",
        "data_dir": "data",
        "batch_size": 3,
        "demo": {"enabled": False},
        "stats": {"spm_iterations": 200},
    } | overrides
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return config


def good_cohort(workdir: Path, *, n_per_group: int = 2, seed: int = 5) -> pd.DataFrame:
    """Tiny synthetic cohort (n + n runners x 2 speeds, 3 s each) in ``workdir/data``."""
    from lbprun import synth

    written = synth.write_cohort(
        workdir / "data", n_per_group=n_per_group, speeds_mps=(2.5, 3.5), seed=seed, duration_s=3.0
    )
    shutil.copyfile(written["participants"], workdir / "participants.tsv")
    trials = pd.read_csv(written["trials"], sep="\t", dtype=str)
    trials.to_csv(workdir / "trials.tsv", sep="\t", index=False)
    write_config(workdir)
    return trials


def _rewrite(source: Path, target: Path, *, rename=frozenset(), zero_forces=False) -> None:
    """Copy a valid C3D with some marker labels renamed and/or the force channels zeroed."""
    import ezc3d

    c3d = ezc3d.c3d(str(source))
    labels = c3d["parameters"]["POINT"]["LABELS"]["value"]
    new = [f"X{i:02d}" if label in rename else label for i, label in enumerate(labels)]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = new
    if zero_forces:
        c3d["data"]["analogs"] = np.zeros_like(c3d["data"]["analogs"])
    c3d.write(str(target))


def make_broken(source: Path, folder: Path) -> dict[str, Path]:
    """Write one file per broken variant (named ``{variant}.c3d``) from a good trial."""
    folder.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    files = {name: folder / f"{name}.c3d" for name in BROKEN}
    files["truncated"].write_bytes(data[: len(data) * 2 // 5])
    garbage = np.random.default_rng(0).integers(0, 256, 508, dtype=np.uint8).tobytes()
    files["badparams"].write_bytes(data[:516] + garbage + data[1024:])
    # byte 0 points at the parameter section: pointing it past the file's real one
    files["badpointer"].write_bytes(bytes([250]) + data[1:])
    shutil.copyfile(SEGFAULT_C3D, files["segfault"])
    files["empty"].write_bytes(b"")
    # random bytes that pass the sheet check (C3D magic byte 0x50 at offset 1)
    noise = np.random.default_rng(1).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    files["binary"].write_bytes(noise[:1] + bytes([0x50]) + noise[2:])
    _rewrite(source, files["nothorax"], rename=THORAX)
    _rewrite(source, files["noplate"], zero_forces=True)
    _rewrite(source, files["noevents"], rename=FEET, zero_forces=True)
    return files


def add_broken_trials(workdir: Path, good: pd.DataFrame) -> pd.DataFrame:
    """Add the broken variants to the cohort's sheet, spread over the subjects."""
    source = workdir / "data" / good["path"].iloc[0]
    files = make_broken(source, workdir / "data" / "broken")
    subjects = sorted(good["subject"].unique())
    rows = [
        {
            "subject": subjects[i % len(subjects)],
            "trial": name,
            "path": path.relative_to(workdir / "data").as_posix(),
            "condition": good["condition"].iloc[0],
            "speed_mps": good["speed_mps"].iloc[0],
        }
        for i, (name, path) in enumerate(files.items())
    ]
    trials = pd.concat([good, pd.DataFrame(rows)], ignore_index=True)
    trials.to_csv(workdir / "trials.tsv", sep="\t", index=False)
    return trials


def sha256_tree(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def input_hashes(workdir: Path) -> dict[str, str]:
    """sha256 of every input: the data folder's files and the sheets and config beside it."""
    hashes = sha256_tree(workdir / "data")
    for name in ("participants.tsv", "trials.tsv", "config.yaml"):
        hashes[f"../{name}"] = hashlib.sha256((workdir / name).read_bytes()).hexdigest()
    return hashes


def stray_files(results: Path) -> list[str]:
    """Temporary or partial files left under ``results`` (none may survive a finished run)."""
    return sorted(
        p.relative_to(results).as_posix()
        for p in results.rglob("*")
        if p.is_file()
        and (p.name.endswith(".tmp") or p.name.startswith(".") or p.stat().st_size == 0)
    )
