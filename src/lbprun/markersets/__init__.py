"""Landmark roles and the label conventions of different labs.

The pipeline never looks up a marker by a lab's label: it asks for a *role* (``"l_asis"``,
``"c7"``, ``"r_knee_lat"``) and a :class:`MarkerSet` says which label fills it.

Over 500 lines on purpose: the role list, the built-in sets and their resolution order are one
table read top to bottom (the label vocabulary itself is :mod:`lbprun.markersets.vocabulary`);
about half of the module is the built-in sets' data and docstrings.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from lbprun.errors import LbprunError
from lbprun.markersets import vocabulary

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
    "mt5",  # fifth metatarsal head (lateral forefoot: first to land in forefoot strikers)
    "gtr",  # greater trochanter (static trials of cluster protocols)
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
    # Running Injury Clinic cluster set (static trial anatomical markers; "hip" is the greater
    # trochanter in that protocol). Cluster markers are not roles (kinematics.clusters).
    "ric_clusters": _sided(
        {
            "knee_lat": ("{s}_lat_knee",),
            "knee_med": ("{s}_med_knee",),
            "ankle_lat": ("{s}_lat_ankle",),
            "ankle_med": ("{s}_med_ankle",),
            "gtr": ("{s}_hip",),
        },
        "L",
        "R",
    ),
}


class MarkerSetError(LbprunError, ValueError):
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


class _UniqueKeys(yaml.SafeLoader):
    """YAML loader that refuses a key given twice (YAML itself keeps the last silently)."""


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise MarkerSetError(f"role {key!r} is given twice")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_yaml(path: str | os.PathLike, /) -> tuple[str, dict[str, tuple[str, ...]]]:
    """Read a lab's role -> label map from YAML.

    The file is either ``{role: label}`` or ``{name: ..., roles: {role: label or [labels]}}``.
    A role set to null is left unmapped on purpose (the automatic rules do not fill it).

    Raises
    ------
    MarkerSetError
        One sentence naming the file: unreadable, not a map, unknown role, a role given twice,
        or one label given to two roles.
    """
    path = Path(path)
    try:
        content = yaml.load(path.read_text(), Loader=_UniqueKeys)  # a SafeLoader subclass
    except MarkerSetError as error:
        raise MarkerSetError(f"{path.name}: {error}; a role can name only one landmark.") from None
    except (OSError, yaml.YAMLError) as error:
        detail = str(error).strip().splitlines()[0]
        raise MarkerSetError(
            f"{path.name}: cannot be read as a YAML marker set ({detail})."
        ) from None
    if not isinstance(content, dict):
        raise MarkerSetError(f"{path.name}: a marker set must map roles to labels.")
    name = str(content.get("name", path.stem))
    roles = content.get("roles") if "roles" in content else content
    if not isinstance(roles, dict):
        raise MarkerSetError(f"{path.name}: 'roles' must map roles to labels.")
    unknown = sorted(set(roles) - set(ROLES) - {"name"})
    if unknown:
        raise MarkerSetError(
            f"{path.name}: unknown role(s) {', '.join(map(str, unknown))}; "
            f"roles are {', '.join(ROLES)}."
        )
    out = {
        role: tuple(map(str, v))
        if isinstance(v, (list, tuple))
        else (() if v is None else (str(v),))
        for role, v in roles.items()
        if role != "name"
    }
    owners: dict[str, str] = {}
    for role, labels in out.items():
        for label in labels:
            if label in owners:
                raise MarkerSetError(
                    f"{path.name}: label {label!r} is given to both {owners[label]} and {role}; "
                    "a landmark fills one role."
                )
            owners[label] = role
    return name, out


@dataclass
class Resolution:
    """Which label fills each role of one trial, by which rule, and what stayed unmatched.

    ``rules`` says for each role how its label was found: ``yaml:FILE``, ``builtin:NAME``
    (a built-in set's candidate), ``vocabulary: ...`` (anatomy read from the label, see
    :mod:`lbprun.markersets.vocabulary`), or ``derived: ...`` (a virtual landmark).
    ``unmatched`` maps labels nobody used that look like landmarks to the roles they might
    fill; ``ambiguous`` maps a role to the labels that claimed it equally (none is used).
    """

    name: str
    mapping: dict[str, str]
    rules: dict[str, str] = field(default_factory=dict)
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    def report(self) -> dict:
        """Role -> {label, rule} for ``trial.json``."""
        return {r: {"label": self.mapping[r], "rule": self.rules.get(r, "")} for r in self.mapping}


def _from_vocabulary(
    labels: list[str], taken: set[str], used: set[str]
) -> tuple[dict, dict, dict, dict]:
    """Roles read by anatomy for labels not used yet; equal claims leave the role out.

    Returns the roles' labels, their rules, the ambiguous roles and each role's anatomy name.
    """
    claims: dict[str, list] = {}
    for label in labels:
        if label in used:
            continue
        reading = vocabulary.read_label(label)
        if reading.role and reading.role not in taken:
            claims.setdefault(reading.role, []).append(reading)
    mapping, rules, ambiguous, anatomy = {}, {}, {}, {}
    for role, readings in claims.items():
        best = min(r.rank for r in readings)
        top = [r for r in readings if r.rank == best]
        if len(top) > 1:
            ambiguous[role] = [r.label for r in top]
            continue
        mapping[role], rules[role] = top[0].label, f"vocabulary: {top[0].rule}"
        anatomy[role] = top[0].anatomy
    return mapping, rules, ambiguous, anatomy


def _unmatched(labels: list[str], mapping: dict, clusters: set[str]) -> dict[str, list[str]]:
    """Labels not used that name a body part, with the still empty roles they might fill."""
    used, out = set(mapping.values()), {}
    for label in labels:
        if label in used or label in clusters:
            continue
        roles = [r for r in vocabulary.hints(label) if r in ROLES and r not in mapping]
        if roles:
            out[label] = roles
    return out


def _base(labels: list[str], markerset: str) -> tuple[str, dict, str, set[str]]:
    """Return the set asked for: name, role map, rule name, roles it leaves out on purpose."""
    if markerset == "auto":
        scored = [(len(match(labels, sets)), name) for name, sets in BUILTIN_SETS.items()]
        best = max(scored, key=lambda item: item[0])[1]  # first set wins ties
        return best, match(labels, BUILTIN_SETS[best]), f"builtin:{best}", set()
    if markerset in BUILTIN_SETS:
        return markerset, match(labels, BUILTIN_SETS[markerset]), f"builtin:{markerset}", set()
    if str(markerset).endswith((".yaml", ".yml")) or Path(markerset).is_file():
        name, candidates = load_yaml(markerset)
        off = {role for role, options in candidates.items() if not options}
        return name, match(labels, candidates), f"yaml:{Path(markerset).name}", off
    raise MarkerSetError(
        f"unknown marker set {markerset!r}: use auto, a YAML file or one of "
        f"{', '.join(BUILTIN_SETS)}."
    )


def resolve_roles(trial, /, markerset: str = "auto") -> Resolution:
    """Resolve every landmark role of one trial, saying how each was found.

    The set asked for comes first (a user's YAML always wins; ``auto`` takes the built-in set
    that fills most roles); the roles it leaves empty are then read from the labels' anatomy
    (:func:`lbprun.markersets.vocabulary.read_label`), never across sides or segments.

    Parameters
    ----------
    trial : Trial or list of str
        A loaded trial (its ``labels``) or the labels themselves.
    markerset : str
        ``"auto"``, a built-in name or a YAML file.

    Returns
    -------
    Resolution

    Examples
    --------
    >>> r = resolve_roles(["LASIS", "RASIS", "USACR", "LSACR", "RSACR", "RKneeLateral"])
    >>> r.mapping["r_knee_lat"], r.rules["r_knee_lat"]
    ('RKneeLateral', "vocabulary: side 'R' + anatomy 'kneelat'")
    >>> r.mapping["sacral_u"], r.mapping["l_sacral"]
    ('USACR', 'LSACR')
    """
    labels = _labels_of(trial)
    if markerset == "auto" or markerset in BUILTIN_SETS:  # a batch repeats its label sets
        return copy.deepcopy(_resolve_builtin(tuple(labels), markerset))
    return _resolve(labels, markerset)


@functools.lru_cache(maxsize=16)
def _resolve_builtin(labels: tuple[str, ...], markerset: str) -> Resolution:
    """:func:`_resolve` for a built-in set, once per label set (callers get deep copies)."""
    return _resolve(list(labels), markerset)


def _resolve(labels: list[str], markerset: str) -> Resolution:
    name, mapping, rule, off = _base(labels, markerset)
    rules = dict.fromkeys(mapping, rule)
    more, more_rules, ambiguous, anatomy = _from_vocabulary(
        labels, set(mapping) | off, set(mapping.values())
    )
    if not mapping:  # no built-in label at all: say so rather than name an empty set
        name = "vocabulary" if more else "none"
    mapping |= more
    rules |= more_rules
    for role in _elbow_or_knee(mapping, anatomy):
        ambiguous[role] = [mapping.pop(role)]
        del rules[role]
    clusters = {label for label in labels if CLUSTER_LABEL.match(label)}
    unmatched = _unmatched(labels, mapping, clusters)
    return Resolution(name, mapping, rules, unmatched, ambiguous)


# A bare "lateral/medial epicondyle" names the femur's or the humerus's: read as the knee only
# where the file marks the same leg elsewhere (an upper-limb file's elbow is not a knee).
_OTHER_LEG = tuple(s for s in LEG_ROLE_SUFFIXES if s not in ("knee_lat", "knee_med"))


def _elbow_or_knee(mapping: dict, anatomy: dict) -> list[str]:
    """Knee roles read from a bare epicondyle label on a side with no other leg landmark."""
    return [
        role
        for role, name in anatomy.items()
        if name in vocabulary.BARE_EPICONDYLE
        and not any(f"{role[0]}_{suffix}" in mapping for suffix in _OTHER_LEG)
    ]


# Technical-cluster markers: segment name and a number (L_thigh_1, pelvis_3, R.Shank.2).
CLUSTER_LABEL = re.compile(
    r"^(?:(?:l|r|left|right)[._\s-]?)?(pelvis|thigh|shank|foot|tibia|femur)[._\s-]?\d+$",
    re.IGNORECASE,
)
# Internal roles that only serve to derive a public one (the sacrum from sacral markers).
SACRAL_ROLES = ("sacral_u", "l_sacral", "r_sacral")


def resolve(trial, /, markerset: str = "auto") -> tuple[str, dict[str, str]]:
    """Say which label fills each landmark role in a trial.

    Parameters
    ----------
    trial : Trial or list of str
        A loaded trial (its ``labels``) or the labels themselves.
    markerset : str
        ``"auto"`` (the built-in set that fills most roles), a built-in name
        (see :data:`BUILTIN_SETS`) or a path to a YAML role -> label map; roles the set leaves
        empty are read from the labels' anatomy (:func:`resolve_roles`).

    Returns
    -------
    name : str
        The marker set used.
    mapping : dict of str to str
        Role -> label for every public role found (missing roles are absent).

    Examples
    --------
    >>> resolve(["LASI", "RASI", "SACR", "C7", "LKNE", "LANK"])[0]
    'plug_in_gait'
    >>> resolve(["L.ASIS", "R.ASIS", "L.Knee"])
    ('rbds_dotted', {'l_asis': 'L.ASIS', 'r_asis': 'R.ASIS', 'l_knee_lat': 'L.Knee'})
    """
    found = resolve_roles(trial, markerset)
    return found.name, {r: label for r, label in found.mapping.items() if r in ROLES}


def derive(trial, found: Resolution, /):
    """Add the derived landmarks the anatomy allows, as virtual markers of a copied trial.

    The sacrum, when no sacrum marker is mapped, is the mean of the sacral markers present
    (``USACR``, or both ``LSACR`` and ``RSACR``, or all three; a single lateral one would
    pull it sideways), else the mean of both PSIS.

    Parameters
    ----------
    trial : Trial
        The loaded trial (not modified).
    found : Resolution
        Its roles (updated in place with the derived roles and their rules).

    Returns
    -------
    Trial
        The trial with the virtual markers appended (the same object when nothing is derived).
    """
    if "sacrum" in found.mapping:
        return trial
    sacral = [found.mapping[r] for r in SACRAL_ROLES if r in found.mapping]
    sides = {"l_sacral", "r_sacral"} & found.mapping.keys()
    if "sacral_u" in found.mapping or len(sides) == 2:
        parts, why = sacral, "mean of the sacral markers"
    elif {"l_psis", "r_psis"} <= found.mapping.keys():
        parts, why = [found.mapping["l_psis"], found.mapping["r_psis"]], "mean of the PSIS"
    else:
        return trial
    label = f"sacrum=mean({','.join(parts)})"
    mean = np.mean([trial.marker(p) for p in parts], axis=0)
    found.mapping["sacrum"], found.rules["sacrum"] = label, f"derived: {why} ({', '.join(parts)})"
    return with_points(trial, {label: mean})


def with_points(trial, points: dict[str, np.ndarray], /):
    """Return a copy of a trial with virtual markers (label -> (n_frames, 3) m) appended."""
    if not points:
        return trial
    stack = np.stack([np.asarray(p, dtype=float) for p in points.values()], axis=1)
    return replace(
        trial,
        labels=[*trial.labels, *points],
        markers_m=np.concatenate([trial.markers_m, stack], axis=1),
    )


def role_markers(trial, mapping: dict[str, str], /) -> dict[str, np.ndarray]:
    """Positions (n_frames, 3) of every mapped role, from :func:`resolve`'s mapping."""
    return {role: trial.marker(label) for role, label in mapping.items()}
