"""Assembly of a :class:`~lbprun.c3d.Trial` (steps 3 and 4 of :mod:`lbprun.c3d`): :func:`load`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lbprun.c3d import fast as _fast
from lbprun.c3d import poses as _c3d_poses
from lbprun.c3d.axes import _AXES, _axis_from_corners, _rotation_to_z_up, _vertical
from lbprun.c3d.header import _Header, _read_header
from lbprun.c3d.markers import _split_points, _unit_scale
from lbprun.c3d.parameters import _events, _metadata, _numbers, _raw_plates, _strings
from lbprun.c3d.records import C3DError, Trial, _fail
from lbprun.c3d.worker import _read_raw
from lbprun.plates import _canonical_plates


def _check_frames(raw: dict, header: _Header, room: int, warnings: list[str], path: Path) -> int:
    """Frames read, after checking them against the header (never a silently short trial)."""
    n_points = raw["points"].shape[1]
    n_read = raw["points"].shape[2]
    if n_points == 0 and raw["analogs"].size == 0 and not raw.get("rotations", np.zeros(0)).size:
        raise _fail(
            path, "the file holds no 3-D points, segment poses or analog data that can be read"
        )
    if n_read < header.frames:
        if n_read == room == header.frames - 1:
            warnings.append(
                f"{path.name}: the header declares {header.frames} frames but the file "
                f"holds {n_read}; the last declared frame was never written."
            )
        else:
            raise _fail(
                path,
                f"the reader returned {n_read} of the {header.frames} frames the header declares",
            )
    return n_read


#: Highest rates a file may declare: above any motion-capture camera (10 kHz) or analog board.
MAX_POINT_HZ = 100_000.0
MAX_ANALOG_HZ = 10_000_000.0


def _rates(raw: dict, header: _Header, warnings: list[str], path: Path) -> tuple[float, float]:
    """Point and analog rates; disagreements between header and parameters are reported."""
    point_hz = float(raw["point_rate"])
    param_hz = _numbers(raw, "POINT", "RATE")
    if (
        param_hz is not None
        and header.point_rate > 0
        and abs(param_hz[0] - header.point_rate) > 0.01
    ):
        warnings.append(
            f"{path.name}: the header rate ({header.point_rate:g} Hz) and POINT:RATE "
            f"({param_hz[0]:g} Hz) disagree; {point_hz:g} Hz was used."
        )
    analog_hz = float(raw["analog_rate"]) if raw["analogs"].size else 0.0
    if raw["analogs"].size and analog_hz <= 0:  # ezc3d derives it from a point rate of 0
        analog_hz = float((_numbers(raw, "ANALOG", "RATE") or np.zeros(1))[0])
    if point_hz <= 0 and raw["points"].shape[1]:
        raise _fail(path, "the point rate is 0 Hz although the file holds markers")
    # Rates no recording system has (an infinite or 1e38 Hz POINT:RATE in a damaged file) would
    # reach the filters as nonsense and fail there as a bug, not as the file's problem.
    if not 0 <= point_hz <= MAX_POINT_HZ:
        raise _fail(path, f"its point rate ({point_hz:g} Hz) is not a frame rate")
    if not 0 <= analog_hz <= MAX_ANALOG_HZ:
        raise _fail(path, f"its analog rate ({analog_hz:g} Hz) is not a sampling rate")
    return point_hz, analog_hz


#: Readers :func:`load` accepts: "auto" reads the files :mod:`lbprun.c3d.fast` fully
#: understands in-process with numpy (arrays identical to ezc3d's) and everything else with
#: ezc3d in the worker; "ezc3d" always uses the worker (the oracle the fast path is tested on).
READERS = ("auto", "ezc3d")


def _read(path: Path, header: _Header, room: int, *, safe: bool, timeout_s, reader: str) -> dict:
    """Return the raw dictionary: numpy's when it accepts the file, else ezc3d's."""
    if reader not in READERS:
        raise ValueError(f"reader must be one of {READERS}, not {reader!r}")
    if reader == "auto" and room >= header.frames:
        try:
            return _fast.read(path, header)
        except Exception:  # Decline, or anything unforeseen: ezc3d decides
            pass
    return _read_raw(path, safe=safe, timeout_s=timeout_s)


def load(
    path: str | os.PathLike,
    /,
    *,
    safe: bool = True,
    timeout_s: float | None = None,
    reader: str = "auto",
) -> Trial:
    """Load one C3D trial into the canonical frame.

    Parameters
    ----------
    path : str or path-like
        The C3D file.
    safe : bool, optional
        Read in a separate, memory-limited worker process (default) so that a reader crash or
        hang on a malformed file cannot take the caller down. ``False`` reads in-process.
    timeout_s : float, optional
        Longest time one read may take before the worker is killed; by default
        :func:`read_timeout_s` of the file's size (3 s plus 1 s per MB).
    reader : {"auto", "ezc3d"}, optional
        "auto" (default) reads plain Intel/DEC files in-process with numpy
        (:mod:`lbprun.c3d.fast`: the same arrays as ezc3d, several times faster) and falls
        back to ezc3d for anything else; "ezc3d" always reads with ezc3d.

    Returns
    -------
    Trial
        Markers in metres (NaN gaps), Z up, plates with vertical force positive up.

    Raises
    ------
    C3DError
        With one sentence naming the file and the problem.

    Examples
    --------
    >>> from lbprun import synth
    >>> trial = load(synth.example_trial())  # 3 s of running, Plug-in Gait markers
    >>> trial.units, trial.vertical_axis, trial.markers_m.shape
    ('mm', '+Z', (600, 20, 3))
    >>> trial.labels[:4], trial.warnings
    (['LASI', 'RASI', 'LPSI', 'RPSI'], [])
    >>> plate = trial.plates[0]  # vertical force positive up, at the analog rate
    >>> plate.plate_type, plate.force_n.shape, bool(plate.vertical_n.max() > 1500)
    (2, (3000, 3), True)
    >>> load("missing.c3d")
    Traceback (most recent call last):
    ...
    lbprun.errors.C3DError: missing.c3d: cannot be opened (No such file or directory)
    """
    path = Path(path)
    header, room = _read_header(path)
    try:
        _c3d_poses.check_block(path, processor=header.processor, frames=header.frames)
    except _c3d_poses.PoseError as error:
        raise _fail(path, str(error)) from None
    raw = _read(path, header, room, safe=safe, timeout_s=timeout_s, reader=reader)
    try:
        return _build(path, raw, header, room)
    except C3DError:
        raise
    except _c3d_poses.PoseError as error:
        raise _fail(path, str(error)) from None
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise _fail(path, f"its parameters are inconsistent ({error})") from None


def _build(path: Path, raw: dict, header: _Header, room: int) -> Trial:
    warnings: list[str] = []
    if "fallback_reason" in raw:
        warnings.append(
            f"{path.name}: ezc3d refused it ({raw['fallback_reason']}); read with the c3d package."
        )
    frames = _check_frames(raw, header, room, warnings, path)
    markers_hz, analog_hz = _rates(raw, header, warnings, path)
    markers, labels, outputs, prefixes = _split_points(raw, warnings, path)
    poses = _c3d_poses.raw_poses(raw, frames, warnings, path.name)
    has_markers = bool(np.isfinite(markers).any())
    coords = markers if has_markers or not poses else _c3d_poses.positions(poses)
    units, scale = _unit_scale(raw, coords, warnings, path)
    markers = markers * scale
    plates = _raw_plates(raw, warnings, path)
    corners = [p["corners"] * scale for _, p in plates]
    axis, sign = _vertical(markers, corners)
    if poses and not has_markers:  # markerless: the segments' superior axes say where up is
        from_plates = _axis_from_corners(corners)
        plate_axis = from_plates[0] if from_plates else None
        axis, sign = _c3d_poses.vertical(poses, axis=plate_axis) or (axis, sign)
    rotation = _rotation_to_z_up(axis, sign)
    metadata = _metadata(raw, prefixes)
    metadata.update(rotation=rotation, units_declared=_strings(raw, "POINT", "UNITS"))
    if poses:
        metadata["pose_landmarks"] = _c3d_poses.landmark_params(raw, scale)
    return Trial(
        path=path,
        markers_hz=markers_hz,
        analog_hz=analog_hz,
        labels=labels,
        markers_m=markers @ rotation.T,
        model_outputs=outputs,
        plates=_canonical_plates(plates, rotation, scale, warnings, path),
        events=_events(raw, raw["first_frame"], markers_hz),
        frames=frames,
        frames_declared=max(header.frames, frames),
        first_frame=int(raw["first_frame"]),
        units=units,
        vertical_axis=("+" if sign > 0 else "-") + _AXES[axis],
        metadata=metadata,
        warnings=warnings,
        poses=_c3d_poses.canonical(poses, rotation, scale),
    )
