"""The stances of one trial from the event source its settings ask for (:func:`detect`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lbprun.events.calibration import calibrate, combine
from lbprun.events.contacts import _plates
from lbprun.events.kinematic import foot_markers, kinematic_stances
from lbprun.events.stance import Stance
from lbprun.settings import Settings


def file_stances(events, /) -> list[Stance]:
    """Stances from "Foot Strike"/"Foot Off" events stored in the file (``source="file"``).

    Each Foot Strike of a side is paired with the first Foot Off of that side before its
    next Foot Strike; without one, ``to_s`` is NaN.

    Parameters
    ----------
    events : list of Event
        ``trial.events`` (label, context "Left"/"Right", time_s).

    Returns
    -------
    list of Stance
        Sorted by touchdown.

    Examples
    --------
    >>> from lbprun.c3d import Event
    >>> ev = [Event("Foot Strike", "Left", 0.5), Event("Foot Off", "Left", 0.74),
    ...       Event("Foot Strike", "Left", 1.25)]
    >>> [(s.side, s.td_s, s.to_s) for s in file_stances(ev)]
    [('L', 0.5, 0.74), ('L', 1.25, nan)]
    """
    stances = []
    for context, side in (("left", "L"), ("right", "R")):
        mine = [e for e in events if e.context.strip().lower() == context]
        strikes = sorted(e.time_s for e in mine if e.label.strip().lower() == "foot strike")
        offs = np.sort([e.time_s for e in mine if e.label.strip().lower() == "foot off"])
        for td, nxt in zip(strikes, [*strikes[1:], np.inf][: len(strikes)], strict=True):
            after = offs[(offs > td) & (offs < nxt)]
            stances.append(
                Stance(side, float(td), float(after[0]) if after.size else np.nan, "file")
            )
    return sorted(stances, key=lambda s: s.td_s)


@dataclass(frozen=True)
class Events:
    """The stances of one trial, what was done to find them, and every warning."""

    stances: list[Stance]
    warnings: list[str]
    settings: dict
    # (plate index, cutoff_hz, order) -> that plate's filtered vertical force, where known
    forces: dict = field(default_factory=dict)
    # plate index -> {"treadmill", "treadmill_reason", "threshold_n"} as applied
    plates: dict = field(default_factory=dict)

    @property
    def treadmill_plates(self) -> set[int]:
        """Indices of the plates taken for instrumented treadmills."""
        return {i for i, kind in self.plates.items() if kind["treadmill"]}


def _kinematic(trial, feet: dict, settings) -> list[Stance]:
    """Run the foot-clearance detector with the settings' cut-off and clearances."""
    return kinematic_stances(
        feet,
        fs_hz=trial.markers_hz,
        cutoff_hz=settings.kinematic_cutoff_hz,
        td_clearance_m=settings.td_clearance_m,
        to_clearance_m=settings.to_clearance_m,
    )


def _auto(trial, feet: dict, plate: list[Stance], settings) -> tuple[list, list[str], dict]:
    """Plate stances, completed by calibrated kinematic stances where feet are available."""
    kinematic = _kinematic(trial, feet, settings) if feet else []
    if not plate:
        why = "no complete force-plate stance"
        if not kinematic:
            return [], [f"{why} and no foot markers to detect events from"], {}
        return kinematic, [f"{why}: events from foot markers (foot-clearance, not calibrated)"], {}
    cal = calibrate(kinematic, plate)
    report = {
        "kinematic_vs_plate_n": cal.n,
        "kinematic_td_bias_ms": round(1000 * cal.td_bias_s, 2) if cal.n else None,
        "kinematic_td_sd_ms": round(1000 * cal.td_sd_s, 2) if cal.n > 1 else None,
        "kinematic_to_bias_ms": round(1000 * cal.to_bias_s, 2) if cal.n else None,
        "kinematic_to_sd_ms": round(1000 * cal.to_sd_s, 2) if cal.n > 1 else None,
        "kinematic_td_mean_abs_ms": round(1000 * float(np.mean(np.abs(cal.td_diff_s))), 2)
        if cal.n
        else None,
        "kinematic_to_mean_abs_ms": round(1000 * float(np.mean(np.abs(cal.to_diff_s))), 2)
        if cal.n
        else None,
        "kinematic_calibrated": cal.n >= settings.calibration_min_stances,
    }
    stances, warnings = combine(
        plate, kinematic, calibration=cal, min_stances=settings.calibration_min_stances
    )
    # a calibrated kinematic event may move past the record's edge: that stance was not seen
    last_s = (trial.frames - 1) / trial.markers_hz
    inside = [s for s in stances if s.source == "plate" or (s.td_s >= 0 and s.to_s <= last_s)]
    return inside, warnings, report


def detect(trial, /, *, feet: dict[str, np.ndarray] | None = None, settings=None) -> Events:
    """All stances of a trial from the event source the settings ask for.

    Parameters
    ----------
    trial : Trial
        Loaded trial (canonical frame).
    feet : dict, optional
        Foot markers per side (:func:`lbprun.events.foot_markers`); resolved from the trial
        when omitted.
    settings : Settings, optional
        ``event_source`` ("auto": plates, completed off the plates by calibrated kinematic
        events; "plate"; "kinematic", uncalibrated; "file"), plate thresholds, force filter.

    Returns
    -------
    Events
        Stances sorted by touchdown, warnings, and the settings used (for ``trial.json``).

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> run = c3d.load(synth.example_trial(setup="overground"))
    >>> found = detect(run)  # plates, completed off the plates by calibrated foot markers
    >>> [s.source for s in found.stances]
    ['kinematic', 'kinematic', 'plate', 'plate', 'plate', 'kinematic', 'kinematic']
    >>> found.warnings[0][:50], found.treadmill_plates
    ('kinematic events calibrated against 3 plate stance', set())
    """
    settings = settings or Settings()
    feet = foot_markers(trial) if feet is None else feet
    # the detector's cut-off and clearances are recorded with the settings they come from
    used = {"event_source": settings.event_source, "kinematic_detector": "foot_clearance"}
    if settings.event_source == "file":
        stances = file_stances(trial.events)
        note = "events taken from the file's EVENT group (events.source: file)"
        return Events(stances, [note] if stances else [f"{note}, but it holds none"], used)
    if settings.event_source == "kinematic":
        stances = _kinematic(trial, feet, settings)
        return Events(stances, ["events from foot markers only (not calibrated)"], used)
    plate, warnings, forces, kinds = _plates(trial, feet, settings)
    used["plates"] = {str(i): kind for i, kind in kinds.items()}
    if settings.event_source == "plate":
        return Events(plate, warnings, used, forces, kinds)
    stances, more, report = _auto(trial, feet, plate, settings)
    return Events(stances, warnings + more, {**used, **report}, forces, kinds)
