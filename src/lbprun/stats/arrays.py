"""Statistics on plain arrays (spm1d's grammar: a test, then its inference).

Two 1-D samples: :func:`welch_t`, :func:`hedges_g`, :func:`welch`; a family of p-values:
:func:`adjust_p`, :func:`holm`; two J × Q curve arrays: :func:`spm_ttest2` (with
:func:`welch_df`), returning an :class:`SPMResult` and its :class:`SPMCluster` list. The
cohort-table functions of :mod:`lbprun.stats` are computed by these, one implementation each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# scipy.stats.norm.ppf(0.975), written out: scipy.stats is imported by the functions that need
# it, not by every job importing lbprun.stats (about 0.7 s of CPU each; issue 16).
# tests/test_stats.py checks the two are the same float.
Z_975 = 1.959963984540054


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
    import scipy.stats  # here, see Z_975

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
    import scipy.stats  # here, see Z_975

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
    # imported here, as in groups._fit_mixed: the figure jobs import lbprun.stats (conditions_of),
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
