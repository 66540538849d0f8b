"""Safe, unit- and axis-normalised loading of C3D trials.

Every trial the pipeline sees passes through :func:`load`, which returns a :class:`Trial`
in one canonical frame: metres, seconds, newtons, the lab's vertical axis rotated to +Z
(right-handed), vertical ground reaction force positive up. The original units and vertical
axis are kept in the trial's metadata so that outputs can say what was read.

Bad input never crashes the caller: it raises :class:`C3DError` with one sentence that names
the file and the problem.

How a file is read, and why:

1. The 512-byte header is checked against the file size first (~10 µs): a truncated file is
   an error here, because ezc3d would silently return fewer frames. The parameter section's
   records are walked too (~50 µs): a parameter declaring more than 7 dimensions or more bytes
   than the file holds would send ezc3d into an endless loop or a huge allocation.
2. ezc3d (or, for what it refuses -- MIPS byte order, float ANALOG:OFFSET -- the pure-Python
   ``c3d`` package) runs in one persistent worker process, ``python -m lbprun._c3d_worker``,
   with an address-space limit (1 GB); a read that segfaults, hangs past its timeout (3 s plus
   1 s per MB) or exhausts memory becomes a C3DError and the worker is restarted on the next
   load. The worker dies with the process that started it, however that process ends. A
   persistent worker costs ~1.0-1.2x an in-process read (``bench/bench_load.py``); a fresh
   process per file costs 2-8x. The worker is started with ``subprocess`` and ``-m`` rather than
   multiprocessing's spawn/forkserver, which re-import the caller's ``__main__`` -- inside a
   Snakemake ``script:`` that re-runs the script itself.
3. The frames read are compared with the frames the header declares; fewer is an error.
4. Force plates are computed here from the analog channels with numpy (types 1-4, C3D user
   guide; the same equations as ezc3d's platform module, which is ~10x slower), then markers
   and plates are scaled to metres and rotated so that the lab's vertical becomes +Z.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lbprun import _c3d_poses


class C3DError(Exception):
    """A trial that cannot be read, with one sentence naming the file and the problem."""


@dataclass(frozen=True)
class ForcePlate:
    """One force plate, resampled to nothing: analog rate, canonical lab frame.

    Attributes
    ----------
    index : int
        Zero-based plate index in the file's FORCE_PLATFORM group.
    plate_type : int
        FORCE_PLATFORM:TYPE (1-4).
    force_n : ndarray, shape (n_analog, 3)
        Ground reaction force on the subject in the canonical lab frame (Z up, so
        ``force_n[:, 2]`` is the vertical force, positive up).
    cop_m : ndarray, shape (n_analog, 3)
        Centre of pressure in the lab frame (NaN where the plate is unloaded).
    corners_m : ndarray, shape (4, 3)
        Plate corners in the lab frame.
    """

    index: int
    plate_type: int
    force_n: np.ndarray
    cop_m: np.ndarray
    corners_m: np.ndarray

    @property
    def vertical_n(self) -> np.ndarray:
        """Vertical ground reaction force, positive up (N)."""
        return self.force_n[:, 2]


@dataclass(frozen=True)
class Event:
    """An event stored in the C3D EVENT group, in seconds from the first stored frame."""

    label: str  # e.g. "Foot Strike", "Foot Off"
    context: str  # "Left" / "Right" / "General"
    time_s: float


@dataclass
class Trial:
    """One loaded trial in the canonical frame (metres, Z up, force positive up).

    Attributes
    ----------
    path : Path
        The file read.
    markers_hz : float
        Point rate.
    analog_hz : float
        Analog rate (0 when the file has no analog data).
    labels : list of str
        Marker labels with subject prefixes stripped ("Matt:LASI" -> "LASI"), unique.
    markers_m : ndarray, shape (n_frames, n_markers, 3)
        Marker positions in metres, canonical frame; NaN where missing.
    model_outputs : dict of str to ndarray
        Non-position points (e.g. Plug-in Gait ``LKneeAngles`` in degrees, ``*Forces``,
        ``*Powers``), shape (n_frames, 3), in the file's own units and axes; never mixed with
        markers.
    plates : list of ForcePlate
        Force plates (possibly empty).
    events : list of Event
        Events stored in the file, relative to the first stored frame.
    frames : int
        Frames read.
    frames_declared : int
        Frames the header declares (equal to ``frames`` for a valid load).
    first_frame : int
        The header's first frame number (1-based as in the file), for cropped trials.
    units : str
        POINT:UNITS as read and interpreted ("mm", "m", "cm").
    vertical_axis : str
        The lab's original vertical axis ("+Z", "+Y", ...).
    metadata : dict
        Other facts: manufacturer/software, subject measurements from the PROCESSING group
        (e.g. ``LegLength`` in mm, ``InterAsisDistance``, ``MarkerDiameter``), label prefix, reader.
    warnings : list of str
        One sentence per thing the loader had to infer or repair.
    poses : dict of str to ndarray
        Segment poses of markerless systems (C3D ``ROTATION`` group, e.g. Theia3D), segment
        name without ``_4X4`` (``"pelvis"``, ``"l_thigh"``) -> (n_frames, 4, 4) homogeneous
        transforms in the canonical frame (origin in metres), columns the segment's axes as
        the file defines them; NaN where not tracked. Empty for marker-only files.
    """

    path: Path
    markers_hz: float
    analog_hz: float
    labels: list[str]
    markers_m: np.ndarray
    model_outputs: dict[str, np.ndarray] = field(default_factory=dict)
    plates: list[ForcePlate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    frames: int = 0
    frames_declared: int = 0
    first_frame: int = 1
    units: str = "mm"
    vertical_axis: str = "+Z"
    metadata: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    poses: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def markerless(self) -> bool:
        """Whether the trial has segment poses and no marker data at all."""
        return bool(self.poses) and not np.isfinite(self.markers_m).any()

    @property
    def duration_s(self) -> float:
        """Duration of the stored frames (s)."""
        return self.frames / self.markers_hz if self.markers_hz else 0.0

    @property
    def time_s(self) -> np.ndarray:
        """Time of every marker frame from the first stored frame (s)."""
        return np.arange(self.frames) / self.markers_hz

    def marker(self, label: str) -> np.ndarray:
        """Positions of one marker, shape (n_frames, 3), metres; raises KeyError if absent."""
        return self.markers_m[:, self.labels.index(label), :]

    def has(self, label: str) -> bool:
        """Whether the trial contains a marker with this (prefix-stripped) label."""
        return label in self.labels


# --------------------------------------------------------------------------------------------
# Header check (before any reader touches the file)
# --------------------------------------------------------------------------------------------

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


def _fail(path: Path, problem: str) -> C3DError:
    return C3DError(f"{path.name}: {problem}")


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


# --------------------------------------------------------------------------------------------
# The worker process
# --------------------------------------------------------------------------------------------


class _WorkerDied(Exception):
    """The reader process ended while reading (crash, kill)."""


class _Worker:
    """A persistent ``python -m lbprun._c3d_worker`` process, restarted after any failure.

    The worker cannot outlive this process (see :mod:`lbprun._c3d_worker`: it dies with its
    parent through ``PR_SET_PDEATHSIG`` on Linux, watches its parent pid and stdin, and every
    read is capped in CPU time), so a killed job never leaves a reader spinning on a file.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._owner_pid = 0
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        env.setdefault("OPENBLAS_NUM_THREADS", "1")  # small address space for RLIMIT_AS
        env.setdefault("OMP_NUM_THREADS", "1")
        env["LBPRUN_PARENT_PID"] = str(os.getpid())
        self._proc = proc = subprocess.Popen(
            [sys.executable, "-m", "lbprun._c3d_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self._owner_pid = os.getpid()
        try:  # the worker says when its readers are imported: a read's clock starts after
            deadline = _monotonic() + WORKER_START_TIMEOUT_S
            (length,) = struct.unpack("<Q", _read_exact(proc, 8, deadline))
            _read_exact(proc, length, deadline)
        except (TimeoutError, _WorkerDied):
            self.stop()
            raise _WorkerDied(None) from None
        return proc

    def stop(self) -> None:
        """End the worker (it exits on its own when stdin closes)."""
        proc, self._proc = self._proc, None
        if proc is not None and self._owner_pid == os.getpid():
            proc.kill()
            proc.wait()

    def read(self, path: str, timeout_s: float) -> tuple[str, object]:
        """Ask the worker to read one file; raise TimeoutError or _WorkerDied."""
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None or self._owner_pid != os.getpid():
                proc = self._start()
            try:
                # The worker caps the read's CPU time a little above the wall-clock timeout.
                request = f"{timeout_s + 2:.3f}\t{path}\n"
                proc.stdin.write(request.encode("utf-8"))
                proc.stdin.flush()
                deadline = _monotonic() + timeout_s
                (length,) = struct.unpack("<Q", _read_exact(proc, 8, deadline))
                return pickle.loads(_read_exact(proc, length, deadline))
            except BrokenPipeError:
                self.stop()
                raise _WorkerDied(proc.wait()) from None
            except (TimeoutError, _WorkerDied):
                self.stop()
                raise


def _monotonic() -> float:
    import time

    return time.monotonic()


def _read_exact(proc: subprocess.Popen, n: int, deadline: float) -> bytearray:
    """Read n bytes from the worker's stdout before the deadline."""
    fd = proc.stdout.fileno()
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        remaining = deadline - _monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise _WorkerDied(proc.wait())
        got += k
    return buf


_WORKER = _Worker()

#: Time a read may take: a base plus a share per megabyte. Real files read at 20-100 MB/s, so
#: this is ~50x what a read needs even on a loaded machine, while a read that will never end
#: (a corrupt section that sends the reader into a loop) is given up within seconds.
READ_TIMEOUT_BASE_S = 3.0
READ_TIMEOUT_S_PER_MB = 1.0
#: Time the worker may take to start and import its readers (once per process).
WORKER_START_TIMEOUT_S = 60.0


def read_timeout_s(size_bytes: int, /) -> float:
    """Longest time one read of a file of this size may take (s).

    Examples
    --------
    >>> read_timeout_s(288_256), read_timeout_s(500 * 10**6)
    (3.288256, 503.0)
    """
    return READ_TIMEOUT_BASE_S + READ_TIMEOUT_S_PER_MB * size_bytes / 1e6


def _read_raw(path: Path, *, safe: bool, timeout_s: float | None) -> dict:
    """Raw arrays and parameters from ezc3d (or py-c3d), in the worker when ``safe``."""
    if not safe:
        from lbprun._c3d_worker import read_raw

        try:
            return read_raw(str(path))
        except Exception as error:
            raise _fail(path, _reader_problem(f"{type(error).__name__}: {error}")) from None
    if timeout_s is None:
        timeout_s = read_timeout_s(path.stat().st_size)
    try:
        status, payload = _WORKER.read(str(path.resolve()), timeout_s)
    except TimeoutError:
        raise _fail(path, f"the C3D reader did not finish within {timeout_s:.3g} s") from None
    except _WorkerDied as died:
        if died.args[0] is None:
            raise _fail(path, "the C3D reader process could not be started") from None
        raise _fail(path, f"the C3D reader crashed on it ({_exit_reason(died.args[0])})") from None
    if status != "ok":
        raise _fail(path, _reader_problem(str(payload)))
    return payload


def _exit_reason(code: int) -> str:
    """Describe a worker's exit status: a signal name for crashes."""
    import signal

    if code < 0:
        try:
            return f"{signal.Signals(-code).name}, the file is probably corrupt"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _reader_problem(message: str) -> str:
    """Turn a reader exception into the problem part of one sentence."""
    if "bad_alloc" in message or "more data than fits" in message:
        return "its parameters declare more data than fits in memory (corrupt parameter section)"
    first = message.split(". ", 1)[0].split(": iostream", 1)[0].rstrip(".")
    return f"the C3D reader refused it ({first})"


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Markers: labels, model outputs, units, gaps
# --------------------------------------------------------------------------------------------

_MODEL_GROUPS = ("ANGLES", "FORCES", "MOMENTS", "POWERS", "SCALARS", "REACTIONS")
_MODEL_SUFFIXES = ("Angles", "Angle", "Forces", "Moments", "Powers", "Power", "GRF", "Scalars")
_UNITS_M = {"mm": 0.001, "m": 1.0, "cm": 0.01, "dm": 0.1}


def _model_output_labels(raw: dict) -> set[str]:
    """Labels listed in POINT:ANGLES/FORCES/... (Vicon's record of what is not a marker)."""
    names = set()
    for group in _MODEL_GROUPS:
        names.update(_strings(raw, "POINT", group))
    return names


def _strip_prefix(label: str) -> tuple[str, str]:
    """'Matt:LASI' -> ('LASI', 'Matt:'); labels without a subject prefix are unchanged."""
    prefix, sep, name = label.rpartition(":")
    return (name, prefix + sep) if sep and name else (label, "")


def _unique(labels: list[str], warnings: list[str], path: Path) -> list[str]:
    """Make duplicate labels unique (second 'RANK' -> 'RANK_2') and say so."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}_{seen[label]}")
    duplicated = sorted(k for k, v in seen.items() if v > 1)
    if duplicated:
        warnings.append(
            f"{path.name}: duplicate marker labels {', '.join(duplicated)} were renamed "
            "with a _2, _3... suffix."
        )
    return out


def _unit_scale(
    raw: dict, coords: np.ndarray, warnings: list[str], path: Path
) -> tuple[str, float]:
    """POINT:UNITS as a factor to metres; malformed or missing units inferred from magnitudes."""
    units = (_strings(raw, "POINT", "UNITS") or [""])[0].lower()
    if units in _UNITS_M:
        return units, _UNITS_M[units]
    finite = np.abs(coords[np.isfinite(coords)])
    if not finite.size:  # nothing to measure (plates-only file): C3D's usual millimetres
        return "mm", _UNITS_M["mm"]
    typical = float(np.median(finite)) if finite.size else 0.0
    # Lab coordinates of a person are ~0.05-5 m: a typical magnitude above 20 cannot be metres.
    guess = "mm" if typical > 20 else "m"
    warnings.append(
        f"{path.name}: POINT:UNITS is {units or 'missing'!r}; the marker magnitudes "
        f"(median |x| = {typical:.3g}) indicate {guess}."
    )
    return guess, _UNITS_M[guess]


def _marker_array(raw: dict) -> np.ndarray:
    """Points as (n_frames, n_points, 3) with NaN gaps (negative residual: invalid sample)."""
    points = np.transpose(raw["points"], (2, 1, 0)).astype(float, copy=True)
    residuals = raw["residuals"].T
    # Exact (0, 0, 0) is how several systems store a gap (RBDS with residual 0, BTS with a
    # positive residual); a real marker at the lab origin to float precision does not happen.
    zero = np.all(points == 0, axis=-1)
    points[zero | (residuals < 0)] = np.nan
    return points


# --------------------------------------------------------------------------------------------
# Force plates (C3D user guide, FORCE_PLATFORM types 1-4), computed from the analog channels
# with numpy: ezc3d's platform module gives the same forces ~10x slower.
# --------------------------------------------------------------------------------------------

_PLATE_CHANNELS = {1: 6, 2: 6, 3: 8, 4: 6}
_COP_MIN_FORCE_N = 10.0  # below this the centre of pressure is noise (plate unloaded)


def _plate_frame(corners: np.ndarray) -> np.ndarray:
    """Plate axes in the lab (columns x, y, z) from its corners, as ezc3d and BTK build them."""
    axis_x = corners[0] - corners[1]
    axis_y = corners[0] - corners[3]
    axis_z = np.cross(axis_x, axis_y)
    axis_y = np.cross(axis_z, axis_x)
    frame = np.column_stack([axis_x, axis_y, axis_z])
    return frame / np.linalg.norm(frame, axis=0)


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


def _plate_wrench(kind: int, ch: np.ndarray, origin: np.ndarray) -> tuple[np.ndarray, ...]:
    """Force, moment about the plate's top-centre and raw COP, all in plate axes, (3, n) each."""
    if kind == 1:
        force = ch[0:3]
        cop = np.vstack([ch[3], ch[4], np.zeros_like(ch[0])])
        moment = np.cross(force, cop, axis=0) - np.vstack([0 * ch[5], 0 * ch[5], ch[5]])
        return force, moment, cop
    if kind == 3:  # Kistler: 8 channels, sensor offsets a, b in ORIGIN (Kistler manual)
        a, b, az = origin
        force = np.vstack([ch[0] + ch[1], ch[2] + ch[3], ch[4] + ch[5] + ch[6] + ch[7]])
        moment = np.vstack(
            [
                b * (ch[4] + ch[5] - ch[6] - ch[7]),
                a * (ch[5] + ch[6] - ch[4] - ch[7]),
                b * (ch[1] - ch[0]) + a * (ch[2] - ch[3]),
            ]
        ) + np.cross(force, np.array([0.0, 0.0, az])[:, None], axis=0)
    else:
        force, moment = ch[0:3], ch[3:6] + np.cross(ch[0:3], origin[:, None], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cop = np.vstack([-moment[1] / force[2], moment[0] / force[2], np.zeros_like(force[2])])
    return force, moment, cop


def _kistler_cop_correction(raw: dict, index: int, cop: np.ndarray) -> np.ndarray:
    """Apply Kistler's COP polynomial correction (FORCE_PLATFORM:FPCOPPOLY), as ezc3d does."""
    poly = _numbers(raw, "FORCE_PLATFORM", "FPCOPPOLY")
    if poly is None or poly.size < 12 * (index + 1):
        return cop
    p = poly[12 * index : 12 * index + 12]
    x, y = cop[0], cop[1]
    x_offset = (p[0] * y**4 + p[1] * y**2 + p[2]) * x**3 + (p[3] * y**4 + p[4] * y**2 + p[5]) * x
    y_offset = (p[6] * x**4 + p[7] * x**2 + p[8]) * y**3 + (p[9] * x**4 + p[10] * x**2 + p[11]) * y
    return np.vstack([x - x_offset, y - y_offset, cop[2]])


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
    if kind <= 4 and origin[2] > 0:  # ORIGIN points from the plate centre down to the surface
        origin = -origin
    if kind == 1:
        origin = np.array([0.0, 0.0, origin[2]])
    ch = analogs[rows]
    if kind == 4:
        ch = _cal_matrix(raw, index, warnings, path) @ ch
    force, moment, cop = _plate_wrench(kind, ch, origin)
    if kind == 3:
        cop = _kistler_cop_correction(raw, index, cop)
    frame = _plate_frame(corners)
    with np.errstate(invalid="ignore"):
        cop_lab = frame @ cop + corners.mean(axis=0)[:, None]
    cop_lab[:, ~(np.abs(force[2]) >= _COP_MIN_FORCE_N)] = np.nan
    return {
        "kind": kind,
        "corners": corners,
        "force": (frame @ force).T,
        "moment": (frame @ moment).T,
        "cop": cop_lab.T,
        "samples": analogs.shape[1],
    }


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


# --------------------------------------------------------------------------------------------
# The lab's vertical axis
# --------------------------------------------------------------------------------------------

_AXES = "XYZ"


def _axis_from_corners(corner_sets: list[np.ndarray]) -> tuple[int, float] | None:
    """Find the axis along which plate corners do not vary (the plate surface is horizontal)."""
    for corners in corner_sets:
        spans = np.ptp(corners, axis=0)
        if spans.max() > 0 and spans.min() < 0.05 * spans.max():
            axis = int(np.argmin(spans))
            return axis, float(corners[:, axis].mean())
    return None


def _axis_from_markers(markers: np.ndarray) -> int:
    """Find the axis of body height: widest within-frame marker spread, rarely below floor."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames are expected
        spread = np.nanmedian(np.nanmax(markers, axis=1) - np.nanmin(markers, axis=1), axis=0)
        scale = np.nanmax(np.abs(markers))
        above = [np.mean(v[np.isfinite(v)] > -0.03 * scale) for v in np.moveaxis(markers, -1, 0)]
    score = np.nan_to_num(spread) * np.nan_to_num(np.asarray(above))
    return int(np.argmax(score)) if score.max() > 0 else 2


def _vertical(markers: np.ndarray, corner_sets: list[np.ndarray]) -> tuple[int, int]:
    """Index and sign of the lab's vertical axis, from plate geometry and marker heights."""
    has_markers = markers.size and np.isfinite(markers).any()
    from_plates = _axis_from_corners(corner_sets)
    if from_plates is not None:
        axis, floor = from_plates
    elif has_markers:
        axis, floor = _axis_from_markers(markers), 0.0
    else:
        return 2, 1
    if not has_markers:
        return axis, 1
    # People stand on the floor: most marker samples lie above the plate surface.
    heights = markers[..., axis]
    above = np.count_nonzero(heights > floor + 0.01)
    below = np.count_nonzero(heights < floor - 0.01)
    return axis, 1 if above >= below else -1


def _rotation_to_z_up(axis: int, sign: int) -> np.ndarray:
    """Right-handed rotation whose rows are the new X, Y, Z in old coordinates (new Z = up)."""
    up = np.zeros(3)
    up[axis] = sign
    new_x = np.eye(3)[0] if axis != 0 else np.eye(3)[1]
    new_y = np.cross(up, new_x)
    return np.vstack([new_x, new_y, up])


# --------------------------------------------------------------------------------------------
# Events and metadata
# --------------------------------------------------------------------------------------------

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
# Assembly
# --------------------------------------------------------------------------------------------


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


def _split_points(raw: dict, warnings: list[str], path: Path) -> tuple:
    """Markers (frames, n, 3) with their clean labels, model outputs, label prefixes."""
    points = _marker_array(raw)
    labels = _point_labels(raw, points.shape[1])
    model_names = _model_output_labels(raw)
    stripped = [_strip_prefix(label) for label in labels]
    is_model = [
        label in model_names or name in model_names or name.endswith(_MODEL_SUFFIXES)
        for label, (name, _) in zip(labels, stripped, strict=True)
    ]
    outputs = {name: points[:, i, :] for i, (name, _) in enumerate(stripped) if is_model[i]}
    keep = [i for i, model in enumerate(is_model) if not model]
    names = _unique([stripped[i][0] for i in keep], warnings, path)
    prefixes = {stripped[i][1] for i in keep if stripped[i][1]}
    return points[:, keep, :], names, outputs, prefixes


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
    return point_hz, analog_hz


def _canonical_plates(plates, rotation, scale, warnings, path) -> list[ForcePlate]:
    """Rotate plates into the canonical frame and make vertical force positive up."""
    out = []
    for index, plate in plates:
        corners = plate["corners"] * scale @ rotation.T
        if plate["samples"] == 0 or "force" not in plate:
            empty = np.zeros((0, 3))
            out.append(ForcePlate(index, plate["kind"], empty, empty.copy(), corners))
            continue
        force = plate["force"] @ rotation.T
        vertical = force[:, 2]
        if np.nanmax(np.abs(vertical), initial=0) > 50 and -np.nanmin(vertical) > np.nanmax(
            vertical
        ):
            force = -force  # a plate wired or configured with the opposite sign convention
            warnings.append(
                f"{path.name}: force plate {index + 1} reads negative vertical force under load; "
                "its sign was flipped so that vertical force is positive up."
            )
        cop = plate["cop"] * scale @ rotation.T
        out.append(ForcePlate(index, plate["kind"], force, cop, corners))
    return out


def load(path: str | os.PathLike, /, *, safe: bool = True, timeout_s: float | None = None) -> Trial:
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

    Returns
    -------
    Trial
        Markers in metres (NaN gaps), Z up, plates with vertical force positive up.

    Raises
    ------
    C3DError
        With one sentence naming the file and the problem.
    """
    path = Path(path)
    header, room = _read_header(path)
    try:
        _c3d_poses.check_block(path, processor=header.processor, frames=header.frames)
    except _c3d_poses.PoseError as error:
        raise _fail(path, str(error)) from None
    raw = _read_raw(path, safe=safe, timeout_s=timeout_s)
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
