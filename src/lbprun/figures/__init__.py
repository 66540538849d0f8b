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

Modules: :mod:`~lbprun.figures.style` (sizes, palette, labels, notes, saving),
:mod:`~lbprun.figures.waveforms`, :mod:`~lbprun.figures.outcomes` (discrete outcomes, vector
coding) and :mod:`~lbprun.figures.qc`; every name is importable from ``lbprun.figures``.
"""

# condition_labels lives in cohort, which the workflow imports to build the DAG (no matplotlib)
from lbprun.cohort import condition_labels
from lbprun.figures.outcomes import discrete_figure, vector_coding_figure
from lbprun.figures.qc import QC_MAX_BARS, QC_MAX_LISTED, QC_PANELS, qc_figure
from lbprun.figures.style import (
    CLUSTER_GREY,
    CORRECTION_NAMES,
    DOUBLE_COLUMN_MM,
    DPI,
    MIN_DENSE_TICK_PT,
    MIN_TEXT_PT,
    MM,
    OKABE_ITO,
    SINGLE_COLUMN_MM,
    STRIDE_AXIS,
    STYLE,
    VC_PATTERNS,
    WAVEFORMS,
    notes_of,
    p_label,
    palette,
    placeholder_figure,
    save,
    styled,
)
from lbprun.figures.waveforms import waveform_figure

__all__ = [
    "CLUSTER_GREY",
    "CORRECTION_NAMES",
    "DOUBLE_COLUMN_MM",
    "DPI",
    "MIN_DENSE_TICK_PT",
    "MIN_TEXT_PT",
    "MM",
    "OKABE_ITO",
    "QC_MAX_BARS",
    "QC_MAX_LISTED",
    "QC_PANELS",
    "SINGLE_COLUMN_MM",
    "STRIDE_AXIS",
    "STYLE",
    "VC_PATTERNS",
    "WAVEFORMS",
    "condition_labels",
    "discrete_figure",
    "notes_of",
    "p_label",
    "palette",
    "placeholder_figure",
    "qc_figure",
    "save",
    "styled",
    "vector_coding_figure",
    "waveform_figure",
]
