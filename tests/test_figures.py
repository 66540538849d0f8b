"""Publication figures: output formats, sizes, determinism and what is drawn."""

from __future__ import annotations

import matplotlib.image
import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import PIL.Image
import pytest

from lbprun import figures, stats
from lbprun.cohort import WAVE_COLUMNS


def _waves(n=8, seed=0):
    """Two conditions; lbp pelvis curves 4° higher between 40 and 60 % of the stride."""
    rng = np.random.default_rng(seed)
    pct = np.arange(101)
    rows = []
    for condition in ("walk", "run"):
        for i in range(2 * n):
            group = "healthy" if i < n else "lbp"
            curve = 8 * np.sin(2 * np.pi * pct / 100) + rng.normal(0, 0.3, 101)
            if group == "lbp":
                curve = curve + 4.0 * ((pct >= 40) & (pct <= 60))
            rows.append([f"s{i:02d}", group, condition, "pelvis_rot_deg", *curve])
    return pd.DataFrame(rows, columns=["subject", "group", "condition", "waveform", *WAVE_COLUMNS])


CLUSTERS = pd.DataFrame({"waveform": ["pelvis_rot_deg"], "condition": ["run"],
                         "start_pct": [40.0], "end_pct": [60.0], "p": [0.004],
                         "method": ["parametric"]})  # fmt: skip


def _subjects(n=8, seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(2 * n):
        group = "healthy" if i < n else "lbp"
        for condition in ("walk", "run"):
            vc = rng.dirichlet([4, 2, 3, 1]) * 100
            rows.append({"subject": f"s{i:02d}", "group": group, "condition": condition,
                         "pelvis_rot_rom_deg": 10 - 3 * (group == "lbp") + rng.normal(0, 1.5),
                         "valr_bw_s": 60 + 8 * (group == "lbp") + rng.normal(0, 15),
                         "vc_inphase_pct": vc[0], "vc_antiphase_pct": vc[1],
                         "vc_pelvis_phase_pct": vc[2], "vc_thorax_phase_pct": vc[3]})  # fmt: skip
    return pd.DataFrame(rows)


def test_waveform_figure_shades_the_cluster_where_it_is(tmp_path):
    fig = figures.waveform_figure(_waves(), CLUSTERS, waveform="pelvis_rot_deg")
    walk, run = fig.axes[:2]
    assert [ax.get_title(loc="left") for ax in (walk, run)] == [
        "$\\bf{A}$  walk\nno SPM cluster",
        "$\\bf{B}$  run\nSPM cluster p = 0.004",
    ]
    spans = [p for p in run.patches if p.get_gid() == "spm_cluster"]
    assert len(spans) == 1 and not [p for p in walk.patches if p.get_gid() == "spm_cluster"]
    x0, x1 = spans[0].get_x(), spans[0].get_x() + spans[0].get_width()
    assert (x0, x1) == pytest.approx((40.0, 60.0))
    # the lbp mean line is ~4° above the healthy one inside the cluster, equal outside
    healthy, lbp = (line.get_ydata() for line in run.get_lines()[:2])
    assert np.mean(lbp[45:56] - healthy[45:56]) == pytest.approx(4.0, abs=0.5)
    assert np.mean(lbp[:30] - healthy[:30]) == pytest.approx(0.0, abs=0.5)
    assert (
        run.get_xlabel() == "Stride (% from touchdown)"
        and walk.get_ylabel() == "Pelvis rotation (°)"
    )
    assert fig.get_size_inches()[0] * 25.4 == pytest.approx(figures.SINGLE_COLUMN_MM)
    figures.save(fig, tmp_path / "pelvis")


def test_waveform_figure_with_spm_output_and_ci_band(tmp_path):
    waves = _waves()
    clusters = stats.spm_waveforms(waves)
    fig = figures.waveform_figure(waves, clusters, waveform="pelvis_rot_deg", band="ci")
    assert sum(p.get_gid() == "spm_cluster" for ax in fig.axes for p in ax.patches) == len(clusters)
    figures.save(fig, tmp_path / "pelvis_ci")


def test_save_writes_three_formats_png_at_300_dpi_byte_stable(tmp_path):
    for name in ("a", "b"):
        fig = figures.waveform_figure(_waves(), CLUSTERS, waveform="pelvis_rot_deg")
        figures.save(fig, tmp_path / name)
    for suffix in (".pdf", ".png", ".svg"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    image = matplotlib.image.imread(tmp_path / "a.png")
    height_px, width_px = image.shape[:2]
    # 85 mm × 62 mm at 300 dpi (matplotlib truncates fractional pixels)
    assert width_px == int(figures.SINGLE_COLUMN_MM / 25.4 * 300) == 1003
    assert height_px == int(62 / 25.4 * 300) == 732
    with PIL.Image.open(tmp_path / "a.png") as png:
        assert png.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    pdf = (tmp_path / "a.pdf").read_bytes()
    assert b"/FontFile2" in pdf and b"CreationDate" not in pdf  # TrueType embedded, no date
    svg = (tmp_path / "a.svg").read_text()
    assert "Pelvis rotation" in svg  # text kept as text


def test_discrete_figure_annotates_hedges_g(tmp_path):
    subjects = _subjects()
    tests = stats.group_tests(subjects, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"])
    fig = figures.discrete_figure(subjects, tests, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    expected = tests.query("outcome == 'pelvis_rot_rom_deg'")["hedges_g"]
    assert [t.split("\n")[0] for t in texts] == [f"g = {g:.2f}".replace("-", "−") for g in expected]
    # every subject drawn as a point: 2 groups × 2 conditions × 8 subjects
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 32
    figures.save(fig, tmp_path / "discrete")
    assert (tmp_path / "discrete.png").is_file()


def test_vector_coding_bars_are_group_means(tmp_path):
    subjects = _subjects()
    fig = figures.vector_coding_figure(subjects)
    run = fig.axes[1]
    heights = [bar.get_height() for bar in run.patches]
    expected = subjects.query("condition == 'run' and group == 'healthy'")["vc_inphase_pct"].mean()
    assert heights[0] == pytest.approx(expected)
    figures.save(fig, tmp_path / "vc")


def test_qc_figure_marks_failed_trials(tmp_path):
    trials = pd.DataFrame({"subject": ["s01", "s01", "s02"], "trial": ["t1", "t2", "t1"],
                           "status": ["ok", "ok", "failed"], "n_strides": [12, 9, None],
                           "n_plate_stances": [2, 1, None]})  # fmt: skip
    failed = pd.DataFrame({"subject": ["s02"], "trial": ["t1"], "path": ["x.c3d"],
                           "error": ["x.c3d has no force plate."]})  # fmt: skip
    fig = figures.qc_figure(trials, failed)
    assert [b.get_width() for b in fig.axes[0].patches] == [12, 9, 0]
    assert any("× s02/t1: x.c3d has no force plate." in t.get_text() for t in fig.axes[2].texts)
    figures.save(fig, tmp_path / "qc")


def test_waveform_figure_shades_one_method_when_both_are_given():
    both = pd.concat([CLUSTERS, CLUSTERS.assign(method="nonparametric", start_pct=42.0)])
    fig = figures.waveform_figure(_waves(), both, waveform="pelvis_rot_deg")
    spans = [p for p in fig.axes[1].patches if p.get_gid() == "spm_cluster"]
    assert [s.get_x() for s in spans] == [40.0]  # the parametric cluster only


def test_qc_figure_of_a_large_cohort_shows_histograms_and_lists_failures(tmp_path):
    n_ok = 2 * (figures.QC_MAX_BARS // 2)  # even: half with 10 strides, half with 12
    n = n_ok + 15
    trials = pd.DataFrame({"subject": [f"s{i:03d}" for i in range(n)], "trial": "t1",
                           "status": ["failed"] * 15 + ["ok"] * n_ok,
                           "n_strides": [None] * 15 + [10, 12] * (n_ok // 2),
                           "n_plate_stances": 3})  # fmt: skip
    failed = trials.head(15).assign(error="bad file.")[["subject", "trial", "error"]]
    fig = figures.qc_figure(trials, failed)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert sum(heights) == n_ok  # every successful trial counted once
    assert heights[10] == heights[12] == n_ok // 2
    text = "\n".join(t.get_text() for t in fig.axes[2].texts)
    assert "× s000/t1: bad file." in text
    assert f"and {15 - figures.QC_MAX_LISTED} more" in text
    figures.save(fig, tmp_path / "qc")


# --------------------------------------------------------------------------- journal rules
# Checked on the text objects as drawn at final size (issue 13): no text under 7 pt (6 pt for
# the dense trial list of the QC figure only), no two text boxes overlapping, every legend
# entry a group that is drawn and every drawn group in the legend.


def _drawn_texts(fig):
    """Every non-empty text that is drawn, with its box in display units."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    hidden_ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not ax.axison:  # an axes used for text only draws no ticks
                hidden_ticks |= {id(t) for t in axis.get_ticklabels(which="both")}
                hidden_ticks |= {id(axis.label), id(axis.get_offset_text())}
                continue
            drawn = {id(t) for tick in axis._update_ticks() for t in (tick.label1, tick.label2)}
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                hidden_ticks |= {id(t) for t in (tick.label1, tick.label2) if id(t) not in drawn}
    texts = []
    for text in fig.findobj(matplotlib.text.Text):
        if id(text) in hidden_ticks or not text.get_visible() or not text.get_text().strip():
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        texts.append((text, text.get_window_extent(renderer)))
    return texts


def _is_tick_label(text) -> bool:
    return any(text in (*ax.get_xticklabels(), *ax.get_yticklabels()) for ax in text.figure.axes)


def assert_journal_rules(fig, *, dense_ticks=False):
    texts = _drawn_texts(fig)
    assert texts
    for text, _ in texts:
        floor = 6.0 if dense_ticks and _is_tick_label(text) else 7.0
        assert text.get_fontsize() >= floor, (text.get_text(), text.get_fontsize())
    for i, (a, box_a) in enumerate(texts):
        for b, box_b in texts[i + 1 :]:
            overlap_w = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            overlap_h = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            assert min(overlap_w, overlap_h) <= 0.5, (a.get_text(), b.get_text())
    fig_box = fig.bbox
    for text, box in texts:  # nothing cut at the edges
        assert box.x0 >= fig_box.x0 - 1 and box.x1 <= fig_box.x1 + 1, text.get_text()
        assert box.y0 >= fig_box.y0 - 1 and box.y1 <= fig_box.y1 + 1, text.get_text()
    drawn = {
        artist.get_gid().split(":", 1)[1]
        for ax in fig.axes
        for artist in ax.get_children()
        if str(artist.get_gid()).startswith("group:")
    }
    legend_groups = {
        t.get_text().split(" (n = ")[0] for legend in fig.legends for t in legend.get_texts()
    }
    assert legend_groups == drawn


def _lower_limb(subjects):
    """Subjects of a cohort without thorax markers: coordination measures all missing."""
    out = subjects.copy()
    for column in [*figures.VC_PATTERNS, "pelvis_rot_rom_deg"]:
        out[column] = np.nan
    return out


def test_figures_keep_journal_rules_on_the_demo_layout():
    subjects = _subjects()
    tests = stats.group_tests(subjects, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"])
    waves = _waves()
    labels = {"walk": "1.5 m/s", "run": "3.5 m/s"}
    for fig in (
        figures.waveform_figure(
            waves, stats.spm_waveforms(waves), waveform="pelvis_rot_deg", labels=labels
        ),
        figures.discrete_figure(
            subjects, tests, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"], labels=labels
        ),
        figures.vector_coding_figure(subjects, labels=labels),
    ):
        assert_journal_rules(fig)
        plt.close(fig)


def test_waveform_titles_keep_clear_of_the_letter_with_wide_tick_labels():
    """As the demo CRP figure: ticks at -140° and a full-width cluster in both panels."""
    waves = _waves().assign(waveform="crp_deg")  # the longest axis label
    waves[list(WAVE_COLUMNS)] -= 140.0
    full = {"p": 1e-5, "start_pct": 0.0, "end_pct": 100.0, "waveform": "crp_deg"}
    clusters = pd.concat([CLUSTERS.assign(condition=c, **full) for c in ("walk", "run")])
    fig = figures.waveform_figure(waves, clusters, waveform="crp_deg",
                                  labels={"walk": "2.5 m/s", "run": "3.5 m/s"})  # fmt: skip
    assert fig.axes[0].get_title(loc="left").endswith("2.5 m/s\nSPM cluster p < 0.001")
    assert_journal_rules(fig)
    plt.close(fig)


def test_discrete_figure_labels_conditions_p_method_and_n():
    subjects = _subjects()
    tests = stats.group_tests(subjects, outcomes=["valr_bw_s"])
    fig = figures.discrete_figure(subjects, tests, outcomes=["valr_bw_s"],
                                  labels={"walk": "1.5 m/s", "run": "3.5 m/s"})  # fmt: skip
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "1.5 m/s\nn = 8, 8",
        "3.5 m/s\nn = 8, 8",
    ]
    p = tests.query("condition == 'walk'")["p_adj"].iloc[0]
    assert ax.texts[0].get_text().endswith(f"p (Holm)\n= {p:.3f}")
    assert ax.get_title(loc="left") == "A"
    plt.close(fig)


def test_a_group_without_data_is_neither_drawn_nor_in_the_legend():
    subjects = _subjects()
    subjects.loc[subjects["group"] == "lbp", "valr_bw_s"] = np.nan
    tests = stats.group_tests(subjects, outcomes=["valr_bw_s"])
    fig = figures.discrete_figure(subjects, tests, outcomes=["valr_bw_s"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["healthy"]
    assert_journal_rules(fig)
    waves = _waves()
    waves = waves[waves["group"] == "healthy"]
    fig = figures.waveform_figure(waves, CLUSTERS.iloc[:0], waveform="pelvis_rot_deg")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["healthy (n = 8)"]
    assert any("lbp" in note for note in figures.notes_of(fig))
    assert_journal_rules(fig)
    plt.close("all")


def test_outcomes_and_waveforms_no_trial_has_are_left_out_and_said_so():
    subjects = _lower_limb(_subjects())
    tests = stats.group_tests(subjects, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"])
    fig = figures.discrete_figure(subjects, tests, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"])
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "VALR (BW/s)"
    assert figures.notes_of(fig) == [
        "Pelvis rotation amplitude (°) (pelvis_rot_rom_deg) is not shown: no trial has a value."
    ]
    assert_journal_rules(fig)
    fig = figures.vector_coding_figure(subjects)
    assert "no trial has vector-coding" in figures.notes_of(fig)[0]
    assert_journal_rules(fig)
    waves = _waves()
    fig = figures.waveform_figure(waves, CLUSTERS, waveform="thorax_rot_deg")  # none in waves
    assert "no trial has a Thorax rotation (°) waveform" in figures.notes_of(fig)[0]
    assert_journal_rules(fig)
    plt.close("all")


def test_three_conditions_and_a_cohort_with_failures_keep_the_rules():
    subjects = pd.concat([_subjects(), _subjects(seed=4).assign(condition="sprint")])
    tests = stats.group_tests(subjects, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"])
    fig = figures.discrete_figure(subjects, tests, outcomes=["pelvis_rot_rom_deg", "valr_bw_s"])
    assert_journal_rules(fig)
    fig = figures.vector_coding_figure(subjects)
    assert_journal_rules(fig)
    trials = pd.DataFrame({"subject": [f"s{i:02d}" for i in range(20)], "trial": "t1",
                           "status": ["ok"] * 18 + ["failed"] * 2, "n_strides": 10,
                           "n_plate_stances": 2})  # fmt: skip
    failed = trials.tail(2).assign(error="s.c3d has no POINT data; nothing can be measured.")
    fig = figures.qc_figure(trials, failed)
    assert_journal_rules(fig, dense_ticks=True)
    plt.close("all")


def test_condition_labels_default_to_speed_and_take_the_config_map():
    sheet = pd.DataFrame({"condition": ["speed_2.5", "speed_2.5", "mixed", "mixed"],
                          "speed_mps": [2.5, 2.5, 2.5, 3.0]})  # fmt: skip
    assert figures.condition_labels(sheet) == {"speed_2.5": "2.5 m/s", "mixed": "mixed"}
    assert (
        figures.condition_labels(sheet, labels={"mixed": "Mixed (m/s)"})["mixed"] == "Mixed (m/s)"
    )
    assert figures.condition_labels(sheet.drop(columns="speed_mps")) == {
        "speed_2.5": "speed_2.5", "mixed": "mixed"
    }  # fmt: skip
