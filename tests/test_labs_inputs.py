"""Issue 10: what `lbprun inspect` tells a user, and bad labs' inputs as one sentence each.

A synthetic Plug-in Gait trial is written once with one foot marker renamed to a label the
vocabulary cannot place (``LHeelTop``): inspect must list it with the role it might fill and
a YAML snippet that, pasted as the marker set, maps it. Then three bad inputs -- a label file
naming a role twice, a static trial from another subject, a static without the landmarks the
clusters need -- each give one sentence naming the file and the problem.
"""

from __future__ import annotations

import numpy as np
import pytest

from lbprun import synth, trial
from lbprun.cli import main
from lbprun.markersets import MarkerSetError, load_yaml, resolve_roles
from lbprun.synth import layouts
from lbprun.synth.params import TrialParams
from tests.faults_helpers import inspect_json

PARAMS = TrialParams(setup="treadmill", duration_s=4.0, medial_markers=True)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("labs_inputs")
    data, truth = synth.simulate_trial(PARAMS, seed=3)
    odd = dict(data, labels=["LHeelTop" if x == "LHEE" else x for x in data["labels"]])
    other, other_truth = synth.simulate_trial(
        TrialParams(
            setup="treadmill",
            duration_s=2.0,
            medial_markers=True,
            height_m=1.95,
            leg_length_m=1.05,
            subject="S02",
        ),
        seed=4,
    )
    ric, ric_static = layouts.write_layout(folder / "ric", data, truth, "ric")
    _, other_static = layouts.write_layout(folder / "other", other, other_truth, "ric")
    bare = layouts.layout(data, truth, "ric")[1]
    keep = [i for i, x in enumerate(bare["labels"]) if "knee" not in x and "ankle" not in x]
    bare = dict(
        bare, labels=[bare["labels"][i] for i in keep], markers_m=bare["markers_m"][:, keep]
    )
    return {
        "odd": synth.write_c3d(folder / "odd.c3d", odd),
        "ric": ric,
        "ric_static": ric_static,
        "other_static": other_static,
        "bare_static": synth.write_c3d(folder / "bare_static.c3d", bare),
        "folder": folder,
    }


def test_inspect_names_unmatched_labels_with_a_snippet_that_works(written, tmp_path):
    info = inspect_json(written["odd"], "--mass-kg", PARAMS.mass_kg)
    assert info["unmatched_labels"] == {"LHeelTop": ["l_heel"]}
    assert "l_heel: LHeelTop" in info["markerset_yaml"]
    assert info["roles"]["l_heel"] is None
    assert info["role_rules"]["l_knee_med"] == "builtin:plug_in_gait"
    snippet = tmp_path / "lab.yaml"
    snippet.write_text(info["markerset_yaml"])
    assert resolve_roles(["LHeelTop", "LASI"], str(snippet)).mapping["l_heel"] == "LHeelTop"


def test_inspect_outcomes_say_why_and_what_fixes(written):
    info = inspect_json(written["ric"], "--mass-kg", PARAMS.mass_kg)  # no static given
    knee = info["outcomes"]["knee_flex_td_deg"]
    assert not knee["computed"] and "static trial" in knee["fix"]
    assert "knee flexion" in knee["reason"]
    pelvis = info["outcomes"]["pelvis_rot_rom_deg"]
    assert not pelvis["computed"] and "pelvis markers incomplete" in pelvis["reason"]
    with_static = inspect_json(written["ric"], "--static", written["ric_static"], "--mass-kg", 70)
    assert with_static["outcomes"]["knee_flex_td_deg"]["computed"]
    assert with_static["outcomes"]["pelvis_rot_rom_deg"]["computed"]
    assert not with_static["outcomes"]["thorax_rot_rom_deg"]["computed"]


def test_a_role_named_twice_is_one_sentence(tmp_path, capsys):
    twice = tmp_path / "twice.yaml"
    twice.write_text("roles:\n  l_heel: LHEE\n  r_heel: RHEE\n  l_heel: LHeel2\n")
    with pytest.raises(MarkerSetError, match=r"^twice\.yaml: role 'l_heel' is given twice"):
        load_yaml(twice)
    same = tmp_path / "same.yaml"
    same.write_text("l_heel: LHEE\nr_heel: LHEE\n")
    with pytest.raises(MarkerSetError, match=r"^same\.yaml: label 'LHEE' is given to both"):
        load_yaml(same)
    assert main(["inspect", str(tmp_path / "none.c3d"), "--markerset", str(twice)]) == 2


def test_static_of_another_subject_is_refused(written, tmp_path):
    summary = trial.extract(written["ric"], tmp_path / "o", static=written["other_static"])
    assert summary["status"] == "failed"
    error = summary["error"]
    assert error.startswith(f"{written['other_static'].name}: its ")
    assert "another subject" in error and error.count(". ") == 0


def test_static_without_the_landmarks_says_so(written, tmp_path):
    summary = trial.extract(written["ric"], tmp_path / "b", static=written["bare_static"])
    assert summary["status"] == "ok"  # nothing else changes: pelvis from the trochanters
    said = [w for w in summary["warnings"] if w.startswith("bare_static.c3d:")]
    assert len(said) == 1 and "l_knee_lat" in said[0] and "r_ankle_med" in said[0]
    assert summary["knee_flex_td_deg"] is None
    assert summary["pelvis_rot_rom_deg"] is not None
    good = trial.extract(written["ric"], tmp_path / "g", static=written["ric_static"])
    assert np.isclose(good["pelvis_rot_rom_deg"], summary["pelvis_rot_rom_deg"])


# clusters.* key -> (new value, what must change on the RIC layout with its static)
CLUSTER_CHANGES = {
    "hjc_from_trochanters": (0.05, "knee_flex_td_deg"),
    "static_max_fit_residual_mm": (0.01, "status"),
    "static_max_length_sd_mm": (0.01, "status"),
    "static_max_point_distance_m": (0.05, "status"),
    "cluster_max_deformation_mm": (0.0001, "warnings"),  # frames dropped, said so
    "forefoot_pivot_window_s": (0.3, "settings.kinematic_to_bias_ms"),
    "rear_foot_min_low_s": (0.3, "settings.kinematic_to_bias_ms"),
}


def test_cluster_settings_are_recorded_and_act(written, tmp_path):
    from lbprun.settings import Settings

    def run(name, **change):
        settings = Settings.from_config({"clusters": change})
        out = tmp_path / name
        return trial.extract(written["ric"], out, static=written["ric_static"], settings=settings)

    base = run("base")
    assert base["status"] == "ok"
    for key, (value, governed) in CLUSTER_CHANGES.items():
        changed = run(key, **{key: value})
        assert changed["settings"][key] == value, key
        section, _, name = governed.rpartition(".")
        new, old = (changed.get(section, {}), base.get(section, {})) if section else (changed, base)
        assert new[name] != old[name], key
