"""The outcomes and waveforms lbprun reports: one entry each, read by every other module.

Each :class:`Measure` names one column of ``trial.json`` / ``subjects.csv`` (an *outcome*) or one
curve of ``waveforms.npz`` / ``waveforms.parquet`` (a *waveform*), with its unit, its display
label, its family (what SCIENCE.md groups it under), whether it is averaged on the circle, whether
it is measured per stride or per stance, the data it needs, and the paper it comes from. The
per-trial files (:mod:`lbprun.outputs`), the cohort tables (:mod:`lbprun.cohort`), statistics,
figures, tables, the config schema's enums and the table in ``docs/OUTCOMES.md`` all read from
here; the tests check CONTRACT.md and the schema against it.

The order of :data:`MEASURES` is the order of the columns in every output: adding a measure adds
a column, and reordering this list would reorder the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CIRCULAR_WAVEFORMS",
    "CYCLE_AXES",
    "MEASURES",
    "N_POINTS",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "STRIDE_WAVEFORMS",
    "VC_BINS",
    "VC_PATTERNS",
    "WAVEFORMS",
    "Measure",
    "describe",
    "docs_page",
    "label",
    "markdown_table",
    "names",
    "outcomes_in",
]

N_POINTS = 101  # points of every time-normalised cycle: 0 %, 1 %, ..., 100 %
CYCLE_AXES = {"stride": "Stride (% from touchdown)", "stance": "Stance (% from touchdown)"}
KINDS = ("outcome", "waveform")
LEVELS = tuple(CYCLE_AXES)


@dataclass(frozen=True)
class Measure:
    """One outcome or waveform.

    Attributes
    ----------
    name : str
        Column / key / array name, snake_case with the unit as suffix (CONTRACT.md).
    kind : {"outcome", "waveform"}
        A number per trial (averaged to subject × condition) or a 101-point curve per cycle.
    label : str
        Display name without the unit.
    unit : str
        Display unit ("" for a ratio without unit).
    family : str
        The group SCIENCE.md defines it in ("spatiotemporal", "rotation", "fourier", "crp",
        "vector_coding", "sagittal", "vgrf").
    level : {"stride", "stance"}
        Measured per stride (touchdown to ipsilateral touchdown) or per stance.
    needs : str
        The data without which it is null ("stride", "pelvis", "thorax", "knee", "force").
    source : str
        The paper of SCIENCE.md's study table the measure comes from, or "lbprun (SCIENCE.md)"
        for a measure the pipeline adds (defined in SCIENCE.md, reported by none of them).
    circular_low : float or None
        Circular waveforms only: averaged as unit vectors and reported in
        ``[circular_low, circular_low + 360)`` degrees.
    hint : str
        Reading aid shown after the unit on axis labels (e.g. the sign convention).
    bin_deg : float or None
        Vector-coding pattern only: the coupling angle at the centre of its bin (±22.5°, the
        opposite quadrant folded in).
    """

    name: str
    kind: str
    label: str
    unit: str
    family: str
    level: str
    needs: str
    source: str
    circular_low: float | None = None
    hint: str = ""
    bin_deg: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS or self.level not in LEVELS:
            raise ValueError(f"measure {self.name}: kind {self.kind!r} or level {self.level!r} "
                             "is unknown.")  # fmt: skip

    @property
    def circular(self) -> bool:
        """Whether the measure is an angle averaged on the circle."""
        return self.circular_low is not None

    @property
    def label_with_unit(self) -> str:
        """Label with the unit (and hint) in parentheses, as tables and figure axes show it."""
        inside = "; ".join(part for part in (self.unit, self.hint) if part)
        return f"{self.label} ({inside})" if inside else self.label

    @property
    def cycle_axis(self) -> str:
        """Label of the time-normalised cycle a waveform is drawn against."""
        return CYCLE_AXES[self.level]


_MULLER = "Müller, Ertelt & Blickhan 2015, J Biomech 48:1009"
_SEAY_CB = "Seay, Van Emmerik & Hamill 2011, Clin Biomech 26:572"
_SEAY_SPINE = "Seay et al. 2011, Spine 36:E1070"
_HOORN = "van den Hoorn et al. 2012, J Biomech 45:342"
_LAMOTH = "Lamoth et al. 2002, Gait Posture 16:101"
_DROZDA = "Drozda et al. 2024, Gait Posture 113:184"
_PODRAZA = "Podraza & White 2010, Knee 17:291"
_NEEDHAM = "Needham et al. 2014, J Biomech 47:1020"
_OWN = "lbprun (SCIENCE.md; none of the reproduced studies reports it)"


def _outcome(name, label, unit, family, level, needs, source, **extra) -> Measure:  # noqa: PLR0917
    return Measure(name, "outcome", label, unit, family, level, needs, source, **extra)


def _waveform(name, label, unit, family, level, needs, source, **extra) -> Measure:  # noqa: PLR0917
    return Measure(name, "waveform", label, unit, family, level, needs, source, **extra)


_ALL = (
    # outcomes, in the column order of trial.json and subjects.csv
    _outcome("stride_frequency_hz", "Stride frequency", "Hz", "spatiotemporal", "stride",
             "stride", _HOORN),
    _outcome("cadence_steps_min", "Cadence", "steps/min", "spatiotemporal", "stride", "stride",
             _DROZDA),
    _outcome("pelvis_rot_rom_deg", "Pelvis rotation amplitude", "°", "rotation", "stride",
             "pelvis", _MULLER),
    _outcome("thorax_rot_rom_deg", "Thorax rotation amplitude", "°", "rotation", "stride",
             "thorax", _MULLER),
    _outcome("trunk_rot_rom_deg", "Trunk rotation amplitude", "°", "rotation", "stride",
             "thorax", _MULLER),
    _outcome("relphase_fourier_deg", "Fourier relative phase", "°", "fourier", "stride",
             "thorax", f"{_LAMOTH}; {_HOORN}"),
    _outcome("coherence_stride", "Coherence at stride frequency", "", "fourier", "stride",
             "thorax", _HOORN),
    _outcome("gain_stride", "Gain at stride frequency", "", "fourier", "stride", "thorax", _HOORN),
    _outcome("crp_marp_deg", "CRP MARP", "°", "crp", "stride", "thorax", _SEAY_CB),
    _outcome("crp_dp_deg", "CRP deviation phase", "°", "crp", "stride", "thorax", _SEAY_CB),
    _outcome("vc_inphase_pct", "In-phase", "% stride", "vector_coding", "stride", "thorax",
             _SEAY_SPINE, bin_deg=45.0),
    _outcome("vc_antiphase_pct", "Anti-phase", "% stride", "vector_coding", "stride", "thorax",
             _SEAY_SPINE, bin_deg=135.0),
    _outcome("vc_pelvis_phase_pct", "Pelvis phase", "% stride", "vector_coding", "stride",
             "thorax", _SEAY_SPINE, bin_deg=0.0),
    _outcome("vc_thorax_phase_pct", "Thorax phase", "% stride", "vector_coding", "stride",
             "thorax", _SEAY_SPINE, bin_deg=90.0),
    _outcome("vc_cav_deg", "Coupling-angle variability", "°", "vector_coding", "stride",
             "thorax", _NEEDHAM),
    _outcome("knee_flex_td_deg", "Knee flexion at touchdown", "°", "sagittal", "stance", "knee",
             _MULLER),
    _outcome("knee_flex_peak_stance_deg", "Peak stance knee flexion", "°", "sagittal", "stance",
             "knee", _OWN),
    _outcome("trunk_incl_td_deg", "Trunk inclination at touchdown", "°", "sagittal", "stance",
             "thorax", _MULLER),
    _outcome("impact_peak_bw", "Impact peak", "BW", "vgrf", "stance", "force", _PODRAZA),
    _outcome("active_peak_bw", "Active peak", "BW", "vgrf", "stance", "force", _PODRAZA),
    _outcome("valr_bw_s", "VALR", "BW/s", "vgrf", "stance", "force", _DROZDA),
    _outcome("vilr_bw_s", "VILR", "BW/s", "vgrf", "stance", "force", _OWN),
    _outcome("lr_3_12_bw_s", "Loading rate 3–12 % stance", "BW/s", "vgrf", "stance", "force",
             _OWN),
    _outcome("stance_time_s", "Stance time", "s", "spatiotemporal", "stance", "stride", _OWN),
    # waveforms, in the order of waveforms.npz's description in CONTRACT.md
    _waveform("pelvis_rot_deg", "Pelvis rotation", "°", "rotation", "stride", "pelvis", _MULLER),
    _waveform("thorax_rot_deg", "Thorax rotation", "°", "rotation", "stride", "thorax", _MULLER),
    _waveform("trunk_rot_deg", "Trunk rotation, thorax–pelvis", "°", "rotation", "stride",
              "thorax", _MULLER),
    _waveform("crp_deg", "CRP, thorax − pelvis", "°", "crp", "stride", "thorax", _SEAY_CB,
              circular_low=-180.0, hint="< 0: thorax lags"),
    _waveform("vc_coupling_deg", "Coupling angle", "°", "vector_coding", "stride", "thorax",
              _SEAY_SPINE, circular_low=0.0),
    _waveform("knee_flex_deg", "Knee flexion", "°", "sagittal", "stride", "knee", _MULLER),
    _waveform("vgrf_bw", "Vertical GRF", "BW", "vgrf", "stance", "force", _DROZDA),
)  # fmt: skip
MEASURES: dict[str, Measure] = {m.name: m for m in _ALL}


def names(
    kind: str = "outcome",
    /,
    *,
    family: str | None = None,
    level: str | None = None,
    needs: str | None = None,
) -> tuple[str, ...]:
    """Names of the outcomes (or waveforms) in output order, optionally filtered.

    Parameters
    ----------
    kind : {"outcome", "waveform"}
        Which measures.
    family, level, needs : str, optional
        Keep only this family (e.g. ``"vgrf"``), level (``"stride"`` or ``"stance"``) or
        needed data (e.g. ``"knee"``).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> names(family="rotation")
    ('pelvis_rot_rom_deg', 'thorax_rot_rom_deg', 'trunk_rot_rom_deg')
    >>> names("waveform", level="stance")
    ('vgrf_bw',)
    >>> names(needs="knee")
    ('knee_flex_td_deg', 'knee_flex_peak_stance_deg')
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    return tuple(
        m.name for m in _ALL
        if m.kind == kind and family in (None, m.family) and level in (None, m.level)
        and needs in (None, m.needs)
    )  # fmt: skip


def describe(name: str, /) -> Measure:
    """Return the registry entry of one outcome or waveform.

    Raises
    ------
    KeyError
        With a sentence naming the unknown measure.

    Examples
    --------
    >>> m = describe("crp_deg")
    >>> m.unit, m.circular, m.level
    ('°', True, 'stride')
    """
    try:
        return MEASURES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not an lbprun outcome or waveform.") from None


def label(name: str, /) -> str:
    """Display label with unit of a measure; an unknown column is shown by its name.

    Examples
    --------
    >>> label("valr_bw_s")
    'VALR (BW/s)'
    >>> label("crp_deg")
    'CRP, thorax − pelvis (°; < 0: thorax lags)'
    >>> label("age")
    'age'
    """
    measure = MEASURES.get(str(name))
    return measure.label_with_unit if measure else str(name)


def outcomes_in(columns, /) -> list[str]:
    """List the registry outcomes present among ``columns``, in output order.

    This is the default outcome family of the statistics (config ``stats.outcomes: []``).

    Examples
    --------
    >>> outcomes_in(["subject", "vilr_bw_s", "cadence_steps_min"])
    ['cadence_steps_min', 'vilr_bw_s']
    """
    present = set(columns)
    return [name for name in OUTCOMES if name in present]


def markdown_table(kind: str = "outcome", /) -> str:
    """Write the docs table of the outcomes (or waveforms), as in ``docs/OUTCOMES.md``.

    Examples
    --------
    >>> rows = markdown_table("waveform").splitlines()
    >>> print(rows[0])
    | name | label (unit) | family | level | needs | averaged | source |
    >>> print(rows[5][:62])
    | `crp_deg` | CRP, thorax − pelvis (°; < 0: thorax lags) | crp
    """
    lines = ["| name | label (unit) | family | level | needs | averaged | source |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name in names(kind):
        m = MEASURES[name]
        average = f"circular, [{m.circular_low:g}°, {m.circular_low + 360:g}°)" if m.circular \
            else "linear"  # fmt: skip
        cells = (f"`{m.name}`", m.label_with_unit, m.family, m.level, m.needs, average, m.source)
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def docs_page() -> str:
    """Write ``docs/OUTCOMES.md`` (``python -m lbprun.registry > docs/OUTCOMES.md``).

    Examples
    --------
    >>> docs_page().splitlines()[0]
    '# Outcomes and waveforms'
    """
    return "\n".join([
        "# Outcomes and waveforms",
        "",
        "Generated from `src/lbprun/registry.py` (`python -m lbprun.registry > docs/OUTCOMES.md`),",
        "the one list that outputs, statistics, figures, tables and the config schema read;",
        "`tests/test_registry.py` fails when this page and the registry differ. Definitions are in",
        "SCIENCE.md, file layouts in CONTRACT.md. *needs*: the data without which the measure is",
        "null (`stride`: gait events, `force`: a plate stance and the body mass).",
        "",
        "## Outcomes (a value per trial: `trial.json`, `cohort/trials.csv`, `cohort/subjects.csv`)",
        "",
        markdown_table("outcome"),
        f"## Waveforms ({N_POINTS} points per cycle: `waveforms.npz`, `cohort/waveforms.parquet`)",
        "",
        markdown_table("waveform"),
    ])  # fmt: skip


OUTCOMES = names("outcome")
WAVEFORMS = names("waveform")
STRIDE_WAVEFORMS = names("waveform", level="stride")
OUTCOME_LABELS = {name: label(name) for name in OUTCOMES}
CIRCULAR_WAVEFORMS = {m.name: m.circular_low for m in _ALL if m.circular}
# vector-coding patterns: in output order, and in the order of their bins' coupling angles
VC_PATTERNS = tuple(m.name for m in _ALL if m.bin_deg is not None)
VC_BINS = tuple(sorted(VC_PATTERNS, key=lambda name: MEASURES[name].bin_deg))

if __name__ == "__main__":
    print(docs_page(), end="")
