"""`lbprun init`: draft sheets from a folder of real C3D files (linked, never copied, into tmp)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from lbprun import cli, init, sheets

SCHEMAS = Path(__file__).resolve().parents[1] / "workflow" / "schemas"


@pytest.fixture
def lab_folder(tmp_path: Path, c3d_dir: Path) -> Path:
    """A lab-like folder: one sub-folder per subject, a flat pair, and two non-trials."""
    data = tmp_path / "data"
    links = {
        "JA1/JA1Gait21.c3d": "dorn2012_flash-running/JA1Gait21.c3d",
        "JA1/JA1Static05.c3d": "dorn2012_flash-running/JA1Static05.c3d",
        "PiG Kid/motion.c3d": "btkdata/PiG_Motion-FlatFoot-Full.c3d",
        "RBDS001runT35.c3d": "bmc-ric/RBDS001runT35.c3d",
        "RBDS001static.c3d": "bmc-ric/RBDS001static.c3d",
    }
    for link, target in links.items():
        (data / link).parent.mkdir(parents=True, exist_ok=True)
        (data / link).symlink_to(c3d_dir / target)
    (data / "notes.C3D").write_bytes(b"PK\x03\x04 a zip file named as a trial")
    (data / "JA1" / "empty.c3d").write_bytes(b"")
    return data


def test_init_drafts_sheets_statics_and_markerset(lab_folder, tmp_path):
    result = init.scan(lab_folder)
    trials = result["trials"].set_index(["subject", "trial"])
    assert sorted(trials.index) == [
        ("JA1", "JA1Gait21"),
        ("PiG_Kid", "motion"),
        ("RBDS001", "RBDS001runT35"),
    ]
    assert trials.loc[("JA1", "JA1Gait21"), "static"] == "JA1/JA1Static05.c3d"
    assert trials.loc[("RBDS001", "RBDS001runT35"), "static"] == "RBDS001static.c3d"
    assert trials.loc[("PiG_Kid", "motion"), "static"] == ""
    people = result["participants"].set_index("subject")
    # The Plug-in Gait file stores PROCESSING:Bodymass 47.5 kg and Height 1505 mm.
    assert people.loc["PiG_Kid", "mass_kg"] == pytest.approx(47.5)
    assert people.loc["PiG_Kid", "height_m"] == pytest.approx(1.505)
    assert pd.isna(people.loc["JA1", "mass_kg"])
    skipped = dict(zip(result["skipped"]["path"], result["skipped"]["reason"], strict=True))
    assert set(skipped) == {"notes.C3D", "JA1/empty.c3d"}
    assert "not a C3D file" in skipped["notes.C3D"]
    assert (
        result["markerset"]["conventions"]
        == {"dorn_melbourne": 2, "plug_in_gait": 1, "rbds_dotted": 2}
        or len(result["markerset"]["conventions"]) == 3
    )


def test_init_output_becomes_valid_once_group_and_mass_are_filled(lab_folder, tmp_path):
    code = cli.main(["init", str(lab_folder), "--out", str(tmp_path / "sheets")])
    assert code == 0
    out = tmp_path / "sheets"
    overlay = yaml.safe_load((out / "config.yaml").read_text())
    assert Path(overlay["data_dir"]) == lab_folder.resolve()
    participants = pd.read_csv(out / "participants.tsv", sep="\t")
    participants["group"] = ["healthy", "lbp", "lbp"]
    participants["mass_kg"] = participants["mass_kg"].fillna(70.0)
    participants.to_csv(out / "participants.tsv", sep="\t", index=False)
    config = overlay | {
        "groups": {"reference": "healthy", "comparison": "lbp"},
        "conditions": [],
        "max_c3d_mb": 500,
    }
    _, trials = sheets.load_sheets(config, schema_dir=SCHEMAS)
    assert len(trials) == 3
    # Three labs' conventions: whatever init writes, no file loses a role it has on its own.
    detected = yaml.safe_load((out / "markerset.yaml").read_text())
    assert len(detected["conventions"]) == 3 and "files disagree" in detected["note"]
    readable = [*trials["path"], *(p for p in trials["static"] if isinstance(p, str) and p)]
    for path in readable:
        own = init.describe_file(lab_folder / path)["roles"]
        drafted = init.describe_file(lab_folder / path, markerset=overlay["markerset"])["roles"]
        assert drafted == own, path


def test_init_on_a_folder_without_trials_is_one_line_error(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    assert cli.main(["init", str(tmp_path / "data"), "--out", str(tmp_path / "o")]) == 2
    assert "no readable C3D trial found" in capsys.readouterr().err


def _tree_hashes(folder: Path) -> dict:
    import hashlib

    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_init_never_writes_into_the_data_folder_nor_over_existing_files(
    lab_folder, tmp_path, capsys
):
    before = _tree_hashes(lab_folder)
    assert cli.main(["init", str(lab_folder), "--out", str(lab_folder / "sheets")]) == 2
    assert "is inside the data folder" in capsys.readouterr().err
    out = tmp_path / "study"
    out.mkdir()
    (out / "trials.tsv").write_text("my own sheet\n")
    (out / "config.yaml").write_text("mine: true\n")
    assert cli.main(["init", str(lab_folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "already holds trials.tsv, config.yaml" in err, err
    assert (out / "trials.tsv").read_text() == "my own sheet\n"  # untouched
    assert not (out / "participants.tsv").exists()  # nothing written at all
    assert cli.main(["init", str(lab_folder), "--out", str(out), "--force"]) == 0
    assert (out / "trials.tsv").read_text().startswith("subject\ttrial\tpath")
    overlay = yaml.safe_load((out / "config.yaml").read_text())
    assert overlay["output_dir"] == str(out.resolve() / "results")
    assert _tree_hashes(lab_folder) == before


def test_each_trial_takes_the_static_that_shares_its_name(tmp_path, c3d_dir, capsys):
    # One folder holding two runners' runs and statics (as bmc-ric/ does): each run gets its
    # own static, not the folder's first (RBDS001runT35 was given 20140515T133244_static).
    data = tmp_path / "data" / "lab"
    data.mkdir(parents=True)
    for name in ("20140515T133244_run", "20140515T133244_static", "RBDS001runT35",
                 "RBDS001static"):  # fmt: skip
        (data / f"{name}.c3d").symlink_to(c3d_dir / "bmc-ric" / f"{name}.c3d")
    assert cli.main(["init", str(tmp_path / "data"), "--out", str(tmp_path / "draft")]) == 0
    capsys.readouterr()
    trials = pd.read_csv(tmp_path / "draft" / "trials.tsv", sep="\t").set_index("trial")
    assert trials.loc["RBDS001runT35", "static"] == "lab/RBDS001static.c3d"
    assert trials.loc["20140515T133244_run", "static"] == "lab/20140515T133244_static.c3d"
