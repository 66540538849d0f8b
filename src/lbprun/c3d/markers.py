"""Markers: labels, model outputs, units and gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lbprun.c3d.parameters import _point_labels, _strings

_MODEL_GROUPS = ("ANGLES", "FORCES", "MOMENTS", "POWERS", "SCALARS", "REACTIONS")
_MODEL_SUFFIXES = ("Angles", "Angle", "Forces", "Moments", "Powers", "Power", "GRF", "Scalars")
_UNITS_M = {"mm": 0.001, "m": 1.0, "cm": 0.01, "dm": 0.1}


def _model_output_labels(raw: dict) -> set[str]:
    """Labels listed in POINT:ANGLES/FORCES/... (Vicon's record of what is not a marker)."""
    names = set()
    for group in _MODEL_GROUPS:
        names.update(_strings(raw, "POINT", group))
    return names


def _strip_prefix(label: str) -> tuple[str, str]:
    """'Matt:LASI' -> ('LASI', 'Matt:'); labels without a subject prefix are unchanged."""
    prefix, sep, name = label.rpartition(":")
    return (name, prefix + sep) if sep and name else (label, "")


def _unique(labels: list[str], warnings: list[str], path: Path) -> list[str]:
    """Make duplicate labels unique (second 'RANK' -> 'RANK_2') and say so."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}_{seen[label]}")
    duplicated = sorted(k for k, v in seen.items() if v > 1)
    if duplicated:
        warnings.append(
            f"{path.name}: duplicate marker labels {', '.join(duplicated)} were renamed "
            "with a _2, _3... suffix."
        )
    return out


def _unit_scale(
    raw: dict, coords: np.ndarray, warnings: list[str], path: Path
) -> tuple[str, float]:
    """POINT:UNITS as a factor to metres; malformed or missing units inferred from magnitudes."""
    units = (_strings(raw, "POINT", "UNITS") or [""])[0].lower()
    if units in _UNITS_M:
        return units, _UNITS_M[units]
    finite = np.abs(coords[np.isfinite(coords)])
    if not finite.size:  # nothing to measure (plates-only file): C3D's usual millimetres
        return "mm", _UNITS_M["mm"]
    typical = float(np.median(finite)) if finite.size else 0.0
    # Lab coordinates of a person are ~0.05-5 m: a typical magnitude above 20 cannot be metres.
    guess = "mm" if typical > 20 else "m"
    warnings.append(
        f"{path.name}: POINT:UNITS is {units or 'missing'!r}; the marker magnitudes "
        f"(median |x| = {typical:.3g}) indicate {guess}."
    )
    return guess, _UNITS_M[guess]


def _marker_array(raw: dict) -> np.ndarray:
    """Points as (n_frames, n_points, 3) with NaN gaps (negative residual: invalid sample)."""
    points = np.transpose(raw["points"], (2, 1, 0)).astype(float, copy=True)
    residuals = raw["residuals"].T
    # Exact (0, 0, 0) is how several systems store a gap (RBDS with residual 0, BTS with a
    # positive residual); a real marker at the lab origin to float precision does not happen.
    zero = np.all(points == 0, axis=-1)
    points[zero | (residuals < 0)] = np.nan
    return points


def _split_points(raw: dict, warnings: list[str], path: Path) -> tuple:
    """Markers (frames, n, 3) with their clean labels, model outputs, label prefixes."""
    points = _marker_array(raw)
    labels = _point_labels(raw, points.shape[1])
    model_names = _model_output_labels(raw)
    stripped = [_strip_prefix(label) for label in labels]
    is_model = [
        label in model_names or name in model_names or name.endswith(_MODEL_SUFFIXES)
        for label, (name, _) in zip(labels, stripped, strict=True)
    ]
    outputs = {name: points[:, i, :] for i, (name, _) in enumerate(stripped) if is_model[i]}
    keep = [i for i, model in enumerate(is_model) if not model]
    names = _unique([stripped[i][0] for i in keep], warnings, path)
    prefixes = {stripped[i][1] for i in keep if stripped[i][1]}
    return points[:, keep, :], names, outputs, prefixes
