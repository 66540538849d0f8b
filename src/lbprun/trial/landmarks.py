"""Every landmark role of one trial, from its own labels, derived anatomy and its static trial.

One place decides, per file, which label or virtual point fills each role and by which rule
(recorded in ``trial.json``): the marker set asked for (a user's YAML always wins), the
anatomy read from the labels, derived landmarks (sacrum from sacral markers or the PSIS),
landmarks calibrated on a static trial and carried by technical clusters, and the feet of
cluster-only protocols (cluster centre and forefoot pivot) for the event detector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lbprun import events, markersets
from lbprun.kinematics import clusters
from lbprun.settings import Settings
from lbprun.signals import butter_lowpass

FOOT_ROLES = ("heel", "toe", "mt1", "mt5")
# What a static must give each cluster for the measures (feet get their points from motion).
NEEDED = {"pelvis": ("l_asis", "r_asis"), "thigh": ("knee_lat", "knee_med"),
          "shank": ("ankle_lat", "ankle_med"), "foot": ()}  # fmt: skip


@dataclass
class Landmarks:
    """The trial with its virtual points, the resolved roles, warnings and settings used."""

    trial: object
    found: markersets.Resolution
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def _missing_for_clusters(trial, mapping: dict) -> list[str]:
    """Roles a cluster of the trial could carry but no label fills."""
    out = []
    for key in clusters.cluster_labels(trial.labels):
        segment = key.partition("_")[2] or key
        roles = NEEDED[segment] if key == "pelvis" else [f"{key[0]}_{r}" for r in NEEDED[segment]]
        out += [r for r in roles if r not in mapping]
    return out


def _limits(settings) -> clusters.Limits:
    return clusters.Limits(
        hjc_from_gtr=settings.hjc_from_trochanters,
        max_fit_residual_m=settings.static_max_fit_residual_mm / 1000,
        max_length_sd_m=settings.static_max_length_sd_mm / 1000,
        max_point_distance_m=settings.static_max_point_distance_m,
    )


def _calibrate(trial, found, static, markerset: str, out: Landmarks, *, settings):
    static_found = markersets.resolve_roles(static, markerset)
    static = markersets.derive(static, static_found)
    cal = clusters.calibrate(
        trial, found.mapping, static, static_found.mapping, limits=_limits(settings)
    )
    missing = [r for r in _missing_for_clusters(trial, found.mapping) if r not in cal.roles]
    if missing and not cal.roles and _missing_for_clusters(trial, found.mapping):
        out.warnings.append(
            f"{static.path.name}: has none of the landmarks {trial.path.name}'s clusters need "
            f"({', '.join(missing)}): nothing was calibrated from it"
        )
    elif missing:
        out.warnings.append(
            f"{static.path.name}: lacks {', '.join(missing)}, so the clusters cannot carry them"
        )
    if cal.roles:
        found.name = "static_clusters" if found.name == "none" else f"{found.name}+static_clusters"
    for role, (label, rule) in cal.roles.items():
        found.mapping[role], found.rules[role] = label, rule
    out.settings["static_fit_residual_mm"] = cal.residual_mm
    return markersets.with_points(trial, cal.points)


def _cluster_feet(trial, found, out: Landmarks, settings):
    """Foot-cluster markers and forefoot pivot of feet marked by a cluster only (for events)."""
    points = {}
    groups = clusters.cluster_labels(trial.labels)
    for side in ("l", "r"):
        labels = groups.get(f"{side}_foot", [])
        if any(f"{side}_{r}" in found.mapping for r in FOOT_ROLES) or len(labels) < 3:
            continue
        cluster, dropped = clusters.drop_nonrigid(
            np.stack([trial.marker(label) for label in labels], axis=1),
            tol_m=settings.cluster_max_deformation_mm / 1000,
        )
        if dropped:
            out.warnings.append(
                f"{side.upper()} foot cluster: {dropped} frame(s) where it is not rigid (a "
                "swapped or ghost marker) were treated as gaps"
            )
        via = f"{labels[0]}..{labels[-1]}"
        # filtered once for both: each column is filtered on its own, so the heights of the
        # whole cluster's filter are those of the heights' own (tested bit for bit)
        smooth = butter_lowpass(cluster, fs_hz=trial.markers_hz, cutoff_hz=clusters.PIVOT_CUTOFF_HZ)
        with_data = np.isfinite(cluster[..., 2]).any(axis=0)  # as kinematic_stances keeps
        rear = events.kinematic_stances(
            {side: smooth[:, with_data]},
            fs_hz=trial.markers_hz,
            cutoff_hz=None,
            min_stance_s=settings.rear_foot_min_low_s,
        )
        points[f"{side}_toe@pivot"] = clusters.forefoot_pivot(
            cluster,
            [s.to_s for s in rear],
            fs_hz=trial.markers_hz,
            window_s=settings.forefoot_pivot_window_s,
            smooth=smooth,
        )
        for i, raw in enumerate(labels):  # the cluster stands for the rear foot (events)
            label = f"{raw}@rigid" if dropped else raw
            if dropped:
                points[label] = cluster[:, i]
            found.mapping[f"{side}_foot_{i + 1}"] = label
            found.rules[f"{side}_foot_{i + 1}"] = "foot cluster marker (rear foot, for events)"
        found.mapping[f"{side}_toe"] = f"{side}_toe@pivot"
        found.rules[f"{side}_toe"] = f"derived: forefoot pivot of the foot cluster {via}"
    return markersets.with_points(trial, points)


def landmarks(trial, /, *, static=None, markerset: str = "auto", settings=None) -> Landmarks:
    """Resolve, derive and calibrate every landmark role of one trial.

    Parameters
    ----------
    trial : Trial
        The dynamic trial.
    static : Trial, optional
        Its static calibration trial (resolved with the same rules).
    markerset : str
        ``auto``, a built-in name or a YAML file (:func:`lbprun.markersets.resolve_roles`).
    settings : Settings, optional
        The config section ``clusters`` (defaults of :class:`lbprun.settings.Settings`).

    Returns
    -------
    Landmarks

    Raises
    ------
    lbprun.kinematics.clusters.StaticMismatchError
        The static does not fit the dynamic trial (one sentence naming the static).
    lbprun.markersets.MarkerSetError
        The marker set cannot be used.

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> marks = landmarks(c3d.load(synth.example_trial()))
    >>> marks.found.name, marks.found.mapping["l_asis"], marks.found.mapping["r_heel"]
    ('plug_in_gait', 'LASI', 'RHEE')
    >>> marks.found.rules["l_asis"], marks.warnings
    ('builtin:plug_in_gait', [])
    """
    settings = settings or Settings()
    found = markersets.resolve_roles(trial, markerset)
    out = Landmarks(trial, found)
    trial = markersets.derive(trial, found)
    if static is not None:
        trial = _calibrate(trial, found, static, markerset, out, settings=settings)
    out.trial = _cluster_feet(trial, found, out, settings)
    if found.ambiguous:
        out.warnings.append(
            "ambiguous labels left unmatched: "
            + "; ".join(
                f"{r} claimed by {', '.join(labels)}" for r, labels in found.ambiguous.items()
            )
        )
    return out


def name_calibrated_models(settings: dict, found: markersets.Resolution, /) -> dict:
    """Call a knee model ``jcs_static_calibrated`` when its landmarks came from the static.

    Parameters
    ----------
    settings : dict
        The settings recorded in ``trial.json`` (``knee_model_L``/``knee_model_R`` among them).
    found : lbprun.markersets.Resolution
        The trial's roles and the rule that found each (:func:`landmarks`).

    Returns
    -------
    dict
        A copy of ``settings``, each ``jcs`` knee model renamed when one of its knee or ankle
        landmarks was calibrated from the static trial.

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> found = landmarks(c3d.load(synth.example_trial())).found  # markers, no static
    >>> name_calibrated_models({"knee_model_L": "jcs"}, found)
    {'knee_model_L': 'jcs'}
    >>> found.rules["l_knee_lat"] = "static-calibrated (cluster)"
    >>> name_calibrated_models({"knee_model_L": "jcs", "knee_model_R": "jcs"}, found)
    {'knee_model_L': 'jcs_static_calibrated', 'knee_model_R': 'jcs'}
    """
    out = dict(settings)
    for side in ("L", "R"):
        roles = [f"{side.lower()}_{r}" for r in ("knee_lat", "knee_med", "ankle_lat", "ankle_med")]
        calibrated = any(found.rules.get(r, "").startswith("static-calibrated") for r in roles)
        if out.get(f"knee_model_{side}") == "jcs" and calibrated:
            out[f"knee_model_{side}"] = "jcs_static_calibrated"
    return out
