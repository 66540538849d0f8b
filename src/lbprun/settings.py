"""Processing settings: every choice SCIENCE.md leaves open, with its default, in one place.

The workflow's config sections ``filters``, ``events``, ``kinetics``, ``coordination`` and
``clusters`` map
one-to-one onto these fields; every ``trial.json`` records :meth:`Settings.to_dict` so results
can be traced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

# the workflow config's sections whose keys are Settings fields
SECTIONS = ("filters", "events", "kinetics", "coordination", "clusters")


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
    plate_min_peak_n: float = 150.0  # a contact never loading the plate beyond this is no stance
    plate_min_contact_s: float = 0.05  # ...nor one shorter than this (a touch, or noise)
    plate_edge_margin_m: float = 0.03  # foot markers may overhang an overground plate this much
    plate_loaded_n: float = 50.0  # `lbprun inspect`: a plate whose force exceeds this was used
    treadmill_min_length_m: float = 1.5  # a plate longer than any overground plate
    treadmill_min_contacts: int = 4  # ...or one plate taking this many contacts of a record
    treadmill_min_foot_speed_mps: float = 0.3  # ...or feet carried across it during stance
    kinematic_cutoff_hz: float = 15.0
    td_clearance_m: float = 0.005
    to_clearance_m: float = 0.01
    calibration_min_stances: int = 3
    min_stride_s: float = 0.3
    max_stride_s: float = 2.5
    max_stride_ratio: float = 1.5  # a stride this many times the side's median hides a missed TD
    pose_floor_window_s: float = 0.25  # markerless feet: half-width of the local-floor window
    pose_bump_window_s: float = 0.05  # markerless feet: clearance bumps shorter than this ignored
    # kinetics
    impact_peak_window_pct: float = 25.0
    impact_peak_prominence_bw: float = 0.05
    lr_window_pct: tuple[float, float] = (3.0, 12.0)
    valr_window_pct: tuple[float, float] = (20.0, 80.0)
    static_min_force_n: float = 200.0
    static_max_cv: float = 0.05
    gravity_m_s2: float = 9.80665
    # coordination
    crp_centering: str = "midrange"  # midrange | mean
    fourier_segment_periods: float = 4.0
    coherence_min_segments: int = 5
    # markers
    markerset: str = "auto"
    # clusters (technical clusters calibrated by a static trial; lbprun.kinematics.clusters)
    hjc_from_trochanters: float = 0.25  # HJC this fraction of the trochanters' distance medial
    static_max_fit_residual_mm: float = 8.0  # cluster shape, static vs dynamic (median RMS)
    static_max_length_sd_mm: float = 12.0  # shank length between calibrated centres (robust SD)
    static_max_point_distance_m: float = 0.6  # a landmark this far from its cluster: refused
    cluster_max_deformation_mm: float = 4.0  # foot-cluster frames deformed more: gaps
    forefoot_pivot_window_s: float = 0.08  # push-off after each rear-foot lift, for the pivot
    rear_foot_min_low_s: float = 0.03  # a rear-foot cluster low this long counts as a landing

    def __post_init__(self) -> None:
        # YAML gives lists; a frozen dataclass compared with its defaults needs the tuple
        for name in ("lr_window_pct", "valr_window_pct"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))

    @classmethod
    def from_config(cls, config: dict | None = None) -> Settings:
        """Build settings from the workflow config (sections of :data:`SECTIONS`)."""
        config = config or {}
        names = {f.name for f in fields(cls)}
        flat = {}
        for section in SECTIONS:
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
