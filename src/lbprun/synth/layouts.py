"""The same simulated runner under other labs' label vocabularies and marker layouts.

:func:`write_layout` writes one simulated trial as a lab using another convention would
record it, with the ground truth unchanged, so that every layout can be checked against the
same truth:

- ``pig``: the Plug-in Gait file :func:`lbprun.synth.write_c3d` writes.
- ``isb``: ISB/Wu names (``L_IAS``, ``R_FLE``, ``CV7``, ``SJN``...), medial markers added.
- ``descriptive``: descriptive names (``LAsis``, ``RKneeLateral``, ``Left_Heel``, ``CERV7``,
  ``THVE10``, ``STERN``...), medial markers added.
- ``sacral3``: Plug-in Gait, but the pelvis marked by three sacral markers ``USACR``, ``LSACR``,
  ``RSACR`` (their mean is the mid-PSIS point) instead of the PSIS.
- ``ric``: the Running Injury Clinic layout: four-marker clusters ``pelvis_1..4``,
  ``L_thigh_1..4``, ``L_shank_1..4``, ``L_foot_1..4`` in the running trial (plus its force
  plates), and a static trial (one pose, 20 noisy frames) with the clusters and ``L_hip``/``R_hip``
  (greater trochanters), ``L_lat_knee``, ``L_med_knee``, ``L_lat_ankle``, ``L_med_ankle``.
  The trochanters lie on the line of the hip joint centres, half their distance lateral of
  each, so a quarter of the trochanters' distance medial of each is the hip centre.

No thorax markers in the RIC layout (the protocol has none): its thorax measures are null.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lbprun.synth.model import HEE_MARKER, rot2
from lbprun.synth.writer import write_c3d

LAYOUTS = ("pig", "isb", "descriptive", "sacral3", "ric")
STATIC_FRAMES = 20
_ISB = {"LASI": "L_IAS", "RASI": "R_IAS", "LPSI": "L_IPS", "RPSI": "R_IPS", "C7": "CV7",
        "T10": "TV10", "CLAV": "SJN", "STRN": "SXS"}  # fmt: skip
_ISB_LEG = {"KNE": "{s}_FLE", "KNM": "{s}_FME", "ANK": "{s}_FAL", "MMA": "{s}_TAM",
            "HEE": "{s}_FCC", "TOE": "{s}_FM2", "THI": "{s}_THI", "TIB": "{s}_WAND2"}  # fmt: skip
_DESCRIPTIVE = {
    "LASI": "LAsis",
    "RASI": "RAsis",
    "LPSI": "LPsis",
    "RPSI": "RPsis",
    "C7": "CERV7",
    "T10": "THVE10",
    "CLAV": "Jugular_Notch",
    "STRN": "STERN",
}
_DESCRIPTIVE_LEG = {"KNE": "{s}KneeLateral", "KNM": "{s}KneeMedial", "ANK": "{s}AnkleLateral",
                    "MMA": "{s}AnkleMedial", "HEE": "{side}_Heel", "TOE": "{s}_Toe",
                    "THI": "{s}ThighWand", "TIB": "{s}ShankWand"}  # fmt: skip
# Cluster marker offsets (m): pelvis in the pelvis frame (on the sacrum), thigh and shank in
# the segment frame (x anterior, lateral, along the segment from its distal joint), foot in the
# foot's sagittal plane from the rigid foot's origin (on the heel counter) and lateral.
_PELVIS_CLUSTER = np.array([[-0.19, 0.04, 0.03], [-0.19, -0.04, 0.03], [-0.2, 0.04, 0.09],
                            [-0.2, -0.04, 0.09]])  # fmt: skip
_LIMB_CLUSTER = np.array([[0.02, 0.07, 0.40], [-0.03, 0.07, 0.42], [0.02, 0.08, 0.58],
                          [-0.03, 0.075, 0.6]])  # fmt: skip
_FOOT_CLUSTER = np.array([[-0.02, 0.02, 0.03], [0.01, 0.02, 0.05], [-0.02, -0.02, 0.06],
                          [0.01, -0.02, 0.035]])  # fmt: skip


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _pelvis_axes(m: dict) -> tuple[np.ndarray, np.ndarray]:
    """Origin and axes (n, 3, 3; columns anterior, left, up) of the simulated pelvis."""
    origin = 0.5 * (m["LASI"] + m["RASI"])
    left = _unit(m["LASI"] - m["RASI"])
    back = 0.5 * (m["LPSI"] + m["RPSI"])
    ant = origin - back
    ant = _unit(ant - np.sum(ant * left, axis=1)[:, None] * left)
    return origin, np.stack([ant, left, np.cross(ant, left)], axis=-1)


def _renamed(data: dict, top: dict, leg: dict) -> dict:
    names = {}
    for side, word in (("L", "Left"), ("R", "Right")):
        names |= {side + k: v.format(s=side, side=word) for k, v in leg.items()}
    out = dict(data)
    out["labels"] = [top.get(x, names.get(x, x)) for x in data["labels"]]
    return out


def _replace_markers(data: dict, drop: list[str], add: dict[str, np.ndarray], rng, noise_m):
    keep = [i for i, x in enumerate(data["labels"]) if x not in drop]
    new = [p + noise_m * rng.standard_normal(p.shape) for p in add.values()]
    out = dict(data)
    out["labels"] = [data["labels"][i] for i in keep] + list(add)
    out["markers_m"] = np.concatenate([data["markers_m"][:, keep], np.stack(new, axis=1)], axis=1)
    return out


def _sacral3(data: dict, truth: dict, rng, noise_m: float) -> dict:
    m = truth["series"]["markers_m"]
    _, axes = _pelvis_axes(m)
    mid = 0.5 * (m["LPSI"] + m["RPSI"])
    local = {"USACR": [0.0, 0.0, 0.03], "LSACR": [0.0, 0.02, -0.015], "RSACR": [0.0, -0.02, -0.015]}
    add = {k: mid + np.einsum("nij,j->ni", axes, v) for k, v in local.items()}
    return _replace_markers(data, ["LPSI", "RPSI", "SACR"], add, rng, noise_m)


def _segment_axes(prox: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Axes of a leg segment in the sagittal plane: anterior, left (lab Y), along the segment."""
    along = _unit(prox - dist)
    left = np.broadcast_to([0.0, 1.0, 0.0], along.shape)
    return np.stack([np.cross(left, along), left, along], axis=-1)


def _ric_markers(truth: dict) -> tuple[dict, dict]:
    """Noiseless RIC cluster markers and the static-only anatomical markers, lab frame."""
    s, m = truth["series"], truth["series"]["markers_m"]
    origin, axes = _pelvis_axes(m)
    clusters = {f"pelvis_{i + 1}": origin + axes @ v for i, v in enumerate(_PELVIS_CLUSTER)}
    hjc = {side: s[f"{side}_hip"] for side in "LR"}
    half = 0.5 * (hjc["L"] - hjc["R"])
    anatomy = {"L_hip": hjc["L"] + half, "R_hip": hjc["R"] - half}
    for side in "LR":
        mirror = np.array([1.0, 1.0 if side == "L" else -1.0, 1.0])
        for seg, (prox, dist) in {"thigh": ("hip", "knee"), "shank": ("knee", "ankle")}.items():
            a, b = s[f"{side}_{prox}"], s[f"{side}_{dist}"]
            frame, length = _segment_axes(a, b), np.linalg.norm(a - b, axis=1)[:, None]
            for i, v in enumerate(_LIMB_CLUSTER * mirror):
                local = np.array([v[0], v[1], 0.0])
                clusters[f"{side}_{seg}_{i + 1}"] = (
                    b + frame @ local + v[2] * length * frame[..., 2]
                )
        for i, v in enumerate(_FOOT_CLUSTER * mirror):
            rel = rot2(s[f"{side}_pitch"], HEE_MARKER + v[[0, 2]])
            pos = s[f"{side}_foot"].copy()
            pos[:, [0, 2]] += rel
            pos[:, 1] += v[1]
            clusters[f"{side}_foot_{i + 1}"] = pos
        anatomy |= {
            f"{side}_lat_knee": m[f"{side}KNE"],
            f"{side}_med_knee": m[f"{side}KNM"],
            f"{side}_lat_ankle": m[f"{side}ANK"],
            f"{side}_med_ankle": m[f"{side}MMA"],
        }
    return clusters, anatomy


def _ric(data: dict, truth: dict, rng, noise_m: float) -> tuple[dict, dict]:
    clusters, anatomy = _ric_markers(truth)
    dynamic = _replace_markers(data, list(data["labels"]), clusters, rng, noise_m)
    pose = len(truth["series"]["t"]) // 2
    frames = {k: np.repeat(v[pose : pose + 1], STATIC_FRAMES, axis=0) for k, v in clusters.items()}
    frames |= {k: np.repeat(v[pose : pose + 1], STATIC_FRAMES, axis=0) for k, v in anatomy.items()}
    static = _replace_markers(
        {**data, "labels": [], "markers_m": np.zeros((STATIC_FRAMES, 0, 3))},
        [],
        frames,
        rng,
        noise_m,
    )
    ratio = round(data["analog_hz"] / data["markers_hz"])
    static["analogs"] = np.zeros((len(data["analog_labels"]), STATIC_FRAMES * ratio))
    return dynamic, static


def layout(data: dict, truth: dict, name: str, /, *, seed: int = 0) -> tuple[dict, dict | None]:
    """Re-express a simulated trial (:func:`lbprun.synth.simulate_trial`) in another layout.

    Parameters
    ----------
    data, truth : dict
        From :func:`lbprun.synth.simulate_trial`, simulated with ``medial_markers=True`` and
        ``sacrum=False``.
    name : str
        One of :data:`LAYOUTS`.
    seed : int
        Seed of the noise on new markers.

    Returns
    -------
    dynamic : dict
        What :func:`lbprun.synth.write_c3d` writes.
    static : dict or None
        The static trial of the ``ric`` layout.
    """
    rng = np.random.default_rng(seed)
    clean = np.stack(list(truth["series"]["markers_m"].values()), axis=1)
    noise = float(np.nanstd(data["markers_m"] - clean))
    if name == "pig":
        return data, None
    if name == "isb":
        return _renamed(data, _ISB, _ISB_LEG), None
    if name == "descriptive":
        return _renamed(data, _DESCRIPTIVE, _DESCRIPTIVE_LEG), None
    if name == "sacral3":
        return _sacral3(data, truth, rng, noise), None
    if name == "ric":
        return _ric(data, truth, rng, noise)
    raise ValueError(f"unknown layout {name!r}: one of {', '.join(LAYOUTS)}")


def write_layout(
    folder: str | Path, data: dict, truth: dict, name: str, /
) -> tuple[Path, Path | None]:
    """Write a trial in one layout as ``{folder}/{name}.c3d`` (and ``{name}_static.c3d``)."""
    folder = Path(folder)
    dynamic, static = layout(data, truth, name)
    path = write_c3d(folder / f"{name}.c3d", dynamic)
    return path, (write_c3d(folder / f"{name}_static.c3d", static) if static else None)
