"""The records of gait events: one foot contact (:class:`Stance`) and one stride."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stance:
    """One foot contact.

    Attributes
    ----------
    side : str
        "L" or "R" ("" when the foot could not be identified).
    td_s, to_s : float
        Touchdown and toe-off (s from the first stored frame).
    source : str
        "plate", "kinematic" or "file".
    plate : int or None
        Plate index for plate stances.
    """

    side: str
    td_s: float
    to_s: float
    source: str
    plate: int | None = None

    @property
    def stance_time_s(self) -> float:
        """Contact time (s)."""
        return self.to_s - self.td_s


@dataclass(frozen=True)
class Stride:
    """TD to the next ipsilateral TD, with a validity flag and the reason when invalid."""

    side: str
    td_s: float
    next_td_s: float
    valid: bool
    invalid_reason: str = ""

    @property
    def stride_time_s(self) -> float:
        """Stride duration (s)."""
        return self.next_td_s - self.td_s
