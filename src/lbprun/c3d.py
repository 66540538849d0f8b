"""Safe, unit- and axis-normalised loading of C3D trials.

Every trial the pipeline sees passes through :func:`load`, which returns a :class:`Trial`
in one canonical frame: metres, seconds, newtons, the lab's vertical axis rotated to +Z
(right-handed), vertical ground reaction force positive up. The original units and vertical
axis are kept in the trial's metadata so that outputs can say what was read.

Bad input never crashes the caller: it raises :class:`C3DError` with one sentence that names
the file and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


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
        Non-position points (e.g. Plug-in Gait ``LKneeAngles`` in degrees, ``*Forces``, ``*Powers``),
        shape (n_frames, 3), in the file's own units and axes; never mixed with markers.
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
