"""Publication figures (CONTRACT.md, figures/): waveforms, discrete outcomes, vector coding, QC.

Every figure is sized for a journal column (single 85 mm, double 180 mm), uses the Okabe–Ito
colour-blind-safe palette (Okabe & Ito 2008; seaborn's "colorblind" is derived from it) and is
written by :func:`save` as PDF (TrueType fonts embedded), PNG (300 dpi) and SVG (text kept as
text), with timestamps removed and SVG ids salted so that reruns are byte-identical.

Journal rules kept here (issue 13): text at final size is at least 7 pt (6 pt only for the tick
labels of a dense QC list), panels carry letters, conditions are labelled with their units
(:func:`condition_labels`), p-values name their correction, n is given per group and condition,
legends list exactly the groups drawn, and panels without data are left out. What a figure left
out is returned by :func:`notes_of` so that the caption and the log can say so.
"""

from __future__ import annotations

import functools
import os
import string
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only, never a window

import matplotlib.lines
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lbprun import registry

# condition_labels lives in cohort, which the workflow imports to build the DAG (no matplotlib)
from lbprun.cohort import condition_labels, conditions_of, waveform_matrix  # noqa: F401

MM = 1.0 / 25.4  # inches per millimetre
SINGLE_COLUMN_MM = 85.0
DOUBLE_COLUMN_MM = 180.0
DPI = 300
MIN_TEXT_PT = 7.0  # final-size text (most journals: 6-8 pt minimum)
MIN_DENSE_TICK_PT = 6.0  # only the trial list of the QC figure
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
CLUSTER_GREY = "0.85"
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 7,
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
STRIDE_AXIS = registry.CYCLE_AXES["stride"]
# waveform: (y label, x label); pattern: label (both from the registry)
WAVEFORMS = {name: (registry.label(name), registry.describe(name).cycle_axis)
             for name in registry.WAVEFORMS}  # fmt: skip
VC_PATTERNS = {name: registry.describe(name).label for name in registry.VC_PATTERNS}
CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "FDR", "none": None}


def palette(groups: Sequence[str], /) -> dict[str, str]:
    """Okabe–Ito colour per group, in order (reference blue, comparison vermillion).

    Examples
    --------
    >>> palette(["healthy", "lbp"])
    {'healthy': '#0072B2', 'lbp': '#D55E00'}
    """
    return {g: OKABE_ITO[i % len(OKABE_ITO)] for i, g in enumerate(groups)}


def p_label(p: float, correction: str | None = "holm", /) -> str:
    """Format a p-value naming its correction: "p (Holm) = 0.012", "p (Holm) < 0.001".

    Examples
    --------
    >>> p_label(0.01234), p_label(0.0001, "none"), p_label(float("nan"))
    ('p (Holm) = 0.012', 'p < 0.001', 'p (Holm) –')
    """
    name = CORRECTION_NAMES.get(str(correction).lower(), str(correction))
    head = f"p ({name})" if name else "p"
    if not np.isfinite(p):
        return f"{head} –"
    return f"{head} < 0.001" if p < 0.001 else f"{head} = {p:.3f}"


def notes_of(fig: matplotlib.figure.Figure, /) -> list[str]:
    """Sentences saying what a figure left out and why (for its caption and the log).

    Examples
    --------
    >>> fig = placeholder_figure("Not drawn: no trial has a knee flexion waveform.")
    >>> notes_of(fig)
    ['Not drawn: no trial has a knee flexion waveform.']
    >>> plt.close(fig)
    """
    return list(getattr(fig, "lbprun_notes", []))


def _note(fig, sentence: str) -> None:
    fig.lbprun_notes = [*notes_of(fig), sentence]


def styled(function):
    """Run a figure function under the journal style (artists take rcParams when created).

    Examples
    --------
    >>> @styled
    ... def text_size():
    ...     return plt.rcParams["font.size"], plt.rcParams["pdf.fonttype"]
    >>> text_size()
    (7.0, 42)
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


def _figure(width_mm: float, height_mm: float, ncols: int = 1, nrows: int = 1, **kwargs):
    """Figure of a journal size with a grid of axes (constrained layout)."""
    return plt.subplots(nrows, ncols, figsize=(width_mm * MM, height_mm * MM),
                        layout="constrained", squeeze=False, **kwargs)  # fmt: skip


def _panel_letter(ax, index: int) -> None:
    """Bold panel letter (A, B, ...) in the top-left title slot."""
    ax.set_title(string.ascii_uppercase[index % 26], loc="left", fontweight="bold", fontsize=8)


def _lettered_title(ax, index: int, lines: Sequence[str]) -> None:
    """Set the panel letter and title lines as one left-aligned title.

    A centred title next to a left letter runs into it when it is as wide as the panel.
    """
    letter = rf"$\bf{{{string.ascii_uppercase[index % 26]}}}$"
    ax.set_title("\n".join([f"{letter}  {lines[0]}", *lines[1:]]), loc="left", pad=4)


def _group_legend(fig, groups: Sequence[str], drawn: Mapping[str, str], kind: str = "line"):
    """One legend above the panels with exactly the groups drawn, labelled as given."""
    colours = palette(groups)
    handles = []
    for group in groups:
        if group not in drawn:
            continue
        if kind == "line":
            handle = matplotlib.lines.Line2D([], [], color=colours[group])
        else:
            handle = matplotlib.lines.Line2D([], [], color=colours[group], marker="s", ls="",
                                             markersize=5)  # fmt: skip
        handle.set_label(drawn[group])
        handles.append(handle)
    if handles:
        fig.legend(handles=handles, loc="outside upper center", ncols=len(handles),
                   handlelength=1.2, columnspacing=1.5)  # fmt: skip


def _group_labels(groups: Sequence[str], counts: Mapping[str, set]) -> dict[str, str]:
    """Legend label per drawn group: with its n when it is the same in every panel."""
    labels = {}
    for group in groups:
        if group not in counts:
            continue
        ns = counts[group]
        labels[group] = f"{group} (n = {next(iter(ns))})" if len(ns) == 1 else group
    return labels


def save(fig: matplotlib.figure.Figure, stem: str | os.PathLike, /) -> None:
    """Write ``stem.pdf``, ``stem.png`` (300 dpi) and ``stem.svg``; close the figure.

    PDF fonts are embedded as TrueType (``pdf.fonttype`` 42), SVG text stays text
    (``svg.fonttype`` "none"); creation dates are left out and SVG ids are salted, so the same
    figure saved twice gives identical bytes.

    Examples
    --------
    >>> import shutil, tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> save(placeholder_figure("Nothing to draw."), tmp / "figures" / "empty")
    >>> sorted(p.name for p in (tmp / "figures").iterdir())
    ['empty.pdf', 'empty.png', 'empty.svg']
    >>> shutil.rmtree(tmp)
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


@styled
def placeholder_figure(message: str, /) -> matplotlib.figure.Figure:
    """Draw a small figure that only says why there is nothing to draw (the caption repeats it).

    Examples
    --------
    >>> fig = placeholder_figure("Not drawn: no subject has two trials.")
    >>> [round(v) for v in fig.get_size_inches() / MM], notes_of(fig)
    ([85, 30], ['Not drawn: no subject has two trials.'])
    >>> plt.close(fig)
    """
    fig, axes = _figure(SINGLE_COLUMN_MM, 30)
    axes[0][0].set_axis_off()
    axes[0][0].text(0.5, 0.5, textwrap.fill(message, 55), ha="center", va="center",
                    transform=axes[0][0].transAxes)  # fmt: skip
    _note(fig, message)
    return fig


# --------------------------------------------------------------------------- waveforms


def _band(curves: np.ndarray, band: str) -> tuple[np.ndarray, np.ndarray]:
    """Group mean and half-width of the band: SD, or the t-based 95 % CI of the mean."""
    mean = curves.mean(axis=0)
    sd = curves.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros_like(mean)
    if band == "sd":
        return mean, sd
    if band == "ci":
        import scipy.stats  # here: the figure jobs import this module, scipy.stats costs ~1 s

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


def _shade_clusters(ax, clusters: pd.DataFrame) -> str:
    """Grey span for each SPM cluster; return one line stating the clusters' p-values.

    The p-values go in the panel's title, not over the spans: several narrow clusters would
    put their labels on top of one another.
    """
    for cluster in clusters.itertuples(index=False):
        ax.axvspan(cluster.start_pct, cluster.end_pct, color=CLUSTER_GREY, lw=0, zorder=0,
                   gid="spm_cluster")  # fmt: skip
    if clusters.empty:
        return "no SPM cluster"
    p = clusters["p"].to_numpy(float)
    if len(p) == 1:
        return "SPM cluster " + ("p < 0.001" if p[0] < 0.001 else f"p = {p[0]:.3f}")
    worst = p.max()
    bound = "< 0.001" if worst < 0.001 else f"≤ {worst:.3f}"
    return f"{len(p)} SPM clusters, p {bound}"


@styled
def waveform_figure(
    mean_waves: pd.DataFrame,
    clusters: pd.DataFrame,
    /,
    *,
    waveform: str,
    groups: Sequence[str] = ("healthy", "lbp"),
    band: str = "sd",
    labels: Mapping[str, str] | None = None,
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
    labels : mapping, optional
        Condition -> label (:func:`condition_labels`).

    Returns
    -------
    Figure
        Single column wide for up to two conditions, double column otherwise. Curves are
        averaged linearly across subjects (CRP of pelvis and thorax stays well inside ±180°
        in running; the coupling angle is better read from :func:`vector_coding_figure`).
        A waveform no subject has gives a :func:`placeholder_figure` saying so.

    Examples
    --------
    Two subjects per group, one condition, no SPM cluster:

    >>> pct = np.arange(101)
    >>> waves = pd.DataFrame([np.sin(2 * np.pi * pct / 100) * a for a in (8, 9, 6, 7)],
    ...                      columns=[f"pct_{i:03d}" for i in pct])
    >>> waves = waves.assign(subject=["h1", "h2", "l1", "l2"], condition="run",
    ...                      group=["healthy", "healthy", "lbp", "lbp"], waveform="pelvis_rot_deg")
    >>> clusters = pd.DataFrame(columns=["waveform", "condition", "start_pct", "end_pct", "p"])
    >>> fig = waveform_figure(waves, clusters, waveform="pelvis_rot_deg")
    >>> fig.axes[0].get_ylabel(), [t.get_text() for t in fig.legends[0].get_texts()]
    ('Pelvis rotation (°)', ['healthy (n = 2)', 'lbp (n = 2)'])
    >>> plt.close(fig)
    """
    data = mean_waves.loc[mean_waves["waveform"] == waveform]
    name = WAVEFORMS.get(waveform, (waveform,))[0]
    if data.empty:
        return placeholder_figure(f"Not drawn: no trial has a {name} waveform ({waveform}).")
    labels = labels or {}
    conditions = conditions_of(data)
    width = SINGLE_COLUMN_MM if len(conditions) <= 2 else DOUBLE_COLUMN_MM
    fig, axes = _figure(width, 62, ncols=len(conditions), sharey=True)
    ylabel, xlabel = WAVEFORMS.get(waveform, (waveform, "Cycle (%)"))
    counts: dict[str, set] = {}
    subtitles = []
    for ax, condition in zip(axes[0], conditions, strict=True):
        one = data.loc[data["condition"] == condition]
        drawn = _draw_groups(ax, one, groups, band)
        for group, n in drawn.items():
            counts.setdefault(group, set()).add(n)
        spm = _shade_clusters(ax, _clusters_of(clusters, waveform, condition))
        ax.set(xlim=(0, 100), xlabel=xlabel, xticks=[0, 25, 50, 75, 100])
        subtitles.append((ax, str(labels.get(str(condition), condition)), spm, drawn))
    per_panel_n = any(len(ns) > 1 for ns in counts.values())
    for i, (ax, label, spm, drawn) in enumerate(subtitles):
        lines = [label, spm]
        if per_panel_n:
            lines.insert(1, "n = " + ", ".join(f"{n} {g}" for g, n in drawn.items()))
        _lettered_title(ax, i, lines)
    axes[0][0].set_ylabel(textwrap.fill(ylabel, 28))  # a long label must fit the height
    _group_legend(fig, groups, _group_labels(groups, counts))
    for group in groups:
        if group not in counts:
            _note(fig, f"No {group} subject has a {name} waveform; the group is not drawn.")
    return fig


def _draw_groups(ax, data: pd.DataFrame, groups: Sequence[str], band: str) -> dict[str, int]:
    """Mean line and shaded band of each group; return the n of each group drawn."""
    colours = palette(groups)
    drawn = {}
    for group in groups:
        curves = waveform_matrix(data.loc[data["group"] == group])
        curves = curves[np.isfinite(curves).all(axis=1)]
        if not len(curves):
            continue
        mean, half = _band(curves, band)
        x = np.linspace(0, 100, len(mean))
        ax.fill_between(x, mean - half, mean + half, color=colours[group], alpha=0.2, lw=0)
        ax.plot(x, mean, color=colours[group], label=group, gid=f"group:{group}")
        drawn[group] = len(curves)
    return drawn


# --------------------------------------------------------------------------- discrete outcomes


def _jitter(n: int, width: float = 0.08) -> np.ndarray:
    """Deterministic horizontal jitter (a fixed seed: figures are byte-stable)."""
    return np.random.default_rng(n).uniform(-width, width, n)


def _boxes_and_points(ax, table: pd.DataFrame, column: str, *, groups, conditions) -> dict:
    """Box per group × condition with every subject as a point; return n per (group, condition)."""
    colours = palette(groups)
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else np.zeros(1)
    counts = {}
    for i, condition in enumerate(conditions):
        for offset, group in zip(offsets, groups, strict=True):
            mask = (table["condition"] == condition) & (table["group"] == group)
            values = table.loc[mask, column].dropna().to_numpy(float)
            counts[group, condition] = len(values)
            if not len(values):
                continue
            ax.boxplot(values, positions=[i + offset], widths=0.3, showfliers=False,
                       medianprops={"color": colours[group]}, boxprops={"color": colours[group]},
                       whiskerprops={"color": colours[group]}, capprops={"color": colours[group]},
                       manage_ticks=False)  # fmt: skip
            ax.scatter(i + offset + _jitter(len(values)), values, s=6, color=colours[group],
                       alpha=0.7, lw=0, zorder=3, gid=f"group:{group}")  # fmt: skip
    return counts


def _annotate_effects(ax, tests: pd.DataFrame, conditions) -> None:
    """Hedges' g and the adjusted p (naming its correction) above each condition."""
    for i, condition in enumerate(conditions):
        row = tests.loc[_is(tests["condition"], condition)]
        if row.empty or not np.isfinite(row["hedges_g"].iloc[0]):
            continue
        g, p = row["hedges_g"].iloc[0], row["p_adj"].iloc[0]
        correction = row["correction"].iloc[0] if "correction" in row else "holm"
        label = f"g = {g:.2f}".replace("-", "−")  # typographic minus
        # three short lines: "p (Holm) < 0.001" on one line is wider than a condition's slot
        ptext = p_label(p, correction).replace(") ", ")\n", 1)
        ax.text(i, 1.0, f"{label}\n{ptext}", ha="center", va="bottom",
                transform=ax.get_xaxis_transform())  # fmt: skip


@styled
def discrete_figure(
    subjects: pd.DataFrame,
    group_tests: pd.DataFrame,
    /,
    *,
    outcomes: Sequence[str],
    groups: Sequence[str] = ("healthy", "lbp"),
    labels: Mapping[str, str] | None = None,
) -> matplotlib.figure.Figure:
    """Subject values over box plots by group × condition, Hedges' g and adjusted p annotated.

    Parameters
    ----------
    subjects : DataFrame
        ``cohort/subjects.csv``.
    group_tests : DataFrame
        Output of :func:`lbprun.stats.group_tests`.
    outcomes : sequence of str
        One panel per outcome that has data (outcomes without any value are left out and
        listed by :func:`notes_of`).
    groups : sequence of str
        Groups to draw, reference first.
    labels : mapping, optional
        Condition -> label (:func:`condition_labels`).

    Examples
    --------
    >>> from lbprun.stats import group_tests
    >>> subjects = pd.DataFrame({"subject": [f"s{i}" for i in range(8)],
    ...                          "group": ["healthy"] * 4 + ["lbp"] * 4, "condition": "run",
    ...                          "pelvis_rot_rom_deg": [9.0, 10, 11, 10, 7, 8, 6, 7],
    ...                          "vilr_bw_s": np.nan})
    >>> tests = group_tests(subjects, outcomes=["pelvis_rot_rom_deg"])
    >>> fig = discrete_figure(subjects, tests, outcomes=["pelvis_rot_rom_deg", "vilr_bw_s"])
    >>> len(fig.axes), notes_of(fig)
    (1, ['VILR (BW/s) (vilr_bw_s) is not shown: no trial has a value.'])
    >>> plt.close(fig)
    """
    labels = labels or {}
    present = [o for o in outcomes if o in subjects and subjects[o].notna().any()]
    fig_notes = [f"{registry.label(o)} ({o}) is not shown: no trial has a value."
                 for o in outcomes if o not in present]  # fmt: skip
    if not present:
        fig = placeholder_figure("Not drawn: none of the outcomes of figures.outcomes has a value.")
        for sentence in fig_notes:
            _note(fig, sentence)
        return fig
    conditions = conditions_of(subjects)
    ncols = min(len(present), max(1, 6 // max(len(conditions), 2)))
    nrows = -(-len(present) // ncols)
    width = DOUBLE_COLUMN_MM * ncols / 3 if ncols > 1 else SINGLE_COLUMN_MM
    if ncols == 1 and len(conditions) > 3:
        width = DOUBLE_COLUMN_MM
    fig, axes = _figure(width, 62 * nrows, ncols=ncols, nrows=nrows)
    drawn: set[str] = set()
    for k, (ax, outcome) in enumerate(zip(axes.flat, present, strict=False)):
        counts = _boxes_and_points(ax, subjects, outcome, groups=groups, conditions=conditions)
        drawn |= {group for (group, _), n in counts.items() if n}
        _annotate_effects(ax, group_tests.loc[group_tests["outcome"] == outcome], conditions)
        ticks = [f"{labels.get(str(c), c)}\nn = "
                 + ", ".join(str(counts[g, c]) for g in groups) for c in conditions]  # fmt: skip
        ax.set_xticks(range(len(conditions)), ticks)
        ax.set_xlim(-0.6, len(conditions) - 0.4)
        ax.set_ylabel(textwrap.fill(registry.label(outcome), 30))
        _panel_letter(ax, k)
    for ax in axes.flat[len(present) :]:
        ax.remove()
    _group_legend(fig, groups, {g: g for g in groups if g in drawn}, kind="marker")
    for sentence in fig_notes:
        _note(fig, sentence)
    return fig


# --------------------------------------------------------------------------- vector coding


@styled
def vector_coding_figure(
    subjects: pd.DataFrame,
    /,
    *,
    groups: Sequence[str] = ("healthy", "lbp"),
    labels: Mapping[str, str] | None = None,
) -> matplotlib.figure.Figure:
    r"""Percentage of the stride in each coordination pattern: bars (mean ± SD), subject points.

    Parameters
    ----------
    subjects : DataFrame
        ``cohort/subjects.csv`` with ``vc_inphase_pct``, ``vc_antiphase_pct``,
        ``vc_pelvis_phase_pct`` and ``vc_thorax_phase_pct`` (Chang et al. 2008 bins).
    groups : sequence of str
        Groups to draw, reference first.
    labels : mapping, optional
        Condition -> label (:func:`condition_labels`).

    Examples
    --------
    >>> subjects = pd.DataFrame({"subject": ["h1", "h2", "l1", "l2"], "condition": "run",
    ...     "group": ["healthy", "healthy", "lbp", "lbp"], "vc_inphase_pct": [40.0, 45, 55, 60],
    ...     "vc_antiphase_pct": [30.0, 25, 15, 10], "vc_pelvis_phase_pct": [20.0, 20, 20, 20],
    ...     "vc_thorax_phase_pct": [10.0, 10, 10, 10]})
    >>> fig = vector_coding_figure(subjects)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['In-\nphase', 'Anti-\nphase', 'Pelvis\nphase', 'Thorax\nphase']
    >>> plt.close(fig)
    """
    labels = labels or {}
    columns = list(VC_PATTERNS)
    have = subjects.reindex(columns=columns).notna().all(axis=1)
    subjects = subjects.loc[have]
    if subjects.empty:
        return placeholder_figure("Not drawn: no trial has vector-coding percentages "
                                  "(pelvis and thorax markers are both needed).")  # fmt: skip
    conditions = conditions_of(subjects)
    # four patterns per panel: 60 mm a panel keeps their two-line labels apart
    width = min(DOUBLE_COLUMN_MM, max(SINGLE_COLUMN_MM, 60.0 * len(conditions)))
    fig, axes = _figure(width, 62, ncols=len(conditions), sharey=True)
    colours = palette(groups)
    bar = 0.8 / len(groups)
    counts: dict[str, set] = {}
    for i, (ax, condition) in enumerate(zip(axes[0], conditions, strict=True)):
        table = subjects.loc[subjects["condition"] == condition]
        for k, group in enumerate(groups):
            values = table.loc[table["group"] == group, columns].to_numpy(float)
            if not len(values):
                continue
            counts.setdefault(group, set()).add(len(values))
            x = np.arange(len(columns)) - 0.4 + bar * (k + 0.5)
            sd = np.std(values, axis=0, ddof=1) if len(values) > 1 else np.zeros(len(columns))
            ax.bar(x, values.mean(axis=0), bar * 0.9, yerr=sd, color=colours[group], alpha=0.75,
                   error_kw={"elinewidth": 0.6, "capsize": 1.5}, gid=f"group:{group}")  # fmt: skip
            for j in range(len(columns)):
                ax.scatter(x[j] + _jitter(len(values), 0.05), values[:, j], s=3, color="0.2",
                           lw=0, zorder=3)  # fmt: skip
        ax.set_xticks(range(len(columns)), [v.replace(" ", "\n").replace("-", "-\n")
                                            for v in VC_PATTERNS.values()])  # fmt: skip
        _lettered_title(ax, i, [str(labels.get(str(condition), condition))])
    axes[0][0].set_ylabel("Stride in pattern (%)")
    _group_legend(fig, groups, _group_labels(groups, counts), kind="marker")
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

    Examples
    --------
    >>> trials = pd.DataFrame({"subject": ["s1", "s1", "s2"], "trial": ["t1", "t2", "t1"],
    ...     "status": ["ok", "ok", "failed"], "n_strides": [12, 10, 0],
    ...     "n_plate_stances": [3, 2, 0]})
    >>> failed = pd.DataFrame({"subject": ["s2"], "trial": ["t1"],
    ...                        "error": ["s2/t1.c3d is not a C3D file."]})
    >>> fig = qc_figure(trials, failed)
    >>> fig.get_suptitle()
    '3 trials, 1 failed'
    >>> plt.close(fig)
    """
    errors = dict(zip(failed["subject"].astype(str) + "/" + failed["trial"].astype(str),
                      failed["error"].astype(str), strict=True))  # fmt: skip
    fig = _qc_bars(trials, errors) if len(trials) <= QC_MAX_BARS else _qc_hist(trials, errors)
    fig.suptitle(f"{len(trials)} trials, {len(errors)} failed")
    return fig


QC_PANELS = (("n_strides", "Strides"), ("n_plate_stances", "Force-plate stances"))
QC_MAX_BARS = 80
QC_MAX_LISTED = 12


def _qc_counts(trials: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(trials.get(column), errors="coerce").fillna(0).to_numpy()


def _qc_layout(height_mm: float, lines: list[str]):
    """Two panels side by side and, when trials failed, a text row below listing them."""
    if not lines:
        fig, axes = _figure(DOUBLE_COLUMN_MM, height_mm, ncols=2, sharey=True)
        return fig, axes[0]
    list_mm = 4 + 3.4 * len(lines)
    fig = plt.figure(figsize=(DOUBLE_COLUMN_MM * MM, (height_mm + list_mm) * MM),
                     layout="constrained")  # fmt: skip
    grid = fig.add_gridspec(2, 2, height_ratios=[height_mm, list_mm])
    left = fig.add_subplot(grid[0, 0])
    right = fig.add_subplot(grid[0, 1], sharey=left)
    right.tick_params(labelleft=False)
    listing = fig.add_subplot(grid[1, :])
    listing.set_axis_off()
    listing.text(0, 1, "\n".join(lines), color=OKABE_ITO[1], va="top", ha="left",
                 transform=listing.transAxes)  # fmt: skip
    return fig, (left, right)


def _qc_bars(trials: pd.DataFrame, errors: dict[str, str]) -> matplotlib.figure.Figure:
    """One horizontal bar per trial; failed trials crossed, their errors listed below."""
    labels = (trials["subject"].astype(str) + "/" + trials["trial"].astype(str)).to_numpy()
    lines = [f"× {label}: {textwrap.shorten(errors[label], 110)}"
             for label in labels if label in errors]  # fmt: skip
    height = float(np.clip(24 + 3.2 * len(labels), 45, 230))
    fig, axes = _qc_layout(height, lines)
    y = np.arange(len(labels))[::-1]
    for i, (ax, (column, title)) in enumerate(zip(axes, QC_PANELS, strict=True)):
        ax.barh(y, _qc_counts(trials, column), height=0.7, color=OKABE_ITO[0])
        ax.set(xlabel=f"{title} (n)", ylim=(-0.7, len(labels) - 0.3))
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        _panel_letter(ax, i)
    for row, label in zip(y, labels, strict=True):
        if label in errors:
            for ax in axes:
                ax.plot(0, row, marker="x", color=OKABE_ITO[1], ms=4, clip_on=False)
    dense = len(labels) > 30
    axes[0].set_yticks(y, labels, fontsize=MIN_DENSE_TICK_PT if dense else MIN_TEXT_PT)
    return fig


def _qc_hist(trials: pd.DataFrame, errors: dict[str, str]) -> matplotlib.figure.Figure:
    """Histograms of the counts over successful trials; the first failed trials listed."""
    lines = [f"× {label}: {textwrap.shorten(error, 110)}"
             for label, error in list(errors.items())[:QC_MAX_LISTED]]  # fmt: skip
    if len(errors) > QC_MAX_LISTED:
        lines.append(f"... and {len(errors) - QC_MAX_LISTED} more (cohort/failed_trials.csv)")
    fig, axes = _qc_layout(70, lines)
    ok = trials[trials["status"].astype(str) == "ok"]
    for i, (ax, (column, title)) in enumerate(zip(axes, QC_PANELS, strict=True)):
        counts = _qc_counts(ok, column)
        top = int(counts.max()) if len(counts) else 0
        ax.hist(counts, bins=np.arange(top + 2) - 0.5, color=OKABE_ITO[0])
        ax.set(xlabel=f"{title} per successful trial (n)", ylabel="Trials (n)")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        _panel_letter(ax, i)
    return fig
