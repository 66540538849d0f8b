"""Landmark roles recognised by anatomy in any lab's label vocabulary.

A label is split into a side (``L``/``R``, ``Left``/``Right``, first or last, attached or
separated) and an anatomical name, and the name is looked up in one table of the names labs
use: Plug-in Gait (``LASI``, ``LKNE``), ISB/Wu and CAMARC (``L_IAS``, ``R_FLE``, ``CV7``,
``SJN``), Visual3D/C-Motion CAST (``RLFC``/``RMFC``, ``RLMAL``/``RMMAL``), Qualisys sports and
running (``LASIS``, ``LBackAsis``, ``LKneeLat``), AnyBody and OpenSim examples (``RLEP``,
``RMEP``, ``R.Knee``, ``R_Lat_Knee``), the Running Injury Clinic (``L_lat_knee``) and
descriptive names (``RKneeLateral``, ``Right_Lat_Knee``, ``CERV7``, ``THVE10``, ``STERN``).
Case, separators (``. _ - space``), camel case and a subject prefix (``Name:``) do not matter.

It never guesses across sides or segments: a name not in the table, a sided name without a
side (``Knee``) or an unsided name with one stays unmatched, and two labels claiming the same
role with the same rank are *both* left unmatched and reported as ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SIDES = {"l": "l", "left": "l", "lt": "l", "r": "r", "right": "r", "rt": "r"}
_SYNONYMS = {
    "lateral": "lat", "medial": "med", "latéral": "lat", "ext": "lat", "int": "med",
    "malleolus": "mal", "mall": "mal", "malleoli": "mal", "epicondyle": "epi",
    "condyle": "cond", "femoral": "fem", "femur": "fem", "calcaneus": "heel", "calc": "heel",
    "anterior": "ant", "posterior": "post", "superior": "sup",
}  # fmt: skip

# Sided anatomical names -> role suffix. Each entry: names (separators and case removed, tokens
# joined in the label's own order) and rank (lower wins when one file has two of them).
SIDED: dict[str, tuple[tuple[str, ...], ...]] = {
    "asis": (("asi", "asis", "ias", "antsupiliacspine", "frontasis"),),
    "psis": (("psi", "psis", "ips", "backasis", "postsupiliacspine"),),
    "thigh": (("thi", "thigh", "thighwand"),),
    "knee_lat": (
        ("kne", "lep", "lepi", "lfc", "fle", "lek", "kneelat", "latknee", "latepi",
         "fellat", "latfemepi", "femlatepi", "latcond", "latfemcond", "kneelatepi"),
        ("knee",),  # "R.Knee", "RKnee": a single knee marker is lateral (Plug-in Gait KNE)
    ),
    "knee_med": (
        ("mep", "mepi", "mfc", "fme", "mek", "knm", "mkne", "kneemed", "medknee", "medepi",
         "medfemepi", "femmedepi", "medcond", "medfemcond", "kneemedepi"),
    ),
    "tibia": (("tib", "tibia", "sha", "tibwand", "shankwand"),),
    "ankle_lat": (
        ("ank", "lmal", "lma", "lm", "fal", "lme", "anklelat", "latankle", "latmal", "mallat",
         "fibmal"),
        ("ankle", "mal"),
    ),
    "ankle_med": (
        ("mm", "mma", "mmal", "tam", "mme", "anklemed", "medankle", "medmal", "malmed",
         "tibmal"),
    ),
    "heel": (("hee", "heel", "cal", "fcc", "heelback"),),
    "toe": (("toe", "mt2", "fm2", "phal2", "toe2", "met2", "mth2", "p2mt"),),
    "mt1": (("mt1", "fm1", "p1mt", "met1", "mth1", "firstmet"),),
    "mt5": (("mt5", "fm5", "p5mt", "met5", "mth5", "fifthmet"),),
    "gtr": (("gtr", "gt", "troch", "trochanter", "greatertroch", "greatertrochanter", "ftc"),),
    "sacral": (("sacr", "sac", "sacrum", "sacral", "psacr"),),  # LSACR/RSACR: sacrum derived
}  # fmt: skip
UNSIDED: dict[str, tuple[tuple[str, ...], ...]] = {
    "sacrum": (("sacr", "sacrum", "sac", "vsac", "mps", "sacral", "midpsis"),),
    "sacral_u": (("usacr", "usac", "uppersacrum", "sacrumupper", "sacrtop"),),
    "c7": (("c7", "cv7", "cerv7", "vc7", "c07"),),
    "t8": (
        ("t8", "tv8", "th8", "thve8", "t08"),
        ("t10", "tv10", "th10", "thve10"),
        ("t7", "tv7", "th7", "thve7", "t9", "tv9", "thve9"),
    ),
    "ij": (("clav", "ij", "jn", "sjn", "snj", "man", "manubrium", "jugularnotch", "sternalnotch",
            "incisurajugularis", "sternumtop", "stup"),),
    "px": (("strn", "stern", "sternum", "xiph", "xip", "xiphoid", "px", "sxs", "sternumbottom"),),
}  # fmt: skip


def _index(table: dict) -> dict[str, tuple[str, int]]:
    return {
        n: (role, rank)
        for role, ranks in table.items()
        for rank, ns in enumerate(ranks)
        for n in ns
    }


_SIDED_INDEX, _UNSIDED_INDEX = _index(SIDED), _index(UNSIDED)

# Words that say which body part a label is about, for suggestions on unmatched labels.
HINTS = {
    "knee": ("knee_lat", "knee_med"), "epi": ("knee_lat", "knee_med"),
    "ankle": ("ankle_lat", "ankle_med"), "mal": ("ankle_lat", "ankle_med"),
    "heel": ("heel",), "toe": ("toe", "mt1", "mt5"), "mt": ("toe", "mt1", "mt5"),
    "met": ("toe", "mt1", "mt5"), "asis": ("asis",), "psis": ("psis",), "iliac": ("asis", "psis"),
    "sacr": ("sacrum",), "sacrum": ("sacrum",), "thigh": ("thigh",), "shank": ("tibia",),
    "tib": ("tibia",), "troch": ("gtr",), "stern": ("ij", "px"), "clav": ("ij",),
    "spine": ("c7", "t8"),
}  # fmt: skip
_TOKEN = re.compile(r"[A-Z]+(?![a-z])\d*|[A-Z]?[a-zé]+\d*|\d+")


def tokens(label: str, /) -> list[str]:
    """Lower-case words of a label: subject prefix dropped, split at separators and camel case.

    Examples
    --------
    >>> tokens("Sub01:RKneeLateral"), tokens("L_lat_knee"), tokens("R.Knee.Medial")
    (['r', 'knee', 'lateral'], ['l', 'lat', 'knee'], ['r', 'knee', 'medial'])
    >>> tokens("LASIS"), tokens("LBackAsis"), tokens("THVE10")
    (['lasis'], ['l', 'back', 'asis'], ['thve10'])
    """
    name = label.rsplit(":", 1)[-1]
    return [t.lower() for part in re.split(r"[._\-\s]+", name) for t in _TOKEN.findall(part)]


def _name(words: list[str]) -> str:
    return "".join(_SYNONYMS.get(w, w) for w in words)


@dataclass(frozen=True)
class Reading:
    """What a label says: its role (or None), the rule that matched, the rank, the anatomy."""

    label: str
    role: str | None
    rule: str
    rank: int = 0
    anatomy: str | None = None  # the anatomical name the role was read from ("latepi")


# Names of a bare lateral/medial epicondyle: the femur's or the humerus's. They are read as the
# knee only where the file marks the same leg elsewhere (lbprun.markersets._resolve).
BARE_EPICONDYLE = frozenset({"lep", "lepi", "latepi", "mep", "mepi", "medepi"})


def read_label(label: str, /) -> Reading:
    """Read the role a label names by anatomy (``role=None`` when it names none).

    Examples
    --------
    >>> [read_label(x).role for x in ("RKneeLateral", "R.Knee", "R_FLE", "Right_Lat_Knee")]
    ['r_knee_lat', 'r_knee_lat', 'r_knee_lat', 'r_knee_lat']
    >>> [read_label(x).role for x in ("LASIS", "RAsis", "LPsis", "CERV7", "THVE10", "STERN")]
    ['l_asis', 'r_asis', 'l_psis', 'c7', 't8', 'px']
    >>> [read_label(x).role for x in ("RLEP", "RMEP", "RLME", "RMME", "RLFC", "RMMAL")]
    ['r_knee_lat', 'r_knee_med', 'r_ankle_lat', 'r_ankle_med', 'r_knee_lat', 'r_ankle_med']
    >>> [read_label(x).role for x in ("L_lat_knee", "USACR", "LSACR", "Knee", "L_thigh_1")]
    ['l_knee_lat', 'sacral_u', 'l_sacral', None, None]
    """
    words = tokens(label)
    if not words:
        return Reading(label, None, "no name")
    whole = _name(words)
    if whole in _UNSIDED_INDEX:
        role, rank = _UNSIDED_INDEX[whole]
        return Reading(label, role, f"anatomy '{whole}'", rank, whole)
    side, rest = None, words
    if words[0] in SIDES and len(words) > 1:
        side, rest = SIDES[words[0]], words[1:]
    elif words[-1] in SIDES and len(words) > 1:
        side, rest = SIDES[words[-1]], words[:-1]
    elif len(words[0]) > 2 and words[0][0] in "lr":  # LKNE, RLEP: side letter attached
        side, rest = words[0][0], [words[0][1:], *words[1:]]
    if side is None:
        return Reading(
            label, None, f"'{whole}' has no side" if whole in _SIDED_INDEX else "unknown"
        )
    name = _name(rest)
    if name not in _SIDED_INDEX:
        return Reading(label, None, f"'{name}' is not a landmark name")
    role, rank = _SIDED_INDEX[name]
    return Reading(label, f"{side}_{role}", f"side '{side.upper()}' + anatomy '{name}'", rank, name)


def hints(label: str, /) -> list[str]:
    """Roles an unmatched label might fill, from the body-part words it contains.

    Examples
    --------
    >>> hints("L.Heel.Top"), hints("RKneeCentre")
    (['l_heel'], ['r_knee_lat', 'r_knee_med'])
    """
    words = tokens(label)
    side = None
    if words and words[0] in SIDES:
        side, words = SIDES[words[0]], words[1:]
    elif words and words[-1] in SIDES:
        side, words = SIDES[words[-1]], words[:-1]
    elif words and words[0][:1] in ("l", "r") and len(words[0]) > 2:
        side, words = words[0][0], [words[0][1:], *words[1:]]
    found: list[str] = []
    for word in words:
        for key, roles in HINTS.items():
            if _SYNONYMS.get(word, word).startswith(key):
                found += [r for r in roles if r not in found]
    sided = {r for ranks in SIDED for r in [ranks]}
    out = []
    for role in found:
        if role in sided:
            out += [f"{side}_{role}"] if side else [f"l_{role}", f"r_{role}"]
        elif not side:
            out.append(role)
    return out
