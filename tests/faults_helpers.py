"""Broken-trial cohorts and a Snakemake runner for tests/test_faults.py.

Everything is written into a pytest tmp folder: the real crafted C3D corpus file is copied
there at test time, never into the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
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
    "segfault": "declares 151 dimensions",  # crafted/segfault_ezc3d.c3d, caught before ezc3d
    "hang": "declares 122 dimensions",  # crafted/hang_ezc3d.c3d, caught before ezc3d
    "empty": "the file is empty",
    "binary": "in the parameter section",
    "textfile": "not a C3D file",  # a text file named .c3d (issue 12: was a study error)
    "badstatic": "static trial",  # a good trial whose static calibration is truncated
    "noevents": "no gait events found",
}
HANG_C3D = SEGFAULT_C3D.with_name("hang_ezc3d.c3d")
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


def inspect_json(*args) -> dict:
    """``lbprun inspect --json ARGS`` through the console entry point, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from lbprun.cli import main; sys.exit(main())",
         "inspect", "--json", *map(str, args)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


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
    shutil.copyfile(HANG_C3D, files["hang"])
    files["empty"].write_bytes(b"")
    files["textfile"].write_text("subject\ttrial\nS01\trun\n")
    shutil.copyfile(source, files["badstatic"])
    (folder / "static_truncated.c3d").write_bytes(data[: len(data) // 3])
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
            "static": "broken/static_truncated.c3d" if name == "badstatic" else "",
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


# ---------------------------------------------------------------------------------------------
# Structure-aware fuzzing of real C3D files (issue 12): mutations of the counts, pointers, rates
# and sizes a reader trusts, besides the byte-level corpus of tests/test_c3d.py.

FUZZ_SOURCES = (
    "dorn2012_flash-running/JA1Gait21.c3d",
    "btkdata/PiG_Motion-FlatFoot-Full.c3d",
    "pyorerun/Running_0002.c3d",
)
_INTS = (0, 1, 2, 255, 32767, -1, -32768)
_FLOATS = (0.0, 1.0, -1.0, 1e9, 1e-9, 1e38, float("nan"), float("inf"))


def parameters(data: bytes) -> dict[tuple[str, str], dict]:
    """Parameter records of an Intel C3D: (GROUP, NAME) -> offsets of type, dims and value."""
    import struct

    p = (data[0] - 1) * 512 + 4
    records, groups = {}, {}
    while p + 2 <= len(data):
        n_chars, gid = struct.unpack("bb", data[p : p + 2])
        if n_chars == 0:
            break
        name = data[p + 2 : p + 2 + abs(n_chars)].decode("latin-1").upper()
        link = p + 2 + abs(n_chars)
        (step,) = struct.unpack("<h", data[link : link + 2])
        if gid < 0:
            groups[-gid] = name
        else:
            kind, n_dims = struct.unpack("bB", data[link + 2 : link + 4])
            dims = list(data[link + 4 : link + 4 + n_dims])
            records[(gid, name)] = {
                "at": p, "type": link + 2, "n_dims": link + 3, "dims": link + 4,
                "value": link + 4 + n_dims, "kind": kind, "shape": dims,
            }  # fmt: skip
        if step <= 0:
            break
        p = link + step
    return {(groups.get(gid, "?"), name): rec for (gid, name), rec in records.items()}


def _put(data: bytes, at: int, fmt: str, value) -> bytes:
    import struct

    out = bytearray(data)
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


def structure_mutations(data: bytes) -> Iterator[tuple[str, bytes]]:
    """Variants with one count, pointer, rate, scale or declared size set to an extreme."""
    header_words = {"n_points": 2, "analog_per_frame": 4, "first_frame": 6, "last_frame": 8,
                    "data_start": 16}  # fmt: skip
    for name, at in header_words.items():
        for value in (0, 1, 2, 255, 65535, int.from_bytes(data[at : at + 2], "little") + 1):
            yield f"header_{name}_{value}", _put(data, at, "<H", value)
    for name, at in {"scale": 12, "rate": 20}.items():
        for value in _FLOATS:
            yield f"header_{name}_{value:g}", _put(data, at, "<f", value)
    for value in (0, 1, 3, 255):
        yield f"header_parameter_block_{value}", _put(data, 0, "<B", value)
    section = (data[0] - 1) * 512
    for value in (0, 1, 2, 100, 255):
        yield f"parameter_blocks_{value}", _put(data, section + 2, "<B", value)
    yield from _parameter_mutations(data)


def _parameter_mutations(data: bytes) -> Iterator[tuple[str, bytes]]:
    """Counts, rates and scales of the groups a reader sizes data from; dims and types of all."""
    for (group, name), rec in parameters(data).items():
        key = f"{group}_{name}".replace(" ", "_")
        if group in ("POINT", "ANALOG", "FORCE_PLATFORM", "TRIAL", "EVENT") and rec["kind"] in (
            2, 4,
        ) and rec["value"] + 4 <= len(data):  # fmt: skip
            values = _INTS if rec["kind"] == 2 else _FLOATS
            fmt = "<h" if rec["kind"] == 2 else "<f"
            for value in values:
                yield f"{key}_{value:g}", _put(data, rec["value"], fmt, value)
        if rec["shape"]:  # a huge declared size, and a wrong number of dimensions
            yield f"{key}_dim255", _put(data, rec["dims"], "<B", 255)
            yield f"{key}_ndims7", _put(data, rec["n_dims"], "<B", 7)
        yield f"{key}_type3", _put(data, rec["type"], "<b", 3)


def byte_mutations(data: bytes, rng) -> Iterator[tuple[str, bytes]]:
    """Truncations and single-byte flips in the header, parameter and data sections."""
    param_start = (data[0] - 1) * 512
    data_start = int.from_bytes(data[16:18], "little") * 512 - 512
    yield from {"empty": b"", "zeros": bytes(len(data)), "header_only": data[:512]}.items()
    for k, offset in enumerate(np.linspace(100, len(data) - 600, 24).astype(int)):
        yield f"trunc{k}_{offset}", data[:offset]
    regions = {
        "header": (2, 512),
        "params": (param_start, data_start),
        "data": (data_start, len(data)),
    }
    for region, (lo, hi) in regions.items():
        for k in range(40):
            flipped = bytearray(data)
            at = int(rng.integers(lo, hi))
            flipped[at] = int(rng.integers(0, 256))
            yield f"flip_{region}{k}_{at}", bytes(flipped)


def fuzz_corpus(corpus: Path) -> Iterator[tuple[str, bytes]]:
    """Every variant of the three source files, ``({source stem}__{mutation}, bytes)``.

    A generator: the variants of a 2 MB file take ~1 GB together, so only one is held at once.
    """
    rng = np.random.default_rng(20261202)
    for rel in FUZZ_SOURCES:
        data = (corpus / rel).read_bytes()
        stem = Path(rel).stem
        for name, content in byte_mutations(data, rng):
            yield f"{stem}__{name}", content
        for name, content in structure_mutations(data):
            yield f"{stem}__{name}", content


# ---------------------------------------------------------------------------------------------
# Processes: what is left running after a kill.


def session_processes(session: int) -> dict[int, str]:
    """Live (not zombie) processes of a session, pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(stat.parent.name)] = cmdline.decode(errors="replace").strip()
    return found


def children(pid: int) -> dict[int, str]:
    """Direct children of ``pid``, pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(stat.parent.name)] = cmdline.decode(errors="replace").strip()
    return found


def wait_until(predicate, *, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def spinning_c3d(source: Path, target: Path) -> Path:
    """A copy of ``source`` with ANALOG:RATE 1e9: ezc3d works on it until the read timeout.

    Found by the structure-aware fuzz corpus; unlike crafted/hang_ezc3d.c3d (caught by the
    parameter-section check before ezc3d sees it) the reader really runs, so a kill lands while
    a worker is busy on it.
    """
    data = source.read_bytes()
    target.write_bytes(_put(data, parameters(data)[("ANALOG", "RATE")]["value"], "<f", 1e9))
    return target
