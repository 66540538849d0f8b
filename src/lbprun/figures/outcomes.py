"""Discrete outcomes (box plots with subject points) and vector-coding pattern bars."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.lines
import matplotlib.ticker
import numpy as np
import pandas as pd

from lbprun import registry
from lbprun.cohort import conditions_of
from lbprun.figures.style import (
    DOUBLE_COLUMN_MM,
    SINGLE_COLUMN_MM,
    VC_PATTERNS,
    _figure,
    _group_labels,
    _group_legend,
    _is,
    _lettered_title,
    _note,
    _panel_letter,
    p_label,
    palette,
    placeholder_figure,
    styled,
)


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
    >>> import matplotlib.pyplot as plt
    >>> from lbprun.figures import notes_of
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
    >>> import matplotlib.pyplot as plt
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
