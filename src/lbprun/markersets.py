"""Landmark roles and the label conventions of different labs.

The pipeline never looks up a marker by a lab's label: it asks for a *role* (``"l_asis"``,
``"c7"``, ``"r_knee_lat"``) and a :class:`MarkerSet` says which label fills it.
"""

from __future__ import annotations

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
