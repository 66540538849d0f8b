"""Which outcome of a trial is null, why, and what would fix it (``lbprun inspect``, cohort QC).

Each outcome of ``trial.json`` belongs to a family that needs the same markers or data; a null
outcome gets the reason from the trial's own warnings (the sentence the pipeline wrote when it
gave up on that family) and a fix a user can act on: a marker, a static trial, the body mass.
"""

from __future__ import annotations

from lbprun import registry

# family (the registry's ``needs``) -> (outcomes, warning fragments that explain a null, what
# would fix it); the outcomes of each family are the registry's, in output order
FAMILIES = {
    "pelvis": (
        registry.names(needs="pelvis"),
        ("pelvis markers incomplete",),
        "mark both ASIS and both PSIS (or a sacrum), or give a pelvis cluster and a static trial "
        "(--static / the sheet's static column) that marks the ASIS or the trochanters",
    ),
    "thorax": (
        registry.names(needs="thorax"),
        ("no thorax markers", "thorax: IJ and C7"),
        "mark C7, the jugular notch (IJ/CLAV) and T8/T10 or the xiphoid (PX/STRN)",
    ),
    "knee": (
        registry.names(needs="knee"),
        ("knee flexion",),
        "mark the lateral and medial knee and ankle, or Plug-in Gait THI/TIB wands, or give a "
        "static trial marking them with thigh and shank clusters in both trials",
    ),
    "force": (
        registry.names(needs="force"),
        ("no impact peak", "body mass not given", "no stance on a force plate"),
        "give the body mass (--mass-kg / mass_kg in participants.tsv) and a trial with a foot "
        "landing on a force plate; a missing impact peak means a non-rearfoot strike (the 3-12 % "
        "loading rate is reported instead)",
    ),
    "stride": (
        registry.names(needs="stride"),
        ("no valid stride", "no gait events"),
        "record at least two touchdowns of the same foot (one stride), with foot markers or "
        "force plates to find them",
    ),
}  # fmt: skip
# A coherence that is null for want of strides (lbprun.coordination's warning) is fixed by a
# longer record, not by the thorax markers of its family.
COHERENCE_FIX = (
    "record more strides in one trial (the reason says how many a coherence needs), or lower "
    "coordination.coherence_min_segments / fourier_segment_periods in the config"
)
# Outcomes that also need a valid stride; their own family's reason comes first.
STRIDE_BASED = {
    *registry.names(needs="pelvis", level="stride"),
    *registry.names(needs="thorax", level="stride"),
}


def _reason(warnings: list[str], fragments: tuple[str, ...]) -> str | None:
    for fragment in fragments:
        for warning in warnings:
            if fragment in warning:
                return warning
    return None


def explain(summary: dict, /) -> dict[str, dict]:
    """Every outcome of a ``trial.json``: computed or not, and for a null one, why and the fix.

    Parameters
    ----------
    summary : dict
        A ``trial.json`` (from :func:`lbprun.trial.extract` or ``process``).

    Returns
    -------
    dict
        ``{outcome: {"computed": bool, "reason": str | None, "fix": str | None}}``.

    Examples
    --------
    >>> s = {"status": "ok", "pelvis_rot_rom_deg": 8.0, "thorax_rot_rom_deg": None,
    ...      "warnings": ["no thorax markers (c7, ij missing): thorax ... are null"]}
    >>> out = explain(s)
    >>> out["pelvis_rot_rom_deg"]["computed"], out["thorax_rot_rom_deg"]["reason"][:17]
    (True, 'no thorax markers')
    """
    warnings = list(summary.get("warnings") or [])
    failed = summary.get("status") == "failed"
    out = {}
    for outcomes, fragments, fix in FAMILIES.values():
        for key in outcomes:
            if key not in summary and not failed:
                continue
            value = summary.get(key)
            if value is not None:
                out[key] = {"computed": True, "reason": None, "fix": None}
                continue
            own = ("coherence", *fragments) if key == "coherence_stride" else fragments
            reason = summary.get("error") if failed else _reason(warnings, own)
            if reason is None and key in STRIDE_BASED:
                reason = _reason(warnings, FAMILIES["stride"][1])
            if key == "coherence_stride" and reason and "Welch segment" in reason:
                own_fix = COHERENCE_FIX
            else:
                own_fix = fix
            out[key] = {"computed": False, "reason": reason or "see the warnings", "fix": own_fix}
    return out


def null_summary(summary: dict, /) -> str:
    """One line for the cohort sheet: each null family, its outcomes and the reason ("none").

    Parameters
    ----------
    summary : dict
        A ``trial.json`` (from :func:`lbprun.trial.extract` or ``process``).

    Returns
    -------
    str
        ``"outcomes: reason; ..."`` for the null outcomes, ``"none"`` when every one was
        computed.

    Examples
    --------
    >>> null_summary({"status": "ok", "pelvis_rot_rom_deg": 8.0, "thorax_rot_rom_deg": None,
    ...               "warnings": ["no thorax markers (c7, ij missing): thorax is null"]})
    'thorax_rot_rom_deg: no thorax markers (c7, ij missing): thorax is null'
    >>> null_summary({"status": "ok", "pelvis_rot_rom_deg": 8.0, "warnings": []})
    'none'
    """
    parts = {}
    for key, info in explain(summary).items():
        if not info["computed"]:
            parts.setdefault(info["reason"], []).append(key)
    # never empty: a column of empty strings would be read back as numbers (all NaN)
    return "; ".join(f"{', '.join(keys)}: {reason}" for reason, keys in parts.items()) or "none"
