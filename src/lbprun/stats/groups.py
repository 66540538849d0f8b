"""Group comparisons on the cohort tables: Welch tests, mixed models, SPM of waveforms.

Each takes the subject × condition table of :mod:`lbprun.cohort` (or its waveforms) and returns
a tidy DataFrame with the columns of CONTRACT.md, computed by :mod:`lbprun.stats.arrays`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lbprun.cohort import conditions_of, waveform_matrix
from lbprun.stats.arrays import _flat_points, adjust_p, spm_ttest2, welch

GROUP_TEST_COLUMNS = (
    "outcome", "condition", "n_reference", "n_comparison", "mean_reference", "sd_reference",
    "mean_comparison", "sd_comparison", "diff", "diff_ci_low", "diff_ci_high", "hedges_g",
    "g_ci_low", "g_ci_high", "p", "p_adj", "test",
)  # fmt: skip
MIXED_COLUMNS = ("outcome", "term", "estimate", "se", "ci_low", "ci_high", "p", "note")
SPM_COLUMNS = ("waveform", "condition", "start_pct", "end_pct", "p", "method")


# --------------------------------------------------------------------------- group tests


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
