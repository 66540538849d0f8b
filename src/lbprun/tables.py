"""Publication tables: participant characteristics and outcomes by group (CONTRACT.md, tables/).

Tables are built as DataFrames of formatted strings ("mean ± SD", "diff [95 % CI]") and written
by :func:`write_table` as CSV, Markdown (pipe table) and LaTeX (booktabs). Markdown and LaTeX are
written by hand: neither ``tabulate`` nor ``jinja2`` (needed by the pandas writers) is a project
dependency, and hand-written output is byte-stable across pandas versions.

About 500 lines on purpose: the two paper tables share their formatting helpers and the
three writers, so splitting them would put the same number formats in two places.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun import registry

DASH = "–"
CORRECTIONS = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "FDR"}  # header names
PARTICIPANT_LABELS = {
    "age": "Age (years)",
    "mass_kg": "Body mass (kg)",
    "height_m": "Height (m)",
    "leg_length_m": "Leg length (m)",
    "bmi_kg_m2": "BMI (kg/m²)",
    "sex": "Sex",
}
LATEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "±": r"$\pm$", "−": "$-$", "×": r"$\times$", "°": r"\textdegree{}", "²": r"\textsuperscript{2}",
    "<": r"\textless{}", ">": r"\textgreater{}",
}  # fmt: skip


def decimals(spread: float, /) -> int:
    """Decimal places that keep two significant digits of a spread (SD), between 1 and 3.

    Examples
    --------
    >>> decimals(22.2), decimals(1.5), decimals(0.25), decimals(0.05)
    (1, 1, 2, 3)
    """
    if not math.isfinite(spread) or spread <= 0:
        return 2
    return int(np.clip(1 - math.floor(math.log10(spread)), 1, 3))


def mean_sd(mean: float, sd: float, /, *, places: int | None = None) -> str:
    """Format "mean ± SD" with decimals set by the SD (or given, to align a row).

    Examples
    --------
    >>> mean_sd(62.24, 21.53), mean_sd(2.515, 0.076, places=2)
    ('62.2 ± 21.5', '2.52 ± 0.08')
    """
    if not math.isfinite(mean):
        return DASH
    places = decimals(sd) if places is None else places
    spread = f"{sd:.{places}f}" if math.isfinite(sd) else DASH
    return f"{mean:.{places}f} ± {spread}"


def estimate_ci(estimate: float, low: float, high: float, /, *, places: int = 2) -> str:
    """Format "estimate [low, high]".

    Examples
    --------
    >>> estimate_ci(5.5, 1.234, 9.87, places=1)
    '5.5 [1.2, 9.9]'
    """
    if not math.isfinite(estimate):
        return DASH
    return f"{estimate:.{places}f} [{low:.{places}f}, {high:.{places}f}]"


def p_value(p: float, /) -> str:
    """Format a p-value: three decimals, "< 0.001" below that.

    Examples
    --------
    >>> p_value(0.04567), p_value(0.00001)
    ('0.046', '< 0.001')
    """
    if not math.isfinite(p):
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _group_header(label: str, n: int) -> str:
    return f"{label} (n = {n})"


def _spread(*sds: float) -> float:
    """Largest finite SD (NaN if none): sets the decimals shared by a row."""
    finite = [sd for sd in sds if math.isfinite(sd)]
    return max(finite) if finite else math.nan


def _mean_and_sd(values: np.ndarray) -> tuple[float, float]:
    mean = float(values.mean()) if len(values) else math.nan
    return mean, float(values.std(ddof=1)) if len(values) > 1 else math.nan


def _numeric_row(name: str, x: np.ndarray, y: np.ndarray) -> dict:
    """Mean ± SD per group, Welch difference [95 % CI] and p for one characteristic."""
    import scipy.stats  # here: the report, summary and outcome-table jobs need no scipy.stats

    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    (mx, sx), (my, sy) = _mean_and_sd(x), _mean_and_sd(y)
    places = decimals(_spread(sx, sy))
    row = {"characteristic": PARTICIPANT_LABELS.get(name, name),
           "reference": mean_sd(mx, sx, places=places),
           "comparison": mean_sd(my, sy, places=places),
           "difference [95 % CI]": DASH, "p": DASH}  # fmt: skip
    if min(len(x), len(y)) >= 2:
        test = scipy.stats.ttest_ind(y, x, equal_var=False)
        ci = test.confidence_interval(0.95)
        row["difference [95 % CI]"] = estimate_ci(my - mx, ci.low, ci.high, places=places)
        row["p"] = p_value(test.pvalue)
    return row


def _category_row(name: str, x: pd.Series, y: pd.Series) -> dict:
    """Count each level ("F 5 / M 7"); p from Fisher exact (2×2) or chi-squared."""
    import scipy.stats  # as in _numeric_row

    levels = sorted(set(x.dropna().astype(str)) | set(y.dropna().astype(str)))
    counts = np.array([[int((s.astype(str) == level).sum()) for level in levels] for s in (x, y)])
    row = {"characteristic": PARTICIPANT_LABELS.get(name, name),
           "reference": " / ".join(f"{lv} {c}" for lv, c in zip(levels, counts[0], strict=True)),
           "comparison": " / ".join(f"{lv} {c}" for lv, c in zip(levels, counts[1], strict=True)),
           "difference [95 % CI]": DASH, "p": DASH}  # fmt: skip
    if counts.shape == (2, 2):
        row["p"] = p_value(scipy.stats.fisher_exact(counts).pvalue)
    elif counts.shape[1] > 2 and (counts.sum(axis=0) > 0).all():
        row["p"] = p_value(scipy.stats.chi2_contingency(counts).pvalue)
    return row


def participant_table(
    participants: pd.DataFrame, /, *, reference: str = "healthy", comparison: str = "lbp"
) -> pd.DataFrame:
    """Participant characteristics by group: mean ± SD, Welch difference [95 % CI] and p.

    Parameters
    ----------
    participants : DataFrame
        Participants sheet (``subject``, ``group`` and any characteristics).
    reference, comparison : str
        Group labels; the difference is comparison − reference.

    Returns
    -------
    DataFrame
        One row per characteristic (numbers as mean ± SD; text columns such as sex as counts
        per level with a Fisher exact or chi-squared p), columns ``characteristic``,
        ``"{reference} (n = …)"``, ``"{comparison} (n = …)"``, ``difference [95 % CI]``, ``p``.

    Examples
    --------
    >>> sheet = pd.DataFrame({"subject": ["h1", "h2", "h3", "l1", "l2", "l3"],
    ...     "group": ["healthy"] * 3 + ["lbp"] * 3, "age": [30, 32, 34, 40, 42, 44],
    ...     "sex": ["f", "m", "f", "m", "m", "f"]})
    >>> participant_table(sheet).iloc[0].tolist()
    ['Age (years)', '32.0 ± 2.0', '42.0 ± 2.0', '10.0 [5.5, 14.5]', '0.004']
    """
    x = participants.loc[participants["group"] == reference]
    y = participants.loc[participants["group"] == comparison]
    rows = []
    for name in participants.columns.drop(["subject", "group"], errors="ignore"):
        if pd.api.types.is_numeric_dtype(participants[name]):
            rows.append(_numeric_row(name, x[name].to_numpy(float), y[name].to_numpy(float)))
        else:
            rows.append(_category_row(name, x[name], y[name]))
    table = pd.DataFrame(rows, columns=["characteristic", "reference", "comparison",
                                        "difference [95 % CI]", "p"])  # fmt: skip
    return table.rename(columns={"reference": _group_header(reference, len(x)),
                                 "comparison": _group_header(comparison, len(y))})  # fmt: skip


def outcome_table(subjects: pd.DataFrame, group_tests: pd.DataFrame, /) -> pd.DataFrame:
    """Outcomes by group and condition, formatted for publication.

    Parameters
    ----------
    subjects : DataFrame
        ``cohort/subjects.csv`` (gives the number of subjects per group for the headers).
    group_tests : DataFrame
        Output of :func:`lbprun.stats.group_tests`.

    Returns
    -------
    DataFrame
        Columns ``outcome`` (label with unit), ``condition``, ``"{reference} (n = …)"`` and
        ``"{comparison} (n = …)"`` as mean ± SD, ``difference [95 % CI]``, ``g [95 % CI]``
        (Hedges' g), ``p`` (Welch) and ``p adjusted`` (the correction named in the header).

    Examples
    --------
    >>> from lbprun.stats import group_tests
    >>> subjects = pd.DataFrame({"subject": [f"s{i}" for i in range(8)],
    ...                          "group": ["healthy"] * 4 + ["lbp"] * 4, "condition": "run",
    ...                          "pelvis_rot_rom_deg": [9.0, 10, 11, 10, 7, 8, 6, 7]})
    >>> table = outcome_table(subjects, group_tests(subjects, outcomes=["pelvis_rot_rom_deg"]))
    >>> table.iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'outcome': 'Pelvis rotation amplitude (°)', 'condition': 'run',
     'healthy (n = 4)': '10.00 ± 0.82', 'lbp (n = 4)': '7.00 ± 0.82',
     'difference [95 % CI]': '-3.00 [-4.41, -1.59]', 'g [95 % CI]': '-3.19 [-5.17, -1.22]',
     'p': '0.002', 'p (Holm)': '0.002'}
    """
    reference = group_tests["reference"].iloc[0] if "reference" in group_tests else "healthy"
    comparison = group_tests["comparison"].iloc[0] if "comparison" in group_tests else "lbp"
    correction = group_tests["correction"].iloc[0] if "correction" in group_tests else "holm"
    n = subjects.groupby("group")["subject"].nunique()
    ref_col = _group_header(reference, int(n.get(reference, 0)))
    cmp_col = _group_header(comparison, int(n.get(comparison, 0)))
    # one number of decimals per outcome (all groups and conditions), set by its largest SD
    spread = group_tests.groupby("outcome")[["sd_reference", "sd_comparison"]].max().max(axis=1)
    rows = []
    for test in group_tests.itertuples(index=False):
        places = decimals(float(spread[test.outcome]))
        rows.append({
            "outcome": registry.OUTCOME_LABELS.get(test.outcome, test.outcome),
            "condition": str(test.condition),
            ref_col: mean_sd(test.mean_reference, test.sd_reference, places=places),
            cmp_col: mean_sd(test.mean_comparison, test.sd_comparison, places=places),
            "difference [95 % CI]": estimate_ci(test.diff, test.diff_ci_low, test.diff_ci_high,
                                                places=places),
            "g [95 % CI]": estimate_ci(test.hedges_g, test.g_ci_low, test.g_ci_high),
            "p": p_value(test.p),
            f"p ({CORRECTIONS.get(correction, correction)})": p_value(test.p_adj),
        })  # fmt: skip
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, /) -> str:
    r"""Render a DataFrame as a Markdown pipe table (numbers right-aligned).

    Examples
    --------
    >>> print(markdown(pd.DataFrame({"a": ["x|y"], "n": [3]})), end="")
    | a | n |
    | :-- | --: |
    | x\|y | 3 |
    """

    def cell(value) -> str:
        return "" if _missing(value) else str(value).replace("|", r"\|").replace("\n", " ")

    align = ["--:" if pd.api.types.is_numeric_dtype(table[c]) else ":--" for c in table.columns]
    lines = ["| " + " | ".join(cell(c) for c in table.columns) + " |",
             "| " + " | ".join(align) + " |"]  # fmt: skip
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines) + "\n"


def latex_escape(text: str, /) -> str:
    r"""Escape LaTeX special characters; map ±, −, °, × and negative numbers' signs to math.

    Examples
    --------
    >>> print(latex_escape("5 ± 1 % of R&D_x, -3.2 [-4.1, t-2]"))
    5 $\pm$ 1 \% of R\&D\_x, $-$3.2 [$-$4.1, t-2]
    """
    escaped = "".join(LATEX_ESCAPES.get(char, char) for char in str(text))
    # a hyphen that starts a number is a minus sign (not after a word: "t-2" stays)
    return re.sub(r"(?<![\w.])-(?=\d)", "$-$", escaped)


def latex(table: pd.DataFrame, /, *, caption: str | None = None) -> str:
    r"""Render a DataFrame as a booktabs LaTeX table (``\usepackage{booktabs}``).

    With a caption the tabular is wrapped in a ``table`` float; without one it is bare, ready to
    ``\input`` into the author's own float.

    Examples
    --------
    >>> print(latex(pd.DataFrame({"outcome": ["VALR (BW/s)"], "n": [3]})), end="")
    \begin{tabular}{lr}
    \toprule
    outcome & n \\
    \midrule
    VALR (BW/s) & 3 \\
    \bottomrule
    \end{tabular}
    """

    def cell(value) -> str:
        return "" if _missing(value) else latex_escape(value)

    align = "".join("r" if pd.api.types.is_numeric_dtype(table[c]) else "l" for c in table)
    body = [rf"\begin{{tabular}}{{{align}}}", r"\toprule",
            " & ".join(cell(c) for c in table.columns) + r" \\", r"\midrule"]  # fmt: skip
    body += [" & ".join(cell(v) for v in row) + r" \\" for row in table.itertuples(False)]
    body += [r"\bottomrule", r"\end{tabular}"]
    if caption is not None:
        body = [r"\begin{table}", r"\centering", rf"\caption{{{latex_escape(caption)}}}",
                *body, r"\end{table}"]  # fmt: skip
    return "\n".join(body) + "\n"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def write_table(
    table: pd.DataFrame, stem: str | os.PathLike, /, *, caption: str | None = None
) -> None:
    """Write ``stem.csv``, ``stem.md`` and ``stem.tex`` (booktabs) for one table.

    Parameters
    ----------
    table : DataFrame
        The table (formatted strings or numbers).
    stem : path
        Output path without extension; its folder is created if needed.
    caption : str, optional
        Caption for the LaTeX float and the first line of the Markdown file.

    Examples
    --------
    >>> import shutil, tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> write_table(pd.DataFrame({"a": [1]}), tmp / "tables" / "t1", caption="Table 1.")
    >>> sorted(p.name for p in (tmp / "tables").iterdir())
    ['t1.csv', 't1.md', 't1.tex']
    >>> (tmp / "tables" / "t1.md").read_text().splitlines()[0]
    'Table 1.'
    >>> shutil.rmtree(tmp)
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(stem.with_suffix(".csv"), index=False, lineterminator="\n")
    text = markdown(table)
    if caption is not None:
        text = f"{caption}\n\n{text}"
    stem.with_suffix(".md").write_text(text, encoding="utf-8")
    stem.with_suffix(".tex").write_text(latex(table, caption=caption), encoding="utf-8")


# --------------------------------------------------------------------------- readable stats
# The statistics files, with labels and units a co-author can read (for the HTML report).


def _outcome_label(name) -> str:
    return registry.OUTCOME_LABELS.get(str(name), str(name))


def _number(value, places: int = 2) -> str:
    """Format a plain number with ``places`` decimals; NaN as a dash."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return DASH if value is None else str(value)
    return DASH if not math.isfinite(value) else f"{value:.{places}f}"


def _term(term: str, reference: str) -> str:
    """Patsy term to words: ``group[T.lbp]:condition[T.fast]`` -> "lbp × fast"."""
    if term == "Intercept":
        return f"Intercept ({reference}, first condition)"
    variance = {"subject_var": "Between-subject variance (unit²)",
                "residual_var": "Residual variance (unit²)", "icc": "ICC"}  # fmt: skip
    if term in variance:
        return variance[term]
    parts = [re.sub(r"^\w+\[T\.(.+)\]$", r"\1", p) for p in term.split(":")]
    return " × ".join(parts)


def group_tests_table(group_tests: pd.DataFrame, /) -> pd.DataFrame:
    """``stats/group_tests.csv`` with labels, units and n per group and condition.

    Examples
    --------
    >>> t = pd.DataFrame({"outcome": ["valr_bw_s"], "condition": ["run"], "n_reference": [10],
    ...     "n_comparison": [9], "mean_reference": [60.0], "sd_reference": [8.0],
    ...     "mean_comparison": [70.0], "sd_comparison": [9.0], "diff": [10.0],
    ...     "diff_ci_low": [2.0], "diff_ci_high": [18.0], "hedges_g": [1.16], "g_ci_low": [0.2],
    ...     "g_ci_high": [2.1], "p": [0.012], "p_adj": [0.036], "correction": ["holm"],
    ...     "reference": ["healthy"], "comparison": ["lbp"]})
    >>> group_tests_table(t).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'outcome': 'VALR (BW/s)', 'condition': 'run', 'n healthy': 10, 'n lbp': 9,
     'healthy mean ± SD': '60.0 ± 8.0', 'lbp mean ± SD': '70.0 ± 9.0',
     'difference [95 % CI]': '10.0 [2.0, 18.0]', 'g [95 % CI]': '1.16 [0.20, 2.10]',
     'p': '0.012', 'p (Holm)': '0.036'}
    """
    if group_tests.empty:
        return pd.DataFrame(columns=["outcome", "condition"])
    table = outcome_table(
        pd.DataFrame({"subject": [], "group": []}), group_tests.reset_index(drop=True)
    )
    reference = str(group_tests["reference"].iloc[0]) if "reference" in group_tests else "healthy"
    comparison = str(group_tests["comparison"].iloc[0]) if "comparison" in group_tests else "lbp"
    table = table.rename(columns={f"{reference} (n = 0)": f"{reference} mean ± SD",
                                  f"{comparison} (n = 0)": f"{comparison} mean ± SD"})  # fmt: skip
    table.insert(2, f"n {reference}", group_tests["n_reference"].fillna(0).astype(int).to_numpy())
    table.insert(3, f"n {comparison}", group_tests["n_comparison"].fillna(0).astype(int).to_numpy())
    return table


def _estimate(estimate, low, high) -> str:
    """Estimate with its CI, or alone when it has none (variance components, ICC)."""
    if math.isfinite(float(low)) and math.isfinite(float(high)):
        return estimate_ci(float(estimate), float(low), float(high), places=3)
    return _number(estimate, 3)


def mixed_models_table(models: pd.DataFrame, /, *, reference: str = "healthy") -> pd.DataFrame:
    """``stats/mixed_models.csv`` with outcome labels, terms in words and formatted numbers.

    Examples
    --------
    >>> models = pd.DataFrame({"outcome": ["cadence_steps_min"] * 2,
    ...     "term": ["group[T.lbp]", "icc"], "estimate": [-4.2, 0.8], "se": [1.1, np.nan],
    ...     "ci_low": [-6.4, np.nan], "ci_high": [-2.0, np.nan], "p": [0.0002, np.nan]})
    >>> mixed_models_table(models).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['Cadence (steps/min)', 'lbp', '-4.200 [-6.400, -2.000]', '1.100', '< 0.001'],
     ['Cadence (steps/min)', 'ICC', '0.800', '–', '–']]
    """
    if models.empty:
        return pd.DataFrame(columns=["outcome", "term"])
    out = pd.DataFrame({
        "outcome": models["outcome"].map(_outcome_label),
        # A model that could not be fitted has no term (NaN survives astype(str) in pandas 3).
        "term": models["term"].fillna("").astype(str).map(lambda t: _term(t, reference)),
        "estimate [95 % CI]": [_estimate(e, lo, hi) for e, lo, hi in
                               zip(models["estimate"], models["ci_low"], models["ci_high"],
                                   strict=True)],
        "SE": models["se"].map(lambda v: _number(v, 3)),
        "p": models["p"].map(p_value),
    })  # fmt: skip
    if "note" in models:
        out["note"] = models["note"].fillna("")
    return out


def spm_clusters_table(clusters: pd.DataFrame, /) -> pd.DataFrame:
    """``stats/spm_clusters.csv`` as "waveform, condition, from–to % of the cycle, p".

    Examples
    --------
    >>> clusters = pd.DataFrame({"waveform": ["pelvis_rot_deg"], "condition": ["run"],
    ...     "start_pct": [39.6], "end_pct": [60.8], "p": [0.003], "method": ["parametric"]})
    >>> spm_clusters_table(clusters).iloc[0].tolist()
    ['pelvis_rot_deg', 'run', '40–61', '0.003', 'parametric']
    """
    if clusters.empty:
        return pd.DataFrame(columns=["waveform", "condition", "cluster (% of cycle)", "p"])
    out = pd.DataFrame({
        "waveform": clusters["waveform"].astype(str),
        "condition": clusters["condition"].astype(str),
        "cluster (% of cycle)": [f"{a:.0f}–{b:.0f}" for a, b in
                                 zip(clusters["start_pct"], clusters["end_pct"], strict=True)],
        "p": clusters["p"].map(p_value),
        "method": clusters.get("method", pd.Series("", index=clusters.index)),
    })  # fmt: skip
    for column, label in (("n_reference", "n reference"), ("n_comparison", "n comparison")):
        if column in clusters:
            out[label] = clusters[column]
    return out


def associations_table(associations: pd.DataFrame, /) -> pd.DataFrame:
    """``stats/associations.csv``: response per unit of predictor, CI, p, n.

    Examples
    --------
    >>> rows = pd.DataFrame({"response": ["impact_peak_bw"], "predictor": ["knee_flex_td_deg"],
    ...     "estimate": [-0.021], "ci_low": [-0.03], "ci_high": [-0.012], "p": [0.0004],
    ...     "n_stances": [240], "n_subjects": [20]})
    >>> associations_table(rows).iloc[0, :4].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['Impact peak (BW)', 'Knee flexion at touchdown (°)', '-0.021 [-0.030, -0.012]', '< 0.001']
    """
    if associations.empty:
        return pd.DataFrame(columns=["response", "predictor"])
    return pd.DataFrame({
        "response": associations["response"].map(_outcome_label),
        "predictor": associations["predictor"].map(_outcome_label),
        "change per unit [95 % CI]": [estimate_ci(e, lo, hi, places=3) for e, lo, hi in
                                      zip(associations["estimate"], associations["ci_low"],
                                          associations["ci_high"], strict=True)],
        "p": associations["p"].map(p_value),
        "stances (n)": associations["n_stances"],
        "subjects (n)": associations["n_subjects"],
    })  # fmt: skip


def discriminant_table(discriminant: pd.DataFrame, /) -> pd.DataFrame:
    """``stats/discriminant.csv``: outcome, condition, coefficient, importance, accuracy, AUC.

    Examples
    --------
    >>> rows = pd.DataFrame({"outcome": ["pelvis_rot_rom_deg", "all"], "condition": "run",
    ...     "coefficient": [1.9, np.nan], "importance": [0.98, np.nan], "accuracy": [0.85, 0.8],
    ...     "auc": [0.91, 0.88]})
    >>> discriminant_table(rows)["outcome"].tolist()
    ['Pelvis rotation amplitude (°)', 'all outcomes together']
    """
    if discriminant.empty:
        return pd.DataFrame(columns=["outcome", "condition"])
    out = pd.DataFrame({
        "outcome": discriminant["outcome"].map(
            lambda o: "all outcomes together" if o == "all" else _outcome_label(o)),
        "condition": discriminant.get("condition", pd.Series("", index=discriminant.index)),
        "standardised coefficient": discriminant.get("coefficient").map(_number),
        "importance (structure coefficient)": discriminant.get("importance").map(_number),
        "accuracy (LOSO)": discriminant["accuracy"].map(_number),
        "AUC (LOSO)": discriminant["auc"].map(_number),
    })  # fmt: skip
    return out
