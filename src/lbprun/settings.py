"""Processing settings: every choice SCIENCE.md leaves open, with its default, in one place.

The workflow's config sections ``filters``, ``events`` and ``coordination`` map one-to-one onto
these fields; every ``trial.json`` records :meth:`Settings.to_dict` so results can be traced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Settings:
    """Choices used to process one trial (defaults from SCIENCE.md)."""

    # filters
    marker_cutoff_hz: float = 10.0
    force_cutoff_hz: float = 50.0
    filter_order: int = 4
    max_gap_frames: int = 10
    # events
    event_source: str = "auto"  # auto (plates, then kinematic) | plate | kinematic | file
    plate_threshold_overground_n: float = 20.0
    plate_threshold_treadmill_n: float = 50.0
    # coordination
    crp_centering: str = "midrange"  # midrange | mean
    # markers
    markerset: str = "auto"

    @classmethod
    def from_config(cls, config: dict | None = None) -> Settings:
        """Build settings from the workflow config (sections filters/events/coordination)."""
        config = config or {}
        names = {f.name for f in fields(cls)}
        flat = {}
        for section in ("filters", "events", "coordination"):
            flat.update(config.get(section) or {})
        if isinstance(config.get("markerset"), str):
            flat["markerset"] = config["markerset"]
        unknown = sorted(set(flat) - names)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**flat)

    def to_dict(self) -> dict:
        """Plain dict for JSON outputs."""
        return asdict(self)
