"""Plug-in Gait marker positions fixed in the simulated segments."""

from __future__ import annotations

import numpy as np

from lbprun.synth.legs import Runner
from lbprun.synth.model import HEE_MARKER, TOE_MARKER, rot2
from lbprun.synth.params import TrialParams, ankle_delta_m, knee_delta_m

WAND_OUT_M = 0.03  # thigh/tibia wand tips lie this much lateral of the KNE/ANK markers


def pelvis_local(params: TrialParams, /) -> dict[str, np.ndarray]:
    """Pelvis markers in the pelvis frame (origin mid-ASIS, x anterior, y left, z up).

    The PSIS markers lie in the ASIS plane (z = 0), so the ISB / Plug-in Gait pelvis frame
    built from the markers is the simulated pelvis frame itself.
    """
    s, aa = params.scale, params.inter_asis_m / 2
    out = {
        "LASI": np.array([0.0, aa, 0.0]),
        "RASI": np.array([0.0, -aa, 0.0]),
        "LPSI": np.array([-0.15 * s, 0.045 * s, 0.0]),
        "RPSI": np.array([-0.15 * s, -0.045 * s, 0.0]),
    }
    if params.sacrum:
        out["SACR"] = np.array([-0.15 * s, 0.0, 0.0])  # mid-PSIS
    return out


def thorax_local(params: TrialParams, /) -> dict[str, np.ndarray]:
    """Thorax markers in the thorax frame (origin mid(CLAV, C7), x anterior, y left, z up).

    All four lie in the thorax's sagittal plane and mid(STRN, T10) is straight below
    mid(CLAV, C7), so the ISB thorax frame (Wu 2005, IJ = CLAV, PX = STRN, T8 ~ T10) built from
    the markers is the simulated thorax frame.
    """
    s = params.scale
    return {
        "C7": np.array([-0.075, 0.0, 0.02]) * s,
        "T10": np.array([-0.10, 0.0, -0.26]) * s,
        "CLAV": np.array([0.075, 0.0, -0.02]) * s,
        "STRN": np.array([0.10, 0.0, -0.20]) * s,
    }


def _segment_markers(rot: np.ndarray, origin: np.ndarray, local: dict) -> dict[str, np.ndarray]:
    return {name: origin + rot @ vec for name, vec in local.items()}


def leg_markers(params: TrialParams, leg: dict, side: str, /) -> dict[str, np.ndarray]:
    """THI, KNE, TIB, ANK, HEE, TOE (and medial KNM, MMA) of one leg.

    KNE lies KneeWidth/2 + MarkerDiameter/2 lateral of the knee joint centre along the knee
    flexion axis, ANK likewise for the ankle, and the wands lie in the frontal plane of their
    segment: exactly the geometry Plug-in Gait's chord function assumes, so it returns the
    simulated joint centres.
    """
    lateral = np.array([0.0, 1.0 if side == "L" else -1.0, 0.0])
    hip, knee, ankle = leg["hip"], leg["knee"], leg["ankle"]
    dk, da = knee_delta_m(params), ankle_delta_m(params)
    out = {
        "THI": knee + 0.45 * (hip - knee) + (dk + WAND_OUT_M) * lateral,
        "KNE": knee + dk * lateral,
        "TIB": ankle + 0.45 * (knee - ankle) + (da + WAND_OUT_M) * lateral,
        "ANK": ankle + da * lateral,
    }
    for name, local in (("HEE", HEE_MARKER), ("TOE", TOE_MARKER)):
        rel = rot2(leg["pitch"], local * params.scale)
        foot = leg.get("foot", ankle)  # the shoe stays put while the ankle settles
        out[name] = foot + np.stack([rel[:, 0], np.zeros(len(rel)), rel[:, 1]], axis=-1)
    if params.medial_markers:
        out["KNM"] = knee - dk * lateral
        out["MMA"] = ankle - da * lateral
    return {side + name: pos for name, pos in out.items()}


def all_markers(runner: Runner, t: np.ndarray, /) -> dict[str, np.ndarray]:
    """Every marker's noiseless position (n, 3), metres, lab frame, at times ``t``."""
    params = runner.params
    markers = _segment_markers(*runner.pelvis(t), pelvis_local(params))
    markers |= _segment_markers(*runner.thorax(t), thorax_local(params))
    for side in ("L", "R"):
        markers |= leg_markers(params, runner.leg(t, side), side)
    return markers
