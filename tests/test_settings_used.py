"""Every number-changing setting, changed through a config file, is recorded and acts (issue 11).

For each key: ``lbprun extract --config`` with only that key changed records the new value in
``trial.json``'s ``settings``, leaves every other recorded setting as it was, and changes the
output the key governs. JA1Gait21 with its static trial (plates, kinematic events off the plates,
body mass from the static trial on plate 4) exercises all of them; the fast suite runs a few keys
and the rest are marked slow.
"""

from __future__ import annotations

import json
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
import yaml

from lbprun import cli
from lbprun.settings import SECTIONS, Settings

JA1 = "dorn2012_flash-running/JA1Gait21.c3d"
JA1_STATIC = "dorn2012_flash-running/JA1Static05.c3d"
# key -> (new value, what must change: a trial.json key, "stances" (stances.csv) or "inspect")
CHANGES = {
    "marker_cutoff_hz": (6.0, "pelvis_rot_rom_deg"),
    "force_cutoff_hz": (30.0, "lr_3_12_bw_s"),
    "filter_order": (2, "pelvis_rot_rom_deg"),
    "event_source": ("kinematic", "n_plate_stances"),
    "plate_threshold_overground_n": (60.0, "stance_time_s"),
    "plate_min_peak_n": (3000.0, "n_plate_stances"),
    "plate_min_contact_s": (0.3, "n_plate_stances"),
    "plate_edge_margin_m": (-0.05, "n_plate_stances"),
    "plate_loaded_n": (5000.0, "inspect"),
    "treadmill_min_length_m": (0.3, "stance_time_s"),
    "treadmill_min_contacts": (1, "stance_time_s"),
    "treadmill_min_foot_speed_mps": (1e-6, "stance_time_s"),
    "kinematic_cutoff_hz": (8.0, "stances"),
    "td_clearance_m": (0.02, "stances"),
    "to_clearance_m": (0.03, "stances"),
    "calibration_min_stances": (10, "stances"),
    "min_stride_s": (0.8, "n_strides"),
    "max_stride_s": (0.7, "n_strides"),
    "max_stride_ratio": (1.005, "n_strides"),
    "impact_peak_prominence_bw": (5.0, "impact_peak_bw"),  # on top of CONTEXT
    "impact_peak_window_pct": (60.0, "impact_peak_bw"),
    "lr_window_pct": ([5.0, 15.0], "lr_3_12_bw_s"),
    "valr_window_pct": ([10.0, 90.0], "valr_bw_s"),  # on top of CONTEXT
    "static_min_force_n": (800.0, "body_mass_kg"),
    "static_max_cv": (0.001, "body_mass_kg"),
    "gravity_m_s2": (9.0, "body_mass_kg"),
    "crp_centering": ("mean", "crp_marp_deg"),
    "fourier_segment_periods": (2.0, "gain_stride"),
    "coherence_min_segments": (1, "coherence_stride"),
}
# JA1Gait21 has no impact peak in the default 25 % window; with 60 % the active peak counts,
# which a 5 BW prominence then rejects: both runs of this key use the wider window
WIDE = {"kinetics": {"impact_peak_window_pct": 60.0}}
CONTEXT = {"impact_peak_prominence_bw": WIDE, "valr_window_pct": WIDE}
# not shown on JA1Gait21: no marker gap longer than the default fill, no treadmill plate, no
# markerless poses (pose_floor_window_s, pose_bump_window_s: tests/test_markerless.py), no
# cluster-only segments (section clusters: tests/test_labs_inputs.py)
ELSEWHERE = {
    "max_gap_frames",
    "plate_threshold_treadmill_n",
    "markerset",
    "pose_floor_window_s",
    "pose_bump_window_s",
    # clusters calibrated by a static (JA1's static has no trochanters, no foot cluster):
    # tests/test_labs_inputs.py::test_cluster_settings_are_recorded_and_act
    "hjc_from_trochanters",
    "static_max_fit_residual_mm",
    "static_max_length_sd_mm",
    "static_max_point_distance_m",
    "cluster_max_deformation_mm",
    "forefoot_pivot_window_s",
    "rear_foot_min_low_s",
}
# ... and what must not change: kinetics settings leave events and kinematics alone, coordination
# settings everything but coordination, gravity (body weight from the static trial) every BW
# measure, inspect's threshold every output of extract
KINEMATICS = (
    "n_strides", "n_stances", "n_plate_stances", "stance_time_s", "cadence_steps_min",
    "pelvis_rot_rom_deg", "thorax_rot_rom_deg", "knee_flex_td_deg", "trunk_incl_td_deg",
)  # fmt: skip
FORCES = ("active_peak_bw", "lr_3_12_bw_s", "body_mass_kg")
COORDINATION = ("crp_marp_deg", "relphase_fourier_deg", "gain_stride", "coherence_stride")
UNTOUCHED = {
    "kinetics": KINEMATICS + COORDINATION,
    "coordination": KINEMATICS + FORCES,
    "gravity_m_s2": KINEMATICS + COORDINATION + ("active_peak_bw", "lr_3_12_bw_s"),
    "plate_loaded_n": KINEMATICS + COORDINATION + FORCES,
}
FAST = ("force_cutoff_hz", "treadmill_min_contacts", "gravity_m_s2", "coherence_min_segments")


def _section(key: str) -> str:
    """The config section holding a Settings field (from the schema's own layout)."""
    from lbprun import sheets

    schema = sheets.read_schema(
        __import__("pathlib").Path(__file__).parents[1] / "workflow/schemas/config.schema.yaml"
    )
    for section in SECTIONS:
        if key in schema["properties"][section]["properties"]:
            return section
    raise KeyError(key)


def test_every_setting_is_covered_here():
    assert set(CHANGES) | ELSEWHERE == {f.name for f in fields(Settings)}


def _extract(c3d_dir, out, config: dict | None):
    argv = ["extract", str(c3d_dir / JA1), "--static", str(c3d_dir / JA1_STATIC), "--out"]
    argv.append(str(out / "trial"))
    if config is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        argv += ["--config", str(path)]
    assert cli.main(argv) == 0
    summary = json.loads((out / "trial" / "trial.json").read_text())
    return summary, pd.read_csv(out / "trial" / "stances.csv")


@pytest.fixture(scope="module")
def baseline(c3d_dir, tmp_path_factory):
    return _extract(c3d_dir, tmp_path_factory.mktemp("base"), None)


def _inspect(c3d_dir, tmp_path, config, capsys) -> dict:
    argv = ["inspect", str(c3d_dir / JA1), "--json"]
    if config is not None:
        path = tmp_path / "inspect.yaml"
        path.write_text(yaml.safe_dump(config))
        argv += ["--config", str(path)]
    capsys.readouterr()
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (np.isnan(a) and np.isnan(b))
    return a == b


@pytest.mark.parametrize(
    "key",
    [k if k in FAST else pytest.param(k, marks=pytest.mark.slow) for k in CHANGES],
)
def test_setting_is_recorded_and_changes_its_output(key, baseline, c3d_dir, tmp_path, capsys):
    value, output = CHANGES[key]
    context = CONTEXT.get(key, {})
    config = {**context, _section(key): {**context.get(_section(key), {}), key: value}}
    if output == "inspect":
        plain, changed = (_inspect(c3d_dir, tmp_path, c, capsys) for c in (None, config))
        assert changed["plate_loaded_n"] == value and plain["plate_loaded_n"] != value
        assert [p["loaded"] for p in plain["plates"]] != [p["loaded"] for p in changed["plates"]]
    base, base_stances = _extract(c3d_dir, tmp_path / "c", context) if context else baseline
    summary, stances = _extract(c3d_dir, tmp_path, config)
    recorded = summary["settings"]
    assert recorded[key] == value
    # every other recorded setting as in the baseline (the per-plate record follows from the
    # treadmill criteria and the force filter; the calibration report from the kinematic events)
    derived = {"plates", "kinematic_calibrated"} | {
        k
        for k in {*recorded, *base["settings"]}
        if k.startswith("kinematic_") and k.endswith(("_ms", "_n"))
    }
    for other, before in base["settings"].items():
        if other not in (key, *derived):
            assert _same(recorded.get(other), before), other
    for other in UNTOUCHED.get(key, UNTOUCHED.get(_section(key), ())):
        assert _same(summary[other], base[other]), other
    if output == "stances":
        assert not base_stances[["td_s", "to_s"]].equals(stances[["td_s", "to_s"]])
    elif output != "inspect":
        assert not _same(summary[output], base[output]), (output, summary[output])
