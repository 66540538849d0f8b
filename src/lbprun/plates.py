"""Force plates: geometry, wrench and centre of pressure, filtering, treadmills, body weight.

Everything the pipeline knows about force plates, in the order the data flow through it:

1. :class:`ForcePlate` and the physics of the C3D plate types 1-4 (C3D user guide; the same
   equations as ezc3d's platform module, which is ~10x slower): force, moment and centre of
   pressure from the analog channels, rotated into the canonical lab frame (the loader,
   :mod:`lbprun.c3d`, decodes the FORCE_PLATFORM parameters and calls these);
2. the plate's horizontal geometry and where the feet are on it;
3. the low-pass filter of the vertical force (:func:`force_lowpass`) and complete contacts
   (:func:`threshold_crossings`);
4. instrumented treadmills (:func:`treadmill_reason`, :func:`is_treadmill`);
5. body weight from plates (:func:`body_weight_from_static`,
   :func:`body_weight_from_treadmill`).

Used by :mod:`lbprun.events` (plate contacts) and :mod:`lbprun.kinetics` / :mod:`lbprun.trial`
(vertical GRF measures). Over 500 lines on purpose: one place for all force-plate knowledge
(issue 15), about half of it docstrings; its five parts are marked below.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lbprun.settings import Settings

__all__ = [
    "ForcePlate",
    "body_weight_from_static",
    "body_weight_from_treadmill",
    "force_lowpass",
    "is_treadmill",
    "threshold_crossings",
    "treadmill_reason",
]


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


# --------------------------------------------------------------------------------------------
# Wrench and centre of pressure (C3D user guide, FORCE_PLATFORM types 1-4), with numpy: ezc3d's
# platform module gives the same forces ~10x slower.
# --------------------------------------------------------------------------------------------

_PLATE_CHANNELS = {1: 6, 2: 6, 3: 8, 4: 6}
_COP_MIN_FORCE_N = 10.0  # below this the centre of pressure is noise (plate unloaded)


def _plate_axes(corners: np.ndarray) -> np.ndarray:
    """Plate axes in the lab (columns x, y, z) from its corners, as ezc3d and BTK build them."""
    axis_x = corners[0] - corners[1]
    axis_y = corners[0] - corners[3]
    axis_z = np.cross(axis_x, axis_y)
    axis_y = np.cross(axis_z, axis_x)
    frame = np.column_stack([axis_x, axis_y, axis_z])
    return frame / np.linalg.norm(frame, axis=0)


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


def _kistler_cop_correction(poly: np.ndarray | None, index: int, cop: np.ndarray) -> np.ndarray:
    """Apply Kistler's COP polynomial correction (FORCE_PLATFORM:FPCOPPOLY), as ezc3d does."""
    if poly is None or poly.size < 12 * (index + 1):
        return cop
    p = poly[12 * index : 12 * index + 12]
    x, y = cop[0], cop[1]
    x_offset = (p[0] * y**4 + p[1] * y**2 + p[2]) * x**3 + (p[3] * y**4 + p[4] * y**2 + p[5]) * x
    y_offset = (p[6] * x**4 + p[7] * x**2 + p[8]) * y**3 + (p[9] * x**4 + p[10] * x**2 + p[11]) * y
    return np.vstack([x - x_offset, y - y_offset, cop[2]])


def _lab_wrench(
    kind: int, ch: np.ndarray, corners: np.ndarray, origin: np.ndarray, *, cop_poly, index: int
) -> dict:
    """Force, moment and COP of one plate from its calibrated channels, in the file's lab frame.

    ``cop_poly`` is FORCE_PLATFORM:FPCOPPOLY (Kistler's COP correction, type 3) or None.
    """
    if kind <= 4 and origin[2] > 0:  # ORIGIN points from the plate centre down to the surface
        origin = -origin
    if kind == 1:
        origin = np.array([0.0, 0.0, origin[2]])
    force, moment, cop = _plate_wrench(kind, ch, origin)
    if kind == 3:
        cop = _kistler_cop_correction(cop_poly, index, cop)
    frame = _plate_axes(corners)
    with np.errstate(invalid="ignore"):
        cop_lab = frame @ cop + corners.mean(axis=0)[:, None]
    cop_lab[:, ~(np.abs(force[2]) >= _COP_MIN_FORCE_N)] = np.nan
    return {
        "kind": kind,
        "corners": corners,
        "force": (frame @ force).T,
        "moment": (frame @ moment).T,
        "cop": cop_lab.T,
        "samples": ch.shape[1],
    }


def _canonical_plates(plates, rotation, scale, warnings, path: Path) -> list[ForcePlate]:
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


# --------------------------------------------------------------------------------------------
# Horizontal geometry: the plate's surface and the feet on it
# --------------------------------------------------------------------------------------------


def _plate_frame(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin, unit edge axes (2, 2) and edge lengths (2,) of a plate in the horizontal plane."""
    origin = corners[0, :2]
    edges = np.stack([corners[1, :2] - origin, corners[3, :2] - origin])
    lengths = np.linalg.norm(edges, axis=1)
    return origin, edges / lengths[:, None], lengths


def _mean_xy(points: np.ndarray) -> np.ndarray:
    """Mean horizontal position of the finite markers of each frame (..., k, 3) -> (..., 2)."""
    xy = points[..., :2]
    finite = np.isfinite(xy)
    with np.errstate(invalid="ignore"):  # NaN where no marker has data
        return np.where(finite, xy, 0.0).sum(axis=-2) / finite.sum(axis=-2)


def _assign_feet(feet: dict, frames: np.ndarray, cop_xy: np.ndarray) -> np.ndarray:
    """Side whose foot markers are nearest the centre of pressure (k, 2) at each marker frame.

    "" where no foot has data at that frame; on equal distances the first side of ``feet``.
    """
    sides = np.array([*feet, ""], dtype=object)
    dist = [np.linalg.norm(_mean_xy(m[frames]) - cop_xy, axis=1) for m in feet.values()]
    dist = np.column_stack([*dist, np.full(len(frames), np.inf)])
    return sides[np.argmin(np.where(np.isnan(dist), np.inf, dist), axis=1)]


def _on_plate(points: np.ndarray, corners: np.ndarray, margin_m: float) -> np.ndarray:
    """Whether every finite foot marker (..., k, 3) lies over the plate, within ``margin_m``."""
    origin, axes, lengths = _plate_frame(corners)
    local = (points[..., :2] - origin) @ axes.T
    finite = np.isfinite(local).all(axis=-1)
    inside = ((local >= -margin_m) & (local <= lengths + margin_m)).all(axis=-1)
    return finite.any(axis=-1) & (inside | ~finite).all(axis=-1)


# --------------------------------------------------------------------------------------------
# The vertical force: filter and complete contacts
# --------------------------------------------------------------------------------------------


def threshold_crossings(
    x: np.ndarray, /, *, threshold: float, fs_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """Complete above-threshold intervals of a signal, with interpolated crossing times.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Signal (e.g. filtered vertical force); NaN counts as below threshold.
    threshold : float
        Level crossed upward at the start and downward at the end of an interval.
    fs_hz : float
        Sampling rate.

    Returns
    -------
    on_s, off_s : ndarray of float
        Start and end times (s) of each interval. Intervals already above threshold at the
        first sample or still above it at the last (partial contacts) are dropped.

    Examples
    --------
    >>> f = np.array([0.0, 10, 30, 50, 30, 10, 0, 0, 40, 40])
    >>> threshold_crossings(f, threshold=20.0, fs_hz=10.0)
    (array([0.15]), array([0.45]))
    """
    sig = np.nan_to_num(np.asarray(x, dtype=float), nan=-np.inf)
    if sig.size < 2:  # a plate without analog samples (e.g. a static trial): no contact
        return np.zeros(0), np.zeros(0)
    above = sig > threshold
    step = np.diff(above.astype(np.int8))
    up, down = np.flatnonzero(step == 1), np.flatnonzero(step == -1)
    if above[0]:
        down = down[1:]
    if above[-1]:
        up = up[:-1]
    on = up + (threshold - sig[up]) / (sig[up + 1] - sig[up])
    off = down + (sig[down] - threshold) / (sig[down] - sig[down + 1])
    return on / fs_hz, off / fs_hz


def force_lowpass(vgrf_n: np.ndarray, /, *, fs_hz: float, cutoff_hz: float, order: int):
    """Low-pass filtered force; a cut-off at or above Nyquist leaves the force as sampled.

    Some files store the plates at the marker rate (100 Hz): a 50 Hz cut-off is then no
    filter at all, and the trial is measured on the force as sampled rather than lost
    (:func:`lbprun.events.plate_stances` warns, and ``trial.json`` records it per plate).

    Parameters
    ----------
    vgrf_n : ndarray
        Force samples along axis 0.
    fs_hz, cutoff_hz : float
        Sampling rate and cut-off (Hz).
    order : int
        Butterworth order.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> force_lowpass(np.array([0.0, 10.0, 0.0]), fs_hz=100.0, cutoff_hz=50.0, order=4)
    array([ 0., 10.,  0.])
    """
    if cutoff_hz >= fs_hz / 2:
        return np.array(vgrf_n, dtype=float)
    from lbprun.signals import butter_lowpass  # scipy: not needed to load a file

    return butter_lowpass(vgrf_n, fs_hz=fs_hz, cutoff_hz=cutoff_hz, order=order)


def _plate_contacts(plate, fs_hz: float, threshold_n: float, settings):
    """Filter the vertical force; return it and the complete contacts that look like stances.

    A stance lasts at least ``settings.plate_min_contact_s`` and loads the plate beyond
    ``settings.plate_min_peak_n``; shorter or lighter contacts are a touch or noise.
    """
    vertical = force_lowpass(
        np.nan_to_num(plate.force_n[:, 2]),
        fs_hz=fs_hz,
        cutoff_hz=settings.force_cutoff_hz,
        order=settings.filter_order,
    )
    on, off = threshold_crossings(vertical, threshold=threshold_n, fs_hz=fs_hz)
    if not on.size:
        return vertical, on, off
    # largest force from the sample before each crossing up to the one after it
    bounds = np.column_stack([(on * fs_hz).astype(int), (off * fs_hz).astype(int) + 2])
    peak = np.maximum.reduceat(np.r_[vertical, -np.inf], np.minimum(bounds, len(vertical)).ravel())
    keep = (off - on >= settings.plate_min_contact_s) & (peak[::2] >= settings.plate_min_peak_n)
    return vertical, on[keep], off[keep]


def _plate_contacts_at(plate, fs_hz: float, threshold_n: float, settings, /, *, memo=None):
    """Find a plate's filtered vertical force and stance contacts, once per threshold with a memo.

    Parameters
    ----------
    plate : ForcePlate
    fs_hz, threshold_n : float
        Analog rate and contact threshold (N).
    settings : Settings
        The force filter and what makes a contact a stance.
    memo : dict, optional
        Results kept per threshold for this one plate, rate and settings (the caller's).

    Returns
    -------
    vertical : ndarray
        Filtered vertical force (N).
    on_s, off_s : ndarray
        Start and end (s) of the complete contacts that look like stances.
    """
    if memo is None:
        return _plate_contacts(plate, fs_hz, threshold_n, settings)
    if threshold_n not in memo:
        memo[threshold_n] = _plate_contacts(plate, fs_hz, threshold_n, settings)
    return memo[threshold_n]


def _middle_cops(plate, on_s: np.ndarray, off_s: np.ndarray, fs_hz: float) -> np.ndarray:
    """Mean horizontal centre of pressure over the middle third of each contact (k, 2)."""
    third = (off_s - on_s) / 3
    lo = ((on_s + third) * fs_hz).astype(int)
    width = np.minimum(((off_s - third) * fs_hz).astype(int) + 1, len(plate.cop_m)) - lo
    cols = np.arange(max(int(width.max(initial=0)), 1))
    take = cols < width[:, None]
    cop = plate.cop_m[np.where(take, lo[:, None] + cols, 0), :2]
    take &= np.isfinite(cop).all(axis=-1)
    with np.errstate(invalid="ignore"):  # NaN for a contact without any
        return np.where(take[..., None], cop, 0.0).sum(axis=1) / take.sum(axis=1)[:, None]


# --------------------------------------------------------------------------------------------
# Instrumented treadmills
# --------------------------------------------------------------------------------------------


def _foot_speeds(feet: dict, markers_hz: float, on_s, off_s, cop_xy) -> np.ndarray:
    """Horizontal speed (m/s) of the foot loading each contact over its middle third.

    The foot is the one nearest the contact's centre of pressure; its speed is the
    displacement of its mean marker position from the start to the end of the middle third,
    divided by the time between (a still foot gives ~0 whatever the marker noise).
    """
    third = (np.asarray(off_s) - np.asarray(on_s)) / 3
    last = len(next(iter(feet.values()))) - 1
    a = np.clip(np.round((on_s + third) * markers_hz), 0, last).astype(int)
    b = np.clip(np.round((off_s - third) * markers_hz), 0, last).astype(int)
    sides = _assign_feet(feet, (a + b) // 2, cop_xy)
    speed = np.full(len(a), np.nan)
    for side, markers in feet.items():
        rows = (sides == side) & (b > a)
        shift = _mean_xy(markers[b[rows]]) - _mean_xy(markers[a[rows]])
        speed[rows] = np.linalg.norm(shift, axis=1) * markers_hz / (b[rows] - a[rows])
    return speed


def treadmill_reason(
    plate,
    /,
    *,
    fs_hz: float,
    feet: dict | None = None,
    markers_hz: float | None = None,
    settings: Settings | None = None,
    memo: dict | None = None,
) -> str:
    """Why a plate is an instrumented treadmill, or "" when it is an overground plate.

    A treadmill is one plate (or belt) under both feet for a whole record: it is longer than
    any overground plate, or it takes many contacts of one record, or the foot standing on it
    is carried across it by the belt. How long a plate stays loaded is no criterion: a short
    overground record (a single stance of a 0.4 s sprint) loads its plate most of the time.

    Parameters
    ----------
    plate : ForcePlate
        A plate in the canonical frame.
    fs_hz : float
        Analog (force) sampling rate.
    feet : dict, optional
        Foot markers per side (:func:`lbprun.events.foot_markers`), for the foot-speed criterion.
    markers_hz : float, optional
        Marker rate of ``feet``.
    settings : Settings, optional
        ``treadmill_min_length_m`` (1.5 m), ``treadmill_min_contacts`` (4, counted at
        ``plate_threshold_overground_n``), ``treadmill_min_foot_speed_mps`` (0.3 m/s: median
        over contacts of the loading foot's speed over the middle third of stance), and the
        force filter, ``plate_min_peak_n`` and ``plate_min_contact_s`` that define a contact.
    memo : dict, optional
        The caller's store for this plate (same ``fs_hz`` and settings): the filtered force
        and contacts found at a threshold are kept in it, so that
        event detection, which then looks for an overground plate's contacts at the same
        threshold, does not filter and search the force twice.

    Returns
    -------
    str
        The criterion met, in words ("" for an overground plate).

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> trial = c3d.load(synth.example_trial())  # one 1.6 x 0.6 m treadmill plate
    >>> treadmill_reason(trial.plates[0], fs_hz=trial.analog_hz)
    'longer than 1.5 m (1.60 m)'
    >>> run = c3d.load(synth.example_trial(setup="overground"))  # three 0.9 x 0.6 m plates
    >>> [treadmill_reason(plate, fs_hz=run.analog_hz) for plate in run.plates]
    ['', '', '']
    """
    settings = settings or Settings()
    _, _, lengths = _plate_frame(np.asarray(plate.corners_m))
    if lengths.max() > settings.treadmill_min_length_m:
        return f"longer than {settings.treadmill_min_length_m:g} m ({lengths.max():.2f} m)"
    threshold = settings.plate_threshold_overground_n
    _, on, off = _plate_contacts_at(plate, fs_hz, threshold, settings, memo=memo)
    if len(on) >= settings.treadmill_min_contacts:
        return f"{len(on)} contacts in one record (at least {settings.treadmill_min_contacts})"
    if feet and markers_hz and len(on):
        speed = _foot_speeds(feet, markers_hz, on, off, _middle_cops(plate, on, off, fs_hz))
        least = settings.treadmill_min_foot_speed_mps
        if np.isfinite(speed).any() and np.nanmedian(speed) >= least:
            return (
                f"the loading foot moves across it at {np.nanmedian(speed):.2f} m/s in "
                f"mid-stance (at least {least:g} m/s)"
            )
    return ""


def is_treadmill(plate, /, **kwargs) -> bool:
    """Whether a plate is an instrumented treadmill (:func:`treadmill_reason` gives why).

    Parameters
    ----------
    plate : ForcePlate
        A plate in the canonical frame.
    **kwargs
        Keyword arguments of :func:`treadmill_reason` (``fs_hz`` at least).

    Returns
    -------
    bool

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> trial = c3d.load(synth.example_trial())
    >>> is_treadmill(trial.plates[0], fs_hz=trial.analog_hz)
    True
    """
    return bool(treadmill_reason(plate, **kwargs))


# --------------------------------------------------------------------------------------------
# Body weight from plates
# --------------------------------------------------------------------------------------------


def body_weight_from_treadmill(
    vgrf_n: np.ndarray, /, *, fs_hz: float, touchdowns_s: np.ndarray
) -> float:
    """Body weight (N) as the mean vertical force over whole strides of a treadmill trial.

    Over a whole number of cycles the body's vertical momentum returns to its start, so the
    mean vertical force equals body weight (the caller must warn that mass was estimated).

    Parameters
    ----------
    vgrf_n : ndarray, shape (n,)
        Vertical force (N) of the treadmill plate(s), summed if there are several.
    fs_hz : float
        Sampling rate of ``vgrf_n``.
    touchdowns_s : array_like of float
        Touchdown times (s) of one foot, or of both feet alternately; the mean is taken from
        the first to the last, which spans whole strides (or steps).

    Returns
    -------
    float
        Mean vertical force between the first and last touchdown.

    Raises
    ------
    ValueError
        If fewer than two touchdowns fall inside the record.

    Examples
    --------
    >>> t = np.arange(1000) / 100.0
    >>> f = 700.0 + 900.0 * np.sin(2 * np.pi * 1.4 * t)
    >>> round(body_weight_from_treadmill(f, fs_hz=100.0, touchdowns_s=[1 / 1.4, 8 / 1.4]), 1)
    700.0
    """
    force = np.asarray(vgrf_n, dtype=float)
    tds = np.sort(np.asarray(touchdowns_s, dtype=float))
    tds = tds[(tds >= 0) & (tds <= (len(force) - 1) / fs_hz)]
    if len(tds) < 2:
        raise ValueError("body weight from a treadmill needs at least two touchdowns")
    start, stop = round(tds[0] * fs_hz), round(tds[-1] * fs_hz)
    return float(np.nanmean(force[start:stop]))


def body_weight_from_static(
    vgrf_n: np.ndarray, /, *, min_force_n: float, max_cv: float = 0.05
) -> float:
    """Body weight (N) of a subject standing still on force plates: the median summed force.

    SCIENCE.md takes mass from a static trial on a plate when the sheet gives none. Standing
    still, the vertical force on the plates under both feet is body weight; the median over
    the record ignores the few samples of a step on or off.

    Parameters
    ----------
    vgrf_n : ndarray, shape (n,) or (n, k)
        Vertical force (N) of the static trial's plates; several plates are summed.
    min_force_n : float
        Smallest median force taken for a person standing (below it the subject was not on
        the plates, or only partly).
    max_cv : float, optional
        Largest coefficient of variation (SD / median) of the summed force over the middle
        half of the record (default 5 %): above it the subject was moving, not standing.

    Returns
    -------
    float
        Body weight (N).

    Raises
    ------
    ValueError
        One sentence saying why the record gives no body weight.

    Examples
    --------
    >>> f = np.zeros((600, 3))
    >>> f[:, 1] = 744.8 + np.sin(np.arange(600))
    >>> round(body_weight_from_static(f, min_force_n=200.0), 1)
    744.8
    """
    force = np.asarray(vgrf_n, dtype=float)
    total = np.nansum(force.reshape(len(force), -1), axis=1) if force.size else force
    if total.size < 10:
        raise ValueError("the static trial holds no force-plate data")
    weight = float(np.median(total))
    if not weight >= min_force_n:
        raise ValueError(
            f"the static trial's plates carry {weight:.0f} N (median), less than "
            f"{min_force_n:.0f} N: the subject was not standing on them"
        )
    middle = total[len(total) // 4 : 3 * len(total) // 4]
    cv = float(np.std(middle) / weight)
    if cv > max_cv:
        raise ValueError(
            f"the static trial's plate force varies by {100 * cv:.0f} % (SD / median, more "
            f"than {100 * max_cv:.0f} %): the subject was not standing still"
        )
    return weight
