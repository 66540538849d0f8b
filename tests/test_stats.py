"""Group statistics against planted effects, hand-computed values, scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from scipy.ndimage import gaussian_filter1d
from statsmodels.stats.multitest import multipletests

from lbprun import stats
from lbprun.cohort import WAVE_COLUMNS
from lbprun.stats import lda

PLANTED_DIFF = 5.0  # lbp − healthy on "planted", SD 2 -> true d = 2.5


def _subjects(seed=1, n=20, interaction=0.0):
    """Subject × condition table: "planted" differs by group, "null_a"/"null_b" do not."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(2 * n):
        group = "healthy" if i < n else "lbp"
        subject_offset = rng.normal(0, 1.5)
        for condition in ("walk", "run"):
            lbp = group == "lbp"
            rows.append({
                "subject": f"s{i:02d}", "group": group, "condition": condition,
                "planted": 20 + PLANTED_DIFF * lbp + rng.normal(0, 2),
                "null_a": 10 + rng.normal(0, 2), "null_b": 3 + rng.normal(0, 1),
                "mixed": 10 + subject_offset + 2 * (condition == "run") + 1 * lbp
                + interaction * (lbp and condition == "run") + rng.normal(0, 1),
                "age": rng.integers(20, 60),
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_group_tests_find_planted_difference_and_not_the_nulls():
    result = stats.group_tests(_subjects(), outcomes=["planted", "null_a", "null_b"])
    assert list(result.columns[:17]) == list(stats.GROUP_TEST_COLUMNS)
    assert list(result["condition"].unique()) == ["walk", "run"]
    planted = result[result["outcome"] == "planted"]
    assert (planted["diff"] > 0).all() and (planted["hedges_g"] > 0).all()
    assert (
        (planted["diff_ci_low"] < PLANTED_DIFF) & (planted["diff_ci_high"] > PLANTED_DIFF)
    ).all()
    assert ((planted["g_ci_low"] < 2.5) & (planted["g_ci_high"] > 2.5)).all()
    assert (planted["p_adj"] < 0.001).all()
    nulls = result[result["outcome"] != "planted"]
    assert (nulls["p_adj"] > 0.05).all()
    assert (planted["n_reference"] == 20).all() and (planted["test"] == "welch_t").all()


def test_hedges_g_matches_hand_computation():
    # pooled SD 1, d = 2, J = 1 − 3/(4·6 − 9) = 0.8 -> g = 1.6;
    # var(d) = 6/9 + 4/12 = 1 -> SE(g) = 0.8
    out = stats.welch(np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0, 5.0]))
    assert out["hedges_g"] == pytest.approx(1.6)
    assert out["g_ci_low"] == pytest.approx(1.6 - 1.959964 * 0.8, abs=1e-6)
    assert out["g_ci_high"] == pytest.approx(1.6 + 1.959964 * 0.8, abs=1e-6)


def test_welch_p_and_ci_match_scipy():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 1, 12), rng.normal(1, 3, 7)
    out = stats.welch(x, y)
    ref = scipy.stats.ttest_ind(y, x, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert out["p"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert (out["diff_ci_low"], out["diff_ci_high"]) == pytest.approx((ci.low, ci.high))
    mw = scipy.stats.mannwhitneyu(y, x, alternative="two-sided").pvalue
    assert out["p_mannwhitney"] == pytest.approx(mw)


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_correction_matches_statsmodels_within_each_condition(method):
    result = stats.group_tests(_subjects(), outcomes=["planted", "null_a", "null_b"],
                               correction=method)  # fmt: skip
    for _, block in result.groupby("condition"):
        expected = multipletests(block["p"].to_numpy(), method=method)[1]
        np.testing.assert_allclose(block["p_adj"].to_numpy(), expected)


def test_group_with_one_subject_gives_nan_not_an_error():
    subjects = _subjects(n=3).query("group == 'healthy' or subject == 's03'")
    result = stats.group_tests(subjects, outcomes=["planted"])
    assert result["p"].isna().all() and (result["n_comparison"] == 1).all()


def test_mixed_model_recovers_planted_interaction():
    result = stats.mixed_models(_subjects(interaction=4.0), outcomes=["mixed"], covariates=["age"])
    assert list(result.columns) == list(stats.MIXED_COLUMNS)
    terms = result.set_index("term")
    inter = terms.loc["group[T.lbp]:condition[T.run]"]
    assert inter["ci_low"] < 4.0 < inter["ci_high"] and inter["p"] < 0.001
    assert terms.loc["condition[T.run]", "ci_low"] < 2.0 < terms.loc["condition[T.run]", "ci_high"]
    assert "age" in terms.index
    null = stats.mixed_models(_subjects(interaction=0.0), outcomes=["mixed"]).set_index("term")
    assert null.loc["group[T.lbp]:condition[T.run]", "p"] > 0.05


def test_mixed_model_reports_variances_in_outcome_units_not_a_ratio():
    # issue 11 defect 3: main wrote statsmodels' "Group Var" (cov_re / scale, a ratio) as a
    # coefficient with a Wald CI and p. Planted: subject SD 1.5 (var 2.25), residual SD 1.
    subjects = _subjects(n=40)
    terms = stats.mixed_models(subjects, outcomes=["mixed"]).set_index("term")
    assert "Group Var" not in terms.index
    sv, rv, icc = (terms.loc[t, "estimate"] for t in ("subject_var", "residual_var", "icc"))
    assert 1.4 < sv < 3.3 and 0.7 < rv < 1.4
    assert icc == pytest.approx(sv / (sv + rv))
    variance_rows = terms.loc[["subject_var", "residual_var", "icc"]]
    assert variance_rows[["se", "ci_low", "ci_high", "p"]].isna().all().all()
    # in outcome units²: ten times the outcome gives 100 times the variances, the same ICC
    subjects["mixed"] *= 10.0
    tenfold = stats.mixed_models(subjects, outcomes=["mixed"]).set_index("term")
    assert tenfold.loc["subject_var", "estimate"] == pytest.approx(100 * sv, rel=1e-4)
    assert tenfold.loc["residual_var", "estimate"] == pytest.approx(100 * rv, rel=1e-4)
    assert tenfold.loc["icc", "estimate"] == pytest.approx(icc, rel=1e-4)


def test_mixed_model_singular_fit_is_noted_not_raised():
    # no between-subject variance at all: the random-intercept variance sits on its boundary
    subjects = _subjects()
    subjects["flat"] = np.where(subjects["group"] == "lbp", 1.0, 0.0) + np.tile([0.0, 0.5], 40)
    result = stats.mixed_models(subjects, outcomes=["flat", "missing_outcome"])
    assert result.loc[result["outcome"] == "flat", "note"].str.len().gt(0).all()
    assert (
        result.loc[result["outcome"] == "missing_outcome", "note"]
        .str.startswith("not fitted")
        .all()
    )


def _waves(seed=0, n=10, bump=3.0):
    """Smooth random curves; lbp pelvis curves carry a bump centred at 50 % (40–60 %)."""
    rng = np.random.default_rng(seed)
    pct = np.arange(101)
    bump_curve = bump * np.exp(-0.5 * ((pct - 50) / 5.0) ** 2)
    rows = []
    for waveform in ("pelvis_rot_deg", "thorax_rot_deg"):
        for i in range(2 * n):
            group = "healthy" if i < n else "lbp"
            noise = gaussian_filter1d(rng.normal(0, 1, 101), 5) * 4
            curve = 10 * np.sin(2 * np.pi * pct / 100) + noise
            if waveform == "pelvis_rot_deg" and group == "lbp":
                curve = curve + bump_curve
            rows.append([f"s{i:02d}", group, "run", waveform, *curve])
    columns = ["subject", "group", "condition", "waveform", *WAVE_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.parametrize("method", ["parametric", "nonparametric"])
def test_spm_finds_planted_cluster_and_nothing_elsewhere(method):
    clusters = stats.spm_waveforms(_waves(), method=method, iterations=200)
    assert list(clusters.columns[:6]) == list(stats.SPM_COLUMNS)
    pelvis = clusters[clusters["waveform"] == "pelvis_rot_deg"]
    assert len(pelvis) == 1
    cluster = pelvis.iloc[0]
    assert cluster["start_pct"] < 50 < cluster["end_pct"]
    assert cluster["start_pct"] > 30 and cluster["end_pct"] < 70
    assert cluster["sign"] == 1 and cluster["p"] < 0.05 and cluster["method"] == method
    assert (clusters["waveform"] == "thorax_rot_deg").sum() == 0


def test_spm_without_any_difference_returns_empty_frame_with_columns():
    clusters = stats.spm_waveforms(_waves(bump=0.0, seed=4))
    assert clusters.empty and list(clusters.columns[:6]) == list(stats.SPM_COLUMNS)


def test_spm_nonparametric_is_reproducible_and_leaves_global_rng_alone():
    # spm1d permutes with numpy's legacy global generator: that is what is checked here
    np.random.seed(123)  # noqa: NPY002
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    first = stats.spm_waveforms(_waves(), method="nonparametric", iterations=100)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    np.random.seed(999)  # noqa: NPY002
    second = stats.spm_waveforms(_waves(), method="nonparametric", iterations=100)
    pd.testing.assert_frame_equal(first, second)


def test_discriminant_picks_planted_outcome():
    result = stats.discriminant(_subjects(), outcomes=["null_a", "planted", "null_b"])
    assert list(result.columns[:5]) == list(stats.DISCRIMINANT_COLUMNS)
    for _, block in result.groupby("condition"):
        singles = block[block["outcome"] != "all"].set_index("outcome")
        assert singles["auc"].idxmax() == "planted"
        assert singles["importance"].idxmax() == "planted"
        assert singles.loc["planted", "accuracy"] > 0.8
        assert singles.loc["planted", "coefficient"] > 0  # higher in lbp
        assert singles.loc["null_a", "accuracy"] < 0.8
        assert block.set_index("outcome").loc["all", "accuracy"] > 0.8


def test_discriminant_auc_is_mann_whitney_u_of_scores():
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    labels = np.array([False, False, True, True])
    assert lda._auc(scores, labels) == pytest.approx(0.75)  # 3 of 4 pairs ordered


@pytest.mark.parametrize("seed", range(6))
def test_discriminant_auc_is_scipys_mann_whitney_u_bit_for_bit(seed):
    # the pair count replaces scipy.stats.mannwhitneyu (issue 16): same float, ties included
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 120))
    scores = rng.normal(size=n).round(int(rng.integers(0, 3)))  # rounding makes ties
    labels = rng.random(n) < 0.5
    labels[:2] = [True, False]
    u = scipy.stats.mannwhitneyu(scores[labels], scores[~labels]).statistic
    assert lda._auc(scores, labels) == float(u / (labels.sum() * (~labels).sum()))


def test_z_975_is_scipys_normal_quantile():
    assert scipy.stats.norm.ppf(0.975) == stats.Z_975


def _stances(seed=2, slope=-0.03):
    """Stances whose impact peak falls by ``slope`` BW per degree of knee flexion."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(16):
        group = "healthy" if i < 8 else "lbp"
        offset = rng.normal(0, 0.1)
        for speed in (2.5, 3.0, 3.5):
            for _ in range(6):
                knee = 8 + 2 * speed + rng.normal(0, 3) + offset * 10
                impact = 2.0 + slope * knee + offset + rng.normal(0, 0.05)
                rows.append({"subject": f"s{i:02d}", "group": group, "speed_mps": speed,
                             "knee_flex_td_deg": knee, "impact_peak_bw": impact,
                             "valr_bw_s": 60 + rng.normal(0, 5)})  # fmt: skip
    return pd.DataFrame(rows)


def test_associations_recover_planted_slopes():
    stances = _stances()
    result = stats.associations(stances, stances[["subject", "group"]].drop_duplicates())
    assert list(result.columns[:8]) == list(stats.ASSOCIATION_COLUMNS)
    rows = result.set_index(["response", "predictor"])
    impact = rows.loc[("impact_peak_bw", "knee_flex_td_deg")]
    assert impact["ci_low"] < -0.03 < impact["ci_high"] and impact["p"] < 0.001
    assert impact["n_stances"] == 16 * 18 and impact["n_subjects"] == 16
    assert rows.loc[("valr_bw_s", "knee_flex_td_deg"), "p"] > 0.01
    speed = rows.loc[("knee_flex_td_deg", "speed_within_mps")]
    assert speed["ci_low"] < 2.0 < speed["ci_high"]  # planted 2 deg per m/s
    assert rows.loc[("lr_3_12_bw_s", "knee_flex_td_deg"), "note"].startswith("not fitted")


def test_associations_from_few_subjects_are_left_out_with_a_warning():
    # issue 11: 3 subjects, most stances from one runner, gave p = 4.9e-11 on main
    stances = _stances()
    few = stances[stances["subject"].isin(["s00", "s01", "s15"])]
    few = pd.concat([few, *[few[few["subject"] == "s00"]] * 5], ignore_index=True)
    result = stats.associations(few, few[["subject", "group"]].drop_duplicates())
    impact = result.set_index(["response", "predictor"]).loc[("impact_peak_bw", "knee_flex_td_deg")]
    assert impact["n_subjects"] == 3 and impact["n_stances"] == len(few)
    assert np.isnan(impact["estimate"]) and np.isnan(impact["p"])
    assert "fewer than the 10 required" in impact["warning"]
    assert f"{6 * 18} of {len(few)}" in impact["warning"]
    # the minimum is a setting: at 3 the same data are fitted, without a warning
    fitted = stats.associations(few, few[["subject", "group"]].drop_duplicates(), min_subjects=3)
    row = fitted.set_index(["response", "predictor"]).loc[("impact_peak_bw", "knee_flex_td_deg")]
    assert np.isfinite(row["estimate"]) and row["warning"] == ""


def test_mixed_model_with_categorical_condition_and_unused_level():
    subjects = _subjects(interaction=4.0)
    subjects["condition"] = pd.Categorical(subjects["condition"], ["run", "walk", "sprint"])
    terms = stats.mixed_models(subjects, outcomes=["mixed"]).set_index("term")
    # reference condition is now "run": the interaction flips sign
    inter = terms.loc["group[T.lbp]:condition[T.walk]"]
    assert inter["ci_low"] < -4.0 < inter["ci_high"]
    assert not terms.index.str.contains("sprint").any()


def test_discriminant_skips_absent_or_empty_outcomes():
    subjects = _subjects().assign(crp_marp_deg=np.nan)
    result = stats.discriminant(subjects, outcomes=["planted", "crp_marp_deg", "not_a_column"])
    rows = result[result["condition"] == "run"].set_index("outcome")
    assert rows.loc[["crp_marp_deg", "not_a_column"], "accuracy"].isna().all()
    assert rows.loc["all", "accuracy"] == rows.loc["planted", "accuracy"]  # only planted left


def test_spm_with_zero_variance_warns_and_skips_that_waveform():
    waves = _waves()
    flat = waves["waveform"] == "thorax_rot_deg"
    waves.loc[flat, list(WAVE_COLUMNS)] = 1.0  # every subject identical
    with pytest.warns(RuntimeWarning, match="thorax_rot_deg .run. not run: .* zero variance"):
        clusters = stats.spm_waveforms(waves)
    assert list(clusters["waveform"]) == ["pelvis_rot_deg"]


@pytest.mark.parametrize(
    ("n_a", "n_b", "sd_a", "sd_b", "df_range"),
    [
        (8, 8, 1.0, 1.0, (13.0, 14.0)),
        (10, 6, 1.0, 3.0, (5.0, 10.0)),
        (5, 30, 2.0, 0.5, (4.0, 12.0)),
    ],
)
def test_welch_df_equals_spm1d_reml(n_a, n_b, sd_a, sd_b, df_range):
    spm1d = pytest.importorskip("spm1d")
    rng = np.random.default_rng(n_a + n_b)
    y_a = spm1d.util.smooth(sd_a * rng.standard_normal((n_a, 101)), fwhm=15) + 1.0
    y_b = spm1d.util.smooth(sd_b * rng.standard_normal((n_b, 101)), fwhm=15)
    reference = spm1d.stats.ttest2(y_a, y_b, equal_var=False)
    assert stats.welch_df(y_a, y_b) == pytest.approx(reference.df[1], rel=1e-12)
    # equal spreads keep about the pooled n - 2; a noisier small group brings it down towards
    # that group's n - 1 (Welch-Satterthwaite)
    assert df_range[0] < reference.df[1] <= df_range[1]


# --------------------------------------------------------------------------- array-level API


def test_welch_t_has_welch_satterthwaite_df_and_the_hand_t():
    # equal variances and sizes: df = 2 (n - 1); t = diff / sqrt(2 s² / n)
    out = stats.welch_t([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0])
    assert out["df"] == pytest.approx(6.0)
    assert out["t"] == pytest.approx(2.0 / np.sqrt(2 * (5 / 3) / 4))
    assert out["p"] == pytest.approx(2 * scipy.stats.t.sf(out["t"], 6.0))
    # unequal: the df of Welch (1947) by hand
    x, y = np.array([0.0, 1.0, 2.0]), np.array([0.0, 4.0, 8.0, 12.0, 16.0])
    a, b = x.var(ddof=1) / 3, y.var(ddof=1) / 5
    assert stats.welch_t(x, y)["df"] == pytest.approx((a + b) ** 2 / (a**2 / 2 + b**2 / 4))


def test_array_functions_refuse_too_few_values():
    with pytest.raises(ValueError, match="at least two values"):
        stats.hedges_g([1.0], [2.0, 3.0])
    with pytest.raises(ValueError, match="at least two complete curves"):
        stats.spm_ttest2(np.ones((1, 101)), np.ones((3, 101)))
    with pytest.raises(ValueError, match="at least two complete curves"):
        stats.spm_ttest2(np.full((3, 101), np.nan), np.ones((3, 101)))
    with pytest.raises(ValueError, match="zero variance at 101 of 101 points"):
        stats.spm_ttest2(np.ones((3, 101)), np.arange(303.0).reshape(3, 101))


def test_holm_by_hand_and_nan_outside_the_family():
    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01, max(2 x 0.03, .), max(1 x 0.04, 0.06)
    assert stats.holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    out = stats.adjust_p([0.5, np.nan, 0.01], method="bonferroni")
    assert np.isnan(out[1]) and out[[0, 2]] == pytest.approx([1.0, 0.02])


def test_group_tests_are_the_array_welch_on_each_condition():
    subjects = _subjects()
    result = stats.group_tests(subjects, outcomes=["planted", "null_a"])
    for row in result.itertuples():
        block = subjects[subjects["condition"] == row.condition]
        arrays = [
            block.loc[block["group"] == g, row.outcome].to_numpy() for g in ("healthy", "lbp")
        ]
        expected = stats.welch(*arrays)
        for key, value in expected.items():
            assert getattr(row, key) == value, key
    for condition, block in result.groupby("condition"):
        np.testing.assert_array_equal(block["p_adj"], stats.holm(block["p"]), condition)


@pytest.mark.parametrize("method", ["parametric", "nonparametric"])
def test_spm_waveforms_rows_are_the_array_test_s_clusters(method):
    waves = _waves()
    pelvis = waves[waves["waveform"] == "pelvis_rot_deg"]
    y = [
        pelvis.loc[pelvis["group"] == g, list(WAVE_COLUMNS)].to_numpy() for g in ("healthy", "lbp")
    ]
    np.random.seed(0)  # noqa: NPY002  (spm_waveforms' default seed)
    spm = stats.spm_ttest2(*y, method=method, iterations=200)
    table = stats.spm_waveforms(waves, method=method, iterations=200)
    rows = table[table["waveform"] == "pelvis_rot_deg"]
    assert len(spm.clusters) == len(rows) == 1
    cluster, row = spm.clusters[0], rows.iloc[0]
    assert (cluster.start_pct, cluster.end_pct, cluster.p, cluster.sign, cluster.t_max) == (
        row["start_pct"], row["end_pct"], row["p"], row["sign"], row["t_max"]
    )  # fmt: skip
    assert spm.threshold == row["threshold"] and spm.t.shape == (101,)
    # the cluster is where the t curve exceeds the threshold, and t_max is its peak
    inside = np.abs(spm.t) > spm.threshold
    assert inside.sum() > 0 and cluster.t_max == pytest.approx(np.abs(spm.t).max())
    assert cluster.start_pct <= np.flatnonzero(inside)[0] <= cluster.end_pct
