"""Publication figures (CONTRACT.md, figures/): waveforms, discrete outcomes, vector coding, QC.

Every figure is sized for a journal column (single 85 mm, double 180 mm), uses the Okabe–Ito
colour-blind-safe palette (Okabe & Ito 2008; seaborn's "colorblind" is derived from it) and is
written by :func:`save` as PDF (TrueType fonts embedded), PNG (300 dpi) and SVG (text kept as
text), with timestamps removed and SVG ids salted so that reruns are byte-identical.
"""

from __future__ import annotations

import functools
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.stats

from lbprun.cohort import OUTCOME_LABELS, waveform_matrix
from lbprun.stats import conditions_of

MM = 1.0 / 25.4  # inches per millimetre
SINGLE_COLUMN_MM = 85.0
DOUBLE_COLUMN_MM = 180.0
DPI = 300
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
CLUSTER_GREY = "0.85"
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.0,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "pdf.fonttype": 42,  # TrueType, embedded: editable text in the journal's tools
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "lbprun",  # fixed ids: byte-stable reruns
}
WAVEFORMS = {  # waveform: (y label, x label)
    "pelvis_rot_deg": ("Pelvis rotation (°)", "Stride (%)"),
    "thorax_rot_deg": ("Thorax rotation (°)", "Stride (%)"),
    "trunk_rot_deg": ("Trunk rotation, thorax–pelvis (°)", "Stride (%)"),
    "crp_deg": ("CRP, thorax − pelvis (°; < 0: thorax lags)", "Stride (%)"),
    "vc_coupling_deg": ("Coupling angle (°)", "Stride (%)"),
    "knee_flex_deg": ("Knee flexion (°)", "Stride (%)"),
    "vgrf_bw": ("Vertical GRF (BW)", "Stance (%)"),
}
VC_PATTERNS = {
    "vc_inphase_pct": "In-phase",
    "vc_antiphase_pct": "Anti-phase",
    "vc_pelvis_phase_pct": "Pelvis phase",
    "vc_thorax_phase_pct": "Thorax phase",
}


def palette(groups: Sequence[str], /) -> dict[str, str]:
    """Okabe–Ito colour per group, in order (reference blue, comparison vermillion).

    Examples
    --------
    >>> palette(["healthy", "lbp"])
    {'healthy': '#0072B2', 'lbp': '#D55E00'}
    """
    return {g: OKABE_ITO[i % len(OKABE_ITO)] for i, g in enumerate(groups)}


def styled(function):
    """Run a figure function under the journal style (artists take rcParams when created)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


def _figure(width_mm: float, height_mm: float, ncols: int = 1, nrows: int = 1, **kwargs):
    """Figure of a journal size with a grid of axes (constrained layout)."""
    return plt.subplots(nrows, ncols, figsize=(width_mm * MM, height_mm * MM),
                        layout="constrained", squeeze=False, **kwargs)  # fmt: skip


def _legend_on_top(fig, ax) -> None:
    """One legend for the figure, above the panels, so it never hides data."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=max(len(labels), 1),
               handlelength=1.2, columnspacing=1.5)  # fmt: skip


def save(fig: matplotlib.figure.Figure, stem: str | os.PathLike, /) -> None:
    """Write ``stem.pdf``, ``stem.png`` (300 dpi) and ``stem.svg``; close the figure.

    PDF fonts are embedded as TrueType (``pdf.fonttype`` 42), SVG text stays text
    (``svg.fonttype`` "none"); creation dates are left out and SVG ids are salted, so the same
    figure saved twice gives identical bytes.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        ".pdf": {"CreationDate": None, "ModDate": None, "Creator": "lbprun"},
        ".png": {"Software": None},
        ".svg": {"Date": None, "Creator": "lbprun"},
    }
    with plt.rc_context(STYLE):
        for suffix, meta in metadata.items():
            fig.savefig(stem.with_suffix(suffix), dpi=DPI, metadata=meta)
    plt.close(fig)


# --------------------------------------------------------------------------- waveforms


def _band(curves: np.ndarray, band: str) -> tuple[np.ndarray, np.ndarray]:
    """Group mean and half-width of the band: SD, or the t-based 95 % CI of the mean."""
    mean = curves.mean(axis=0)
    sd = curves.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros_like(mean)
    if band == "sd":
        return mean, sd
    if band == "ci":
        t = scipy.stats.t.ppf(0.975, max(len(curves) - 1, 1))
        return mean, t * sd / np.sqrt(len(curves))
    raise ValueError(f"unknown band {band!r} (sd or ci).")


def _is(column: pd.Series, value) -> pd.Series:
    """Label equality that survives a CSV round trip (condition "3.0" read back as 3.0)."""
    return column.astype(str) == str(value)


def _clusters_of(clusters: pd.DataFrame, waveform: str, condition) -> pd.DataFrame:
    """Clusters of one waveform × condition, from one SPM method only (parametric if present).

    ``stats/spm_clusters.csv`` may hold parametric and non-parametric results together; shading
    both would draw each cluster twice.
    """
    if clusters.empty:
        return clusters
    mine = clusters.loc[_is(clusters["waveform"], waveform) & _is(clusters["condition"], condition)]
    if "method" in mine and mine["method"].nunique() > 1:
        methods = list(pd.unique(mine["method"]))
        method = "parametric" if "parametric" in methods else methods[0]
        mine = mine.loc[mine["method"] == method]
    return mine


def _shade_clusters(ax, clusters: pd.DataFrame) -> None:
    """Grey span for each SPM cluster with its p-value above it."""
    for cluster in clusters.itertuples(index=False):
        ax.axvspan(cluster.start_pct, cluster.end_pct, color=CLUSTER_GREY, lw=0, zorder=0,
                   gid="spm_cluster")  # fmt: skip
        label = "p < 0.001" if cluster.p < 0.001 else f"p = {cluster.p:.3f}"
        ax.text((cluster.start_pct + cluster.end_pct) / 2, 1.0, label, ha="center", va="bottom",
                fontsize=5.5, transform=ax.get_xaxis_transform())  # fmt: skip


@styled
def waveform_figure(
    mean_waves: pd.DataFrame,
    clusters: pd.DataFrame,
    /,
    *,
    waveform: str,
    groups: Sequence[str] = ("healthy", "lbp"),
    band: str = "sd",
) -> matplotlib.figure.Figure:
    """Group mean ± SD (or 95 % CI) of one waveform, one panel per condition, SPM clusters shaded.

    Parameters
    ----------
    mean_waves : DataFrame
        Subject × condition mean waveforms (``cohort/waveforms.parquet``).
    clusters : DataFrame
        Output of :func:`lbprun.stats.spm_waveforms` (may be empty).
    waveform : str
        Which curve (e.g. ``pelvis_rot_deg``, ``vgrf_bw``).
    groups : sequence of str
        Groups to draw, reference first.
    band : {"sd", "ci"}
        Shaded band: between-subject SD or the 95 % CI of the group mean.

    Returns
    -------
    Figure
        Single column wide for up to two conditions, double column otherwise. Curves are
        averaged linearly across subjects (CRP of pelvis and thorax stays well inside ±180°
        in running; the coupling angle is better read from :func:`vector_coding_figure`).
    """
    data = mean_waves.loc[mean_waves["waveform"] == waveform]
    if data.empty:
        raise ValueError(f"no subject has a {waveform} waveform.")
    conditions = conditions_of(data)
    width = SINGLE_COLUMN_MM if len(conditions) <= 2 else DOUBLE_COLUMN_MM
    fig, axes = _figure(width, 55, ncols=len(conditions), sharey=True)
    ylabel, xlabel = WAVEFORMS.get(waveform, (waveform, "Cycle (%)"))
    for ax, condition in zip(axes[0], conditions, strict=True):
        one = data.loc[data["condition"] == condition]
        _draw_groups(ax, one, groups, band)
        _shade_clusters(ax, _clusters_of(clusters, waveform, condition))
        ax.set(xlim=(0, 100), xlabel=xlabel, xticks=[0, 25, 50, 75, 100])
        ax.set_title(str(condition), pad=8)
    axes[0][0].set_ylabel(ylabel)
    _legend_on_top(fig, axes[0][0])
    return fig


def _draw_groups(ax, data: pd.DataFrame, groups: Sequence[str], band: str) -> None:
    """Mean line and shaded band of each group."""
    colours = palette(groups)
    for group in groups:
        curves = waveform_matrix(data.loc[data["group"] == group])
        curves = curves[np.isfinite(curves).all(axis=1)]
        if not len(curves):
            continue
        mean, half = _band(curves, band)
        x = np.linspace(0, 100, len(mean))
        ax.fill_between(x, mean - half, mean + half, color=colours[group], alpha=0.2, lw=0)
        ax.plot(x, mean, color=colours[group], label=f"{group} (n = {len(curves)})")


# --------------------------------------------------------------------------- discrete outcomes


def _jitter(n: int, width: float = 0.08) -> np.ndarray:
    """Deterministic horizontal jitter (a fixed seed: figures are byte-stable)."""
    return np.random.default_rng(n).uniform(-width, width, n)


def _boxes_and_points(ax, table: pd.DataFrame, column: str, *, groups, conditions) -> None:
    """Box per group × condition with every subject as a point over it."""
    colours = palette(groups)
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else np.zeros(1)
    for i, condition in enumerate(conditions):
        for offset, group in zip(offsets, groups, strict=True):
            mask = (table["condition"] == condition) & (table["group"] == group)
            values = table.loc[mask, column].dropna().to_numpy(float)
            if not len(values):
                continue
            ax.boxplot(values, positions=[i + offset], widths=0.3, showfliers=False,
                       medianprops={"color": colours[group]}, boxprops={"color": colours[group]},
                       whiskerprops={"color": colours[group]}, capprops={"color": colours[group]},
                       manage_ticks=False)  # fmt: skip
            ax.scatter(i + offset + _jitter(len(values)), values, s=6, color=colours[group],
                       alpha=0.7, lw=0, zorder=3,
                       label=group if i == 0 else None)  # fmt: skip


def _annotate_effects(ax, tests: pd.DataFrame, conditions) -> None:
    """Hedges' g and adjusted p above each condition."""
    for i, condition in enumerate(conditions):
        row = tests.loc[_is(tests["condition"], condition)]
        if row.empty or not np.isfinite(row["hedges_g"].iloc[0]):
            continue
        g, p = row["hedges_g"].iloc[0], row["p_adj"].iloc[0]
        ptext = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
        label = f"g = {g:.2f}".replace("-", "−")  # typographic minus
        ax.text(i, 1.0, f"{label}\n{ptext}", ha="center", va="bottom", fontsize=5.5,
                transform=ax.get_xaxis_transform())  # fmt: skip


@styled
def discrete_figure(
    subjects: pd.DataFrame,
    group_tests: pd.DataFrame,
    /,
    *,
    outcomes: Sequence[str],
    groups: Sequence[str] = ("healthy", "lbp"),
) -> matplotlib.figure.Figure:
    """Subject values over box plots by group × condition, Hedges' g and adjusted p annotated.

    Parameters
    ----------
    subjects : DataFrame
        ``cohort/subjects.csv``.
    group_tests : DataFrame
        Output of :func:`lbprun.stats.group_tests`.
    outcomes : sequence of str
        One panel per outcome (three per row).
    groups : sequence of str
        Groups to draw, reference first.
    """
    conditions = conditions_of(subjects)
    ncols = min(len(outcomes), 3)
    nrows = -(-len(outcomes) // ncols)
    width = SINGLE_COLUMN_MM if ncols == 1 else DOUBLE_COLUMN_MM * ncols / 3
    fig, axes = _figure(width, 55 * nrows, ncols=ncols, nrows=nrows)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        _boxes_and_points(ax, subjects, outcome, groups=groups, conditions=conditions)
        _annotate_effects(ax, group_tests.loc[group_tests["outcome"] == outcome], conditions)
        ax.set_xticks(range(len(conditions)), [str(c) for c in conditions])
        ax.set_xlim(-0.6, len(conditions) - 0.4)
        ax.set(xlabel="Condition", ylabel=OUTCOME_LABELS.get(outcome, outcome))
    for ax in axes.flat[len(outcomes) :]:
        ax.set_visible(False)
    _legend_on_top(fig, axes.flat[0])
    return fig


# --------------------------------------------------------------------------- vector coding


@styled
def vector_coding_figure(
    subjects: pd.DataFrame, /, *, groups: Sequence[str] = ("healthy", "lbp")
) -> matplotlib.figure.Figure:
    """Percentage of the stride in each coordination pattern: bars (mean ± SD), subject points.

    Parameters
    ----------
    subjects : DataFrame
        ``cohort/subjects.csv`` with ``vc_inphase_pct``, ``vc_antiphase_pct``,
        ``vc_pelvis_phase_pct`` and ``vc_thorax_phase_pct`` (Chang et al. 2008 bins).
    groups : sequence of str
        Groups to draw, reference first.
    """
    conditions = conditions_of(subjects)
    width = SINGLE_COLUMN_MM if len(conditions) <= 2 else DOUBLE_COLUMN_MM
    fig, axes = _figure(width, 55, ncols=len(conditions), sharey=True)
    colours = palette(groups)
    bar = 0.8 / len(groups)
    for ax, condition in zip(axes[0], conditions, strict=True):
        table = subjects.loc[subjects["condition"] == condition]
        for k, group in enumerate(groups):
            values = table.loc[table["group"] == group, list(VC_PATTERNS)].to_numpy(float)
            x = np.arange(len(VC_PATTERNS)) - 0.4 + bar * (k + 0.5)
            ax.bar(x, np.nanmean(values, axis=0), bar * 0.9, yerr=np.nanstd(values, axis=0, ddof=1),
                   color=colours[group], alpha=0.75, label=group,
                   error_kw={"elinewidth": 0.6, "capsize": 1.5})  # fmt: skip
            for j in range(len(VC_PATTERNS)):
                ax.scatter(x[j] + _jitter(len(values), 0.05), values[:, j], s=3, color="0.2",
                           lw=0, zorder=3)  # fmt: skip
        ax.set_xticks(range(len(VC_PATTERNS)), [textwrap.fill(v, 8) for v in VC_PATTERNS.values()])
        ax.set_title(str(condition))
    axes[0][0].set_ylabel("Stride in pattern (%)")
    _legend_on_top(fig, axes[0][0])
    return fig


# --------------------------------------------------------------------------- QC


@styled
def qc_figure(trials: pd.DataFrame, failed: pd.DataFrame, /) -> matplotlib.figure.Figure:
    """Plot strides and force-plate stances per trial, failed trials marked with their error.

    Up to ``QC_MAX_BARS`` trials get one labelled bar each; a larger cohort gets histograms of
    the counts over its trials and the first failed trials listed (one bar and label per
    trial would be unreadable and take seconds per trial to render).

    Parameters
    ----------
    trials : DataFrame
        ``cohort/trials.csv`` (``subject``, ``trial``, ``status``, ``n_strides``,
        ``n_plate_stances``).
    failed : DataFrame
        ``cohort/failed_trials.csv`` (``subject``, ``trial``, ``error``).
    """
    errors = dict(zip(failed["subject"].astype(str) + "/" + failed["trial"].astype(str),
                      failed["error"].astype(str), strict=True))  # fmt: skip
    fig = _qc_bars(trials, errors) if len(trials) <= QC_MAX_BARS else _qc_hist(trials, errors)
    fig.suptitle(f"{len(trials)} trials, {len(errors)} failed", fontsize=7)
    return fig


QC_PANELS = (("n_strides", "Strides"), ("n_plate_stances", "Force-plate stances"))
QC_MAX_BARS = 80
QC_MAX_LISTED = 12


def _qc_counts(trials: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(trials.get(column), errors="coerce").fillna(0).to_numpy()


def _qc_bars(trials: pd.DataFrame, errors: dict[str, str]) -> matplotlib.figure.Figure:
    """One horizontal bar per trial; failed trials crossed and their error written."""
    labels = (trials["subject"].astype(str) + "/" + trials["trial"].astype(str)).to_numpy()
    height = float(np.clip(20 + 3.2 * len(labels), 45, 230))
    fig, axes = _figure(DOUBLE_COLUMN_MM, height, ncols=2, sharey=True)
    y = np.arange(len(labels))[::-1]
    for ax, (column, title) in zip(axes[0], QC_PANELS, strict=True):
        ax.barh(y, _qc_counts(trials, column), height=0.7, color=OKABE_ITO[0])
        ax.set(xlabel=f"{title} (n)", ylim=(-0.7, len(labels) - 0.3))
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    for row, label in zip(y, labels, strict=True):
        if label in errors:
            axes[0][0].plot(0, row, marker="x", color=OKABE_ITO[1], ms=4, clip_on=False)
            axes[0][1].text(0.02, row, "failed: " + textwrap.shorten(errors[label], 70),
                            color=OKABE_ITO[1], va="center", fontsize=5,
                            transform=axes[0][1].get_yaxis_transform())  # fmt: skip
    axes[0][0].set_yticks(y, labels, fontsize=5 if len(labels) > 30 else 6)
    return fig


def _qc_hist(trials: pd.DataFrame, errors: dict[str, str]) -> matplotlib.figure.Figure:
    """Histograms of the counts over successful trials; the first failed trials listed."""
    fig, axes = _figure(DOUBLE_COLUMN_MM, 110, ncols=2)
    ok = trials[trials["status"].astype(str) == "ok"]
    for ax, (column, title) in zip(axes[0], QC_PANELS, strict=True):
        counts = _qc_counts(ok, column)
        top = int(counts.max()) if len(counts) else 0
        ax.hist(counts, bins=np.arange(top + 2) - 0.5, color=OKABE_ITO[0])
        ax.set(xlabel=f"{title} per successful trial (n)", ylabel="Trials (n)")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    lines = [f"failed: {label}: {textwrap.shorten(error, 90)}"
             for label, error in list(errors.items())[:QC_MAX_LISTED]]  # fmt: skip
    if len(errors) > QC_MAX_LISTED:
        lines.append(f"... and {len(errors) - QC_MAX_LISTED} more (cohort/failed_trials.csv)")
    if lines:
        fig.get_layout_engine().set(rect=(0, 0.022 * len(lines), 1, 1 - 0.022 * len(lines)))
        fig.text(0.01, 0.01, "\n".join(lines), color=OKABE_ITO[1], fontsize=5, va="bottom")
    return fig
