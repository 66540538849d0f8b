"""lbprun.c3d.fast: the in-process numpy reader gives ezc3d's arrays exactly, or declines.

ezc3d is the oracle (issue 16): for every corpus file the fast reader accepts, every array and
parameter it returns must equal what ezc3d returns in the loader's worker -- same values bit
for bit (NaN where ezc3d has NaN), same dtypes, same shapes. Files it declines are read by
ezc3d as before; which ones they are is pinned here, and the real running files the per-trial
benchmark times must not be among them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lbprun import synth
from lbprun.c3d import C3DError, fast, load
from lbprun.c3d.header import _read_header
from lbprun.c3d.worker import _read_raw
from tests import faults_helpers as fh

CORPUS = Path(
    os.environ.get(
        "LBPRUN_C3D_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "c3d"
    )
)
ALL_FILES = sorted(
    str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.suffix.lower() == ".c3d"
)
# The real running trials bench/bench_trials.py times (and their statics): always the fast path.
RUNNING = (
    "dorn2012_flash-running/JA1Gait21.c3d",
    "dorn2012_flash-running/JA1Static05.c3d",
    "bmc-ric/RBDS001runT35.c3d",
    "bmc-ric/RBDS001static.c3d",
    "bmc-ric/20140515T133244_run.c3d",
    "bmc-ric/20140515T133244_static.c3d",
    "pyorerun/Running_0002.c3d",
    "theia-sanford/pose_filt_2.c3d",
)
# Files the fast reader leaves to ezc3d, and why (the header check rejects the rest earlier:
# Empty.c3d and the two crafted files).
DECLINED = {
    "btkdata/others/mocap36.c3d": "records not chained",
    "btkdata/others/parameterOverflow.c3d": "parameter value past the section",
    "c3dorg-via-btkdata/sample01/Eb015si.c3d": "MIPS byte order",
    "c3dorg-via-btkdata/sample01/Eb015sr.c3d": "MIPS byte order",
    "c3dorg-via-btkdata/sample13/Dance.c3d": "parameter value past the section",
    "c3dorg-via-btkdata/sample15/FP1.C3D": "parameter value past the section",
    "c3dorg-via-btkdata/sample18/bad_parameter_section.c3d": "non-ASCII text",
    "c3dorg-via-btkdata/sample20/phasespace_sample.c3d": "parameter section outside the file",
    "c3dorg-via-btkdata/sample24/MotionMonitorC3D.c3d": "ANALOG:RATE and header disagree",
    "c3dorg-via-btkdata/sample28/dynamic.C3D": "POINT:SCALE",
    "c3dorg-via-btkdata/sample28/type1.C3D": "ANALOG:RATE and header disagree",
    "ezc3d-testfiles/Kistler.c3d": "NUL inside text",
}
HEADER_REJECTS = {
    "btkdata/others/Empty.c3d",
    "crafted/hang_ezc3d.c3d",
    "crafted/segfault_ezc3d.c3d",
}


def _fast_or_reason(path: Path) -> dict | str:
    """The fast reader's raw dictionary, or why it declined."""
    header, _room = _read_header(path)
    try:
        return fast.read(path, header)
    except fast.Decline as why:
        return str(why)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        nan = a.dtype.kind == "f"
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=nan)
    return type(a) is type(b) and a == b


def _differences(mine: dict, oracle: dict) -> list[str]:
    """Every key, array and parameter where the fast reader differs from ezc3d's worker."""
    out = [key for key in oracle if key != "reader" and key not in ("params", "dims")]
    out = [key for key in out if not _same(mine.get(key), oracle[key])]
    out += sorted(set(mine) - set(oracle))
    for part in ("params", "dims"):
        if set(mine[part]) != set(oracle[part]):
            out.append(f"{part} groups {sorted(set(mine[part]) ^ set(oracle[part]))}")
            continue
        for group, entries in oracle[part].items():
            if set(mine[part][group]) != set(entries):
                out.append(f"{part} {group} {sorted(set(mine[part][group]) ^ set(entries))}")
            out += [
                f"{part} {group}:{name}"
                for name, value in entries.items()
                if name in mine[part][group] and not _same(mine[part][group][name], value)
            ]
    return out


def _oracle(path: Path) -> dict:
    """ezc3d's raw dictionary, read in the loader's memory-limited worker."""
    return _read_raw(path, safe=True, timeout_s=30.0)


@pytest.mark.parametrize("rel", ALL_FILES)
def test_fast_reader_equals_ezc3d_or_declines(c3d_dir, rel):
    path = c3d_dir / rel
    if rel in HEADER_REJECTS:
        with pytest.raises(C3DError):
            _read_header(path)
        return
    result = _fast_or_reason(path)
    if isinstance(result, str):
        assert rel in DECLINED, f"{rel} newly falls back to ezc3d: {result}"
        assert result == DECLINED[rel]
        return
    assert rel not in DECLINED, f"{rel} is now read by the fast path: update DECLINED"
    assert result["reader"] == "numpy"
    assert _differences(result, _oracle(path)) == []


def test_running_files_never_fall_back(c3d_dir):
    for rel in RUNNING:
        assert not isinstance(_fast_or_reason(c3d_dir / rel), str), rel
        assert load(c3d_dir / rel).metadata["reader"] == "numpy", rel
    print("\nfiles read by ezc3d (fallback):", *sorted(DECLINED), sep="\n  ")


@pytest.mark.parametrize("kind", [{}, {"setup": "overground"}, {"markerless": True}])
def test_fast_reader_equals_ezc3d_on_synthetic_trials(kind):
    path = synth.example_trial(**kind)
    result = _fast_or_reason(path)
    assert not isinstance(result, str), result
    assert _differences(result, _oracle(path)) == []


def _trial_state(trial) -> dict:
    """Everything a loaded Trial carries, arrays as bytes, without the reader's name."""
    meta = {k: v for k, v in trial.metadata.items() if k != "reader"}
    return {
        "arrays": [trial.markers_m.tobytes(), trial.markers_m.shape],
        "outputs": {k: v.tobytes() for k, v in trial.model_outputs.items()},
        "poses": {k: v.tobytes() for k, v in trial.poses.items()},
        "plates": [
            (p.index, p.plate_type, p.force_n.tobytes(), p.cop_m.tobytes(), p.corners_m.tobytes())
            for p in trial.plates
        ],
        "meta": repr(meta),
        "rest": repr(
            (
                trial.markers_hz,
                trial.analog_hz,
                trial.labels,
                trial.events,
                trial.frames,
                trial.frames_declared,
                trial.first_frame,
                trial.units,
                trial.vertical_axis,
                trial.warnings,
            )
        ),
    }


@pytest.mark.parametrize("rel", RUNNING)
def test_loaded_trials_are_identical_with_either_reader(c3d_dir, rel):
    fast_trial = load(c3d_dir / rel)
    ezc3d_trial = load(c3d_dir / rel, reader="ezc3d")
    assert (fast_trial.metadata["reader"], ezc3d_trial.metadata["reader"]) == ("numpy", "ezc3d")
    assert _trial_state(fast_trial) == _trial_state(ezc3d_trial)


def test_unknown_reader_is_refused(c3d_dir):
    with pytest.raises(ValueError, match="reader must be one of"):
        load(c3d_dir / RUNNING[0], reader="btk")


def _fuzz_against_ezc3d(c3d_dir: Path, tmp_path: Path, *, every: int) -> dict:
    """Fuzzed variants: where the fast reader accepts one, ezc3d must read the same arrays."""
    counts = {"declined": 0, "header_rejects": 0, "equal": 0}
    for k, (name, content) in enumerate(fh.fuzz_corpus(c3d_dir)):
        if k % every:
            continue
        path = tmp_path / f"{name}.c3d"
        path.write_bytes(content)
        try:
            result = _fast_or_reason(path)
        except C3DError:
            counts["header_rejects"] += 1
            path.unlink()
            continue
        if isinstance(result, str):
            counts["declined"] += 1
        else:
            # the fast reader never takes more than the file's size justifies
            arrays = ("points", "residuals", "analogs", "rotations")
            assert sum(result[a].nbytes for a in arrays) <= 4 * len(content), name
            assert _differences(result, _oracle(path)) == [], name
            counts["equal"] += 1
        path.unlink()
    return counts


def test_fuzz_sample_fast_reader_equals_ezc3d_or_declines(c3d_dir, tmp_path):
    counts = _fuzz_against_ezc3d(c3d_dir, tmp_path, every=40)
    print("\nfast reader on fuzzed variants:", counts)
    assert counts["equal"] and counts["declined"]


@pytest.mark.slow
def test_fuzz_corpus_fast_reader_equals_ezc3d_or_declines(c3d_dir, tmp_path):
    counts = _fuzz_against_ezc3d(c3d_dir, tmp_path, every=1)
    print("\nfast reader on fuzzed variants:", counts)
    assert sum(counts.values()) >= 1000


def test_declared_sizes_are_bounded_by_the_file():
    # A text parameter of width 0 and 255^5 rows holds no bytes but would make 10^12 strings.
    section = bytearray(512)
    section[2], section[3] = 1, 84  # one block, Intel
    record = (
        b"\x01\x01X"
        + (10).to_bytes(2, "little")
        + b"\xff\x06"
        + bytes([0, 255, 255, 255, 255, 255])
    )
    section[4 : 4 + len(record)] = record
    data = bytes([2, 0x50]) + bytes(510) + bytes(section)
    with pytest.raises(fast.Decline, match="more strings than the file has bytes"):
        fast._parameters(data, "Intel")


def test_any_failure_of_the_fast_reader_falls_back_to_ezc3d(c3d_dir, monkeypatch):
    def broken(path, header):
        raise RuntimeError("a bug in the fast reader")

    monkeypatch.setattr(fast, "read", broken)
    trial = load(c3d_dir / "pyorerun/Running_0002.c3d")
    assert trial.metadata["reader"] == "ezc3d" and trial.frames == 80


def test_dec_floats_convert_to_their_values():
    # DEC F-float: the IEEE bit pattern of 4x the value with its 16-bit words swapped.
    dec = np.array([0x80, 0x40, 0, 0, 0x20, 0xC1, 0, 0, 0, 0, 0, 0], dtype=np.uint8)
    assert fast._dec_to_ieee(dec).tolist() == [1.0, -2.5, 0.0]
