"""Group mean waveforms with SPM clusters shaded (one panel per condition)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.lines
import matplotlib.ticker
import numpy as np
import pandas as pd

from lbprun.cohort import conditions_of, waveform_matrix
from lbprun.figures.style import (
    CLUSTER_GREY,
    DOUBLE_COLUMN_MM,
    SINGLE_COLUMN_MM,
    WAVEFORMS,
    _figure,
    _group_labels,
    _group_legend,
    _is,
    _lettered_title,
    _note,
    palette,
    placeholder_figure,
    styled,
)


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

    >>> import matplotlib.pyplot as plt
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
