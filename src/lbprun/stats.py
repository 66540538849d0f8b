"""Group statistics on subject-level data (SCIENCE.md, Statistics).

Two layers, one implementation per quantity:

- on plain arrays (spm1d's grammar: test, then inference): :func:`welch_t`, :func:`hedges_g`
  and :func:`welch` on two 1-D samples, :func:`adjust_p` / :func:`holm` on a family of p-values,
  :func:`spm_ttest2` on two J × Q curve arrays, returning an :class:`SPMResult` with its
  supra-threshold :class:`SPMCluster` list;
- on the cohort tables: :func:`group_tests`, :func:`mixed_models`, :func:`spm_waveforms`,
  :func:`discriminant`, :func:`associations` take the subject × condition table of
  :mod:`lbprun.cohort` (or its waveforms or stances) and return a tidy DataFrame with the columns
  of CONTRACT.md, computed by the array functions above.

The subject is the unit of analysis throughout; strides are never treated as independent samples.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from lbprun import registry
from lbprun.cohort import waveform_matrix

GROUP_TEST_COLUMNS = (
    "outcome", "condition", "n_reference", "n_comparison", "mean_reference", "sd_reference",
    "mean_comparison", "sd_comparison", "diff", "diff_ci_low", "diff_ci_high", "hedges_g",
    "g_ci_low", "g_ci_high", "p", "p_adj", "test",
)  # fmt: skip
MIXED_COLUMNS = ("outcome", "term", "estimate", "se", "ci_low", "ci_high", "p", "note")
SPM_COLUMNS = ("waveform", "condition", "start_pct", "end_pct", "p", "method")
DISCRIMINANT_COLUMNS = ("outcome", "coefficient", "importance", "accuracy", "auc")
ASSOCIATION_COLUMNS = (
    "response", "predictor", "estimate", "ci_low", "ci_high", "p", "n_stances", "n_subjects",
)  # fmt: skip
# vGRF measures of the stance-level associations: the impact-phase peak and loading rates that
# Podraza & White (2010) relate to knee flexion at contact first, then the active peak
LOADING_RESPONSES = tuple(
    sorted(registry.names(family="vgrf"), key=lambda name: name == "active_peak_bw")
)
Z_975 = scipy.stats.norm.ppf(0.975)


def conditions_of(table: pd.DataFrame, /) -> list:
    """Conditions in the table's order (categorical order, else order of first appearance).

    Examples
    --------
    >>> conditions_of(pd.DataFrame({"condition": ["walk", "run", "walk"]}))
    ['walk', 'run']
    """
    column = table["condition"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [c for c in column.cat.categories if (column == c).any()]
    return list(pd.unique(column))


# --------------------------------------------------------------------------- group tests


def _two_samples(reference, comparison) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(reference, float), np.asarray(comparison, float)
    if x.ndim != 1 or y.ndim != 1 or min(len(x), len(y)) < 2:
        raise ValueError("each sample must be a 1-D array of at least two values.")
    return x, y


def welch_t(reference: np.ndarray, comparison: np.ndarray, /) -> dict:
    """Welch's unequal-variance t-test of comparison − reference, with the difference's 95 % CI.

    Parameters
    ----------
    reference, comparison : array_like, shape (n,)
        The two samples (at least two values each, no NaN).

    Returns
    -------
    dict
        ``diff`` (comparison − reference), ``diff_ci_low``, ``diff_ci_high`` (Welch–Satterthwaite
        degrees of freedom), ``t``, ``df``, ``p`` (two-sided, :func:`scipy.stats.ttest_ind`).

    Examples
    --------
    >>> out = welch_t([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])
    >>> round(float(out["t"]), 4), round(float(out["df"]), 1), round(float(out["p"]), 4)
    (2.4495, 4.0, 0.0705)
    """
    x, y = _two_samples(reference, comparison)
    n1, n2 = len(x), len(y)
    v1, v2 = x.var(ddof=1), y.var(ddof=1)
    diff = y.mean() - x.mean()
    se = np.sqrt(v1 / n1 + v2 / n2)
    df = se**4 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    half = scipy.stats.t.ppf(0.975, df) * se
    test = scipy.stats.ttest_ind(y, x, equal_var=False)
    return {"diff": diff, "diff_ci_low": diff - half, "diff_ci_high": diff + half,
            "t": test.statistic, "df": df, "p": test.pvalue}  # fmt: skip


def hedges_g(reference: np.ndarray, comparison: np.ndarray, /) -> dict:
    """Hedges' g of comparison − reference and its 95 % CI.

    Cohen's d on the pooled SD times the small-sample correction J = 1 − 3 / (4 (n1 + n2) − 9);
    the CI uses the large-sample variance of Hedges & Olkin (1985),
    var(d) = (n1 + n2) / (n1 n2) + d² / (2 (n1 + n2)), scaled by J² (Borenstein et al. 2009,
    Introduction to Meta-Analysis, eq. 4.20–4.24).

    Returns
    -------
    dict
        ``hedges_g``, ``g_ci_low``, ``g_ci_high``.

    Examples
    --------
    d = 2 / 1, J = 1 − 3 / 15 = 0.8, SE = 0.8 · sqrt(6 / 9 + 4 / 12) = 0.8:

    >>> out = hedges_g([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])
    >>> [round(float(v), 3) for v in out.values()]
    [1.6, 0.032, 3.168]
    """
    x, y = _two_samples(reference, comparison)
    n1, n2 = len(x), len(y)
    v1, v2 = x.var(ddof=1), y.var(ddof=1)
    d = (y.mean() - x.mean()) / np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
    se_g = j * np.sqrt((n1 + n2) / (n1 * n2) + d**2 / (2.0 * (n1 + n2)))
    return {"hedges_g": j * d, "g_ci_low": j * d - Z_975 * se_g, "g_ci_high": j * d + Z_975 * se_g}


def welch(reference: np.ndarray, comparison: np.ndarray, /) -> dict:
    """Welch comparison of two samples: :func:`welch_t`, :func:`hedges_g` and a rank check.

    Returns
    -------
    dict
        ``diff``, ``diff_ci_low``, ``diff_ci_high``, ``hedges_g``, ``g_ci_low``, ``g_ci_high``,
        ``t``, ``df``, ``p`` and ``p_mannwhitney`` (two-sided Mann–Whitney U, as a check).

    Examples
    --------
    >>> out = welch(np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0, 5.0]))
    >>> round(float(out["diff"]), 3), round(float(out["hedges_g"]), 3)
    (2.0, 1.6)
    """
    t = welch_t(reference, comparison)
    x, y = _two_samples(reference, comparison)
    return {
        **{k: t[k] for k in ("diff", "diff_ci_low", "diff_ci_high")},
        **hedges_g(reference, comparison),
        **{k: t[k] for k in ("t", "df", "p")},
        "p_mannwhitney": scipy.stats.mannwhitneyu(y, x, alternative="two-sided").pvalue,
    }


def adjust_p(p: np.ndarray, /, method: str = "holm") -> np.ndarray:
    """Adjust one family of p-values for multiple comparisons; NaN stays NaN, out of the family.

    Parameters
    ----------
    p : array_like, shape (m,)
        p-values; NaN marks a test that was not run.
    method : {"holm", "fdr_bh", "bonferroni", ...}
        Any method of :func:`statsmodels.stats.multitest.multipletests`.

    Returns
    -------
    ndarray, shape (m,)

    Examples
    --------
    >>> adjust_p([0.01, np.nan, 0.04, 0.03]).tolist()
    [0.03, nan, 0.06, 0.06]
    """
    # imported here, as in _fit_mixed: the figure jobs import this module for conditions_of,
    # and statsmodels would add about 0.5 s of CPU to each of them (issue 16)
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    if finite.any():
        adjusted[finite] = multipletests(p[finite], method=method)[1]
    return adjusted


def holm(p: np.ndarray, /) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979), NaN left out of the family.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    return adjust_p(p, method="holm")


def _describe(values: np.ndarray, suffix: str) -> dict:
    return {
        f"n_{suffix}": len(values),
        f"mean_{suffix}": values.mean() if len(values) else np.nan,
        f"sd_{suffix}": values.std(ddof=1) if len(values) > 1 else np.nan,
    }


def _one_test(table: pd.DataFrame, outcome: str, groups: tuple[str, str]) -> dict:
    """One outcome in one condition; NaN statistics when a group has fewer than 2 values."""
    values = [
        table.loc[table["group"] == g, outcome].dropna().to_numpy(float) if outcome in table
        else np.array([]) for g in groups
    ]  # fmt: skip
    row = {**_describe(values[0], "reference"), **_describe(values[1], "comparison")}
    if min(len(v) for v in values) >= 2:
        row.update(welch(*values))
    return row


def group_tests(
    subjects: pd.DataFrame,
    /,
    *,
    outcomes: Sequence[str],
    reference: str = "healthy",
    comparison: str = "lbp",
    correction: str = "holm",
) -> pd.DataFrame:
    """Per condition, compare the groups on each outcome (subject-level values).

    Parameters
    ----------
    subjects : DataFrame
        One row per subject × condition with ``group``, ``condition`` and the outcome columns.
    outcomes : sequence of str
        The outcome family.
    reference, comparison : str
        Group labels; differences and effect sizes are comparison − reference.
    correction : {"holm", "fdr_bh"}
        Multiple-comparison correction (:func:`statsmodels.stats.multitest.multipletests`).

    Returns
    -------
    DataFrame
        Columns of CONTRACT.md (``stats/group_tests.csv``) then ``t``, ``df``,
        ``p_mannwhitney`` (a rank-based check), ``correction``, ``reference``, ``comparison``.

    Notes
    -----
    The family for the correction is the outcomes tested within one condition: each condition
    answers its own question (Müller et al. 2015 test walking and running separately), so p is
    adjusted across outcomes, not across conditions. Outcomes without a test (a group with fewer
    than two subjects) are left out of the family and get NaN.

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject": [f"s{i}" for i in range(8)],
    ...                          "group": ["healthy"] * 4 + ["lbp"] * 4, "condition": "run",
    ...                          "pelvis_rot_rom_deg": [9.0, 10, 11, 10, 7, 8, 6, 7]})
    >>> out = group_tests(subjects, outcomes=["pelvis_rot_rom_deg"])
    >>> out[["n_reference", "mean_reference", "mean_comparison", "diff"]].to_dict("records")
    [{'n_reference': 4, 'mean_reference': 10.0, 'mean_comparison': 7.0, 'diff': -3.0}]
    """
    rows = []
    for condition in conditions_of(subjects):
        table = subjects.loc[subjects["condition"] == condition]
        block = pd.DataFrame(
            [{"outcome": o, "condition": condition,
              **_one_test(table, o, (reference, comparison))} for o in outcomes]
        )  # fmt: skip
        block["p_adj"] = _adjust(block.get("p", pd.Series(np.nan, index=block.index)), correction)
        rows.append(block)
    result = pd.concat(rows, ignore_index=True)
    extra = ["t", "df", "p_mannwhitney"]
    result = result.reindex(columns=[*GROUP_TEST_COLUMNS, *extra])
    result["test"] = "welch_t"
    return result.assign(correction=correction, reference=reference, comparison=comparison)


def _adjust(p: pd.Series, method: str) -> pd.Series:
    """Adjust p over the finite p-values of one family (NaN stays NaN)."""
    return pd.Series(adjust_p(p.to_numpy(float), method=method), index=p.index)


# --------------------------------------------------------------------------- mixed models


def _clean_term(term: str) -> str:
    """Shorten patsy names: ``C(group, Treatment('healthy'))[T.lbp]`` → ``group[T.lbp]``."""
    return re.sub(r"C\((\w+)(?:, Treatment\([^)]*\))?\)", r"\1", term)


def _formula(outcome: str, data: pd.DataFrame, covariates: Sequence[str], reference: str):
    """Right-hand side ``group * condition + covariates`` (condition dropped if constant)."""
    terms = [f"C(group, Treatment({reference!r}))"]
    if data["condition"].nunique() > 1:
        first = conditions_of(data)[0]
        terms = [f"{terms[0]} * C(condition, Treatment({first!r}))"]
    for name in covariates:
        numeric = pd.api.types.is_numeric_dtype(data[name])
        terms.append(name if numeric else f"C({name})")
    return f"{outcome} ~ {' + '.join(terms)}"


def _variance_rows(fit) -> pd.DataFrame:
    """Subject and residual variance (outcome units²) and the ICC, without SE, CI or p.

    statsmodels' ``params["Group Var"]`` is ``cov_re / scale``, a ratio in its profiled
    parametrisation: its Wald CI and p-value are no test of anything a reader would ask. The
    variances themselves are ``cov_re`` and ``scale``; the ICC is the share of subjects.
    """
    subject_var = float(np.asarray(fit.cov_re)[0, 0])
    residual_var = float(fit.scale)
    total = subject_var + residual_var
    return pd.DataFrame(
        {"term": ["subject_var", "residual_var", "icc"],
         "estimate": [subject_var, residual_var, subject_var / total if total > 0 else np.nan]}
    )  # fmt: skip


def _fit_mixed(formula: str, data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Fit a random-intercept MixedLM by REML; warnings are returned, never raised."""
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = smf.mixedlm(formula, data, groups=data["subject"])
        fit = model.fit(reml=True)
        fixed = fit.fe_params.index
        ci = fit.conf_int().loc[fixed]
        table = pd.DataFrame(
            {"term": fixed, "estimate": fit.fe_params.to_numpy(),
             "se": fit.bse[fixed].to_numpy(), "ci_low": ci[0].to_numpy(),
             "ci_high": ci[1].to_numpy(), "p": fit.pvalues[fixed].to_numpy()}
        )  # fmt: skip
        table = pd.concat([table, _variance_rows(fit)], ignore_index=True)
    notes = sorted({str(w.message).split("\n")[0] for w in caught
                    if issubclass(w.category, ConvergenceWarning | RuntimeWarning)})  # fmt: skip
    return table, notes


def mixed_models(
    subjects: pd.DataFrame,
    /,
    *,
    outcomes: Sequence[str],
    covariates: Sequence[str] = (),
    reference: str = "healthy",
) -> pd.DataFrame:
    """Linear mixed model ``outcome ~ group * condition + covariates + (1 | subject)`` per outcome.

    Parameters
    ----------
    subjects : DataFrame
        One row per subject × condition (``subject``, ``group``, ``condition``, outcomes,
        covariates).
    outcomes : sequence of str
        One model per outcome.
    covariates : sequence of str
        Extra fixed effects (numeric columns enter as numbers, others as categories).
    reference : str
        Reference group of the treatment coding; the first condition is the reference
        condition.

    Returns
    -------
    DataFrame
        ``outcome``, ``term``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p``, ``note``.
        Terms are patsy names shortened to ``group[T.lbp]``, ``condition[T.run]``,
        ``group[T.lbp]:condition[T.run]``; then ``subject_var`` and ``residual_var`` (REML
        variances of the random intercept and the residual, in outcome units²) and ``icc``
        (subject variance over the total), with no SE, CI or p. ``note``
        carries convergence warnings (e.g. a singular fit) or the reason a model could not be
        fitted; the function never raises for a fit that fails.

    Examples
    --------
    Eight runners at two speeds; the lbp group's cadence is 4 steps/min lower:

    >>> rng = np.random.default_rng(0)
    >>> subjects = pd.DataFrame({"subject": np.repeat([f"s{i}" for i in range(8)], 2),
    ...                          "group": np.repeat(["healthy", "lbp"], 8),
    ...                          "condition": ["slow", "fast"] * 8})
    >>> subjects["cadence_steps_min"] = (160.0 + 5 * (subjects["condition"] == "fast")
    ...     - 4 * (subjects["group"] == "lbp") + np.repeat(rng.normal(0, 2, 8), 2)
    ...     + rng.normal(0, 0.5, 16))
    >>> fit = mixed_models(subjects, outcomes=["cadence_steps_min"]).set_index("term")
    >>> fit.index.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['Intercept', 'group[T.lbp]', 'condition[T.fast]', 'group[T.lbp]:condition[T.fast]',
     'subject_var', 'residual_var', 'icc']
    >>> round(float(fit.loc["condition[T.fast]", "estimate"]))
    5
    """
    frames = []
    for outcome in outcomes:
        columns = ["subject", "group", "condition", outcome, *covariates]
        data = subjects.reindex(columns=columns).dropna().reset_index(drop=True)
        order = conditions_of(data) if len(data) else []
        # plain labels: unused categories would become all-zero (singular) design columns
        data["condition"] = pd.Categorical(data["condition"].astype(str),
                                           categories=[str(c) for c in order])  # fmt: skip
        try:
            missing = [c for c in columns if c not in subjects]
            if missing:
                raise ValueError(f"column(s) {', '.join(missing)} missing")
            if data["group"].nunique() < 2 or data["subject"].nunique() < 3:
                raise ValueError("fewer than two groups or three subjects with this outcome")
            table, notes = _fit_mixed(_formula(outcome, data, covariates, reference), data)
        except (ValueError, np.linalg.LinAlgError, KeyError) as exc:
            table, notes = pd.DataFrame({"term": [None]}), [f"not fitted: {exc}"]
        table["term"] = [_clean_term(t) if isinstance(t, str) else t for t in table["term"]]
        frames.append(table.assign(outcome=outcome, note="; ".join(notes)))
    return pd.concat(frames, ignore_index=True).reindex(columns=list(MIXED_COLUMNS))


# --------------------------------------------------------------------------- SPM


def welch_df(y_a: np.ndarray, y_b: np.ndarray, /) -> float:
    """Degrees of freedom of spm1d's unequal-variance two-sample SPM{t}, without J × J matrices.

    spm1d (``ttest2(equal_var=False)``, after SPM8's ``spm_reml``; Friston et al. 2002,
    NeuroImage 16:465) estimates one variance per group by Fisher scoring over J × J
    covariance matrices (J subjects): memory grows with J² and time with J³. With one identity
    component per group, every matrix of that iteration is block-diagonal, each block a scalar
    times the group's centring matrix, so the same iteration (start, damping, hyper-prior,
    stopping rule) runs on two scalars. The result equals spm1d's to rounding.

    Parameters
    ----------
    y_a, y_b : ndarray
        The two groups' curves, (subjects, nodes).

    Returns
    -------
    float
        Effective degrees of freedom trace(RV)² / trace(RVRV).

    Examples
    --------
    Two groups of ten curves with equal spread: close to the pooled n1 + n2 − 2 = 18.

    >>> y = np.random.default_rng(0).normal(0, 1, (20, 101))
    >>> round(welch_df(y[:10], y[10:]))
    18
    """
    sizes = np.array([len(y_a), len(y_b)], dtype=float)
    residuals = [np.asarray(y, dtype=float) - np.mean(y, axis=0) for y in (y_a, y_b)]
    # spm1d whitens each node by its residual SD before pooling over nodes
    scale = (sizes.sum() - 2) / sum((r**2).sum(axis=0) for r in residuals)
    spread = np.array([(r**2 * scale).sum() / r.shape[1] for r in residuals])
    h, prior = np.ones(2), np.exp(-32.0)
    for k in range(128):
        a = 1.0 / h + prior
        gradient = -0.5 * (a * (sizes - 1) - a**2 * spread) - prior * h
        curvature = -0.5 * a**2 * (sizes - 1) - prior
        step = -gradient / curvature / np.log(k + 3)
        h = h + step
        if gradient @ step < 0.1:
            break
    v = h * sizes.sum() / (h @ sizes)
    return float((v @ (sizes - 1)) ** 2 / (v**2 @ (sizes - 1)))


@dataclass(frozen=True)
class SPMCluster:
    """One supra-threshold cluster of an SPM{t}, in % of the cycle.

    Attributes
    ----------
    start_pct, end_pct : float
        Where the cluster begins and ends (interpolated threshold crossings, 0–100 %).
    p : float
        Cluster-level p-value.
    sign : int
        +1 where the comparison group is higher, −1 where it is lower.
    t_max : float
        Largest |t| inside the cluster.
    """

    start_pct: float
    end_pct: float
    p: float
    sign: int
    t_max: float


@dataclass(frozen=True)
class SPMResult:
    """A two-sample SPM{t} after inference (spm1d's ``SPM_T.inference``).

    Attributes
    ----------
    t : ndarray, shape (Q,)
        The t curve, positive where the comparison group is higher.
    threshold : float
        Critical |t| at ``alpha`` (two-tailed).
    df : float
        Degrees of freedom (Welch's, parametric test; NaN for the permutation test).
    alpha : float
        Family-wise error rate over the continuum.
    method : str
        ``"parametric"`` or ``"nonparametric"``.
    clusters : tuple of SPMCluster
        Supra-threshold clusters, in order along the cycle.
    n_reference, n_comparison : int
        Curves per group.
    """

    t: np.ndarray
    threshold: float
    df: float
    alpha: float
    method: str
    clusters: tuple[SPMCluster, ...]
    n_reference: int
    n_comparison: int


def _flat_points(*curves: np.ndarray) -> list[int]:
    """Nodes where any group's curves are all equal (spm1d cannot estimate smoothness there)."""
    return sorted({int(i) for y in curves for i in np.flatnonzero(np.ptp(y, axis=0) == 0)})


def _spm_inference(y_comparison, y_reference, *, alpha, method, iterations):
    """Run one spm1d two-sample test; return its inference object."""
    import spm1d  # slow import: only when SPM is asked for

    if method == "parametric":
        # spm1d's Welch SPM{t} is its pooled-variance t with ReML degrees of freedom; the ReML
        # runs on J x J matrices (1 GB and 11 s per test at 1,500 subjects per group), so the
        # same t is taken from the equal-variance test and the df from welch_df (identical).
        spm = spm1d.stats.ttest2(y_comparison, y_reference, equal_var=True)
        spm.df = (1, welch_df(y_comparison, y_reference))
        return spm.inference(alpha, two_tailed=True)
    if method == "nonparametric":
        spm = spm1d.stats.nonparam.ttest2(y_comparison, y_reference)
        total = spm.permuter.nPermTotal
        n_iter = -1 if total <= iterations else iterations  # -1: every permutation
        return spm.inference(alpha, two_tailed=True, iterations=n_iter)
    raise ValueError(f"unknown SPM method {method!r} (parametric or nonparametric).")


def spm_ttest2(
    reference: np.ndarray,
    comparison: np.ndarray,
    /,
    *,
    alpha: float = 0.05,
    method: str = "parametric",
    iterations: int = 1000,
) -> SPMResult:
    """Two-sample SPM{t} of comparison vs reference curves, with inference (spm1d).

    Parameters
    ----------
    reference, comparison : array_like, shape (J, Q)
        One curve per subject (J subjects, Q nodes spanning 0–100 % of the cycle), complete
        (no NaN), at least two per group.
    alpha : float
        Family-wise error rate over the continuum (two-tailed).
    method : {"parametric", "nonparametric"}
        Random field theory inference with unequal variances (spm1d's
        ``ttest2(equal_var=False)``, its Welch degrees of freedom computed by :func:`welch_df`)
        or permutation inference (``spm1d.stats.nonparam.ttest2``).
    iterations : int
        Permutations of the non-parametric test (every permutation when fewer exist); they
        are drawn from numpy's global generator, as spm1d does: seed it for reproducible p.

    Returns
    -------
    SPMResult

    Raises
    ------
    ValueError
        A group has fewer than two curves, a curve has NaN, the shapes differ, or a group has
        zero variance at some node (spm1d cannot estimate the smoothness there).

    Examples
    --------
    Eight sine curves of random amplitude per group, the comparison's raised by a bump of
    3 units at mid-cycle (above 1 unit from 40 % to 60 %):

    >>> rng = np.random.default_rng(0)
    >>> q = np.linspace(0, 1, 101)
    >>> def curves():
    ...     return rng.normal(0, 1, (8, 1)) * np.sin(2 * np.pi * q) + rng.normal(0, 0.2, (8, 101))
    >>> ref, cmp = curves(), curves() + 3.0 * np.exp(-(((q - 0.5) / 0.1) ** 2))
    >>> spm = spm_ttest2(ref, cmp)
    >>> [(round(c.start_pct), round(c.end_pct), c.sign) for c in spm.clusters]
    [(40, 61, 1)]
    >>> bool(spm.clusters[0].p < 0.05), spm.n_reference, spm.t.shape
    (True, 8, (101,))
    """
    y_ref, y_cmp = np.asarray(reference, float), np.asarray(comparison, float)
    if y_ref.ndim != 2 or y_cmp.ndim != 2 or y_ref.shape[1] != y_cmp.shape[1]:
        raise ValueError("curves must be two (subjects × nodes) arrays with the same nodes.")
    if min(len(y_ref), len(y_cmp)) < 2 or not (
        np.isfinite(y_ref).all() and np.isfinite(y_cmp).all()
    ):
        raise ValueError("each group needs at least two complete curves (no NaN).")
    flat = _flat_points(y_ref, y_cmp)
    if flat:
        raise ValueError(f"a group has zero variance at {len(flat)} of {y_ref.shape[1]} points.")
    test = {"alpha": alpha, "method": method, "iterations": iterations}
    inference = _spm_inference(y_cmp, y_ref, **test)
    scale = 100.0 / (y_ref.shape[1] - 1)  # node index -> % of cycle
    clusters = []
    for cluster in inference.clusters:
        start, end = cluster.endpoints
        inside = inference.z[int(np.floor(start)) : int(np.ceil(end)) + 1]
        clusters.append(SPMCluster(start * scale, end * scale, cluster.P, cluster.csign,
                                   float(np.max(np.abs(inside)))))  # fmt: skip
    df = getattr(inference, "df", (1, np.nan))[1]  # a permutation test has none
    return SPMResult(
        t=np.asarray(inference.z), threshold=inference.zstar, df=float(df),
        alpha=alpha, method=method, clusters=tuple(clusters), n_reference=len(y_ref),
        n_comparison=len(y_cmp),
    )  # fmt: skip


def spm_waveforms(
    waves: pd.DataFrame,
    /,
    *,
    reference: str = "healthy",
    comparison: str = "lbp",
    alpha: float = 0.05,
    method: str = "parametric",
    iterations: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """SPM{t} two-sample test of comparison vs reference per waveform and condition (spm1d).

    Each waveform × condition is one :func:`spm_ttest2` on the complete subject curves of the
    two groups; a block with fewer than two curves in a group is skipped, one with zero variance
    at some point is skipped with a RuntimeWarning saying so.

    Parameters
    ----------
    waves : DataFrame
        Subject × condition mean waveforms (``cohort/waveforms.parquet``): ``group``,
        ``condition``, ``waveform`` and ``pct_000`` … ``pct_100``.
    reference, comparison : str
        Group labels; the SPM{t} is positive where the comparison group is higher.
    alpha : float
        Family-wise error rate over the continuum (two-tailed).
    method : {"parametric", "nonparametric"}
        Random field theory inference with unequal variances (``spm1d.stats.ttest2``,
        ``equal_var=False``, like the Welch tests of the discrete outcomes) or permutation
        inference (``spm1d.stats.nonparam.ttest2``).
    iterations : int
        Permutations of the non-parametric test (every permutation when fewer exist).
    seed : int
        Seed of the non-parametric test, which draws from numpy's global generator: its state
        is set and then restored, so results are reproducible.

    Returns
    -------
    DataFrame
        One row per supra-threshold cluster: ``waveform``, ``condition``, ``start_pct``,
        ``end_pct``, ``p``, ``method``, then ``sign`` (+1 comparison higher), ``t_max``
        (largest |t| in the cluster), ``threshold``, ``n_reference``, ``n_comparison``. Empty
        (with these columns) when no cluster exceeds the threshold.

    Examples
    --------
    The curves of :func:`spm_ttest2`'s example as a waveforms table:

    >>> rng = np.random.default_rng(0)
    >>> q = np.linspace(0, 1, 101)
    >>> def curves():
    ...     return rng.normal(0, 1, (8, 1)) * np.sin(2 * np.pi * q) + rng.normal(0, 0.2, (8, 101))
    >>> y = np.vstack([curves(), curves() + 3.0 * np.exp(-(((q - 0.5) / 0.1) ** 2))])
    >>> waves = pd.DataFrame(y, columns=[f"pct_{i:03d}" for i in range(101)]).assign(
    ...     group=["healthy"] * 8 + ["lbp"] * 8, condition="run", waveform="pelvis_rot_deg")
    >>> out = spm_waveforms(waves)
    >>> out[["waveform", "start_pct", "end_pct", "sign"]].round().to_dict("records")
    [{'waveform': 'pelvis_rot_deg', 'start_pct': 40.0, 'end_pct': 61.0, 'sign': 1}]
    """
    rows = []
    # spm1d's permutation test draws from numpy's legacy global generator, so that generator
    # (and only it) is seeded here and restored afterwards.
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(seed)  # noqa: NPY002
        for (waveform, condition), block in _waveform_blocks(waves):
            test = {"alpha": alpha, "method": method, "iterations": iterations}
            ids = {"waveform": waveform, "condition": condition}
            rows += _spm_rows(block, (reference, comparison), test, ids)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    extra = ["sign", "t_max", "threshold", "n_reference", "n_comparison"]
    return pd.DataFrame(rows, columns=[*SPM_COLUMNS, *extra])


def _waveform_blocks(waves: pd.DataFrame):
    """(waveform, condition) pairs in order, each with its rows."""
    for waveform in pd.unique(waves["waveform"]):
        one = waves.loc[waves["waveform"] == waveform]
        for condition in conditions_of(one):
            yield (waveform, condition), one.loc[one["condition"] == condition]


def _spm_rows(block: pd.DataFrame, groups: tuple, test: dict, ids: dict) -> list[dict]:
    """Clusters of one waveform × condition as rows (none if a group has < 2 curves)."""
    y = [waveform_matrix(block.loc[block["group"] == g]) for g in groups]
    y = [m[np.isfinite(m).all(axis=1)] for m in y]
    if min(len(m) for m in y) < 2:
        return []
    flat = _flat_points(*y)
    if flat:  # spm1d cannot estimate smoothness there; say so, the cohort goes on
        warnings.warn(f"SPM of {ids['waveform']} ({ids['condition']}) not run: a group has "
                      f"zero variance at {len(flat)} of {y[0].shape[1]} points.",
                      RuntimeWarning, stacklevel=3)  # fmt: skip
        return []
    spm = spm_ttest2(y[0], y[1], **test)
    return [{**ids, "start_pct": c.start_pct, "end_pct": c.end_pct, "p": c.p,
             "method": spm.method, "sign": c.sign, "t_max": c.t_max, "threshold": spm.threshold,
             "n_reference": spm.n_reference, "n_comparison": spm.n_comparison}
            for c in spm.clusters]  # fmt: skip


# --------------------------------------------------------------------------- discriminant


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
    """Area under the ROC curve as U / (n1 n2) of the Mann–Whitney test (ties count half)."""
    u = scipy.stats.mannwhitneyu(scores[is_comparison], scores[~is_comparison]).statistic
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


# --------------------------------------------------------------------------- associations


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
