"""Segment poses (the C3D ``ROTATION`` group) for :mod:`lbprun.c3d`: checks and canonical frame.

Markerless systems (Theia3D and similar) write no marker points but one 4 x 4 pose per body
segment per frame: a ``ROTATION`` data block starting at block ``ROTATION:DATA_START``, each
frame holding ``ROTATION:USED`` x ``ROTATION:RATIO`` poses of 16 floats plus a reliability
(C-Motion's ROTATION_DATA_TYPE; ezc3d reads it as ``data["rotations"]``, 4 x 4 x segments x
frames). This module gives poses the guarantees markers have:

- :func:`check_block` reads the ``ROTATION`` parameters straight from the file's parameter
  section and checks the block against the file size *before* any reader touches it (ezc3d
  aborts the process on a truncated block);
- :func:`raw_poses` checks the counts the reader returned and marks untracked or malformed
  samples NaN;
- :func:`vertical` finds the lab's vertical axis from the segments' superior axes, and
  :func:`canonical` scales and rotates poses like markers (metres, Z up).

Segment axes are kept as the file writes them; how they map onto the ISB frames is a
kinematic question (:mod:`lbprun.kinematics.poses`).
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

_BLOCK = 512
_VALUES_PER_POSE = 17  # 16 matrix elements + reliability
_SUFFIX = "_4X4"
# Theia3D's parameters that locate landmarks on segments (lengths, metres like POINT:UNITS).
LANDMARK_PARAMS = ("LHEEL_POS", "RHEEL_POS", "LTOE_LENGTH", "RTOE_LENGTH")
_ORTHONORMAL_TOL = 1e-3


class PoseError(Exception):
    """A ROTATION block that cannot be trusted; the message is the problem, without file name."""


def _entries(section: bytes, order: str):
    """Yield (group id, name, type, dims, data bytes, data offset) of every section record."""
    pos = 4
    while pos + 2 <= len(section):
        n_chars = abs(struct.unpack("b", section[pos : pos + 1])[0])
        if n_chars == 0:
            return
        gid = struct.unpack("b", section[pos + 1 : pos + 2])[0]
        name = section[pos + 2 : pos + 2 + n_chars].decode("latin-1").upper()
        at = pos + 2 + n_chars
        (offset,) = struct.unpack(order + "h", section[at : at + 2])
        if gid > 0:
            kind, n_dims = struct.unpack("bB", section[at + 2 : at + 4])
            dims = struct.unpack(f"{n_dims}B", section[at + 4 : at + 4 + n_dims])
            size = abs(kind) * math.prod(dims)
            start = at + 4 + n_dims
            yield gid, name, kind, dims, section[start : start + size], start
        else:
            yield gid, name, 0, (), b"", at
        if offset <= 0:
            return
        pos = at + offset


def rotation_parameters(path: Path, /, *, processor: str) -> dict[str, int] | None:
    """``ROTATION`` USED, DATA_START and RATIO read from the parameter section, or None.

    ``FIRST_FREE_BLOCK`` is the first block after the parameter section.

    Only integer parameters are read (enough to size the block); a malformed section gives
    None and is left to the reader.

    Examples
    --------
    >>> from lbprun import synth
    >>> rotation_parameters(synth.example_trial(markerless=True), processor="Intel")
    {'FIRST_FREE_BLOCK': 5, 'USED': 10, 'DATA_START': 146, 'RATIO': 1}
    """
    order = ">" if processor == "MIPS" else "<"
    try:
        with path.open("rb") as handle:
            first = handle.read(1)
            handle.seek((max(first[0], 1) - 1) * _BLOCK)
            head = handle.read(4)
            section = head + handle.read(max(head[2], 1) * _BLOCK - 4)
        entries = list(_entries(section, order))
    except (OSError, IndexError, struct.error, ValueError):
        return None
    groups = {-gid: name for gid, name, *_ in entries if gid < 0}
    rotation_id = next((gid for gid, name in groups.items() if name == "ROTATION"), None)
    if rotation_id is None:
        return None
    out = {"FIRST_FREE_BLOCK": max(first[0], 1) + max(head[2], 1)}
    for gid, name, kind, _dims, data, _at in entries:
        if gid == rotation_id and name in ("USED", "DATA_START", "RATIO") and kind in (1, 2):
            fmt = {1: "b", 2: order + "h"}[kind]
            if len(data) >= abs(kind):
                out[name] = struct.unpack(fmt, data[: abs(kind)])[0]
    return out


def check_block(path: Path, /, *, processor: str, frames: int) -> None:
    """Check that the file holds the whole ROTATION block its parameters declare.

    Raises
    ------
    PoseError
        When the counts are impossible or the file ends before the block does.

    Examples
    --------
    >>> import tempfile
    >>> from lbprun import synth
    >>> path = synth.example_trial(markerless=True)  # 10 segments, 600 frames
    >>> check_block(path, processor="Intel", frames=600)
    >>> folder = tempfile.TemporaryDirectory()
    >>> cut = Path(folder.name, "cut.c3d")
    >>> _ = cut.write_bytes(path.read_bytes()[:-5000])
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     check_block(cut, processor="Intel", frames=600)
    ... except PoseError as error:
    ...     print(error)
    the file is truncated: its ROTATION block (10 segment poses over 600 frames) needs 482240
    bytes but the file holds 477240
    >>> folder.cleanup()
    """
    params = rotation_parameters(path, processor=processor)
    if not params or not params.get("USED"):
        return
    used, start, ratio = params["USED"], params.get("DATA_START", 0), params.get("RATIO", 1)
    if used < 0 or start < params["FIRST_FREE_BLOCK"] or ratio <= 0:
        raise PoseError(
            f"its ROTATION group declares impossible counts (USED {used}, DATA_START {start}, "
            f"RATIO {ratio})"
        )
    need = (start - 1) * _BLOCK + frames * ratio * used * _VALUES_PER_POSE * 4
    size = path.stat().st_size
    if size < need:
        raise PoseError(
            f"the file is truncated: its ROTATION block ({used} segment poses over {frames} "
            f"frames) needs {need} bytes but the file holds {size}"
        )


def _labels(raw: dict, n: int) -> list[str]:
    labels = [str(v).strip() for v in raw["params"].get("ROTATION", {}).get("LABELS", [])]
    labels = [label for label in labels if isinstance(label, str)]
    names = []
    for i in range(n):
        label = labels[i] if i < len(labels) and labels[i] else f"segment{i + 1}"
        name = label[: -len(_SUFFIX)] if label.upper().endswith(_SUFFIX) else label
        names.append(name.lower())
    return names


def raw_poses(raw: dict, frames: int, warnings: list[str], name: str) -> dict[str, np.ndarray]:
    """Segment name -> poses (n_frames, 4, 4), file frame and units, NaN where not tracked.

    Parameters
    ----------
    raw : dict
        The worker's reader-neutral dictionary (``rotations``: 4 x 4 x segments x samples).
    frames : int
        Point frames read; the ROTATION block must hold ``RATIO`` samples for each.
    warnings : list of str
        Appended to when samples had to be discarded.
    name : str
        File name for messages.

    Raises
    ------
    PoseError
        When the block's counts disagree with what was read.

    Examples
    --------
    >>> rot = np.zeros((4, 4, 1, 2))  # one segment, two samples; the second all zero
    >>> rot[:, :, 0, 0] = np.eye(4)
    >>> raw = {"rotations": rot, "params": {"ROTATION": {"USED": [1], "LABELS": ["pelvis_4X4"]}}}
    >>> said = []
    >>> poses = raw_poses(raw, 2, said, "run.c3d")
    >>> poses["pelvis"].shape, bool(np.isnan(poses["pelvis"][1]).all())
    ((2, 4, 4), True)
    >>> said[0][:48]
    'run.c3d: 1 segment pose samples are not rigid ro'
    """
    rot = raw.get("rotations")
    if rot is None or rot.size == 0:
        return {}
    rot = np.asarray(rot, dtype=float)
    group = raw["params"].get("ROTATION", {})
    used = int((list(group.get("USED", [])) or [rot.shape[2]])[0])
    if rot.ndim != 4 or rot.shape[:2] != (4, 4) or used != rot.shape[2]:
        raise PoseError(
            f"its ROTATION group declares {used} segments but the reader returned "
            f"{rot.shape[2] if rot.ndim == 4 else 'malformed'} poses"
        )
    n_labels = len(group.get("LABELS", []))
    if n_labels and n_labels != used:
        raise PoseError(
            f"its ROTATION group declares {used} segments but names {n_labels} "
            "(ROTATION:USED and ROTATION:LABELS disagree)"
        )
    if rot.shape[3] < frames or rot.shape[3] % max(frames, 1):
        raise PoseError(f"its ROTATION block holds {rot.shape[3]} pose samples for {frames} frames")
    step = rot.shape[3] // max(frames, 1)  # RATIO > 1: keep the samples at point frames
    poses = np.transpose(rot[:, :, :, ::step], (2, 3, 0, 1)).copy()  # (segments, n, 4, 4)
    bad = _bad_samples(poses)
    untracked = ~np.isfinite(poses).all(axis=(2, 3))
    discarded = int((bad & ~untracked).sum())
    poses[bad] = np.nan
    if discarded:
        warnings.append(
            f"{name}: {discarded} segment pose samples are not rigid rotations (or all zero) "
            "and were treated as untracked."
        )
    return dict(zip(_labels(raw, len(poses)), poses, strict=True))


def _bad_samples(poses: np.ndarray) -> np.ndarray:
    """Flag samples that are not finite proper rotations (untracked, zero or corrupt)."""
    finite = np.isfinite(poses[..., :3, :]).all(axis=(-2, -1))
    picked = poses[finite]  # one copy of the finite samples, not one per column
    cols = [picked[:, :3, i] for i in range(3)]  # elementwise: fast for 3 x 3 stacks
    dots = [(cols[i] * cols[j]).sum(axis=1) - (i == j) for i in range(3) for j in range(i, 3)]
    off = np.abs(np.stack(dots)).max(axis=0) if len(cols[0]) else np.zeros(0)
    det = (cols[0] * np.cross(cols[1], cols[2])).sum(axis=1)
    bad = ~finite
    bad[finite] = (off > _ORTHONORMAL_TOL) | (det < 0)
    return bad


def positions(poses: dict[str, np.ndarray], /) -> np.ndarray:
    """Segment origins stacked as (n_frames, n_segments, 3) (for units and vertical checks).

    Examples
    --------
    >>> pose = np.tile(np.eye(4), (2, 1, 1))
    >>> pose[:, :3, 3] = [100.0, 0.0, 950.0]
    >>> positions({"pelvis": pose, "torso": pose}).shape
    (2, 2, 3)
    """
    if not poses:
        return np.zeros((0, 0, 3))
    return np.stack([p[:, :3, 3] for p in poses.values()], axis=1)


# Segments whose superior (proximal) axis points up in any upright posture: pelvis and torso
# (Theia3D's z axes), thighs. Their mean direction is the lab's vertical.
_UPRIGHT = ("pelvis", "torso", "l_thigh", "r_thigh")


def vertical(poses: dict[str, np.ndarray], /, *, axis: int | None = None) -> tuple[int, int] | None:
    """Index and sign of the lab's vertical axis from the upright segments' superior axes.

    With ``axis`` given (from the force plates' surface, as for markers) only its sign is
    taken from the poses. Returns None when no upright segment is tracked.

    Examples
    --------
    >>> y_up = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]])
    >>> pelvis = np.tile(y_up, (3, 1, 1))  # its superior (z) axis along the lab's +Y
    >>> vertical({"pelvis": pelvis}), vertical({"l_foot": pelvis}) is None
    ((1, 1), True)
    """
    axes = [poses[s][:, :3, 2] for s in _UPRIGHT if s in poses]
    if not axes:
        return None
    stacked = np.concatenate(axes)
    stacked = stacked[np.isfinite(stacked).all(axis=1)]
    if not len(stacked):
        return None
    mean = stacked.mean(axis=0)
    axis = int(np.argmax(np.abs(mean))) if axis is None else axis
    return axis, 1 if mean[axis] > 0 else -1


def canonical(poses: dict, rotation: np.ndarray, scale: float, /) -> dict[str, np.ndarray]:
    """Poses in the canonical lab frame: origins in metres, both origin and axes rotated.

    Examples
    --------
    >>> pose = np.tile(np.eye(4), (1, 1, 1))
    >>> pose[0, :3, 3] = [0.0, 950.0, 0.0]  # mm, Y up
    >>> y_to_z = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    >>> canonical({"pelvis": pose}, y_to_z, 0.001)["pelvis"][0, :3, 3]
    array([0.  , 0.  , 0.95])
    """
    out = {}
    for name, pose in poses.items():
        new = np.array(pose, dtype=float)
        # rotation @ each (3, 4) block, as one matrix product over all frames
        block = np.moveaxis(pose[:, :3, :], 1, 0).reshape(3, -1)
        new[:, :3, :] = np.moveaxis((rotation @ block).reshape(3, len(pose), 4), 0, 1)
        new[:, :3, 3] *= scale
        out[name] = new
    return out


def landmark_params(raw: dict, scale: float, /) -> dict[str, np.ndarray]:
    """THEIA3D heel positions (3,) and toe lengths (1,) in metres, where the file has them.

    Theia3D writes some of these as numbers and some as strings ('0.060970').

    Examples
    --------
    >>> raw = {"params": {"THEIA3D": {"LTOE_LENGTH": ["60.97"], "RTOE_LENGTH": ["n/a"]}}}
    >>> landmark_params(raw, 0.001)
    {'LTOE_LENGTH': array([0.06097])}
    """
    out = {}
    for key in LANDMARK_PARAMS:
        value = raw["params"].get("THEIA3D", {}).get(key)
        if value is None or len(value) == 0:
            continue
        try:
            numbers = np.asarray([float(v) for v in value], dtype=float)
        except (TypeError, ValueError):
            continue
        if np.isfinite(numbers).all():
            out[key] = numbers * scale
    return out
