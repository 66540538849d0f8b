"""What a run made and what it could not: the run summary, the methods text and HTML tables.

The summary is printed when the workflow ends and shown on the report's front page, so that a
run never ends on "100 % done" while trials failed or no comparison could be made (issue 13).
Everything here is plain pandas and strings: importable and testable without Snakemake.

Over 500 lines on purpose: the summary, the methods text and the table pages share one set of
labels, units and HTML helpers, so that the report and summary.txt never word a number two ways.
"""

from __future__ import annotations

import html
import logging
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import yaml

from lbprun import __version__, registry

log = logging.getLogger(__name__)
CORRECTIONS = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini–Hochberg FDR"}


# --------------------------------------------------------------------------- notes


def write_notes(path: str | os.PathLike, notes: Iterable[str], /) -> None:
    """Write what a figure or table left out as an RST bullet list (empty file if nothing).

    Each note is also logged as a warning, so the rule's log says it too.
    """
    notes = list(notes)
    for note in notes:
        log.warning(note)
    text = "".join(f"* {note}\n" for note in notes)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(("\n" + text) if text else "", encoding="utf-8")


def read_notes(paths: Iterable[str | os.PathLike], /) -> list[str]:
    """Read the notes written by :func:`write_notes`, in order, without the bullets."""
    out = []
    for path in paths:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        out += [line[2:] for line in lines if line.startswith("* ")]
    return out


# --------------------------------------------------------------------------- summary


def _missing_outcomes(row: pd.Series) -> list[str]:
    return [o for o in registry.OUTCOMES if o in row.index and pd.isna(row[o])]


def partial_trials(trials: pd.DataFrame, /) -> pd.DataFrame:
    """Trials processed but with some outcome measures missing, and why.

    Parameters
    ----------
    trials : DataFrame
        ``cohort/trials.csv``.

    Returns
    -------
    DataFrame
        ``subject``, ``trial``, ``missing`` (outcome names) and ``reason`` (the trial's
        warnings that say a measure is null, else all its warnings).

    Examples
    --------
    >>> t = pd.DataFrame({"subject": ["a", "b"], "trial": ["t", "t"], "status": ["ok", "ok"],
    ...                   "valr_bw_s": [60.0, None],
    ...                   "warnings": ["", "no force plate: VALR is null"]})
    >>> partial_trials(t)[["subject", "missing", "reason"]].to_dict("records")
    [{'subject': 'b', 'missing': 'valr_bw_s', 'reason': 'no force plate: VALR is null'}]
    """
    rows = []
    ok = trials.loc[trials["status"].astype(str) == "ok"] if "status" in trials else trials
    for _, row in ok.iterrows():
        missing = _missing_outcomes(row)
        if not missing:
            continue
        warnings = [w.strip() for w in str(row.get("warnings") or "").split(";") if w.strip()]
        warnings = [w for w in warnings if w.lower() != "nan"]
        null = [w for w in warnings if "null" in w.lower() or "missing" in w.lower()]
        rows.append({"subject": row["subject"], "trial": row["trial"],
                     "missing": ", ".join(missing),
                     "reason": "; ".join(null or warnings) or "not stated"})  # fmt: skip
    return pd.DataFrame(rows, columns=["subject", "trial", "missing", "reason"])


def _comparison_reason(row, reference: str, comparison: str) -> str:
    n_ref, n_cmp = int(row.n_reference or 0), int(row.n_comparison or 0)
    if n_ref == 0 and n_cmp == 0:
        return "no subject has a value"
    short = [f"{group} n = {n}" for group, n in ((reference, n_ref), (comparison, n_cmp)) if n < 2]
    if short:
        return "fewer than 2 subjects with a value (" + ", ".join(short) + ")"
    return "no test could be computed (e.g. no variance)"


def comparisons(group_tests: pd.DataFrame, /) -> tuple[int, pd.DataFrame]:
    """Group comparisons made, and those not possible with the reason.

    Returns
    -------
    made : int
        Rows of ``stats/group_tests.csv`` with a p-value.
    not_possible : DataFrame
        ``outcome``, ``condition``, ``reason`` for every row without one.
    """
    if group_tests.empty:
        return 0, pd.DataFrame(columns=["outcome", "condition", "reason"])
    reference = str(group_tests.get("reference", pd.Series(["reference"])).iloc[0])
    comparison = str(group_tests.get("comparison", pd.Series(["comparison"])).iloc[0])
    tested = group_tests["p"].notna()
    rows = [{"outcome": row.outcome, "condition": row.condition,
             "reason": _comparison_reason(row, reference, comparison)}
            for row in group_tests.loc[~tested].fillna({"n_reference": 0, "n_comparison": 0})
            .itertuples(index=False)]  # fmt: skip
    return int(tested.sum()), pd.DataFrame(rows, columns=["outcome", "condition", "reason"])


def run_summary(
    *,
    participants: pd.DataFrame,
    trials_sheet: pd.DataFrame,
    trials: pd.DataFrame,
    failed: pd.DataFrame,
    group_tests: pd.DataFrame,
    groups: Sequence[str],
    notes: Sequence[str] = (),
) -> dict:
    """Count what the run made: trials ok / partial / failed, n per group and condition, tests.

    Parameters
    ----------
    participants, trials_sheet : DataFrame
        The two sheets.
    trials, failed : DataFrame
        ``cohort/trials.csv`` and ``cohort/failed_trials.csv``.
    group_tests : DataFrame
        ``stats/group_tests.csv``.
    groups : sequence of str
        Reference and comparison group labels.
    notes : sequence of str
        What figures left out (:func:`read_notes`).

    Returns
    -------
    dict
        ``trials`` (total, ok, partial, failed), ``failed`` and ``partial`` (lists of dicts),
        ``n`` (group × condition subject counts with at least one processed trial),
        ``participants_without_trials``, ``participants_all_failed``, ``comparisons_made``,
        ``comparisons_not_possible`` (list of dicts) and ``notes``.
    """
    partial = partial_trials(trials)
    ok = trials.loc[trials["status"].astype(str) == "ok"] if len(trials) else trials
    n = (ok.groupby(["group", "condition"])["subject"].nunique() if len(ok)
         else pd.Series(dtype=int))  # fmt: skip
    conditions = list(pd.unique(trials_sheet["condition"].astype(str)))
    counts = {g: {c: int(n.get((g, c), 0)) for c in conditions} for g in groups}
    listed = set(trials_sheet["subject"].astype(str))
    people = participants["subject"].astype(str)
    without = sorted(set(people) - listed)
    processed = set(ok["subject"].astype(str)) if len(ok) else set()
    all_failed = sorted((set(people) & listed) - processed)
    made, not_possible = comparisons(group_tests)
    return {
        "trials": {"total": len(trials), "ok": len(ok) - len(partial), "partial": len(partial),
                   "failed": len(failed)},
        "failed": failed.reindex(columns=["subject", "trial", "path", "error"]).to_dict("records"),
        "partial": partial.to_dict("records"),
        "n": counts,
        "participants_without_trials": without,
        "participants_all_failed": all_failed,
        "comparisons_made": made,
        "comparisons_not_possible": not_possible.to_dict("records"),
        "notes": list(notes),
    }  # fmt: skip


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary_text(summary: Mapping, /) -> str:
    """Write the run summary as a few plain lines (printed at the end of the run, summary.txt).

    Examples
    --------
    >>> s = {"trials": {"total": 4, "ok": 2, "partial": 1, "failed": 1},
    ...      "failed": [{"subject": "S4", "trial": "t1", "error": "t1.c3d is empty."}],
    ...      "partial": [], "n": {"healthy": {"run": 2}, "lbp": {"run": 1}},
    ...      "participants_without_trials": ["S9"], "participants_all_failed": ["S4"],
    ...      "comparisons_made": 0, "comparisons_not_possible": [{"outcome": "valr_bw_s",
    ...      "condition": "run", "reason": "fewer than 2 subjects with a value (lbp n = 1)"}],
    ...      "notes": []}
    >>> print(summary_text(s))
    lbprun run summary
      trials: 4 processed - 2 ok, 1 partial (some measures missing), 1 failed
      subjects with data (run): healthy 2, lbp 1
      failed: S4/t1: t1.c3d is empty.
      participants without trials: S9
      participants whose every trial failed: S4
      group comparisons: 0 made, 1 not possible
        valr_bw_s (run): fewer than 2 subjects with a value (lbp n = 1)
    """
    t = summary["trials"]
    lines = ["lbprun run summary",
             f"  trials: {t['total']} processed - {t['ok']} ok, {t['partial']} partial "
             f"(some measures missing), {t['failed']} failed"]  # fmt: skip
    conditions = list(next(iter(summary["n"].values()), {}))
    for condition in conditions:
        counts = ", ".join(f"{g} {c[condition]}" for g, c in summary["n"].items())
        lines.append(f"  subjects with data ({condition}): {counts}")
    lines += [f"  failed: {f['subject']}/{f['trial']}: {f['error']}" for f in summary["failed"]]
    if summary["participants_without_trials"]:
        lines.append("  participants without trials: "
                     + ", ".join(summary["participants_without_trials"]))  # fmt: skip
    if summary["participants_all_failed"]:
        lines.append("  participants whose every trial failed: "
                     + ", ".join(summary["participants_all_failed"]))  # fmt: skip
    impossible = summary["comparisons_not_possible"]
    lines.append(f"  group comparisons: {summary['comparisons_made']} made, "
                 f"{len(impossible)} not possible")  # fmt: skip
    shown = impossible[:10]
    lines += [f"    {c['outcome']} ({c['condition']}): {c['reason']}" for c in shown]
    if len(impossible) > len(shown):
        lines.append(f"    ... and {len(impossible) - len(shown)} more (see the report)")
    lines += [f"  not drawn: {note}" for note in summary["notes"]]
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return html.escape(str(value))


def html_table(table: pd.DataFrame, /, *, table_id: str | None = None) -> str:
    """Render a DataFrame of formatted values as a plain HTML table (header row, no index)."""
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    head = "".join(f"<th>{_cell(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>\n"
                   for row in table.itertuples(index=False))  # fmt: skip
    return (
        f'<table class="lbprun"{ident}>\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}</tbody></table>"
    )


STYLE = """<style>
.prose.max-w-lg { max-width: 72rem; }
/* The report centres its front page vertically: a page taller than the window would lose its
   top (the run summary) above the scroll range. Start it at the top instead. */
div.overflow-auto:has(#lbprun-summary) { align-items: flex-start; justify-content: flex-start; }
table.lbprun { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem 0; }
table.lbprun th, table.lbprun td { border-bottom: 1px solid #ccc; padding: 0.15rem 0.5rem;
  text-align: left; vertical-align: top; }
table.lbprun th { background: #f3f3f3; }
.lbprun-caption { font-size: 0.9rem; max-width: 60rem; }
</style>"""


def html_page(title: str, caption: str, table: pd.DataFrame, /, *, table_id: str) -> str:
    """Write a standalone HTML page: title, plain-language caption, the table (for the report)."""
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title>{STYLE}</head><body style=\"font-family: sans-serif\">\n"
            f"<h2>{html.escape(title)}</h2>\n"
            f"<p class=\"lbprun-caption\">{html.escape(caption)}</p>\n"
            f"{html_table(table, table_id=table_id)}\n</body></html>\n")  # fmt: skip


def _counts_table(n: Mapping, labels: Mapping[str, str]) -> pd.DataFrame:
    conditions = list(next(iter(n.values()), {}))
    rows = [{"group": g, **{c: counts[c] for c in conditions}} for g, counts in n.items()]
    table = pd.DataFrame(rows, columns=["group", *conditions])
    return table.rename(columns={c: labels.get(str(c), c) for c in conditions})


def _label_conditions(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    if "condition" not in table:
        return table
    return table.assign(condition=table["condition"].astype(str).map(lambda c: labels.get(c, c)))


def summary_html(
    summary: Mapping,
    /,
    *,
    headline: pd.DataFrame | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """Write the front page's run summary as an HTML fragment (with the main results table).

    ``labels`` maps conditions to their labels with units (:func:`lbprun.figures.condition_labels`).
    """
    labels = labels or {}
    if headline is not None:
        headline = _label_conditions(headline, labels)
    t = summary["trials"]
    parts = [STYLE, '<div id="lbprun-summary">', "<h2>Run summary</h2>",
             f"<p>{t['total']} trials processed: <b>{t['ok']} ok</b>, "
             f"<b>{t['partial']} partial</b> "
             f"(processed, some measures missing), <b>{t['failed']} failed</b>. "
             f"Group comparisons: <b>{summary['comparisons_made']} made</b>, "
             f"<b>{len(summary['comparisons_not_possible'])} not possible</b>.</p>",
             "<p>Subjects with at least one processed trial, per group and condition:</p>",
             html_table(_counts_table(summary["n"], labels), table_id="lbprun-n")]  # fmt: skip
    if summary["failed"]:
        failed = pd.DataFrame(summary["failed"])[["subject", "trial", "error"]]
        failed = failed.rename(columns={"error": "reason"})
        parts += ["<h3>Failed trials</h3>", html_table(failed, table_id="lbprun-failed")]
    if summary["partial"]:
        partial = html_table(pd.DataFrame(summary["partial"]), table_id="lbprun-partial")
        parts += ["<h3>Partial trials (processed, some measures missing)</h3>", partial]
    people = [
        ("Participants without trials in the trials sheet", summary["participants_without_trials"]),
        ("Participants whose every trial failed", summary["participants_all_failed"]),
    ]
    parts += [f"<p>{label}: {html.escape(', '.join(who))}.</p>" for label, who in people if who]
    if summary["comparisons_not_possible"]:
        impossible = _label_conditions(pd.DataFrame(summary["comparisons_not_possible"]), labels)
        labels_of = registry.OUTCOME_LABELS
        impossible["outcome"] = impossible["outcome"].map(lambda o: labels_of.get(o, o))
        parts += ["<h3>Comparisons not possible</h3>",
                  html_table(impossible, table_id="lbprun-not-possible")]  # fmt: skip
    if summary["notes"]:
        parts += ["<h3>Left out of the figures</h3><ul>",
                  *[f"<li>{html.escape(n)}</li>" for n in summary["notes"]], "</ul>"]  # fmt: skip
    if headline is not None and len(headline):
        parts += ["<h3>Group comparisons</h3>",
                  "<p>Per condition, subject means: mean ± SD per group, difference "
                  "(comparison − reference) with 95 % CI, Hedges' g with 95 % CI, Welch p and "
                  "p adjusted across outcomes within the condition.</p>",
                  html_table(headline, table_id="lbprun-group-tests")]  # fmt: skip
    parts.append("</div>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- methods


def methods_html(config: Mapping, /) -> str:
    """Write the methods paragraph with citations and the settings of this run (HTML fragment)."""
    f, e, s, c = config["filters"], config["events"], config["stats"], config["coordination"]
    groups = config["groups"]
    correction = CORRECTIONS.get(s["correction"], s["correction"])
    spm = ("parametric and non-parametric (" + str(s["spm_iterations"]) + " permutations)"
           if s["spm_nonparametric"] else "parametric")  # fmt: skip
    covariates = (" with covariates " + ", ".join(s["covariates"])) if s["covariates"] else ""
    text = (
        f"Trials were processed with lbprun {__version__}. Marker trajectories were low-pass "
        f"filtered at {f['marker_cutoff_hz']:g} Hz and forces at {f['force_cutoff_hz']:g} Hz "
        f"(zero-lag Butterworth, order {f['filter_order']}); marker gaps up to "
        f"{f['max_gap_frames']} frames were filled. Touchdown and toe-off came from "
        f"{e['event_source']} sources (force plates above {e['plate_threshold_overground_n']:g} N "
        f"overground, {e['plate_threshold_treadmill_n']:g} N on treadmills; kinematic events after "
        "Handsaker et al. 2016). A stride ran from touchdown to the next touchdown of the same "
        f"foot and was time-normalised to {registry.N_POINTS} points. Pelvis–thorax "
        "transverse-plane coordination "
        "was quantified by continuous relative phase (mean absolute relative phase and deviation "
        f"phase, {c['crp_centering']} centring; Lamb & Stöckl 2014), Fourier relative phase with "
        "coherence (Lamoth et al. 2002; van den Hoorn et al. 2012) and vector coding (Chang et al. "
        "2008; Needham et al. 2014); rotation amplitudes and trunk inclination followed Müller et "
        "al. 2015, knee flexion the joint coordinate system (Grood & Suntay 1983), and vertical "
        "ground reaction force was normalised to body weight (impact and active peaks, VALR, "
        "VILR). Subject × condition means were compared between "
        f"{groups['comparison']} and {groups['reference']} (reference) per condition by Welch "
        f"t-tests with Hedges' g and 95 % CIs, p adjusted across outcomes with the {correction} "
        f"method (α = {s['alpha']:g}); linear mixed models (group × condition{covariates}, random "
        "intercept per subject; statsmodels, Seabold & Perktold 2010); SPM{t} on waveforms "
        f"({spm}; spm1d, Pataky 2012); and leave-one-subject-out linear discriminant analysis "
        f"(shrinkage {s['discriminant_shrinkage']:g}). The workflow ran in Snakemake "
        "(Mölder et al. 2021)."
    )  # fmt: skip
    return f'<h2>Methods</h2>\n<p id="lbprun-methods">{html.escape(text)}</p>\n'


# --------------------------------------------------------------------------- the report


def build_report(
    out: str | os.PathLike,
    /,
    *,
    snakefile: str | os.PathLike,
    config: Mapping,
    metadata: Mapping[str, int | float],
    workdir: str | os.PathLike = ".",
) -> None:
    """Run ``snakemake --report`` on this workflow from inside one of its jobs.

    The job's config (defaults filled in) is passed as the only config file, so the report
    describes exactly this run; ``--nolock`` because the running workflow holds the lock, and
    ``--report-metadata`` puts the run's facts on the front page (the rule graph moves to the
    "Workflow" menu).

    Raises
    ------
    RuntimeError
        If Snakemake could not build the report (its last lines say why).
    """
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="lbprun-report-") as scratch:
        configfile, metafile = Path(scratch) / "config.yaml", Path(scratch) / "metadata.yaml"
        configfile.write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
        metafile.write_text(yaml.safe_dump(dict(metadata), sort_keys=False), encoding="utf-8")
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", os.fspath(snakefile),
               "--directory", os.fspath(workdir), "--configfile", os.fspath(configfile),
               "--nolock", "--report", os.fspath(out),
               "--report-metadata", os.fspath(metafile)]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    log.info("%s\n%s", " ".join(cmd), run.stderr)
    if run.returncode != 0 or not out.is_file():
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-8:])
        raise RuntimeError(f"snakemake --report failed:\n{tail}")


def front_page_facts(summary: Mapping, /) -> dict[str, int]:
    """Count the run's trials and comparisons for the report's front page (``--report-metadata``).

    Numbers only: Snakemake 9 renders string metadata values as a docutils parts dictionary,
    not as text. Any metadata at all also moves the rule graph off the front page.

    Examples
    --------
    >>> front_page_facts({"trials": {"total": 5, "ok": 3, "partial": 1, "failed": 1},
    ...                   "comparisons_made": 23, "comparisons_not_possible": [{}]})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'Trials processed': 5, 'Trials ok': 3, 'Trials partial': 1, 'Trials failed': 1,
     'Group comparisons made': 23, 'Group comparisons not possible': 1}
    """
    t = summary["trials"]
    return {"Trials processed": int(t["total"]), "Trials ok": int(t["ok"]),
            "Trials partial": int(t["partial"]), "Trials failed": int(t["failed"]),
            "Group comparisons made": int(summary["comparisons_made"]),
            "Group comparisons not possible": len(summary["comparisons_not_possible"])}  # fmt: skip


# --------------------------------------------------------------------------- report tables

TABLES = {  # name: (title, plain-language caption; {reference}, {comparison}, {correction})
    "participants": (
        "Participant characteristics",
        "Characteristics of the {reference} and {comparison} groups from the participants "
        "sheet: mean ± SD for numbers, counts per level for categories, the difference "
        "({comparison} − {reference}) with its 95 % confidence interval and the p-value of a "
        "Welch t-test (Fisher's exact or chi-squared test for categories).",
    ),
    "outcomes": (
        "Outcomes by group and condition",
        "Each outcome per condition: subject means as mean ± SD in each group (n in the "
        "headers is the number of subjects in the group), the difference ({comparison} − "
        "{reference}) with its 95 % CI, Hedges' g with its 95 % CI, the Welch p-value and the "
        "p-value adjusted across the outcomes of the condition ({correction}).",
    ),
    "group_tests": (
        "Group comparisons (statistics)",
        "The group comparison of every outcome in every condition, with the number of subjects "
        "that had a value in each group (n). Units are in the outcome names; BW is body weight. "
        "Differences are {comparison} − {reference}; p ({correction}) is adjusted across "
        "outcomes within a condition. A dash means the comparison was not possible (fewer than "
        "two subjects with a value in a group).",
    ),
    "mixed_models": (
        "Linear mixed models",
        "Each outcome modelled on subject × condition means with group, condition and their "
        "interaction as fixed effects and a random intercept per subject (REML). Estimates are "
        "in the outcome's unit: the intercept is the {reference} group in the first condition, "
        "'{comparison}' is the group difference there, a condition term is the change from the "
        "first condition, and '{comparison} × condition' is how much the group difference "
        "changes with the condition. The variance rows give the between-subject and residual "
        "variances (outcome unit squared) and the ICC (share of the variance between subjects).",
    ),
    "spm_clusters": (
        "SPM clusters on waveforms",
        "Stretches of the stride (or stance, for vertical force) where the {comparison} and "
        "{reference} mean waveforms differ: supra-threshold clusters of a two-sample SPM{{t}} "
        "test, from–to in % of the cycle, with the cluster's p-value. No row for a waveform "
        "means no difference was found there.",
    ),
    "associations": (
        "Knee flexion and loading",
        "Stance-level mixed models (random intercept per subject): how much each loading "
        "measure changes per degree more knee flexion at touchdown, with its 95 % CI, p-value "
        "and the number of stances and subjects used.",
    ),
    "discriminant": (
        "Which outcomes separate the groups",
        "Linear discriminant analysis per condition, leave-one-subject-out cross-validated: "
        "accuracy and area under the ROC curve (AUC; 0.5 is chance) of each outcome alone and "
        "of all outcomes together, with standardised coefficients and structure-coefficient "
        "importance.",
    ),
}


def table_caption(name: str, /, *, config: Mapping) -> tuple[str, str]:
    """Title and plain-language caption of one report table, with the run's group names."""
    title, caption = TABLES[name]
    stats = config["stats"]
    return title, caption.format(
        reference=config["groups"]["reference"],
        comparison=config["groups"]["comparison"],
        correction=CORRECTIONS.get(stats["correction"], stats["correction"]),
    )


def readable_table(name: str, table: pd.DataFrame, /, *, reference: str) -> pd.DataFrame:
    """One of :data:`TABLES` as the report shows it, from the run's CSV file.

    Parameters
    ----------
    name : str
        A key of :data:`TABLES`: ``participants`` and ``outcomes`` (already readable, shown as
        they are) or a ``stats/`` table, formatted by :mod:`lbprun.tables`.
    table : DataFrame
        The CSV file read back.
    reference : str
        The reference group (config ``groups.reference``), for the mixed-models terms.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> made = pd.DataFrame({"Outcome": ["Cadence (steps/min)"]})  # tables/outcomes.csv
    >>> readable_table("outcomes", made, reference="healthy") is made
    True
    """
    from lbprun import tables  # imports scipy.stats: only the job that writes the pages

    readable = {
        "participants": lambda t: t,
        "outcomes": lambda t: t,
        "group_tests": tables.group_tests_table,
        "mixed_models": lambda t: tables.mixed_models_table(t, reference=reference),
        "spm_clusters": tables.spm_clusters_table,
        "associations": tables.associations_table,
        "discriminant": tables.discriminant_table,
    }
    return readable[name](table)


def write_table_page(
    path: str | os.PathLike, name: str, source: str | os.PathLike, /, *, config: Mapping
) -> None:
    """Write the report's HTML page of one table (``report/tables/{name}.html``).

    Parameters
    ----------
    path : path-like
        The page to write.
    name : str
        A key of :data:`TABLES`.
    source : path-like
        The table's CSV file.
    config : mapping
        The run's configuration (group names and correction for the caption).
    """
    readable = readable_table(name, pd.read_csv(source), reference=config["groups"]["reference"])
    title, caption = table_caption(name, config=config)
    Path(path).write_text(
        html_page(title, caption, readable, table_id=f"lbprun-{name}"), encoding="utf-8"
    )
