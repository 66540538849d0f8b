"""The header check, before any reader touches the file (step 1 of :mod:`lbprun.c3d`).

The 512-byte header is checked against the file size (~10 µs): a truncated file is an error
here, because ezc3d would silently return fewer frames. The parameter section's records are
walked too (~50 µs): a parameter declaring more than 7 dimensions or more bytes than the file
holds would send ezc3d into an endless loop or a huge allocation.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from lbprun.c3d.records import _fail

_HEADER_BYTES = 512
_PROCESSORS = {84: "Intel", 85: "DEC", 86: "MIPS"}


@dataclass(frozen=True)
class _Header:
    """What the 512-byte header declares."""

    processor: str
    n_points: int
    analog_per_frame: int
    first_frame: int
    last_frame: int
    float_data: bool
    data_start_block: int
    point_rate: float

    @property
    def frames(self) -> int:
        return max(self.last_frame - self.first_frame + 1, 0)

    @property
    def frame_bytes(self) -> int:
        return (4 * self.n_points + self.analog_per_frame) * (4 if self.float_data else 2)


def _read_header(path: Path, /) -> tuple[_Header, int]:
    """Parse the header and check it against the file size (~10 µs, catches truncation).

    Returns the header and the number of whole frames the file has room for.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(_HEADER_BYTES)
            param_block = head[0] if head else 0
            handle.seek(max(param_block - 1, 0) * _HEADER_BYTES)
            param_head = handle.read(4)
            # the parameter section (at most 255 blocks; some writers miscount them)
            section = param_head + handle.read(_MAX_SECTION_BYTES - 4)
    except OSError as error:
        raise _fail(path, f"cannot be opened ({error.strerror or error})") from None
    if size == 0:
        raise _fail(path, "the file is empty")
    if len(head) < 2 or head[1] != 0x50:  # C3D user guide, ch. 3: byte 2 of every header
        raise _fail(path, "not a C3D file (its second byte is not the C3D marker 0x50)")
    if size < _HEADER_BYTES or len(head) < _HEADER_BYTES:
        raise _fail(path, f"the file is only {size} bytes, shorter than a C3D header")
    if param_block < 2 or len(param_head) < 4:
        raise _fail(path, "not a C3D file (the header does not point to a parameter section)")
    processor = _PROCESSORS.get(param_head[3])
    if processor is None:
        raise _fail(path, f"unknown processor type {param_head[3]} in the parameter section")
    problem = _check_parameters(section, processor, room=size - (param_block - 1) * 512)
    if problem:
        raise _fail(path, problem)
    header = _parse_header(head, processor)
    return header, _frames_with_room(path, header, size)


_MAX_DIMS = 7  # C3D user guide: a parameter has 0 to 7 dimensions
_MAX_SECTION_BYTES = 255 * _HEADER_BYTES  # the section's block count is one byte
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_ .:-]{1,40}")


def _check_parameters(section: bytes, processor: str, *, room: int) -> str | None:
    """Say what makes a parameter section unsafe to hand to a reader, or None.

    Readers trust the section's own counts: ezc3d loops over every declared dimension (a
    corrupt count of 172 dimensions spins for hours; crafted/hang_ezc3d.c3d) and allocates
    what a parameter declares. Walking the records costs ~50 µs and turns both into an error.
    """
    order = ">" if processor == "MIPS" else "<"
    n_blocks = section[2]
    if n_blocks * _HEADER_BYTES > room:
        return (
            f"the parameter section declares {n_blocks} blocks but the file holds "
            f"{room // _HEADER_BYTES} after its start"
        )
    pos = 4
    while pos + 2 <= len(section):
        n_chars, group_id = struct.unpack("bb", section[pos : pos + 2])
        if n_chars == 0:
            return None
        at = pos + 2 + abs(n_chars)
        if at + 2 > len(section):
            return "the parameter section ends inside a parameter's name"
        (step,) = struct.unpack(order + "h", section[at : at + 2])
        if group_id > 0:
            problem = _check_one_parameter(section, at + 2, pos)
            if problem:
                return problem
        if step <= 0:
            return None
        pos = at + step
    return None


def _check_one_parameter(section: bytes, at: int, pos: int) -> str | None:
    """Check one parameter record's type, dimensions and declared size against the section."""
    raw_name = section[pos + 2 : pos + 2 + abs(section[pos] - 256 * (section[pos] > 127))]
    name = raw_name.decode("latin-1").strip()
    if not _PARAMETER_NAME.fullmatch(name):  # a corrupt name: say where it is instead
        name = f"at byte {pos} of the parameter section"
    if at + 2 > len(section):
        return f"parameter {name} is cut off by the end of the parameter section"
    kind = struct.unpack("b", section[at : at + 1])[0]
    n_dims = section[at + 1]
    if kind not in (-1, 1, 2, 4):
        return f"parameter {name} has data type {kind} (valid: -1, 1, 2, 4)"
    if n_dims > _MAX_DIMS:
        return f"parameter {name} declares {n_dims} dimensions (a C3D parameter has at most 7)"
    dims = section[at + 2 : at + 2 + n_dims]
    # A zero dimension empties the value, but ezc3d still loops over the others: their product
    # bounds the work, and no real parameter spans more than the section.
    size = abs(kind) * math.prod(d for d in dims if d)
    if at + 2 + n_dims + size > len(section):
        return (
            f"parameter {name} declares {size} bytes of values, more than the file holds after it"
        )
    return None


def _parse_header(head: bytes, processor: str) -> _Header:
    order = ">" if processor == "MIPS" else "<"
    words = struct.unpack(order + "5H", head[2:12])
    (data_start,) = struct.unpack(order + "H", head[16:18])
    sign_byte = {"Intel": 15, "DEC": 13, "MIPS": 12}[processor]
    rate_bytes = head[20:24]
    if processor == "DEC":  # DEC F-float: swap 16-bit words, then IEEE value / 4
        rate = struct.unpack("<f", rate_bytes[2:] + rate_bytes[:2])[0] / 4
    else:
        rate = struct.unpack(order + "f", rate_bytes)[0]
    return _Header(
        processor=processor,
        n_points=words[0],
        analog_per_frame=words[1],
        first_frame=words[2],
        last_frame=words[3],
        float_data=bool(head[sign_byte] & 0x80),
        data_start_block=data_start,
        point_rate=float(rate) if math.isfinite(rate) else 0.0,
    )


def _frames_with_room(path: Path, header: _Header, size: int) -> int:
    """Whole frames the file can hold after its data start; error when clearly truncated."""
    start = (header.data_start_block - 1) * _HEADER_BYTES
    if header.frames == 0 or header.frame_bytes == 0 or header.data_start_block == 0:
        return header.frames
    if start >= size:
        raise _fail(
            path, f"the data section should start at byte {start} but the file ends at {size}"
        )
    room = (size - start) // header.frame_bytes
    exact_boundary = (size - start) % header.frame_bytes == 0
    # A writer off by one frame leaves a file ending exactly on a frame boundary (c3d.org
    # sample13); anything else short of the declared frames is a truncated file.
    if room < header.frames and not (room == header.frames - 1 and exact_boundary):
        raise _fail(
            path,
            f"the file is truncated: the header declares {header.frames} frames but the file "
            f"holds only {room} ({size} bytes)",
        )
    return min(room, header.frames)
