"""lbprun.markersets: every built-in convention in the corpus is recognised, YAML maps work."""

from __future__ import annotations

import numpy as np
import pytest

from lbprun.c3d import load
from lbprun.markersets import (
    BUILTIN_SETS,
    ROLES,
    MarkerSetError,
    resolve,
    resolve_roles,
    role_markers,
)

# file -> (set auto must pick, roles that must be filled with these labels)
KNOWN = {
    "dorn2012_flash-running/JA1Static05.c3d": (
        "dorn_melbourne",
        {
            "c7": "C7",
            "t8": "T7",
            "ij": "MAN",
            "l_knee_lat": "LLEPI",
            "r_knee_med": "RMEPI",
            "l_ankle_med": "LMMAL",
            "sacrum": "SACR",
        },
    ),
    "ezc3d-testfiles/Qualisys.c3d": (
        "isb",
        {
            "l_asis": "L_IAS",
            "r_psis": "R_IPS",
            "c7": "CV7",
            "ij": "SNJ",
            "px": "SXS",
            "l_knee_lat": "L_FLE",
            "r_ankle_med": "R_TAM",
            "l_heel": "L_FCC",
            "r_mt1": "R_FM1",
        },
    ),
    "pyorerun/Running_0002.c3d": (
        "qualisys_sports",
        {
            "l_asis": "LASIS",
            "l_psis": "LBackAsis",
            "ij": "Clav",
            "px": "Sternum",
            "r_knee_lat": "RKneeLat",
            "l_ankle_lat": "LAnkleLat",
            "r_heel": "RHeel",
        },
    ),
    "bmc-ric/RBDS001static.c3d": (
        "rbds_dotted",
        {
            "r_asis": "R.ASIS",
            "l_psis": "L.PSIS",
            "l_knee_lat": "L.Knee",
            "l_knee_med": "L.Knee.Medial",
            "r_ankle_med": "R.Ankle.Medial",
            "r_mt1": "R.MT1",
        },
    ),
    "ezc3d-testfiles/BTS.c3d": (
        "bts",
        {
            "r_asis": "r asis",
            "sacrum": "sacrum",
            "c7": "c7",
            "l_knee_lat": "l knee 1",
            "r_heel": "r heel",
        },
    ),
    "btkdata/PiG_Motion-FlatFoot-Full.c3d": (
        "plug_in_gait",
        {
            "l_asis": "LASI",
            "r_psis": "RPSI",
            "c7": "C7",
            "t8": "T10",
            "ij": "CLAV",
            "px": "STRN",
            "l_knee_lat": "LKNE",
            "r_ankle_lat": "RANK",
            "l_toe": "LTOE",
        },
    ),
    "c3dorg-via-btkdata/sample04/sub_labels.c3d": (
        "plug_in_gait",
        {"l_asis": "LASI", "sacrum": "SACR", "r_heel": "RHEE"},
    ),
}


@pytest.mark.parametrize("rel", sorted(KNOWN))
def test_auto_picks_the_lab_convention(c3d_dir, rel):
    trial = load(c3d_dir / rel)
    name, mapping = resolve(trial)
    expected_name, expected_roles = KNOWN[rel]
    assert name == expected_name
    assert {role: mapping.get(role) for role in expected_roles} == expected_roles
    # auto fills at least as many roles as any single built-in set
    assert len(mapping) == max(len(resolve(trial, s)[1]) for s in BUILTIN_SETS)


def test_every_builtin_role_is_a_known_role():
    for candidates in BUILTIN_SETS.values():
        assert set(candidates) <= set(ROLES)


def test_role_markers_returns_trial_positions(c3d_dir):
    trial = load(c3d_dir / "pyorerun/Running_0002.c3d")
    _, mapping = resolve(trial)
    markers = role_markers(trial, mapping)
    assert set(markers) == set(mapping)
    np.testing.assert_array_equal(markers["l_asis"], trial.marker("LASIS"))
    assert markers["c7"].shape == (80, 3)


def test_yaml_map_for_a_new_lab(tmp_path):
    path = tmp_path / "mylab.yaml"
    path.write_text("name: mylab\nroles:\n  l_asis: LeftHip\n  c7: [C7x, NECK]\n")
    name, mapping = resolve(["LeftHip", "NECK", "other"], str(path))
    assert (name, mapping) == ("mylab", {"l_asis": "LeftHip", "c7": "NECK"})
    flat = tmp_path / "flat.yml"
    flat.write_text("r_asis: RH\n")
    assert resolve(["RH"], str(flat)) == ("flat", {"r_asis": "RH"})


def test_bad_marker_sets_are_one_sentence(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("l_hip: X\n")
    with pytest.raises(MarkerSetError, match="unknown role"):
        resolve(["X"], str(path))
    with pytest.raises(MarkerSetError, match="unknown marker set"):
        resolve(["X"], "vicon_magic")


def test_case_insensitive_fallback():
    _, mapping = resolve(["lasi", "rasi", "c7"], "plug_in_gait")
    assert mapping == {"l_asis": "lasi", "r_asis": "rasi", "c7": "c7"}


def test_a_repeated_label_set_is_resolved_once_and_each_caller_owns_its_copy():
    """A batch's trials share their labels: resolved once (issue 16), each caller gets its own
    Resolution, and changing one (landmarks add derived and calibrated roles) changes no other."""
    from lbprun import markersets

    labels = ["LASI", "RASI", "SACR", "C7", "LKNE", "LANK", "L_thigh_1"]
    first = markersets.resolve_roles(labels)
    first.mapping["sacrum"], first.rules["sacrum"] = "changed", "by the caller"
    hits = markersets._resolve_builtin.cache_info().hits
    second = markersets.resolve_roles(list(labels))
    assert markersets._resolve_builtin.cache_info().hits == hits + 1
    assert second.mapping["sacrum"] == "SACR" and second.rules["sacrum"] != "by the caller"
    assert second == markersets._resolve(labels, "auto")  # what an uncached call gives


def test_a_bare_epicondyle_is_a_knee_only_on_a_marked_leg(c3d_dir):
    # kineticstoolkit's wheelchair-basketball file marks the elbow as BodyL:LateralEpicondyleL
    # (prefix stripped by the loader): with no other left-leg landmark it is not the left knee,
    # it is reported; the same name next to the leg's malleoli and foot markers is the knee.
    found = resolve_roles(load(c3d_dir / "kineticstoolkit" / "sprintbasket.c3d"))
    assert "l_knee_lat" not in found.mapping
    assert found.ambiguous["l_knee_lat"] == ["LateralEpicondyleL"]
    leg = resolve_roles(["LateralEpicondyleL", "MedialEpicondyleL", "LLME", "LMME", "LHEE"])
    assert leg.mapping["l_knee_lat"] == "LateralEpicondyleL"
    assert leg.mapping["l_knee_med"] == "MedialEpicondyleL"
    opensim = resolve_roles(["RLEP", "RMEP", "RLME", "RMME"])
    assert (opensim.mapping["r_knee_lat"], opensim.mapping["r_knee_med"]) == ("RLEP", "RMEP")
