"""Write a simulated trial as a standard C3D file with ezc3d (mm, type-2 force plates)."""

from __future__ import annotations

from pathlib import Path

import ezc3d
import numpy as np

_INT = ezc3d.ezc3d.INT


def _add(c3d, group: str, name: str, value, *, integer: bool = False) -> None:
    """Add a parameter; ezc3d stores lists of numbers as FLOAT unless told otherwise."""
    c3d.add_parameter(
        group,
        name,
        value if isinstance(value, str | list) and not integer else np.asarray(value, dtype=float),
    )
    if integer:
        c3d["parameters"][group][name]["type"] = _INT


def _force_platform(c3d, plates: list) -> None:
    n = len(plates)
    _add(c3d, "FORCE_PLATFORM", "USED", [n], integer=True)
    _add(c3d, "FORCE_PLATFORM", "TYPE", [2] * n, integer=True)
    _add(c3d, "FORCE_PLATFORM", "ZERO", [1, 0], integer=True)
    corners = np.stack([p.corners().T * 1000.0 for p in plates], axis=-1)  # (3, 4, n)
    _add(c3d, "FORCE_PLATFORM", "CORNERS", corners)
    origin = np.stack([np.array([0.0, 0.0, p.depth_m * 1000.0]) for p in plates], axis=-1)
    _add(c3d, "FORCE_PLATFORM", "ORIGIN", origin)
    channel = np.arange(1, 6 * n + 1).reshape(n, 6).T  # (6, n)
    _add(c3d, "FORCE_PLATFORM", "CHANNEL", channel, integer=True)


def write_c3d(path: str | Path, data: dict, /) -> Path:
    """Write ``data`` from :func:`lbprun.synth.simulate_trial` to ``path`` (a .c3d file).

    Markers are written in millimetres with residual -1 where missing (NaN); analog channels
    are force-plate outputs (N, N mm) with unit scale; the PROCESSING group holds the Plug-in
    Gait subject measurements. The file holds no time stamp: same data, same bytes.

    Parameters
    ----------
    path : str or Path
        Output file; parent folders are created.
    data : dict
        As returned by :func:`lbprun.synth.simulate_trial`.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [float(data["markers_hz"])]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = list(data["labels"])
    c3d["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    xyz = np.transpose(data["markers_m"], (2, 1, 0)) * 1000.0  # (3, n_markers, n_frames)
    missing = np.isnan(xyz).any(axis=0)
    points = np.ones((4, *xyz.shape[1:]))
    points[:3] = np.where(missing, 0.0, xyz)
    points[:3, :, :][:, missing] = np.nan
    c3d["data"]["points"] = points
    c3d["data"]["meta_points"] = {"residuals": np.where(missing, -1.0, 0.5)[None]}
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [float(data["analog_hz"])]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = list(data["analog_labels"])
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = list(data["analog_units"])
    c3d["data"]["analogs"] = np.asarray(data["analogs"], dtype=float)[None]
    _force_platform(c3d, data["plates"])
    for name, value in data["processing"].items():
        _add(c3d, "PROCESSING", name, [float(value)])
    _add(c3d, "SUBJECTS", "NAMES", [data.get("subject", "synth")])
    _add(c3d, "SUBJECTS", "USED", [1], integer=True)
    _add(c3d, "MANUFACTURER", "SOFTWARE", ["lbprun.synth"])
    if data.get("poses"):
        _rotation_group(c3d, data, scale=1000.0)
    c3d.write(str(path))
    return path


def _rotation_group(c3d, data: dict, *, scale: float) -> None:
    """Segment poses as Theia3D writes them: ROTATION group (``<segment>_4X4``) + THEIA3D.

    Translations and landmark lengths follow POINT:UNITS (mm here), as the loader expects.
    ezc3d writes the ROTATION data block and its DATA_START and RATIO itself.
    """
    names = list(data["poses"])
    rot = np.stack([data["poses"][n] for n in names], axis=0).astype(float)  # (S, n, 4, 4)
    rot[:, :, :3, 3] *= scale
    c3d["data"]["rotations"] = np.transpose(rot, (2, 3, 0, 1))  # 4 x 4 x segments x frames
    c3d.add_parameter("ROTATION", "LABELS", [f"{n}_4X4" for n in names])
    _add(c3d, "ROTATION", "USED", [len(names)], integer=True)
    _add(c3d, "ROTATION", "RATE", [float(data["markers_hz"])])
    for key, value in data.get("pose_landmarks", {}).items():
        length = np.asarray(value, dtype=float) * scale
        _add(c3d, "THEIA3D", key, length.reshape(-1, 1) if length.size == 3 else [float(length[0])])
