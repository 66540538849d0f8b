"""Parameters of a raw read: labels, events, metadata and the FORCE_PLATFORM group.

The raw dictionary comes from :mod:`lbprun._c3d_worker` (ezc3d or the ``c3d`` package). The
FORCE_PLATFORM group is decoded here (which channels, corners, origin, calibration matrix);
what the channels mean physically (force, moment, centre of pressure) is :mod:`lbprun.plates`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lbprun.c3d.records import Event
from lbprun.plates import _PLATE_CHANNELS, _lab_wrench


def _param(raw: dict, group: str, name: str, default=None):
    """Return a parameter's flat value, or ``default`` when absent or empty."""
    value = raw["params"].get(group, {}).get(name)
    if value is None or len(value) == 0:
        return default
    return value


def _strings(raw: dict, group: str, name: str) -> list[str]:
    value = _param(raw, group, name, [])
    return [str(v).strip() for v in value if isinstance(v, str)]


def _numbers(raw: dict, group: str, name: str) -> np.ndarray | None:
    value = _param(raw, group, name)
    if value is None or isinstance(value[0], str):
        return None
    return np.asarray(value, dtype=float)


def _point_labels(raw: dict, n_points: int) -> list[str]:
    """POINT:LABELS, LABELS2, LABELS3... as one list of n_points (blank -> ``point<i>``)."""
    labels = list(_strings(raw, "POINT", "LABELS"))
    k = 2
    while len(labels) < n_points and _param(raw, "POINT", f"LABELS{k}") is not None:
        labels += _strings(raw, "POINT", f"LABELS{k}")
        k += 1
    labels = labels[:n_points] + [""] * max(n_points - len(labels), 0)
    return [label or f"point{i + 1}" for i, label in enumerate(labels)]


_SUBJECT_MEASURES = (
    "LegLength",
    "InterAsisDistance",
    "MarkerDiameter",
    "KneeWidth",
    "AnkleWidth",
    "Bodymass",
    "Height",
)


def _events(raw: dict, first_frame: int, rate: float) -> list[Event]:
    """EVENT group entries, timed from the first stored frame (cropped trials start later)."""
    labels = _strings(raw, "EVENT", "LABELS")
    contexts = _strings(raw, "EVENT", "CONTEXTS")
    times = _numbers(raw, "EVENT", "TIMES")
    used = _numbers(raw, "EVENT", "USED")
    n = min(len(labels), int(used[0]) if used is not None else len(labels))
    if times is None or times.size < 2 * n or not rate:
        return []
    offset = (first_frame - 1) / rate
    events = [
        Event(
            label=labels[i],
            context=contexts[i] if i < len(contexts) else "General",
            time_s=float(times[2 * i] * 60 + times[2 * i + 1] - offset),
        )
        for i in range(n)
    ]
    return sorted(events, key=lambda e: e.time_s)


def _metadata(raw: dict, prefixes: set[str]) -> dict:
    """Manufacturer, subject measurements (PROCESSING group, numbers) and reader facts."""
    processing = {}
    for name, value in raw["params"].get("PROCESSING", {}).items():
        if len(value) == 1 and not isinstance(value[0], str):
            processing[name] = float(value[0])
    meta = {
        "reader": raw["reader"],
        "label_prefix": ", ".join(sorted(prefixes)),
        "manufacturer": " ".join(_strings(raw, "MANUFACTURER", "COMPANY")),
        "software": " ".join(_strings(raw, "MANUFACTURER", "SOFTWARE")),
        "processing": processing,
    }
    for name, value in processing.items():
        if any(name.endswith(measure) for measure in _SUBJECT_MEASURES):
            meta[name] = value
    return meta


# --------------------------------------------------------------------------------------------
# FORCE_PLATFORM (C3D user guide, types 1-4): which analog channels, where the plate is
# --------------------------------------------------------------------------------------------


def _cal_matrix(raw: dict, index: int, warnings: list[str], path: Path) -> np.ndarray:
    """Return the 6x6 calibration matrix of a TYPE-4 plate (identity when the file has none)."""
    values = _numbers(raw, "FORCE_PLATFORM", "CAL_MATRIX")
    if values is None or values.size < 36 * (index + 1):
        warnings.append(
            f"{path.name}: force plate {index + 1} is TYPE 4 without a calibration matrix; "
            "its channels are used as calibrated forces and moments."
        )
        return np.eye(6)
    return values[36 * index : 36 * (index + 1)].reshape(6, 6, order="F")


def _plate_geometry(raw: dict, index: int) -> tuple[np.ndarray, np.ndarray] | None:
    corners = _numbers(raw, "FORCE_PLATFORM", "CORNERS")
    origins = _numbers(raw, "FORCE_PLATFORM", "ORIGIN")
    if corners is None or corners.size < 12 * (index + 1):
        return None
    if origins is None or origins.size < 3 * (index + 1):
        origins = np.zeros(3 * (index + 1))
    return corners[12 * index : 12 * index + 12].reshape(4, 3), origins[3 * index : 3 * index + 3]


def _plate_channels(raw: dict, index: int, kind: int) -> np.ndarray | None:
    """Zero-based analog rows of one plate, or None when FORCE_PLATFORM:CHANNEL lacks them."""
    channels = _numbers(raw, "FORCE_PLATFORM", "CHANNEL")
    dims = raw.get("dims", {}).get("FORCE_PLATFORM", {}).get("CHANNEL", ())
    per_plate = int(dims[0]) if len(dims) >= 2 else _PLATE_CHANNELS[kind]
    if channels is None or channels.size < per_plate * (index + 1):
        return None
    return channels[per_plate * index : per_plate * index + _PLATE_CHANNELS[kind]].astype(int) - 1


def _one_plate(raw: dict, index: int, kind: int, warnings: list[str], path: Path) -> dict | None:
    """Force, moment and COP of one plate in the file's lab frame and units, or None (warned)."""
    name = f"{path.name}: force plate {index + 1}"
    if kind not in _PLATE_CHANNELS:
        warnings.append(f"{name} has TYPE {kind}, which is not supported; it was skipped.")
        return None
    geometry = _plate_geometry(raw, index)
    rows = _plate_channels(raw, index, kind)
    analogs = raw["analogs"]
    if geometry is None or rows is None:
        warnings.append(f"{name} lacks FORCE_PLATFORM corners or channels; it was skipped.")
        return None
    if rows.min() < 0 or rows.max() >= analogs.shape[0]:
        if analogs.shape[0] == 0 or analogs.shape[1] == 0:
            warnings.append(f"{name} has no analog samples; it has no forces.")
            return {"kind": kind, "corners": geometry[0], "samples": 0}
        warnings.append(
            f"{name} refers to analog channel {rows.max() + 1} but the file has "
            f"{analogs.shape[0]}; it was skipped."
        )
        return None
    corners, origin = geometry
    ch = analogs[rows]
    if kind == 4:
        ch = _cal_matrix(raw, index, warnings, path) @ ch
    poly = _numbers(raw, "FORCE_PLATFORM", "FPCOPPOLY") if kind == 3 else None
    return _lab_wrench(kind, ch, corners, origin, cop_poly=poly, index=index)


def _raw_plates(raw: dict, warnings: list[str], path: Path) -> list[tuple[int, dict]]:
    """All plates declared in FORCE_PLATFORM, in the file's frame and units."""
    used = _numbers(raw, "FORCE_PLATFORM", "USED")
    types = _numbers(raw, "FORCE_PLATFORM", "TYPE")
    n = int(used[0]) if used is not None else 0
    if n and (types is None or types.size < n):
        warnings.append(f"{path.name}: FORCE_PLATFORM:TYPE is incomplete; plates were skipped.")
        return []
    plates = []
    for index in range(n):
        plate = _one_plate(raw, index, int(types[index]), warnings, path)
        if plate is not None:
            plates.append((index, plate))
    return plates
