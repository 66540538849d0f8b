"""Quality control: strides and force-plate stances per trial, failed trials listed."""

from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from lbprun.figures.style import (
    DOUBLE_COLUMN_MM,
    MIN_DENSE_TICK_PT,
    MIN_TEXT_PT,
    MM,
    OKABE_ITO,
    _figure,
    _panel_letter,
    styled,
)


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
    >>> import matplotlib.pyplot as plt
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
