"""The default demo cohort, analysed as the workflow does, finds what was planted and nothing else.

Planted (lbprun.synth.cohort.GROUP_EFFECTS, after SCIENCE.md's published directions): the
back-pain group has less pelvis rotation, more in-phase pelvis-thorax coordination (smaller
relative phase), a more extended knee at touchdown and a higher loading rate; thorax rotation
amplitude and active peak are drawn from the same distribution in both groups.
"""

from __future__ import annotations

import pandas as pd
import pytest

from lbprun import cohort, stats, synth
from lbprun.trial import extract_many


@pytest.fixture(scope="module")
def group_tests(tmp_path_factory) -> pd.DataFrame:
    root = tmp_path_factory.mktemp("demo")
    # The same cohort as config/config.yaml's demo section (10 + 10 runners, two speeds, seed 1).
    synth.write_cohort(root, n_per_group=10, speeds_mps=(2.5, 3.5), seed=1, duration_s=10.0)
    participants = pd.read_csv(root / "participants.tsv", sep="\t")
    trials = pd.read_csv(root / "trials.tsv", sep="\t")
    mass = participants.set_index("subject")["mass_kg"]
    jobs = [
        {
            "path": root / row.path,
            "out_dir": root / "trials" / row.subject / row.trial,
            "mass_kg": mass[row.subject],
            "condition": row.condition,
            "extra": {"subject": row.subject, "trial": row.trial},
        }
        for row in trials.itertuples()
    ]
    summaries = extract_many(jobs)
    assert all(s["status"] == "ok" for s in summaries)
    cohort.gather(
        [job["out_dir"] for job in jobs],
        participants=participants,
        trials=trials,
        out_dir=root / "cohort",
    )
    subjects = pd.read_csv(root / "cohort" / "subjects.csv")
    outcomes = [o for o in cohort.OUTCOMES if o in subjects]
    return stats.group_tests(subjects, outcomes=outcomes, reference="healthy", comparison="lbp")


@pytest.mark.parametrize(
    ("outcome", "sign"),
    [
        ("pelvis_rot_rom_deg", -1),
        ("relphase_fourier_deg", -1),
        ("crp_marp_deg", -1),
        ("knee_flex_td_deg", -1),
        ("valr_bw_s", +1),
    ],
)
def test_planted_difference_found_with_its_sign(group_tests, outcome, sign):
    rows = group_tests[group_tests["outcome"] == outcome]
    assert len(rows) == 2  # both speeds
    assert (sign * rows["diff"] > 0).all(), rows[["condition", "diff"]]
    assert (rows["p_adj"] < 0.05).all(), rows[["condition", "p", "p_adj"]]


@pytest.mark.parametrize("outcome", ["thorax_rot_rom_deg", "active_peak_bw"])
def test_no_planted_difference_is_not_significant(group_tests, outcome):
    rows = group_tests[group_tests["outcome"] == outcome]
    assert len(rows) == 2
    assert (rows["p_adj"] > 0.05).all(), rows[["condition", "p", "p_adj"]]
