"""Stance-level associations: knee flexion at touchdown against impact peak and loading rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbprun import registry
from lbprun.stats.groups import _fit_mixed

ASSOCIATION_COLUMNS = (
    "response", "predictor", "estimate", "ci_low", "ci_high", "p", "n_stances", "n_subjects",
)  # fmt: skip
# vGRF measures of the stance-level associations: the impact-phase peak and loading rates that
# Podraza & White (2010) relate to knee flexion at contact first, then the active peak
LOADING_RESPONSES = tuple(
    sorted(registry.names(family="vgrf"), key=lambda name: name == "active_peak_bw")
)


def _association(
    data: pd.DataFrame, response: str, predictor: str, formula: str, min_subjects: int
) -> dict:
    """Fit one stance-level mixed model and keep the predictor's row."""
    row = {"response": response, "predictor": predictor, "n_stances": len(data),
           "n_subjects": data["subject"].nunique(), "warning": ""}  # fmt: skip
    if row["n_subjects"] < min_subjects:
        # stances are not independent: with few subjects one runner's many stances decide
        # the slope and its p-value (3 subjects, 85 of 91 stances from one, gave p = 5e-11)
        most = data["subject"].value_counts().max() if len(data) else 0
        row["warning"] = (
            f"estimate left out: {row['n_subjects']} subject(s), fewer than the "
            f"{min_subjects} required (stats.association_min_subjects); the most stances "
            f"from one subject: {most} of {len(data)}"
        )
        return {**row, "note": "not fitted: too few subjects"}
    if row["n_subjects"] < 3 or data[predictor].nunique() < 2:
        return {**row, "note": "not fitted: fewer than three subjects or a constant predictor"}
    try:
        table, notes = _fit_mixed(formula, data)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**row, "note": f"not fitted: {exc}"}
    fixed = table.set_index("term").loc[predictor]
    return {**row, **fixed[["estimate", "ci_low", "ci_high", "p"]].to_dict(),
            "note": "; ".join(notes)}  # fmt: skip


def associations(
    stances: pd.DataFrame,
    subjects: pd.DataFrame,
    /,
    *,
    reference: str = "healthy",
    min_subjects: int = 10,
) -> pd.DataFrame:
    """Knee flexion at touchdown against impact peak and loading rates; speed against knee.

    Parameters
    ----------
    stances : DataFrame
        ``cohort/stances.csv``: one row per foot contact with ``subject``, ``knee_flex_td_deg``,
        the vGRF measures and (optionally) ``group`` and ``speed_mps``.
    subjects : DataFrame
        ``cohort/subjects.csv``; gives each subject's group when the stances lack it.
    reference : str
        Reference group for the group covariate.
    min_subjects : int
        Fewest subjects behind an estimate (config ``stats.association_min_subjects``,
        default 10); below it the estimate, CI and p are left out and ``warning`` says why.

    Returns
    -------
    DataFrame
        ``response``, ``predictor``, ``estimate``, ``ci_low``, ``ci_high``, ``p``,
        ``n_stances``, ``n_subjects`` (per estimate), ``note``, ``warning``. Rows: each of
        impact_peak_bw, valr_bw_s,
        vilr_bw_s, lr_3_12_bw_s, active_peak_bw ~ knee_flex_td_deg + group + (1 | subject)
        (Podraza & White 2010), then knee_flex_td_deg ~ speed_within_mps + (1 | subject),
        where speed is centred on each subject's mean so that the slope is the within-subject
        effect only (van de Pol & Wright 2009, Anim Behav 77:753).

    Examples
    --------
    Six runners, eight stances each; the impact peak falls by 0.02 BW per degree of knee flexion:

    >>> rng = np.random.default_rng(0)
    >>> stances = pd.DataFrame({"subject": np.repeat([f"s{i}" for i in range(6)], 8),
    ...                         "group": np.repeat(["healthy", "lbp"], 24),
    ...                         "knee_flex_td_deg": rng.uniform(5, 25, 48)})
    >>> knee = stances["knee_flex_td_deg"]
    >>> stances["impact_peak_bw"] = 2.0 - 0.02 * knee + rng.normal(0, 0.01, 48)
    >>> out = associations(stances, pd.DataFrame(), min_subjects=3)
    >>> out.loc[[0], ["response", "predictor", "n_subjects"]].to_dict("records")
    [{'response': 'impact_peak_bw', 'predictor': 'knee_flex_td_deg', 'n_subjects': 6}]
    >>> round(float(out.loc[0, "estimate"]), 3)
    -0.02
    """
    data = stances.copy()
    if "group" not in data:
        data["group"] = data["subject"].map(subjects.groupby("subject")["group"].first())
    group = f" + C(group, Treatment({reference!r}))" if data["group"].nunique() > 1 else ""
    rows = []
    for response in LOADING_RESPONSES:
        used = data.reindex(columns=["subject", "group", "knee_flex_td_deg", response]).dropna()
        formula = f"{response} ~ knee_flex_td_deg{group}"
        rows.append(_association(used.reset_index(drop=True), response, "knee_flex_td_deg",
                                 formula, min_subjects))  # fmt: skip
    speed = data.reindex(columns=["subject", "speed_mps", "knee_flex_td_deg"]).dropna()
    speed["speed_within_mps"] = speed["speed_mps"] - speed.groupby("subject")[
        "speed_mps"
    ].transform("mean")
    formula = "knee_flex_td_deg ~ speed_within_mps"
    speed = speed.reset_index(drop=True)
    rows.append(_association(speed, "knee_flex_td_deg", "speed_within_mps", formula, min_subjects))
    return pd.DataFrame(rows).reindex(columns=[*ASSOCIATION_COLUMNS, "note", "warning"])
