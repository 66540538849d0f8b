"""The registry of outcomes and waveforms agrees with CONTRACT.md, the config schema and the docs.

CONTRACT.md is read from the repo's ``docs/`` and from the project's shared ``../shared/docs``
(read only, like the corpus); the checks are on names and order, the facts users rely on.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from lbprun import cohort, coordination, figures, outputs, registry, stats
from lbprun.trial import measures

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = [REPO / "docs" / "CONTRACT.md", REPO.parent / "shared" / "docs" / "CONTRACT.md"]
# Registry outcomes CONTRACT.md does not (yet) list among trial.json's keys; adding is free
# (CONTRACT.md: "Add freely"), renaming is not, so this set only ever shrinks on purpose.
NOT_IN_CONTRACT_TRIAL_JSON = {"gain_stride", "lr_3_12_bw_s"}
# unit suffix of a name -> display unit (CONTRACT.md: "snake_case with their unit as suffix")
SUFFIX_UNITS = {
    "_deg": "°", "_pct": "% stride", "_bw_s": "BW/s", "_bw": "BW", "_hz": "Hz",
    "_steps_min": "steps/min", "_s": "s", "_stride": "",
}  # fmt: skip


def _contract_names(path: Path, start: str, stop: str) -> list[str]:
    """Backticked snake_case names of one CONTRACT.md paragraph, in order."""
    text = path.read_text(encoding="utf-8")
    section = text[text.index(start) : text.index(stop, text.index(start))]
    return re.findall(r"`([a-z][a-z0-9_]*)`", section)


def _contract(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return path


@pytest.mark.parametrize("path", CONTRACTS, ids=["repo", "shared"])
def test_contract_trial_json_outcomes_are_the_registry_s(path):
    listed = _contract_names(_contract(path), "`DIR/trial.json`", "`DIR/stances.csv`")
    metadata = set(outputs.TRIAL_KEYS) - set(registry.OUTCOMES) | {"kinematics_source"}
    assert not set(listed) - metadata - set(registry.OUTCOMES), "CONTRACT names a key lbprun lacks"
    listed_outcomes = [name for name in listed if name in registry.OUTCOMES]
    expected = [o for o in registry.OUTCOMES if o not in NOT_IN_CONTRACT_TRIAL_JSON]
    assert listed_outcomes == expected


@pytest.mark.parametrize("path", CONTRACTS, ids=["repo", "shared"])
def test_contract_stance_stride_and_waveform_names_are_the_registry_s(path):
    path = _contract(path)
    stances = _contract_names(path, "`DIR/stances.csv`", "`DIR/strides.csv`")
    strides = _contract_names(path, "`DIR/strides.csv`", "`DIR/waveforms.npz`")
    waves = _contract_names(path, "`DIR/waveforms.npz`", "Exit 0 on success")
    assert stances == list(outputs.STANCE_COLUMNS)
    assert strides == list(outputs.STRIDE_COLUMNS)
    assert waves == [*registry.WAVEFORMS, "vgrf_stance_row"]
    assert f"{registry.N_POINTS} points each" in path.read_text(encoding="utf-8")
    # every stance-level outcome but the stance time is a stances.csv measure column
    assert set(registry.names(level="stance")) <= set(stances)


def test_schema_waveform_enum_and_defaults_are_registry_names():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    props = schema["properties"]
    waveforms = props["stats"]["properties"]["waveforms"]
    assert waveforms["items"]["enum"] == list(registry.WAVEFORMS)
    assert set(waveforms["default"]) <= set(registry.WAVEFORMS)
    assert set(props["figures"]["properties"]["outcomes"]["default"]) <= set(registry.OUTCOMES)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for block in ("stats", "figures"):
        assert set(config.get(block, {}).get("outcomes") or []) <= set(registry.OUTCOMES)
    assert set(config.get("stats", {}).get("waveforms") or []) <= set(registry.WAVEFORMS)


def test_docs_outcomes_page_is_generated_from_the_registry():
    page = (REPO / "docs" / "OUTCOMES.md").read_text(encoding="utf-8")
    assert page == registry.docs_page(), "regenerate: python -m lbprun.registry > docs/OUTCOMES.md"
    for name in (*registry.OUTCOMES, *registry.WAVEFORMS):
        assert f"| `{name}` |" in page


@pytest.mark.parametrize("name", [*registry.OUTCOMES, *registry.WAVEFORMS])
def test_unit_agrees_with_the_name_suffix(name):
    measure = registry.describe(name)
    suffix = next(s for s in SUFFIX_UNITS if name.endswith(s))
    assert measure.unit == SUFFIX_UNITS[suffix]
    assert registry.label(name).startswith(measure.label)
    if measure.unit:
        assert f"({measure.unit}" in registry.label(name)
    assert measure.level in ("stride", "stance") and measure.source


def test_circular_waveforms_are_the_angles_cohort_averages_on_the_circle():
    assert registry.CIRCULAR_WAVEFORMS == {"crp_deg": -180.0, "vc_coupling_deg": 0.0}
    assert all(registry.describe(o).circular is False for o in registry.OUTCOMES)
    # CRP reported in [-180, 180), coupling angle in [0, 360): the cohort mean of +-179 deg
    # wraps around the circle, not through 0
    mean = cohort._circular_mean(np.array([[179.0], [-179.0]]), axis=0)
    assert abs(abs(mean[0]) - 180.0) < 1e-9


def test_vector_coding_bins_follow_the_coupling_angle():
    # a constant coupling angle at each bin centre lands 100 % in that pattern
    for name in registry.VC_PATTERNS:
        centre = registry.describe(name).bin_deg
        pct = coordination.vector_coding_per_stride(np.full((1, 100), centre))
        assert pct[name].tolist() == [100.0], name
    assert coordination._VC_BINS == registry.VC_BINS
    assert registry.VC_BINS == (
        "vc_pelvis_phase_pct", "vc_inphase_pct", "vc_thorax_phase_pct", "vc_antiphase_pct"
    )  # fmt: skip


def test_old_names_are_aliases_of_the_registry():
    assert cohort.OUTCOMES == registry.OUTCOMES
    assert cohort.OUTCOME_LABELS == registry.OUTCOME_LABELS
    assert outputs.N_POINTS == registry.N_POINTS == len(cohort.WAVE_COLUMNS)
    assert registry.names("waveform", level="stride") == outputs.STRIDE_WAVEFORMS
    assert list(figures.WAVEFORMS) == list(registry.WAVEFORMS)
    assert figures.WAVEFORMS["vgrf_bw"] == ("Vertical GRF (BW)", "Stance (% from touchdown)")
    assert list(figures.VC_PATTERNS.values()) == [
        "In-phase", "Anti-phase", "Pelvis phase", "Thorax phase",
    ]  # fmt: skip
    assert registry.names(family="vgrf") == measures.FORCE_KEYS
    assert set(stats.LOADING_RESPONSES) == set(registry.names(family="vgrf"))
    assert stats.LOADING_RESPONSES[-1] == "active_peak_bw"


def test_unknown_names():
    with pytest.raises(KeyError, match="'speed_mps' is not an lbprun outcome or waveform"):
        registry.describe("speed_mps")
    with pytest.raises(ValueError, match="kind must be one of"):
        registry.names("scalar")
    assert registry.label("speed_mps") == "speed_mps"


def test_null_explanations_cover_the_registry_s_data_needs():
    # trial/outcomes.FAMILIES groups the outcomes by the data whose absence makes them null:
    # every registry outcome is in exactly one family, the one its `needs` names
    from lbprun.trial import outcomes

    listed = [key for keys, _, _ in outcomes.FAMILIES.values() for key in keys]
    assert sorted(listed) == sorted(registry.names())
    for need, (keys, _, _) in outcomes.FAMILIES.items():
        assert keys == registry.names(needs=need), need


def test_a_null_gain_is_explained_with_the_thorax_family():
    from lbprun.trial import outcomes

    warning = "no thorax markers (c7, ij missing): thorax measures are null"
    summary = {"status": "ok", "pelvis_rot_rom_deg": 8.0, "gain_stride": None,
               "relphase_fourier_deg": None, "warnings": [warning]}  # fmt: skip
    info = outcomes.explain(summary)["gain_stride"]
    assert info["computed"] is False
    assert info["reason"].startswith("no thorax markers")
    assert "C7" in info["fix"]
