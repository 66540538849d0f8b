"""Plate contacts: touchdown and toe-off of every complete contact on the force plates.

The plate side of event detection; the filter, contact thresholds and treadmill detection it
applies are :mod:`lbprun.plates`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lbprun.events.stance import Stance
from lbprun.plates import (
    _assign_feet,
    _middle_cops,
    _on_plate,
    _plate_contacts_at,
    treadmill_reason,
)
from lbprun.settings import Settings


def _plate_sides(trial, plate, on_s, off_s, feet: dict, *, treadmill: bool, margin_m: float):
    """Foot of each contact of a plate ("" without foot markers), and "!L"/"!R" if off it."""
    frames = np.minimum(np.round((on_s + off_s) / 2 * trial.markers_hz), trial.frames - 1)
    frames = frames.astype(int)
    cop = _middle_cops(plate, on_s, off_s, trial.analog_hz)
    missing = ~np.isfinite(cop).all(axis=1)
    cop[missing] = np.asarray(plate.corners_m)[:, :2].mean(axis=0)
    if not feet:
        return np.full(len(on_s), "", dtype=object)
    sides = _assign_feet(feet, frames, cop)
    if not treadmill:
        for side, markers in feet.items():
            rows = np.flatnonzero(sides == side)
            off = ~_on_plate(markers[frames[rows]], np.asarray(plate.corners_m), margin_m)
            sides[rows[off]] = "!" + side
    return sides


def plate_stances(
    trial,
    /,
    *,
    feet: dict[str, np.ndarray] | None = None,
    thresholds_n: tuple[float, float] = (20.0, 50.0),
    cutoff_hz: float = 50.0,
    order: int = 4,
) -> tuple[list[Stance], list[str]]:
    """Touchdown and toe-off of every complete contact on the trial's force plates.

    TD and TO are the upward and downward crossings of ``threshold_n`` by the low-pass
    filtered vertical force, interpolated between samples. Contacts that start or end
    outside the record, last less than 50 ms or never exceed 150 N are dropped. The foot is
    the side whose markers (heel, toe, first metatarsal) are nearest the mean centre of
    pressure of the middle third of stance (on a treadmill the swing foot is far from it);
    overground, a contact is rejected when that foot's markers are not all over the plate
    (3 cm tolerance for the marker's overhang), because part of its force was then missed.

    Parameters
    ----------
    trial : Trial
        Loaded trial (canonical frame).
    feet : dict, optional
        ``{"L": (n_frames, k, 3), "R": ...}`` foot markers (see :func:`lbprun.events.foot_markers`);
        without them stances have side "" and the on-plate check is skipped.
    thresholds_n : (float, float), optional
        Force thresholds (N) for overground plates and for plates detected as a treadmill
        (:func:`lbprun.plates.is_treadmill`); default (20, 50) as in SCIENCE.md.
    cutoff_hz, order : float, int, optional
        Butterworth low-pass of the vertical force (default 50 Hz, 4th order).

    Returns
    -------
    stances : list of Stance
        Plate stances sorted by touchdown, ``source="plate"``.
    warnings : list of str
        One sentence per rejected contact.

    Examples
    --------
    >>> from lbprun import c3d, events, synth
    >>> run = c3d.load(synth.example_trial(setup="overground"))  # three plates along +X
    >>> stances, warnings = plate_stances(run, feet=events.foot_markers(run))
    >>> [(s.side, s.plate, round(s.td_s, 2)) for s in stances], warnings
    ([('L', 0, 1.0), ('R', 1, 1.36), ('L', 2, 1.72)], [])
    """
    settings = replace(
        Settings(),
        plate_threshold_overground_n=thresholds_n[0],
        plate_threshold_treadmill_n=thresholds_n[1],
        force_cutoff_hz=cutoff_hz,
        filter_order=order,
    )
    stances, warnings, _, _ = _plates(trial, feet, settings)
    return stances, warnings


def _plate_kind(trial, plate, feet, settings, memo: dict | None = None) -> dict:
    """Treadmill or overground, why, and the contact threshold applied (for ``trial.json``)."""
    why = treadmill_reason(
        plate,
        fs_hz=trial.analog_hz,
        feet=feet,
        markers_hz=trial.markers_hz,
        settings=settings,
        memo=memo,
    )
    level = settings.plate_threshold_treadmill_n if why else settings.plate_threshold_overground_n
    cutoff = settings.force_cutoff_hz if settings.force_cutoff_hz < trial.analog_hz / 2 else None
    return {
        "treadmill": bool(why),
        "treadmill_reason": why or None,
        "threshold_n": level,
        "force_cutoff_hz": cutoff,
    }


def _plates(trial, feet, settings) -> tuple[list, list, dict, dict]:
    """:func:`plate_stances`, filtered vertical forces, and what each plate was taken for.

    The force is keyed by (plate index, cutoff, order): where no sample is missing it is the
    same as the NaN-aware filter of the plate's force, so later steps need not filter again.
    """
    stances, warnings, forces, kinds = [], [], {}, {}
    force_filter = (settings.force_cutoff_hz, settings.filter_order)
    if trial.plates and settings.force_cutoff_hz >= trial.analog_hz / 2:
        warnings.append(
            f"force cut-off {settings.force_cutoff_hz:g} Hz is not below the Nyquist frequency "
            f"of the {trial.analog_hz:g} Hz plate signals: forces used as sampled (unfiltered)"
        )
    for plate in trial.plates:
        memo: dict = {}  # an overground plate's contacts are found once, not twice
        kinds[plate.index] = kind = _plate_kind(trial, plate, feet, settings, memo)
        vertical, on, off = _plate_contacts_at(
            plate, trial.analog_hz, kind["threshold_n"], settings, memo=memo
        )
        if not np.isnan(plate.force_n[:, 2]).any():
            forces[(plate.index, *force_filter)] = vertical
        sides = (
            _plate_sides(
                trial,
                plate,
                on,
                off,
                feet,
                treadmill=kind["treadmill"],
                margin_m=settings.plate_edge_margin_m,
            )
            if on.size
            else []
        )
        for side, on_s, off_s in zip(sides, on.tolist(), off.tolist(), strict=True):
            if side.startswith("!"):
                warnings.append(
                    f"contact on plate {plate.index} at {on_s:.3f} s rejected: the "
                    f"{'left' if side == '!L' else 'right'} foot is not entirely on the plate"
                )
            else:
                stances.append(Stance(side, on_s, off_s, "plate", plate.index))
    return sorted(stances, key=lambda s: s.td_s), warnings, forces, kinds
