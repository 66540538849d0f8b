"""Landmark roles and the label conventions of different labs.

The pipeline never looks up a marker by a lab's label: it asks for a *role* (``"l_asis"``,
``"c7"``, ``"r_knee_lat"``) and a :class:`MarkerSet` says which label fills it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# Pelvis, thorax and per-side leg landmark roles. Names are the pipeline's public vocabulary.
PELVIS_ROLES = ("l_asis", "r_asis", "l_psis", "r_psis", "sacrum")
THORAX_ROLES = ("c7", "t8", "ij", "px")  # t8 also takes T10/T7; ij = jugular notch, px = xiphoid
LEG_ROLE_SUFFIXES = (
    "thigh",  # thigh wand / lateral thigh marker (Plug-in Gait THI)
    "knee_lat",  # lateral femoral epicondyle
    "knee_med",  # medial femoral epicondyle
    "tibia",  # tibia wand / lateral shank marker (Plug-in Gait TIB)
    "ankle_lat",  # lateral malleolus
    "ankle_med",  # medial malleolus
    "heel",
    "toe",  # second metatarsal head / toe marker
    "mt1",  # first metatarsal head
)
LEG_ROLES = tuple(f"{s}_{r}" for s in ("l", "r") for r in LEG_ROLE_SUFFIXES)
ROLES = PELVIS_ROLES + THORAX_ROLES + LEG_ROLES


def _sided(template: dict[str, tuple[str, ...]], left: str, right: str) -> dict:
    """Expand per-side label templates ('{s}KNE') into l_/r_ roles."""
    out = {}
    for side, code in (("l", left), ("r", right)):
        for suffix, labels in template.items():
            out[f"{side}_{suffix}"] = tuple(label.format(s=code) for label in labels)
    return out


# Each built-in set maps a role to candidate labels, tried in order (first present wins).
BUILTIN_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    # Vicon Plug-in Gait (Davis 1991 / Kadaba 1990), with the common Helen Hayes and
    # Nexus "extended" aliases (VSAC, IJ/PX, JN/XIPH, LLEK/LMEK, LLM/LMM).
    "plug_in_gait": {
        "l_asis": ("LASI", "LASIS"),
        "r_asis": ("RASI", "RASIS"),
        "l_psis": ("LPSI", "LPSIS"),
        "r_psis": ("RPSI", "RPSIS"),
        "sacrum": ("SACR", "VSAC"),
        "c7": ("C7",),
        "t8": ("T10", "T8"),
        "ij": ("CLAV", "JN", "IJ"),
        "px": ("STRN", "XIPH", "PX"),
        **_sided(
            {
                "thigh": ("{s}THI", "{s}LTHI"),
                "knee_lat": ("{s}KNE", "{s}LEK", "{s}LFC"),
                "knee_med": ("{s}MEK", "{s}KNM", "{s}MKNE", "{s}MFC", "{s}MED"),
                "tibia": ("{s}TIB", "{s}LSHA", "{s}SHA"),
                "ankle_lat": ("{s}ANK", "{s}LM", "{s}LMAL"),
                "ankle_med": ("{s}MM", "{s}MMA", "{s}MMAL", "{s}MED"),
                "heel": ("{s}HEE", "{s}CAL"),
                "toe": ("{s}TOE", "{s}MT2"),
                "mt1": ("{s}MT1",),
            },
            "L",
            "R",
        ),
    },
    # ISB-recommended anatomical names (Wu et al. 2002, 2005) as Qualisys' gait models use them.
    "isb": {
        "l_asis": ("L_IAS",),
        "r_asis": ("R_IAS",),
        "l_psis": ("L_IPS",),
        "r_psis": ("R_IPS",),
        "sacrum": ("SACR", "MPS"),
        "c7": ("CV7",),
        "t8": ("TV8", "TV10", "TV7"),
        "ij": ("SJN", "SNJ", "IJ"),
        "px": ("SXS", "PX"),
        **_sided(
            {
                "thigh": ("{s}_WAND1", "{s}_THI"),
                "knee_lat": ("{s}_FLE",),
                "knee_med": ("{s}_FME",),
                "tibia": ("{s}_WAND2", "{s}_TTC"),
                "ankle_lat": ("{s}_FAL",),
                "ankle_med": ("{s}_TAM",),
                "heel": ("{s}_FCC",),
                "toe": ("{s}_FM2", "{s}_TOE"),
                "mt1": ("{s}_FM1",),
            },
            "L",
            "R",
        ),
    },
    # Qualisys sports marker set (QTM running/sports templates).
    "qualisys_sports": {
        "l_asis": ("LASIS",),
        "r_asis": ("RASIS",),
        "l_psis": ("LBackAsis", "LPSIS"),
        "r_psis": ("RBackAsis", "RPSIS"),
        "sacrum": ("Sacrum",),
        "c7": ("C7",),
        "t8": ("T10", "T8"),
        "ij": ("Clav",),
        "px": ("Sternum",),
        **_sided(
            {
                "thigh": ("{s}ThighUpperC", "{s}Thigh"),
                "knee_lat": ("{s}KneeLat",),
                "knee_med": ("{s}KneeMed",),
                "tibia": ("{s}ShankUpperC", "{s}Shank"),
                "ankle_lat": ("{s}AnkleLat",),
                "ankle_med": ("{s}AnkleMed",),
                "heel": ("{s}Heel",),
                "toe": ("{s}Toe", "{s}PHAL2", "{s}MT2"),
                "mt1": ("{s}MT1",),
            },
            "L",
            "R",
        ),
    },
    # Melbourne running set (Dorn, Schache & Pandy 2012).
    "dorn_melbourne": {
        "l_asis": ("LASI",),
        "r_asis": ("RASI",),
        "l_psis": ("LPSI",),
        "r_psis": ("RPSI",),
        "sacrum": ("SACR",),
        "c7": ("C7",),
        "t8": ("T7", "T8", "T10"),
        "ij": ("MAN",),
        "px": ("XIP", "STRN"),
        **_sided(
            {
                "thigh": ("{s}THLP",),
                "knee_lat": ("{s}LEPI",),
                "knee_med": ("{s}MEPI",),
                "tibia": ("{s}TILAT",),
                "ankle_lat": ("{s}LMAL",),
                "ankle_med": ("{s}MMAL",),
                "heel": ("{s}HEEL",),
                "toe": ("{s}TOE",),
                "mt1": ("{s}P1MT",),
            },
            "L",
            "R",
        ),
    },
    # Dotted names of the RBDS running dataset (Fukuchi et al. 2017) and similar labs.
    "rbds_dotted": {
        "l_asis": ("L.ASIS",),
        "r_asis": ("R.ASIS",),
        "l_psis": ("L.PSIS",),
        "r_psis": ("R.PSIS",),
        "sacrum": ("Sacrum", "SACR"),
        "c7": ("C7",),
        "t8": ("T8", "T10"),
        "ij": ("Jugular.Notch", "IJ"),
        "px": ("Xiphoid", "PX"),
        **_sided(
            {
                "thigh": ("{s}.Thigh.Top.Lateral", "{s}.Thigh"),
                "knee_lat": ("{s}.Knee", "{s}.Knee.Lateral"),
                "knee_med": ("{s}.Knee.Medial",),
                "tibia": ("{s}.Shank.Top.Lateral", "{s}.MidShank"),
                "ankle_lat": ("{s}.Ankle", "{s}.Ankle.Lateral"),
                "ankle_med": ("{s}.Ankle.Medial",),
                "heel": ("{s}.Heel", "{s}.Heel.Top"),
                "toe": ("{s}.MT2", "{s}.Toe"),
                "mt1": ("{s}.MT1",),
            },
            "L",
            "R",
        ),
    },
    # BTS (Davis protocol as BTS SMART writes it): lower case with spaces.
    "bts": {
        "l_asis": ("l asis",),
        "r_asis": ("r asis",),
        "l_psis": ("l psis",),
        "r_psis": ("r psis",),
        "sacrum": ("sacrum",),
        "c7": ("c7",),
        "t8": ("t8", "t10"),
        "ij": ("ij", "clav"),
        "px": ("px", "strn"),
        **_sided(
            {
                "thigh": ("{s} bar 1", "{s} thigh"),
                "knee_lat": ("{s} knee 1", "{s} knee"),
                "knee_med": ("{s} knee 2",),
                "tibia": ("{s} bar 2",),
                "ankle_lat": ("{s} mall", "{s} mall 1"),
                "ankle_med": ("{s} mall 2",),
                "heel": ("{s} heel",),
                "toe": ("{s} met", "{s} toe"),
                "mt1": ("{s} met 1",),
            },
            "l",
            "r",
        ),
    },
    # Running Injury Clinic cluster set (static trial anatomical markers).
    "ric_clusters": _sided(
        {
            "thigh": ("{s}_thigh_1",),
            "knee_lat": ("{s}_lat_knee",),
            "knee_med": ("{s}_med_knee",),
            "tibia": ("{s}_shank_1",),
            "ankle_lat": ("{s}_lat_ankle",),
            "ankle_med": ("{s}_med_ankle",),
        },
        "L",
        "R",
    ),
}


class MarkerSetError(ValueError):
    """A marker-set name or YAML file that cannot be used, with one sentence saying why."""


def _labels_of(trial) -> list[str]:
    return list(getattr(trial, "labels", trial))


def match(labels: list[str], candidates: dict[str, tuple[str, ...]], /) -> dict[str, str]:
    """Map each role to the first candidate label present (exact, then case-insensitive).

    Examples
    --------
    >>> match(["LASI", "rasi"], {"l_asis": ("LASI",), "r_asis": ("RASI",), "c7": ("C7",)})
    {'l_asis': 'LASI', 'r_asis': 'rasi'}
    """
    present = set(labels)
    folded = {label.casefold(): label for label in reversed(labels)}
    mapping = {}
    for role, options in candidates.items():
        for option in options:
            label = option if option in present else folded.get(option.casefold())
            if label is not None:
                mapping[role] = label
                break
    return mapping


def load_yaml(path: str | os.PathLike, /) -> tuple[str, dict[str, tuple[str, ...]]]:
    """Read a lab's role -> label map from YAML.

    The file is either ``{role: label}`` or ``{name: ..., roles: {role: label or [labels]}}``.
    """
    import yaml

    path = Path(path)
    try:
        content = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise MarkerSetError(
            f"{path.name}: cannot be read as a YAML marker set ({error})."
        ) from None
    if not isinstance(content, dict):
        raise MarkerSetError(f"{path.name}: a marker set must map roles to labels.")
    name = str(content.get("name", path.stem))
    roles = content.get("roles", content) if "roles" in content else content
    unknown = sorted(set(roles) - set(ROLES) - {"name"})
    if unknown:
        raise MarkerSetError(
            f"{path.name}: unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}."
        )
    return name, {
        role: tuple(v) if isinstance(v, (list, tuple)) else (str(v),)
        for role, v in roles.items()
        if role != "name" and v is not None
    }


def resolve(trial, /, markerset: str = "auto") -> tuple[str, dict[str, str]]:
    """Say which label fills each landmark role in a trial.

    Parameters
    ----------
    trial : Trial or list of str
        A loaded trial (its ``labels``) or the labels themselves.
    markerset : str
        ``"auto"`` (the built-in set that fills most roles), a built-in name
        (see :data:`BUILTIN_SETS`) or a path to a YAML role -> label map.

    Returns
    -------
    name : str
        The marker set used.
    mapping : dict of str to str
        Role -> label for every role found (missing roles are absent).

    Examples
    --------
    >>> resolve(["LASI", "RASI", "SACR", "C7", "LKNE", "LANK"])[0]
    'plug_in_gait'
    >>> resolve(["L.ASIS", "R.ASIS", "L.Knee"])
    ('rbds_dotted', {'l_asis': 'L.ASIS', 'r_asis': 'R.ASIS', 'l_knee_lat': 'L.Knee'})
    """
    labels = _labels_of(trial)
    if markerset == "auto":
        scored = [(len(match(labels, sets)), name) for name, sets in BUILTIN_SETS.items()]
        best = max(scored, key=lambda item: item[0])[1]  # first set wins ties
        return best, match(labels, BUILTIN_SETS[best])
    if markerset in BUILTIN_SETS:
        return markerset, match(labels, BUILTIN_SETS[markerset])
    if str(markerset).endswith((".yaml", ".yml")) or Path(markerset).is_file():
        name, candidates = load_yaml(markerset)
        return name, match(labels, candidates)
    raise MarkerSetError(
        f"unknown marker set {markerset!r}: use auto, a YAML file or one of "
        f"{', '.join(BUILTIN_SETS)}."
    )


def role_markers(trial, mapping: dict[str, str], /) -> dict[str, np.ndarray]:
    """Positions (n_frames, 3) of every mapped role, from :func:`resolve`'s mapping."""
    return {role: trial.marker(label) for role, label in mapping.items()}
