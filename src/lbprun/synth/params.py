"""Parameters of one synthetic running trial and the body geometry they imply."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRAVITY_MPS2 = 9.81  # body weight = mass * 9.81 N in every truth value

# Davis et al. (1991) / Plug-in Gait hip joint centre constants (radians).
_DAVIS_THETA = 0.5
_DAVIS_BETA = 0.314


@dataclass(frozen=True)
class TrialParams:
    """Subject and trial parameters of one synthetic running trial.

    Angles in degrees, lengths in metres, forces in body weights (BW). Values are the
    subject's means for this trial; stride-to-stride variability is added around them with
    the ``*_sd`` / ``*_cv`` fields. The defaults describe a healthy rearfoot runner at 3 m/s.
    """

    subject: str = "S01"
    trial: str = "speed_3.0"
    condition: str = "speed_3.0"
    group: str = "healthy"
    setup: str = "treadmill"  # treadmill | overground
    speed_mps: float = 3.0
    duration_s: float = 10.0
    markers_hz: float = 200.0
    analog_hz: float = 1000.0
    # body (Plug-in Gait subject measurements)
    mass_kg: float = 70.0
    height_m: float = 1.75
    leg_length_m: float = 0.92
    inter_asis_m: float = 0.24
    knee_width_m: float = 0.10
    ankle_width_m: float = 0.07
    marker_diameter_m: float = 0.014
    # timing
    cadence_steps_min: float = 168.0
    stance_time_s: float = 0.245
    # pelvis and thorax transverse rotation (amplitude = half the peak-to-peak of the 1st harmonic)
    pelvis_rot_amp_deg: float = 7.5
    thorax_rot_amp_deg: float = 6.0
    relphase_deg: float = 140.0  # thorax lags pelvis by this at stride frequency
    pelvis_harmonics: tuple[float, float] = (0.10, 0.0)  # 2nd, 3rd harmonic / 1st
    thorax_harmonics: tuple[float, float] = (0.05, 0.0)
    pelvis_obliquity_amp_deg: float = 3.0
    pelvis_tilt_deg: float = 12.0  # anterior
    pelvis_tilt_amp_deg: float = 2.0
    thorax_obliquity_amp_deg: float = 2.0
    thorax_lean_deg: float = 8.0  # forward
    vertical_drop_m: float = 0.03  # hip drop from touchdown to mid-stance
    # legs and foot
    knee_flex_td_deg: float = 20.0
    knee_flex_swing_deg: float = 100.0
    foot_placement_deg: float | None = None  # hip->ankle line at touchdown; None: from speed
    footstrike: str = "rearfoot"  # rearfoot | non_rearfoot
    # vertical GRF (body weights)
    impact_peak_bw: float = 1.65
    valr_bw_s: float = 60.0
    active_peak_bw: float = 2.55
    valr_per_knee_deg: float = -2.5  # within-subject: more flexion, lower loading (Podraza 2010)
    # stride-to-stride variability
    step_time_cv: float = 0.02
    amp_cv: float = 0.06
    relphase_sd_deg: float = 4.0
    knee_td_sd_deg: float = 1.5
    valr_sd_bw_s: float = 4.0
    peak_sd_bw: float = 0.05
    # measurement
    marker_noise_m: float = 0.0005
    force_noise_n: float = 2.0
    gaps: tuple[tuple[str, float, float], ...] = ()  # (label, start_s, duration_s)
    medial_markers: bool = False
    sacrum: bool = False

    @property
    def body_weight_n(self) -> float:
        """Body weight (N)."""
        return self.mass_kg * GRAVITY_MPS2

    @property
    def scale(self) -> float:
        """Size of this body relative to the 0.92 m leg the default geometry is drawn for."""
        return self.leg_length_m / 0.92


def segment_lengths(params: TrialParams, /) -> tuple[float, float]:
    """Thigh (HJC-KJC) and shank (KJC-AJC) lengths (m) for a leg length.

    Plug-in Gait's leg length runs from the ASIS to the medial malleolus, about 9 cm (scaled)
    more than the hip-to-ankle chain it contains.
    """
    chain = params.leg_length_m - 0.09 * params.scale
    return 0.51 * chain, 0.49 * chain


def davis_hjc(params: TrialParams, /, *, side: str) -> np.ndarray:
    """Hip joint centre in the pelvis frame (m), Plug-in Gait's Davis (1991) equations.

    Pelvis frame: origin mid-ASIS (marker centres), x anterior, y left (RASI->LASI), z up.
    Uses the subject measurements written to the C3D PROCESSING group, so that Plug-in Gait's
    model reproduces this point exactly.

    Examples
    --------
    >>> np.round(davis_hjc(TrialParams(), side="L"), 4)
    array([-0.0486,  0.0766, -0.0993])
    """
    leg_mm = params.leg_length_m * 1000.0
    c = leg_mm * 0.115 - 15.3
    asis_troc = asis_trocanter_mm(params)
    mm = params.marker_diameter_m * 1000.0 / 2.0
    aa = params.inter_asis_m * 1000.0 / 2.0
    x = c * np.cos(_DAVIS_THETA) * np.sin(_DAVIS_BETA) - (asis_troc + mm) * np.cos(_DAVIS_BETA)
    y = aa - c * np.sin(_DAVIS_THETA)
    z = -c * np.cos(_DAVIS_THETA) * np.cos(_DAVIS_BETA) - (asis_troc + mm) * np.sin(_DAVIS_BETA)
    sign = 1.0 if side == "L" else -1.0
    return np.array([x, sign * y, z]) / 1000.0


def asis_trocanter_mm(params: TrialParams, /) -> float:
    """ASIS-trochanter distance Plug-in Gait uses when none is measured (mm)."""
    return 0.1288 * params.leg_length_m * 1000.0 - 48.56


def knee_delta_m(params: TrialParams, /) -> float:
    """Lateral knee marker centre to knee joint centre (KneeWidth/2 + MarkerDiameter/2)."""
    return (params.knee_width_m + params.marker_diameter_m) / 2.0


def ankle_delta_m(params: TrialParams, /) -> float:
    """Lateral ankle marker centre to ankle joint centre (AnkleWidth/2 + MarkerDiameter/2)."""
    return (params.ankle_width_m + params.marker_diameter_m) / 2.0
