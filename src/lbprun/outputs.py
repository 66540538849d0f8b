"""Per-trial output files: names, columns and atomic writing (CONTRACT.md).

Every file is written to a temporary name in the same folder and moved into place with
:func:`os.replace`, so a run killed part-way never leaves a partial file behind; ``trial.json``
is written last, so its presence means the trial's other files are complete.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun import registry
from lbprun.registry import N_POINTS, STRIDE_WAVEFORMS  # re-exported: users import them from here

_STANCE_OUTCOMES = registry.names(level="stance")
# trial.json: the trial's identity and recording, every outcome (registry order), then the rest
TRIAL_KEYS = (
    "status", "error", "file", "sha256", "lbprun_version", "subject", "trial", "condition",
    "markers_hz", "analog_hz", "vertical_axis", "markerset", "n_strides", "n_stances",
    "n_plate_stances", *registry.OUTCOMES, "body_mass_kg", "body_mass_source", "warnings",
    "settings",
)  # fmt: skip
STANCE_COLUMNS = (
    "side", "td_s", "to_s", "stance_time_s", "event_source", "plate",
    *(name for name in _STANCE_OUTCOMES if name != "stance_time_s"), "footstrike",
)  # fmt: skip
STRIDE_COLUMNS = (
    "side", "td_s", "next_td_s", "stride_time_s", *registry.names(family="rotation"),
    "crp_mean_abs_deg", *registry.VC_PATTERNS, "valid", "invalid_reason",
)  # fmt: skip


def sha256_of(path: str | os.PathLike, /) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _json_value(value):
    """Turn numpy scalars and non-finite floats into JSON-safe values (NaN -> null)."""
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _replace_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def npz_bytes(arrays: Mapping[str, np.ndarray], /) -> bytes:
    """Deterministic compressed ``.npz`` bytes (readable by :func:`numpy.load`).

    ``numpy.savez_compressed`` stamps each member with the current time, so two runs on the same
    data would differ byte for byte; a fixed timestamp keeps reruns byte-identical.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in sorted(arrays.items()):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def write_trial_outputs(
    out_dir: str | os.PathLike,
    /,
    *,
    summary: Mapping,
    stances: pd.DataFrame,
    strides: pd.DataFrame,
    waveforms: Mapping[str, np.ndarray],
) -> None:
    """Write trial.json, stances.csv, strides.csv and waveforms.npz atomically (trial.json last)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("stances.csv", "strides.csv", "waveforms.npz", "trial.json"):
        for stale in out.glob(f".{name}.*.tmp"):  # left by a run killed mid-write
            stale.unlink(missing_ok=True)
    stances = stances.reindex(columns=list(STANCE_COLUMNS))
    strides = strides.reindex(columns=list(STRIDE_COLUMNS))
    _replace_bytes(out / "stances.csv", stances.to_csv(index=False, lineterminator="\n").encode())
    _replace_bytes(out / "strides.csv", strides.to_csv(index=False, lineterminator="\n").encode())
    _replace_bytes(out / "waveforms.npz", npz_bytes(waveforms))
    ordered = {k: summary.get(k) for k in TRIAL_KEYS}
    ordered.update({k: v for k, v in summary.items() if k not in ordered})
    text = json.dumps(_json_value(ordered), indent=2, allow_nan=False) + "\n"
    _replace_bytes(out / "trial.json", text.encode())


def empty_waveforms(n_strides: int = 0, n_stances: int = 0) -> dict[str, np.ndarray]:
    """All waveform arrays filled with NaN, in the shapes of CONTRACT.md."""
    waves = {k: np.full((n_strides, N_POINTS), np.nan) for k in STRIDE_WAVEFORMS}
    waves["vgrf_bw"] = np.full((n_stances, N_POINTS), np.nan)
    waves["vgrf_stance_row"] = np.zeros(n_stances, dtype=int)
    return waves
