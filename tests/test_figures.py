"""Publication figures: output formats, sizes, determinism and what is drawn."""

from __future__ import annotations

import matplotlib.image
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
    assert [ax.get_title() for ax in (walk, run)] == ["walk", "run"]
    spans = [p for p in run.patches if p.get_gid() == "spm_cluster"]
    assert len(spans) == 1 and not [p for p in walk.patches if p.get_gid() == "spm_cluster"]
    x0, x1 = spans[0].get_x(), spans[0].get_x() + spans[0].get_width()
    assert (x0, x1) == pytest.approx((40.0, 60.0))
    # the lbp mean line is ~4° above the healthy one inside the cluster, equal outside
    healthy, lbp = (line.get_ydata() for line in run.get_lines()[:2])
    assert np.mean(lbp[45:56] - healthy[45:56]) == pytest.approx(4.0, abs=0.5)
    assert np.mean(lbp[:30] - healthy[:30]) == pytest.approx(0.0, abs=0.5)
    assert run.get_xlabel() == "Stride (%)" and walk.get_ylabel() == "Pelvis rotation (°)"
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
    # 85 mm × 55 mm at 300 dpi (matplotlib truncates fractional pixels)
    assert width_px == int(figures.SINGLE_COLUMN_MM / 25.4 * 300) == 1003
    assert height_px == int(55 / 25.4 * 300) == 649
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
    assert any("failed: x.c3d has no force plate." in t.get_text() for t in fig.axes[1].texts)
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
    text = "\n".join(t.get_text() for t in fig.texts)
    assert "failed: s000/t1: bad file." in text
    assert f"and {15 - figures.QC_MAX_LISTED} more" in text
    figures.save(fig, tmp_path / "qc")
