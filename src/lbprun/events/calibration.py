"""Kinematic events against plate events: matching, calibration and combining the two."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lbprun.events.stance import Stance


@dataclass(frozen=True)
class Calibration:
    """Kinematic-minus-reference event differences of matched stances (s).

    ``td_diff_s``/``to_diff_s`` hold one difference per matched stance; the bias is their
    mean and the SD their sample standard deviation (NaN with fewer than two).
    """

    td_diff_s: np.ndarray
    to_diff_s: np.ndarray

    @property
    def n(self) -> int:
        """Number of matched stances."""
        return len(self.td_diff_s)

    @property
    def td_bias_s(self) -> float:
        """Mean TD difference (kinematic - reference)."""
        return float(np.mean(self.td_diff_s)) if self.n else np.nan

    @property
    def td_sd_s(self) -> float:
        """SD of the TD difference."""
        return float(np.std(self.td_diff_s, ddof=1)) if self.n > 1 else np.nan

    @property
    def to_bias_s(self) -> float:
        """Mean TO difference (kinematic - reference)."""
        return float(np.mean(self.to_diff_s)) if self.n else np.nan

    @property
    def to_sd_s(self) -> float:
        """SD of the TO difference."""
        return float(np.std(self.to_diff_s, ddof=1)) if self.n > 1 else np.nan


def match(kinematic: list[Stance], reference: list[Stance], /, *, max_offset_s: float = 0.1):
    """Pairs (kinematic, reference) of the same side whose touchdowns differ by < max_offset_s.

    Parameters
    ----------
    kinematic, reference : list of Stance
        Stances to pair (a reference stance with side "" matches either foot).
    max_offset_s : float, optional
        Largest touchdown difference of a pair (default 0.1 s).

    Returns
    -------
    list of tuple of Stance
        One pair per reference stance that found a partner.

    Examples
    --------
    >>> k = [Stance("L", 0.51, 0.75, "kinematic"), Stance("R", 0.9, 1.1, "kinematic")]
    >>> r = [Stance("L", 0.50, 0.76, "plate", 0)]
    >>> [(a.td_s, b.td_s) for a, b in match(k, r)]
    [(0.51, 0.5)]
    """
    if not kinematic or not reference:
        return []
    td = np.array([k.td_s for k in kinematic])
    sides = np.array([k.side for k in kinematic], dtype=object)
    ref_td = np.array([r.td_s for r in reference])
    ref_side = np.array([r.side for r in reference], dtype=object)
    gap = np.abs(td[None, :] - ref_td[:, None])
    gap = np.where((ref_side[:, None] == "") | (sides[None, :] == ref_side[:, None]), gap, np.inf)
    best = np.argmin(gap, axis=1)  # first of equals, as min() over the list
    found = gap[np.arange(len(reference)), best] < max_offset_s
    return [(kinematic[b], r) for b, r, ok in zip(best, reference, found, strict=True) if ok]


def calibrate(kinematic: list[Stance], reference: list[Stance], /) -> Calibration:
    """Differences between kinematic events and reference (plate) events of the same stances.

    Parameters
    ----------
    kinematic, reference : list of Stance
        Kinematic stances and the plate stances of the same trial.

    Returns
    -------
    Calibration
        Matched differences (see :func:`match`), bias and SD.

    Examples
    --------
    >>> k = [Stance("L", 0.51, 0.75, "kinematic"), Stance("R", 0.9, 1.1, "kinematic")]
    >>> r = [Stance("L", 0.50, 0.76, "plate", 0), Stance("R", 0.88, 1.1, "plate", 1)]
    >>> round(calibrate(k, r).td_bias_s, 3)
    0.015
    """
    pairs = match(kinematic, reference)
    td = np.array([k.td_s - r.td_s for k, r in pairs])
    to = np.array([k.to_s - r.to_s for k, r in pairs])
    return Calibration(td, to)


def shifted(stances: list[Stance], /, *, td_s: float, to_s: float) -> list[Stance]:
    """Copy stances with ``td_s`` and ``to_s`` subtracted from their events.

    Examples
    --------
    >>> shifted([Stance("L", 1.0, 1.25, "kinematic")], td_s=0.01, to_s=-0.01)[0].td_s
    0.99
    """
    return [Stance(s.side, s.td_s - td_s, s.to_s - to_s, s.source, s.plate) for s in stances]


def _drop_overlapping(candidates: list[Stance], kept: list[Stance]) -> list[Stance]:
    """Candidates that overlap no kept stance of the same foot."""
    if not kept or not candidates:
        return list(candidates)
    k_td, k_to = np.array([[k.td_s, k.to_s] for k in kept]).T
    k_side = np.array([k.side for k in kept], dtype=object)
    c_td, c_to = np.array([[c.td_s, c.to_s] for c in candidates]).T
    c_side = np.array([c.side for c in candidates], dtype=object)
    same = (k_side[None, :] == "") | (k_side[None, :] == c_side[:, None])
    overlap = same & (c_td[:, None] < k_to[None, :]) & (c_to[:, None] > k_td[None, :])
    return [c for c, hit in zip(candidates, overlap.any(axis=1), strict=True) if not hit]


def combine(
    plate: list[Stance],
    kinematic: list[Stance],
    /,
    *,
    calibration: Calibration | None = None,
    min_stances: int = 3,
) -> tuple[list[Stance], list[str]]:
    """Plate stances plus calibrated kinematic stances off the plates.

    With at least ``min_stances`` kinematic stances matched to plate stances of a trial, the
    kinematic events are shifted by the mean kinematic-minus-plate difference (TD and TO
    separately) before they are used; the bias and its SD are reported in a warning. Kinematic
    stances that overlap a plate stance of the same foot are replaced by the plate stance.

    Parameters
    ----------
    plate, kinematic : list of Stance
        Stances from :func:`lbprun.events.plate_stances` and
        :func:`lbprun.events.kinematic_stances`.
    calibration : Calibration, optional
        ``calibrate(kinematic, plate)``, when the caller has it already.
    min_stances : int, optional
        Fewest matched stances for the shift to be applied (config
        ``events.calibration_min_stances``, default 3).

    Returns
    -------
    stances : list of Stance
        Sorted by touchdown.
    warnings : list of str
        The calibration applied (or why none was).

    Examples
    --------
    >>> plate = [Stance("L", 1.0, 1.25, "plate", 0), Stance("R", 1.36, 1.61, "plate", 1)]
    >>> kinematic = [Stance("L", 0.29, 0.53, "kinematic"), Stance("R", 0.655, 0.885, "kinematic"),
    ...              Stance("L", 1.01, 1.24, "kinematic"), Stance("R", 1.37, 1.60, "kinematic")]
    >>> stances, warnings = combine(plate, kinematic, min_stances=2)
    >>> [(s.source, round(s.td_s, 3)) for s in stances]  # shifted by the 10 ms bias
    [('kinematic', 0.28), ('kinematic', 0.645), ('plate', 1.0), ('plate', 1.36)]
    >>> warnings[0][:53]
    'kinematic events calibrated against 2 plate stances: '
    """
    cal = calibrate(kinematic, plate) if calibration is None else calibration
    warnings = []
    if cal.n >= min_stances:
        kinematic = shifted(kinematic, td_s=cal.td_bias_s, to_s=cal.to_bias_s)
        warnings.append(
            f"kinematic events calibrated against {cal.n} plate stances: touchdown shifted by "
            f"{-1000 * cal.td_bias_s:+.1f} ms (SD {1000 * cal.td_sd_s:.1f} ms), toe-off by "
            f"{-1000 * cal.to_bias_s:+.1f} ms (SD {1000 * cal.to_sd_s:.1f} ms)"
        )
    elif plate and kinematic:
        warnings.append(
            f"kinematic events not calibrated: only {cal.n} stance(s) matched a plate stance"
        )
    merged = plate + _drop_overlapping(kinematic, plate)
    return sorted(merged, key=lambda s: s.td_s), warnings
