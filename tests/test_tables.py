"""Publication tables: formatting against known numbers and the three output formats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbprun import stats, tables

PARTICIPANTS = pd.DataFrame(
    {
        "subject": [f"s{i}" for i in range(8)],
        "group": ["healthy"] * 4 + ["lbp"] * 4,
        "mass_kg": [60.0, 70.0, 80.0, 70.0, 70.0, 80.0, 90.0, 80.0],
        "age": [30, 32, 34, 36, 40, 42, 44, 46],
        "sex": ["F", "M", "F", "M", "M", "M", "F", "M"],
    }
)


def test_participant_table_values():
    table = tables.participant_table(PARTICIPANTS, reference="healthy", comparison="lbp")
    assert list(table.columns) == ["characteristic", "healthy (n = 4)", "lbp (n = 4)",
                                   "difference [95 % CI]", "p"]  # fmt: skip
    mass = table.set_index("characteristic").loc["Body mass (kg)"]
    # healthy 70 ± 8.165, lbp 80 ± 8.165 (SD 8.2 -> one decimal)
    assert mass["healthy (n = 4)"] == "70.0 ± 8.2"
    assert mass["lbp (n = 4)"] == "80.0 ± 8.2"
    assert mass["difference [95 % CI]"].startswith("10.0 [")
    sex = table.set_index("characteristic").loc["Sex"]
    assert sex["healthy (n = 4)"] == "F 2 / M 2" and sex["lbp (n = 4)"] == "F 1 / M 3"
    assert float(sex["p"]) == pytest.approx(1.0)  # Fisher exact on [[2, 2], [1, 3]]


def test_outcome_table_formats_group_tests():
    rng = np.random.default_rng(0)
    subjects = pd.DataFrame({
        "subject": [f"s{i}" for i in range(10)], "group": ["healthy"] * 5 + ["lbp"] * 5,
        "condition": "run", "valr_bw_s": np.r_[rng.normal(60, 20, 5), rng.normal(70, 20, 5)],
    })  # fmt: skip
    tests = stats.group_tests(subjects, outcomes=["valr_bw_s"])
    table = tables.outcome_table(subjects, tests)
    row = table.iloc[0]
    assert row["outcome"] == "VALR (BW/s)" and row["condition"] == "run"
    t = tests.iloc[0]
    assert row["healthy (n = 5)"] == f"{t.mean_reference:.1f} ± {t.sd_reference:.1f}"
    assert row["g [95 % CI]"] == f"{t.hedges_g:.2f} [{t.g_ci_low:.2f}, {t.g_ci_high:.2f}]"
    assert row["p (Holm)"] == f"{t.p_adj:.3f}"


def test_write_table_writes_csv_markdown_and_booktabs(tmp_path):
    table = pd.DataFrame({"outcome": ["Pelvis rotation (°)", "VALR_x"],
                          "lbp": ["5.0 ± 1.0", "62 ± 21"], "n": [3, 4],
                          "diff [95 % CI]": ["1.0 [0.1, 2.0]", "–"]})  # fmt: skip
    tables.write_table(table, tmp_path / "sub" / "outcomes", caption="Outcomes & more")
    back = pd.read_csv(tmp_path / "sub" / "outcomes.csv")
    pd.testing.assert_frame_equal(back, table)
    md = (tmp_path / "sub" / "outcomes.md").read_text().splitlines()
    assert md[0] == "Outcomes & more"
    assert md[2] == "| outcome | lbp | n | diff [95 % CI] |"
    assert md[3] == "| :-- | :-- | --: | :-- |"
    assert md[4] == "| Pelvis rotation (°) | 5.0 ± 1.0 | 3 | 1.0 [0.1, 2.0] |"
    tex = (tmp_path / "sub" / "outcomes.tex").read_text()
    lines = tex.splitlines()
    assert r"\begin{tabular}{llrl}" in lines
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    assert r"outcome & lbp & n & diff [95 \% CI] \\" in lines
    assert r"Pelvis rotation (\textdegree{}) & 5.0 $\pm$ 1.0 & 3 & 1.0 [0.1, 2.0] \\" in lines
    assert r"VALR\_x & 62 $\pm$ 21 & 4 & – \\" in lines
    assert r"\caption{Outcomes \& more}" in lines


def test_p_value_and_decimals_edge_cases():
    assert tables.p_value(float("nan")) == "–"
    assert tables.p_value(0.0009) == "< 0.001" and tables.p_value(0.001) == "0.001"
    assert tables.mean_sd(3.0, float("nan")) == "3.00 ± –"  # no SD: two decimals
    assert tables.decimals(150.0) == 1 and tables.decimals(0.021) == 3


def test_outcome_table_uses_one_decimal_count_per_outcome():
    tests = pd.DataFrame({
        "outcome": ["active_peak_bw"] * 2, "condition": ["slow", "fast"],
        "mean_reference": [2.515, 2.48], "sd_reference": [0.075, 0.078],
        "mean_comparison": [2.48, 2.548], "sd_comparison": [0.11, 0.035],
        "diff": [-0.035, 0.068], "diff_ci_low": [-0.16, -0.014], "diff_ci_high": [0.09, 0.151],
        "hedges_g": [-0.34, 1.05], "g_ci_low": [-1.4, -0.08], "g_ci_high": [0.71, 2.17],
        "p": [0.5, 0.09], "p_adj": [0.55, 0.27],
    })  # fmt: skip
    subjects = pd.DataFrame({"subject": ["a", "b"], "group": ["healthy", "lbp"]})
    table = tables.outcome_table(subjects, tests)
    # largest SD of the outcome is 0.11 -> two decimals everywhere in its rows
    assert list(table["healthy (n = 1)"]) == ["2.52 ± 0.07", "2.48 ± 0.08"]
    assert list(table["lbp (n = 1)"]) == ["2.48 ± 0.11", "2.55 ± 0.04"]
    assert table["difference [95 % CI]"].iloc[0] == "-0.04 [-0.16, 0.09]"


def test_mixed_models_table_keeps_a_model_that_could_not_be_fitted(tmp_path):
    # As stats/mixed_models.csv holds it: a "not fitted" row has no term (read back as NaN).
    path = tmp_path / "mixed_models.csv"
    pd.DataFrame({"outcome": ["coherence_stride"], "term": [None], "estimate": [None],
                  "se": [None], "ci_low": [None], "ci_high": [None], "p": [None],
                  "note": ["not fitted: too few subjects"]}).to_csv(path, index=False)  # fmt: skip
    table = tables.mixed_models_table(pd.read_csv(path))
    assert list(table["term"]) == [""]
    assert list(table["note"]) == ["not fitted: too few subjects"]
