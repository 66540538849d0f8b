"""What :func:`lbprun.c3d.load` returns: :class:`Trial` and :class:`Event`.

Its error, :class:`C3DError`, is defined with lbprun's other bad-input errors
in :mod:`lbprun.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lbprun.errors import C3DError
from lbprun.plates import ForcePlate


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


def _fail(path: Path, problem: str) -> C3DError:
    return C3DError(f"{path.name}: {problem}")
