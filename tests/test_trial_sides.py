"""Left and right strides must describe the same movement once left strides are mirrored."""

from __future__ import annotations

import numpy as np
import pytest

from lbprun import synth
from lbprun.coordination import vector_coding_summary
from lbprun.trial import process


@pytest.fixture(scope="module")
def demo_trial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sides")
    synth.write_cohort(folder, n_per_group=1, speeds_mps=(3.0,), seed=3, duration_s=8.0)
    path = sorted((folder / "c3d").glob("*.c3d"))[0]
    return process(path, mass_kg=70.0)


@pytest.mark.parametrize("key", ["pelvis_rot_deg", "thorax_rot_deg", "trunk_rot_deg"])
def test_mirrored_left_strides_align_with_right(demo_trial, key):
    _, _, strides, waves = demo_trial
    side = strides["side"].to_numpy()
    left = np.nanmean(waves[key][side == "L"], axis=0)
    right = np.nanmean(waves[key][side == "R"], axis=0)
    # Unmirrored, the two means would be each other's negative (correlation about -1).
    assert np.corrcoef(left, right)[0, 1] > 0.95
    assert np.max(np.abs(left - right)) < 0.25 * np.ptp(right)


def test_vector_coding_of_all_strides_matches_each_side(demo_trial):
    _, _, strides, waves = demo_trial
    side = strides["side"].to_numpy()
    vc = waves["vc_coupling_deg"][:, :-1]
    both = vector_coding_summary(vc)
    right = vector_coding_summary(vc[side == "R"])
    # Mixing sides must not inflate coupling-angle variability (it would without mirroring).
    assert both["vc_cav_deg"] < right["vc_cav_deg"] + 5.0
    assert abs(both["vc_inphase_pct"] - right["vc_inphase_pct"]) <= 10.0
