"""Journal style shared by every figure: sizes, palette, labels, notes, saving.

Every figure is sized for a journal column (single 85 mm, double 180 mm), uses the Okabe–Ito
colour-blind-safe palette (Okabe & Ito 2008; seaborn's "colorblind" is derived from it) and is
written by :func:`save` as PDF (TrueType fonts embedded), PNG (300 dpi) and SVG (text kept as
text), with timestamps removed and SVG ids salted so that reruns are byte-identical.
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


def _is(column: pd.Series, value) -> pd.Series:
    """Label equality that survives a CSV round trip (condition "3.0" read back as 3.0)."""
    return column.astype(str) == str(value)
