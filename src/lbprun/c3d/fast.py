"""In-process numpy reader of the C3D files lbprun fully understands (issue 16).

Why this exists: on short real trials the C3D read itself dominates a trial's extraction --
ezc3d builds one C++ object per point per frame and lbprun then pays a pickle round trip to
its worker process -- while the data block is one array numpy reads in about a millisecond.
This module reads the parameter section and the data block with numpy and returns the same
reader-neutral raw dictionary as :func:`lbprun._c3d_worker.read_ezc3d`, with **arrays
identical to ezc3d's** (same values bit for bit, same dtypes and shapes:
``tests/test_c3d_fast.py`` checks every corpus file and the fuzzed variants against ezc3d).

ezc3d remains the oracle and the fallback: whenever a file is anything other than the plain
layout this module knows (MIPS byte order, a header disagreeing with the parameters, a data
block shorter than declared, non-ASCII text, an unknown or odd parameter record, ...), the
reader raises :class:`Decline` and :func:`lbprun.c3d.load` reads the file with ezc3d in its
memory-limited worker process as before. Being pure numpy it cannot crash the process, and it
never allocates more than the file's own size justifies: every declared size is checked
against the bytes actually present before an array is made, and every loop is bounded by the
parameter section's length.

What ezc3d returns (ezc3d 1.7.2, found by comparing on the corpus), reproduced here:

- points: float storage as stored (float32; DEC floats converted byte-wise as ezc3d does);
  integer storage ``float(int16) * POINT:SCALE`` in double. The fourth word: for float
  storage the integer part of the fourth float, whose bits 8-15 times ``|POINT:SCALE|`` are
  the residual (bits 0-7 the camera mask); for integer storage the int16's high byte times
  POINT:SCALE. A negative fourth word makes the point NaN and its residual -1;
- analogs: ``(float32(sample) - OFFSET[i]) * SCALE[i] * GEN_SCALE``, the subtraction in single
  precision and the products in double, in that order (``|OFFSET|`` when ANALOG:FORMAT is
  UNSIGNED);
- rotations: 16 floats per pose, column-major, kept whatever their reliability;
- parameters: integers as int64, floats as float64 of the stored float32, text as one string
  per row, cut at trailing NULs and spaces, in the file's dimensions (column-major); the
  POINT, ANALOG and FORCE_PLATFORM parameters ezc3d adds when a file lacks them; groups in
  id order (ids without a group record make one unnamed group ""), a repeated parameter
  taking its last value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lbprun.c3d.header import _Header

_BLOCK = 512
_PROCESSORS = {84: "Intel", 85: "DEC"}  # MIPS (86) is declined: ezc3d refuses it too


class Decline(Exception):
    """The file is not one this reader fully understands; ezc3d's worker reads it instead."""


def _i8(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def _need(condition: bool, reason: str) -> None:
    if not condition:
        raise Decline(reason)


def _dec_to_ieee(raw: np.ndarray) -> np.ndarray:
    """DEC F-floats (as 4-byte groups, uint8) to IEEE float32, exactly as ezc3d converts them."""
    b = raw.reshape(-1, 4)
    out = np.empty_like(b)
    out[:, 0] = b[:, 2]
    out[:, 1] = b[:, 3]
    out[:, 2] = b[:, 0]
    high = b[:, 1]
    out[:, 3] = np.where(high != 0, high - 1, high)
    return out.reshape(-1).view("<f4")


def _floats(buf: bytes | memoryview, offset: int, count: int, processor: str) -> np.ndarray:
    if processor == "DEC":
        return _dec_to_ieee(np.frombuffer(buf, np.uint8, 4 * count, offset))
    return np.frombuffer(buf, "<f4", count, offset)


def _records(data: bytes, processor: str) -> tuple[dict, list]:
    """Walk the parameter section: ({group id: name}, [(group id, name, (value, shape))]).

    Every record must lie inside the section the header declares and end where the next
    one starts; anything unusual declines rather than guessing what ezc3d would make of it.
    """
    start = (data[0] - 1) * _BLOCK
    n_blocks = data[start + 2]
    end = start + n_blocks * _BLOCK
    _need(n_blocks > 0 and end <= len(data), "parameter section outside the file")
    groups: dict[int, str] = {}
    records: list[tuple[int, str, tuple]] = []
    pos = start + 4
    while True:  # each step moves forward (step > 0) inside a bounded section
        _need(pos + 2 <= end, "parameter section without an end")
        n_chars, gid = abs(_i8(data[pos])), _i8(data[pos + 1])
        if n_chars == 0:
            break
        at = pos + 2 + n_chars
        _need(at + 2 <= end, "parameter name past the section")
        name = data[pos + 2 : at]
        _need(name.isascii() and name.strip() == name, "odd parameter name")
        step = int(np.frombuffer(data, "<i2", 1, at)[0])
        if gid < 0:
            _need(gid not in groups, "duplicate group")
            groups[gid] = name.decode("ascii")
            desc_at = at + 2
        else:
            _need(gid != 0, "record with group id 0")
            value, desc_at = _record_value(data, at + 2, end, processor)
            records.append((gid, name.decode("ascii"), value))
        _need(desc_at < end and desc_at + 1 + data[desc_at] <= end, "description past the end")
        if step == 0:
            break
        # real files chain their records exactly; ezc3d refuses some that do not
        _need(step > 0 and desc_at + 1 + data[desc_at] == at + step, "records not chained")
        pos = at + step
    return groups, records


def _record_value(data: bytes, at: int, end: int, processor: str) -> tuple[tuple, int]:
    """Return a parameter record's (value, shape) from its type byte at ``at``; its end."""
    _need(at + 2 <= end, "parameter record past the section")
    kind, n_dims = _i8(data[at]), data[at + 1]
    _need(kind in (-1, 1, 2, 4), "unknown parameter type")
    _need(n_dims <= 7, "too many dimensions")
    dims = tuple(data[at + 2 : at + 2 + n_dims])
    value_at = at + 2 + n_dims
    size = abs(kind) * math.prod(dims)
    _need(len(dims) == n_dims and value_at + size <= end, "parameter value past the section")
    return _value(data, value_at, kind, dims, processor), value_at + size


def _parameters(data: bytes, processor: str) -> tuple[dict, dict]:
    """Parameter section -> ({GROUP: {NAME: flat value}}, {GROUP: {NAME: shape}}), like ezc3d.

    ezc3d keeps groups in a list indexed by id and its Python dictionary is built from that
    list in id order: an id no group record names is an unnamed group "" (empty when nothing
    refers to it), and groups sharing a name are merged; a parameter repeated in a group
    (Nexus repeats PROCESSING's) takes its last value, in the first one's place.
    """
    groups, records = _records(data, processor)
    ids = [-gid for gid in groups] + [gid for gid, _name, _value in records]
    names = [groups.get(-gid, "") for gid in range(1, max(ids, default=0) + 1)]
    params: dict[str, dict] = {name: {} for name in names}
    shapes: dict[str, dict] = {name: {} for name in names}
    for gid, name, (value, shape) in sorted(records, key=lambda record: record[0]):
        params[names[gid - 1]][name] = value
        shapes[names[gid - 1]][name] = shape
    _add_defaults(params, shapes)
    return params, shapes


# Parameters ezc3d adds, with these values, when a file lacks them.
_DEFAULTS = {
    "POINT": {"LABELS": [], "DESCRIPTIONS": [], "UNITS": []},
    "ANALOG": {
        "USED": np.array([0]),
        "LABELS": [],
        "DESCRIPTIONS": [],
        "GEN_SCALE": np.array([1.0]),
        "SCALE": np.zeros(0),
        "OFFSET": np.zeros(0, dtype=int),
        "UNITS": [],
        "RATE": np.array([0.0]),
        "FORMAT": [],
        "BITS": np.zeros(0, dtype=int),
    },
    "FORCE_PLATFORM": {
        "USED": np.array([0]),
        "TYPE": np.zeros(0, dtype=int),
        "ZERO": np.array([1, 0]),
        "CORNERS": np.zeros(0),
        "ORIGIN": np.zeros(0),
        "CHANNEL": np.zeros(0, dtype=int),
        "CAL_MATRIX": np.zeros(0),
    },
}


def _add_defaults(params: dict, dims: dict) -> None:
    for group, defaults in _DEFAULTS.items():
        for name, value in defaults.items():
            if name not in params.setdefault(group, {}):
                params[group][name] = value.copy()
                dims.setdefault(group, {})[name] = np.shape(value)


def _value(data: bytes, at: int, kind: int, dims: tuple, processor: str):
    """One parameter's flat value (file order) and its ezc3d shape."""
    count = math.prod(dims)
    if kind == -1:
        _need(bool(dims), "text parameter without dimensions")
        raw = data[at : at + count]
        _need(raw.isascii(), "non-ASCII text")
        width, rows = dims[0], math.prod(dims[1:])
        # an empty width with huge other dimensions would make that many strings
        _need(rows <= len(data), "more strings than the file has bytes")
        if len(dims) == 1 and width == 0:  # ezc3d: no string at all (a 2-D one gives "")
            return [], (0,)
        text = raw.decode("ascii")
        values = [text[i * width : (i + 1) * width] for i in range(rows)]
        # ezc3d stops a string at its first NUL and drops trailing spaces: only NULs that
        # end a string (padding) are accepted here
        _need(all("\x00" not in v.rstrip("\x00") for v in values), "NUL inside text")
        return [v.rstrip("\x00").rstrip(" ") for v in values], (rows,) if rows else (0,)
    if kind == 1:
        value = np.frombuffer(data, np.int8, count, at).astype(int)
    elif kind == 2:
        value = np.frombuffer(data, "<i2", count, at).astype(int)
    else:
        value = _floats(data, at, count, processor).astype(float)
    return value, (tuple(dims) if dims else (1,))


def read(path: Path, header: _Header) -> dict:
    """Read ``path`` into the raw dictionary :func:`lbprun._c3d_worker.read_ezc3d` returns.

    ``header`` is the checked :class:`lbprun.c3d.header._Header`.

    Raises
    ------
    Decline
        When the file is not one this reader fully understands (ezc3d reads it instead).

    Examples
    --------
    >>> from lbprun import synth
    >>> from lbprun.c3d.header import _read_header
    >>> path = synth.example_trial()  # 20 markers at 200 Hz, 6 plate channels at 1000 Hz
    >>> raw = read(path, _read_header(path)[0])
    >>> raw["reader"], raw["points"].shape, raw["analogs"].shape, raw["analog_rate"]
    ('numpy', (3, 20, 600), (6, 3000), 1000.0)
    >>> raw["params"]["POINT"]["UNITS"], raw["dims"]["FORCE_PLATFORM"]["CORNERS"]
    (['mm'], (3, 4, 1))
    """
    with np.errstate(all="ignore"):  # casts of corrupt words: checked, never warned about
        return _read(path, header)


def _read(path: Path, header: _Header) -> dict:
    processor = header.processor
    _need(processor in _PROCESSORS.values(), f"{processor} byte order")
    data = path.read_bytes()
    _need(len(data) >= 2 * _BLOCK and data[0] >= 2, "no parameter section")
    params, dims = _parameters(data, processor)
    point = params.get("POINT", {})
    analog = params.get("ANALOG", {})
    n_points, frames = header.n_points, header.frames
    used = point.get("USED")
    _need(used is not None and len(used) == 1 and int(used[0]) == n_points, "POINT:USED")
    scale = point.get("SCALE")
    _need(scale is not None and len(scale) >= 1, "POINT:SCALE")
    point_scale = float(scale[0])
    _need((point_scale < 0) == header.float_data, "POINT:SCALE sign and header disagree")
    n_analog_used = analog.get("USED")
    n_channels = int(n_analog_used[0]) if n_analog_used is not None and len(n_analog_used) else 0
    per_frame = header.analog_per_frame
    _need(n_channels >= 0, "negative ANALOG:USED")
    _need(
        (n_channels == 0 and per_frame == 0) or (n_channels > 0 and per_frame % n_channels == 0),
        "ANALOG:USED and header disagree",
    )
    ratio = per_frame // n_channels if n_channels else 0
    _need(header.data_start_block >= 2 and frames > 0, "no data block")
    block = _DataBlock(
        data, (header.data_start_block - 1) * _BLOCK, frames, n_points, per_frame, header
    )
    word = 4 if header.float_data else 2
    _need(block.start + frames * block.words * word <= len(data), "data block past the file")
    _need(header.last_frame < 65535, "frame count beyond the header's 16 bits")
    declared = point.get("FRAMES")
    _need(declared is None or (len(declared) == 1 and declared[0] == frames), "POINT:FRAMES")
    rate = point.get("RATE")
    _need(rate is not None and len(rate) == 1 and rate[0] == header.point_rate, "rates")
    if n_channels:
        analog_rate = analog.get("RATE")
        _need(
            analog_rate is not None
            and len(analog_rate) == 1
            and analog_rate[0] == ratio * header.point_rate,
            "ANALOG:RATE and header disagree",
        )
    rotations = _rotations(data, params.get("ROTATION"), frames, processor)
    points, residuals = _points(block, point_scale)
    analogs = _analogs(block, n_channels, analog)
    return {
        "reader": "numpy",
        "points": points,
        "residuals": residuals,
        "analogs": analogs,
        "rotations": rotations,
        "point_rate": float(header.point_rate),
        "analog_rate": float(ratio * header.point_rate),
        # as ezc3d counts them: a header's first frame 0 is read as 1
        "first_frame": max(header.first_frame, 1),
        "last_frame": max(header.first_frame, 1) + frames - 1,
        "params": params,
        "dims": dims,
    }


@dataclass(frozen=True)
class _DataBlock:
    """Where the frames are and how they are stored (checked against the file's length)."""

    data: bytes
    start: int
    frames: int
    n_points: int
    per_frame: int  # analog samples per frame, all channels
    header: _Header

    @property
    def words(self) -> int:
        return 4 * self.n_points + self.per_frame

    def values(self) -> np.ndarray:
        """Return the block as (frames, words): float32 or int16 as stored."""
        count = self.frames * self.words
        if self.header.float_data:
            values = _floats(self.data, self.start, count, self.header.processor)
        else:
            values = np.frombuffer(self.data, "<i2", count, self.start)
        return values.reshape(self.frames, self.words)


def _points(block: _DataBlock, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Points (3, n, frames) and residuals (n, frames), computed as ezc3d computes them."""
    frames, n_points = block.frames, block.n_points
    if n_points == 0:
        return np.zeros((3, 0, frames)), np.zeros((0, frames))
    values = block.values()[:, : 4 * n_points].reshape(frames, n_points, 4)
    xyz = values[:, :, :3]
    if block.header.float_data:
        points = xyz.astype(float)
        # ezc3d takes the fourth float's integer part: camera mask in its low byte, residual
        # (in units of |POINT:SCALE|) in the next one; negative means an invalid sample.
        fourth = np.ascontiguousarray(values[:, :, 3])
        _need(bool(np.isfinite(fourth).all()), "non-finite residual words")
        _need(not ((fourth > -1) & (fourth < 0)).any(), "fractional negative residual words")
        _need(bool((fourth < 65536).all()), "residual words above 16 bits")
        whole = fourth.astype(np.int64)
        residuals = ((whole >> 8) & 0xFF).astype(float) * -scale
        invalid = fourth < 0
    else:
        points = xyz.astype(np.float32).astype(float) * scale
        word = values[:, :, 3].astype(np.int64)
        residuals = ((word >> 8) & 0xFF).astype(float) * scale
        invalid = word < 0
    residuals[invalid] = -1.0
    points = np.ascontiguousarray(np.transpose(points, (2, 1, 0)))
    residuals = np.ascontiguousarray(residuals.T)
    points[:, invalid.T] = np.nan
    return points, residuals


def _analogs(block: _DataBlock, n_channels: int, analog: dict) -> np.ndarray:
    """Analogs (channels, samples): ``(float32(v) - OFFSET) * SCALE * GEN_SCALE`` as ezc3d."""
    if not n_channels or not block.per_frame:
        return np.zeros((0, 0))
    scale, offset, gen = (analog.get(name) for name in ("SCALE", "OFFSET", "GEN_SCALE"))
    _need(scale is not None and len(scale) >= n_channels, "ANALOG:SCALE")
    _need(offset is not None and len(offset) >= n_channels, "ANALOG:OFFSET")
    _need(gen is not None and len(gen) >= 1, "ANALOG:GEN_SCALE")
    _need(not isinstance(scale[0], str) and not isinstance(offset[0], str), "text scales")
    formats = analog.get("FORMAT", [])
    _need(len(formats) <= 1 and all(f in ("SIGNED", "UNSIGNED") for f in formats), "FORMAT")
    unsigned = formats == ["UNSIGNED"]
    values = block.values()[:, 4 * block.n_points :]
    if unsigned and not block.header.float_data:
        values = values.view(np.uint16)
    samples = values.reshape(-1, n_channels).astype(np.float32)
    offsets = np.asarray(offset[:n_channels])
    _need(unsigned or not (offsets < 0).any(), "negative ANALOG:OFFSET")
    if unsigned:  # ezc3d drops the offsets' sign then (btkdata shd01.c3d)
        offsets = np.abs(offsets)
    scales = np.asarray(scale[:n_channels], dtype=float)
    out = (samples - offsets.astype(np.float32)).astype(float) * scales * float(gen[0])
    return np.ascontiguousarray(out.T)


def _rotations(data: bytes, group: dict | None, frames: int, processor: str) -> np.ndarray:
    """Return the ROTATION block as ezc3d does: 4 x 4 x segments x samples, column-major."""
    if group is None:
        return np.zeros((4, 4, 0, 0))
    values = [group.get(name) for name in ("USED", "DATA_START", "RATIO")]
    _need(
        all(v is not None and len(v) == 1 and not isinstance(v[0], str) for v in values),
        "ROTATION parameters",
    )
    used, start, ratio = (int(v[0]) for v in values)
    if used == 0:  # a ROTATION group without segments (lbprun.synth writes one)
        return np.zeros((4, 4, 0, 0))
    first_free = data[0] - 1 + data[(data[0] - 1) * _BLOCK + 2]
    _need(used > 0 and ratio > 0 and start > first_free, "ROTATION counts")
    samples = frames * ratio
    count = samples * used * 17
    _need((start - 1) * _BLOCK + 4 * count <= len(data), "ROTATION block past the file")
    block = _floats(data, (start - 1) * _BLOCK, count, processor).reshape(samples, used, 17)
    # ezc3d returns every pose as stored, whatever its reliability (the 17th value)
    matrices = block[:, :, :16].astype(float).reshape(samples, used, 4, 4)  # [t, seg, col, row]
    # a view in ezc3d's axis order: lbprun.c3d.poses takes it back to (segment, t, row, col),
    # which copies far faster from this memory order than from ezc3d's
    return np.transpose(matrices, (3, 2, 1, 0))
