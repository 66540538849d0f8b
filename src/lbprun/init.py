"""``lbprun init DIR --out SHEETS_DIR``: draft sheets for a new cohort from a folder of C3D files.

Every C3D file under ``DIR`` is read once with the safe loader. Files named like a static
calibration (``static``, ``cal``, ``neutral``, ``standing``) become the ``static`` of the other
trials in their folder; the others become trials. The subject is the first sub-folder under
``DIR`` (or, for a flat folder, the file name up to its first ``_``, ``-`` or space). What the
files cannot say -- the group, and the body mass when the file's PROCESSING group lacks
``Bodymass`` -- is left blank for the user to fill in; the workflow's validation names each blank
cell. Written to ``SHEETS_DIR``: ``participants.tsv``, ``trials.tsv``, ``markerset.yaml`` (the
role -> label map detected in most trials, ready to edit), ``config.yaml`` (a config overlay
pointing at all three, with the study's ``output_dir`` beside them) and ``skipped.tsv`` (files
that are not C3D, with the reason). Nothing is written into ``DIR``, and files already in
``SHEETS_DIR`` are never overwritten unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from lbprun import sheets
from lbprun.errors import LbprunError, UsageError

STATIC_NAME = re.compile(r"static|cal(ib)?|neutral|standing", re.IGNORECASE)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
HELP = "draft participants and trials sheets from a folder of C3D files"


def safe_id(text: str, /) -> str:
    """Turn a folder or file name into an id the sheets accept (``[A-Za-z0-9_.-]``).

    Examples
    --------
    >>> safe_id("Sub 01 (run)")
    'Sub_01_run'
    >>> safe_id("..")
    'x..'
    """
    cleaned = _UNSAFE.sub("_", text).strip("_") or "x"
    return cleaned if sheets.SAFE_LABEL.match(cleaned) else f"x{cleaned}"


def subject_of(relpath: Path, /) -> str:
    """Subject id of a file: its first folder under the data folder, else its name's prefix.

    The prefix is the name up to its first ``_``, ``-`` or space, or, in names without one,
    the letters and digits up to the first letter after a digit (``RBDS001runT35`` and
    ``RBDS001static`` are both ``RBDS001``).

    Examples
    --------
    >>> subject_of(Path("P03/run_fast.c3d")), subject_of(Path("P03_run_fast.c3d"))
    ('P03', 'P03')
    >>> subject_of(Path("RBDS001static.c3d")), subject_of(Path("JA1Gait21.c3d"))
    ('RBDS001', 'JA1')
    """
    if len(relpath.parts) > 1:
        return safe_id(relpath.parts[0])
    head = re.split(r"[_\- ]", relpath.stem, maxsplit=1)[0]
    if head == relpath.stem:
        head = getattr(re.match(r"[A-Za-z]*\d+", head), "group", lambda: head)()
    return safe_id(head)


def describe_file(path: Path, /, *, markerset: str = "auto") -> dict:
    """Read one C3D and say what the sheets need from it.

    Parameters
    ----------
    path : Path
        The file.
    markerset : str
        Passed to :func:`lbprun.markersets.resolve`.

    Returns
    -------
    dict
        ``markerset``, ``roles`` (role -> label), ``mass_kg`` and ``height_m`` (None when the
        file does not store them).

    Raises
    ------
    lbprun.c3d.C3DError
        When the file cannot be read.
    """
    from lbprun.c3d import load
    from lbprun.markersets import resolve

    trial = load(path)
    name, roles = resolve(trial, markerset)
    processing = trial.metadata.get("processing", {})
    mass = processing.get("Bodymass")
    height_mm = processing.get("Height")
    return {
        "markerset": name,
        "roles": roles,
        "labels": list(trial.labels),
        "mass_kg": mass if mass and mass > 0 else None,
        "height_m": height_mm / 1000 if height_mm and height_mm > 0 else None,
    }


def _c3d_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".c3d")


def scan(data_dir: str | Path, /, *, markerset: str = "auto", max_mb: float = 500) -> dict:
    """Scan a folder of C3D files into draft sheets.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding the cohort's C3D files (any depth).
    markerset : str
        Marker set to resolve labels with (``auto`` picks the best built-in set per file).
    max_mb : float
        Files above this size are skipped (as the workflow's ``max_c3d_mb`` would refuse them).

    Returns
    -------
    dict
        ``participants`` and ``trials`` (DataFrames in the sheets' columns), ``markerset``
        (name and role -> label map found in most trials) and ``skipped`` (``path``,
        ``reason``).
    """
    data_dir = Path(data_dir)
    trials, skipped, found, people = [], [], {}, {}
    for path in _c3d_files(data_dir):
        rel = path.relative_to(data_dir)
        try:
            sheets.check_c3d_file(path, max_mb=max_mb)
            info = describe_file(path, markerset=markerset)
        except (LbprunError, OSError) as error:  # an unreadable file is listed, never fatal
            skipped.append({"path": rel.as_posix(), "reason": str(error)})
            continue
        subject = subject_of(rel)
        person = people.setdefault(subject, {"mass_kg": None, "height_m": None})
        person.update({k: v for k, v in info.items() if k in person and v is not None})
        found[rel.as_posix()] = (info["markerset"], info["roles"], info["labels"])
        trials.append(
            {"subject": subject, "file": rel, "static_file": STATIC_NAME.search(rel.stem)}
        )
    trial_sheet = _trials(trials)
    people = {s: p for s, p in people.items() if s in set(trial_sheet["subject"])}
    return {
        "participants": _participants(people),
        "trials": trial_sheet,
        "markerset": _common_markerset(found),
        "skipped": pd.DataFrame(skipped, columns=["path", "reason"]),
    }


def _participants(people: dict) -> pd.DataFrame:
    rows = [
        {"subject": s, "group": "", "mass_kg": p["mass_kg"], "height_m": p["height_m"]}
        for s, p in sorted(people.items())
    ]
    return pd.DataFrame(rows, columns=["subject", "group", "mass_kg", "height_m"])


def _shared_prefix(a: str, b: str) -> int:
    """Length of the common beginning of two file names, ignoring case."""
    n = 0
    for x, y in zip(a.lower(), b.lower(), strict=False):
        if x != y:
            break
        n += 1
    return n


def _trials(found: list[dict]) -> pd.DataFrame:
    """One row per dynamic trial; a static of its subject in the same folder is its ``static``.

    With several statics in a folder, each trial takes the one whose name shares the longest
    beginning with its own (``RBDS001runT35`` -> ``RBDS001static``, ``20140515T133244_run`` ->
    ``20140515T133244_static``), the first in file order on a tie.
    """
    statics: dict[tuple, list[Path]] = {}
    for item in found:
        if item["static_file"]:
            statics.setdefault((item["subject"], item["file"].parent), []).append(item["file"])
    rows, used = [], set()
    for item in found:
        if item["static_file"]:
            continue
        trial = safe_id(item["file"].stem)
        while (item["subject"], trial) in used:
            trial += "_b"
        used.add((item["subject"], trial))
        candidates = statics.get((item["subject"], item["file"].parent), [])
        best = max(candidates, key=lambda c: _shared_prefix(c.stem, item["file"].stem), default="")
        static = best.as_posix() if best else ""
        rows.append(
            {"subject": item["subject"], "trial": trial, "path": item["file"].as_posix(),
             "condition": "unspecified", "static": static, "speed_mps": None}
        )  # fmt: skip
    return pd.DataFrame(
        rows, columns=["subject", "trial", "path", "condition", "static", "speed_mps"]
    )


def _common_markerset(found: dict) -> dict:
    """One marker set for the cohort that leaves no file's roles missing, or ``auto``.

    Every role lists every label the files use for it (most used first; a file takes the first
    present), so each file keeps exactly the roles it resolves to on its own. When that is not
    possible -- one label naming different roles in different files -- the set is ``auto``:
    each trial is resolved on its own. ``conventions`` counts the files of each convention and
    ``note`` says what was done when they disagree.
    """
    from lbprun.markersets import match

    if not found:
        return {"name": "auto", "roles": {}, "conventions": {}, "note": ""}
    conventions = dict(Counter(n for n, *_ in found.values()).most_common())
    uses: dict[str, Counter] = {}
    for _, roles, _ in found.values():
        for role, label in roles.items():
            uses.setdefault(role, Counter())[label] += 1
    union = {role: tuple(label for label, _ in c.most_common()) for role, c in sorted(uses.items())}
    owners = Counter(label for labels in union.values() for label in labels)
    keeps = all(match(labels, union) == roles for _, roles, labels in found.values())
    name = next(iter(conventions)) if len(conventions) == 1 else "cohort"
    note = ""
    if len(conventions) > 1 or not keeps:
        counts = ", ".join(f"{n} ({k} files)" for n, k in conventions.items())
        note = f"files disagree on labels: {counts}"
    if max(owners.values()) > 1 or not keeps:
        note += (
            "; no single marker set keeps every file's roles, so each trial is resolved on "
            "its own (markerset: auto)"
        )
        return {"name": "auto", "roles": {}, "conventions": conventions, "note": note}
    if note:
        note += "; markerset.yaml lists every label each role takes, so every file keeps its roles"
    roles = {r: labels[0] if len(labels) == 1 else list(labels) for r, labels in union.items()}
    return {"name": name, "roles": roles, "conventions": conventions, "note": note}


OUTPUT_NAMES = ("participants.tsv", "trials.tsv", "skipped.tsv", "markerset.yaml", "config.yaml")


def check_out_dir(out_dir: str | Path, /, *, data_dir: str | Path, force: bool = False) -> None:
    """Refuse an output folder inside the data folder, or files that would be overwritten.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the drafted files.
    data_dir : str or Path
        The scanned folder, never written to.
    force : bool, optional
        Overwrite existing draft files (``--force``).

    Raises
    ------
    FileExistsError
        Naming the files that exist (unless ``force``).
    ValueError
        When ``out_dir`` is ``data_dir`` or lies inside it.
    """
    out, data = Path(out_dir).resolve(), Path(data_dir).resolve()
    if out == data or data in out.parents:
        raise UsageError(
            f"--out {out_dir} is inside the data folder {data_dir}, which lbprun never writes "
            "to; choose a folder outside it."
        )
    existing = [name for name in OUTPUT_NAMES if (out / name).exists()]
    if existing and not force:
        raise FileExistsError(
            f"{out_dir} already holds {', '.join(existing)}; choose another --out folder, or "
            "add --force to overwrite them."
        )


def write(result: dict, out_dir: str | Path, /, *, data_dir: str | Path) -> list[Path]:
    """Write the draft sheets, marker set and config overlay of :func:`scan`.

    Parameters
    ----------
    result : dict
        From :func:`scan`.
    out_dir : str or Path
        Folder for the files (created); :func:`check_out_dir` says whether it may be used.
    data_dir : str or Path
        The scanned folder (the config's ``data_dir``).

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    paths = {n: out / n for n in OUTPUT_NAMES[:3]}
    result["participants"].to_csv(paths["participants.tsv"], sep="\t", index=False)
    result["trials"].to_csv(paths["trials.tsv"], sep="\t", index=False)
    result["skipped"].to_csv(paths["skipped.tsv"], sep="\t", index=False)
    markerset = out / "markerset.yaml"
    markerset.write_text(yaml.safe_dump(result["markerset"], sort_keys=False))
    config = out / "config.yaml"
    overlay = {
        "participants": str(paths["participants.tsv"]),
        "trials": str(paths["trials.tsv"]),
        "data_dir": str(Path(data_dir).resolve()),
        "output_dir": str(out / "results"),
        "markerset": str(markerset) if result["markerset"]["roles"] else "auto",
        "preset": out.name,
        "demo": {"enabled": False},
    }
    config.write_text(
        "# Draft from `lbprun init`: fill in group and mass_kg in participants.tsv, and\n"
        "# condition (and speed_mps) in trials.tsv, then: snakemake --cores 2 --configfile "
        f"{config}\n" + yaml.safe_dump(overlay, sort_keys=False)
    )
    return [*paths.values(), markerset, config]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``lbprun init``'s arguments."""
    parser.add_argument("data_dir", help="folder of C3D files (searched recursively)")
    parser.add_argument("--out", required=True, help="folder for the draft sheets and config")
    parser.add_argument("--markerset", default="auto", help="auto, a built-in name or a YAML file")
    parser.add_argument(
        "--force", action="store_true", help="overwrite draft files already in the --out folder"
    )


def run(args: argparse.Namespace) -> int:
    """Scan, write, and say what the user still has to fill in."""
    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"{data_dir}: not a folder.")
    check_out_dir(args.out, data_dir=data_dir, force=args.force)
    result = scan(data_dir, markerset=args.markerset)
    if result["trials"].empty:
        raise UsageError(f"{data_dir}: no readable C3D trial found.")
    written = write(result, args.out, data_dir=data_dir)
    print(
        f"{len(result['trials'])} trials of {len(result['participants'])} participants, "
        f"{len(result['skipped'])} files skipped; marker set {result['markerset']['name']} "
        f"({len(result['markerset']['roles'])} roles). Wrote {', '.join(p.name for p in written)} "
        f"to {written[0].parent}. Fill in group and blank mass_kg cells, then run snakemake."
    )
    if result["markerset"].get("note"):
        print(f"marker sets: {result['markerset']['note']}.")
    return 0
