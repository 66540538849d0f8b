"""Per-trial output files: names, columns and atomic writing (CONTRACT.md).

Every file is written to a temporary name in the same folder and moved into place with
:func:`os.replace`, so a run killed part-way never leaves a partial file behind; ``trial.json``
is written last, so its presence means the trial's other files are complete.

Durability (surviving a power loss, not only a killed process) is each file's ``fsync`` before
its rename when one trial is extracted. A batch (:func:`lbprun.trial.extract_many`) writes
without them and makes the whole batch durable at its end with :func:`make_durable`, before
the workflow writes the batch's manifest: the manifest is the batch's commit record (a batch
without one is rerun whole), so per-file fsyncs inside a batch protect nothing more, and they
cost ~20 ms of wall time per trial (four journal commits) on the ext4 disks measured (issue 16).
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import math
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun import registry
from lbprun.registry import N_POINTS, STRIDE_WAVEFORMS  # re-exported: users import them from here

_STANCE_OUTCOMES = registry.names(level="stance")
OUTPUT_FILES = ("stances.csv", "strides.csv", "waveforms.npz", "trial.json")  # in writing order
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


def _replace_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)


def _syncfs(folder: Path) -> bool:
    """``syncfs(2)`` of the filesystem holding ``folder``; False where it is not available."""
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError, TypeError):  # not Linux
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        return syncfs(fd) == 0
    finally:
        os.close(fd)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_durable(out_dirs: Iterable[str | os.PathLike], /) -> None:
    """Flush trial folders written with ``durable=False`` to disk, all at once.

    One ``syncfs`` per filesystem on Linux (one journal commit for the whole batch); elsewhere,
    or if it fails, an ``fsync`` of every output file and of each folder.

    Parameters
    ----------
    out_dirs : iterable of path-like
        Folders passed to :func:`write_trial_outputs`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_trial_outputs(folder, summary={"status": "ok"}, stances=pd.DataFrame(),
    ...                     strides=pd.DataFrame(), waveforms=empty_waveforms(), durable=False)
    >>> make_durable([folder])
    """
    folders = [Path(d) for d in out_dirs]
    synced: set[int] = set()
    for folder in folders:
        device = folder.stat().st_dev
        if device in synced:
            continue
        if _syncfs(folder):
            synced.add(device)
            continue
        for name in (*OUTPUT_FILES, "."):
            if (folder / name).exists():
                _fsync_path(folder / name)


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
    durable: bool = True,
) -> None:
    """Write trial.json, stances.csv, strides.csv and waveforms.npz atomically (trial.json last).

    ``durable=False`` leaves out each file's ``fsync`` (still atomic against a killed process);
    the caller then calls :func:`make_durable` on the folders before it reports them complete.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:
        for stale in out.glob(f".{name}.*.tmp"):  # left by a run killed mid-write
            stale.unlink(missing_ok=True)
    stances = stances.reindex(columns=list(STANCE_COLUMNS))
    strides = strides.reindex(columns=list(STRIDE_COLUMNS))
    stances_csv = stances.to_csv(index=False, lineterminator="\n").encode()
    _replace_bytes(out / "stances.csv", stances_csv, durable=durable)
    strides_csv = strides.to_csv(index=False, lineterminator="\n").encode()
    _replace_bytes(out / "strides.csv", strides_csv, durable=durable)
    _replace_bytes(out / "waveforms.npz", npz_bytes(waveforms), durable=durable)
    ordered = {k: summary.get(k) for k in TRIAL_KEYS}
    ordered.update({k: v for k, v in summary.items() if k not in ordered})
    text = json.dumps(_json_value(ordered), indent=2, allow_nan=False) + "\n"
    _replace_bytes(out / "trial.json", text.encode(), durable=durable)


def empty_waveforms(n_strides: int = 0, n_stances: int = 0) -> dict[str, np.ndarray]:
    """All waveform arrays filled with NaN, in the shapes of CONTRACT.md."""
    waves = {k: np.full((n_strides, N_POINTS), np.nan) for k in STRIDE_WAVEFORMS}
    waves["vgrf_bw"] = np.full((n_stances, N_POINTS), np.nan)
    waves["vgrf_stance_row"] = np.zeros(n_stances, dtype=int)
    return waves
