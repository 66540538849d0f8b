"""Which outcome separates the groups: LDA with leave-one-subject-out cross-validation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lbprun.stats.groups import conditions_of

DISCRIMINANT_COLUMNS = ("outcome", "coefficient", "importance", "accuracy", "auc")


def _lda(x: np.ndarray, is_comparison: np.ndarray, shrinkage: float):
    """Two-class Fisher LDA on standardised predictors: (weights, intercept, mean, sd).

    Plain numpy on purpose: for one or a few predictors LDA is the pooled within-group
    covariance solved against the difference of group means (Fisher 1936). The covariance is
    shrunk toward its diagonal (Friedman 1989) so that many correlated outcomes measured on few
    subjects still give a solvable system. Equal priors: the boundary sits midway between the
    projected group means.
    """
    mean, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    z = (x - mean) / sd
    mu0, mu1 = z[~is_comparison].mean(axis=0), z[is_comparison].mean(axis=0)
    resid = np.vstack([z[~is_comparison] - mu0, z[is_comparison] - mu1])
    cov = resid.T @ resid / max(len(z) - 2, 1)
    cov = (1.0 - shrinkage) * cov + shrinkage * np.diag(np.diag(cov))
    weights = np.linalg.lstsq(cov, mu1 - mu0, rcond=None)[0]
    return weights, -weights @ (mu0 + mu1) / 2.0, mean, sd


def _loso_scores(x, is_comparison, subjects, shrinkage) -> np.ndarray:
    """Discriminant score of each row from a model fitted without that row's subject."""
    scores = np.empty(len(x))
    for subject in np.unique(subjects):
        out = subjects == subject
        weights, intercept, mean, sd = _lda(x[~out], is_comparison[~out], shrinkage)
        scores[out] = ((x[out] - mean) / sd) @ weights + intercept
    return scores


def _auc(scores: np.ndarray, is_comparison: np.ndarray) -> float:
    """Area under the ROC curve as U / (n1 n2) of the Mann–Whitney test (ties count half).

    U is counted pair by pair (comparison score above reference score: 1, equal: 1/2), the
    same integer or half-integer as ``scipy.stats.mannwhitneyu(...).statistic`` (rank sums
    minus n1 (n1 + 1) / 2; tests/test_stats.py compares the two), without importing
    scipy.stats into the discriminant job (about 0.7 s of CPU; issue 16).

    Examples
    --------
    >>> _auc(np.array([0.1, 0.4, 0.4, 0.9]), np.array([False, False, True, True]))
    0.875
    """
    comparison, reference = scores[is_comparison], scores[~is_comparison]
    above = (comparison[:, None] > reference[None, :]).sum()
    ties = (comparison[:, None] == reference[None, :]).sum()
    u = above + 0.5 * ties
    return float(u / (is_comparison.sum() * (~is_comparison).sum()))


def _cross_validate(data, outcomes, is_comparison, shrinkage) -> dict:
    """LOSO accuracy and AUC of an LDA on the given outcome columns."""
    x = data[list(outcomes)].to_numpy(float)
    scores = _loso_scores(x, is_comparison, data["subject"].to_numpy(), shrinkage)
    accuracy = float(np.mean((scores > 0) == is_comparison))
    return {"accuracy": accuracy, "auc": _auc(scores, is_comparison)}


def _structure(data, outcomes, is_comparison, shrinkage) -> tuple[np.ndarray, np.ndarray]:
    """Standardised coefficients and structure coefficients of the all-outcome LDA.

    Structure coefficients are the pooled within-group correlations of each outcome with the
    discriminant score (Klecka 1980); unlike the coefficients they are not split between
    correlated outcomes, so their magnitude is reported as ``importance``.
    """
    x = data[list(outcomes)].to_numpy(float)
    weights, _, _, sd = _lda(x, is_comparison, shrinkage)
    z = x / sd
    for group in (True, False):
        z[is_comparison == group] -= z[is_comparison == group].mean(axis=0)
    within = np.atleast_2d(np.corrcoef(z, rowvar=False)) if len(outcomes) > 1 else np.ones((1, 1))
    structure = within @ weights / np.sqrt(weights @ within @ weights)
    return weights, np.abs(structure)


def discriminant(
    subjects: pd.DataFrame,
    /,
    *,
    outcomes: Sequence[str],
    reference: str = "healthy",
    comparison: str = "lbp",
    shrinkage: float = 0.1,
) -> pd.DataFrame:
    """Which outcome separates the groups: LDA with leave-one-subject-out cross-validation.

    Parameters
    ----------
    subjects : DataFrame
        One row per subject × condition; each condition is analysed on its own.
    outcomes : sequence of str
        Candidate discriminating outcomes.
    reference, comparison : str
        Group labels.
    shrinkage : float
        Weight of the diagonal in the shrunk covariance of the all-outcome model (0: plain LDA).

    Returns
    -------
    DataFrame
        Per condition, one row per outcome and a row ``outcome="all"``: ``outcome``,
        ``coefficient`` (standardised LDA coefficient in the all-outcome model, positive: higher
        in the comparison group), ``importance`` (|structure coefficient| in that model),
        ``accuracy`` and ``auc`` (leave-one-subject-out, of the single-outcome model on outcome
        rows and of the all-outcome model on the "all" row), then ``condition``,
        ``n_reference``, ``n_comparison``, ``method``. Subjects missing an outcome are left out
        of the models that use it.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject": [f"s{i}" for i in range(8)],
    ...     "group": ["healthy"] * 4 + ["lbp"] * 4, "condition": "run",
    ...     "pelvis_rot_rom_deg": [9.0, 10, 11, 10, 7, 8, 6, 7],
    ...     "cadence_steps_min": [160.0, 170, 165, 168, 166, 161, 169, 163]})
    >>> out = discriminant(subjects, outcomes=["pelvis_rot_rom_deg", "cadence_steps_min"])
    >>> out[["outcome", "accuracy"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'outcome': 'pelvis_rot_rom_deg', 'accuracy': 1.0},
     {'outcome': 'cadence_steps_min', 'accuracy': 0.25}, {'outcome': 'all', 'accuracy': 0.875}]
    """
    frames = []
    for condition in conditions_of(subjects):
        table = subjects.loc[(subjects["condition"] == condition)
                             & subjects["group"].isin([reference, comparison])]  # fmt: skip
        frame = _discriminant_condition(table, list(outcomes), comparison, shrinkage)
        frames.append(frame.assign(condition=condition, method="lda_loso"))
    columns = [*DISCRIMINANT_COLUMNS, "condition", "n_reference", "n_comparison", "method"]
    return pd.concat(frames, ignore_index=True).reindex(columns=columns)


def _discriminant_condition(table, outcomes, comparison, shrinkage) -> pd.DataFrame:
    """Single-outcome rows and the "all" row for one condition.

    Outcomes absent from the table or without any value in this condition (e.g. coordination
    measures of trials without thorax markers) get NaN and are left out of the "all" model.
    """
    present = [o for o in outcomes if o in table and table[o].notna().any()]
    rows = []
    for outcome in [*outcomes, "all"]:
        used = present if outcome == "all" else [outcome]
        row = {"outcome": outcome}
        if used and set(used) <= set(present):
            data = table.dropna(subset=used)
            is_comparison = (data["group"] == comparison).to_numpy()
            row.update(n_reference=int((~is_comparison).sum()),
                       n_comparison=int(is_comparison.sum()))  # fmt: skip
            if min(row["n_reference"], row["n_comparison"]) >= 2:
                row.update(_cross_validate(data, used, is_comparison, shrinkage))
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("outcome", drop=False)
    data = table.dropna(subset=present)
    is_comparison = (data["group"] == comparison).to_numpy()
    if present and min(is_comparison.sum(), (~is_comparison).sum()) >= 2:
        weights, importance = _structure(data, present, is_comparison, shrinkage)
        frame.loc[present, "coefficient"] = weights
        frame.loc[present, "importance"] = importance
    return frame.reset_index(drop=True)
