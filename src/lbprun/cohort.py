"""Gather per-trial outputs into cohort tables, one trial at a time.

The unit of analysis is the subject (SCIENCE.md, Statistics): strides are averaged within a
trial (``trial.json`` already holds those means), trials within subject × condition. Waveforms
follow the same path: stride curves → trial mean curve → subject × condition mean curve, summed
on the fly so that memory does not grow with the number of trials.

Outputs in ``out_dir`` (CONTRACT.md, ``results/cohort/``): ``trials.csv``, ``stances.csv``,
``strides.csv``, ``subjects.csv``, ``failed_trials.csv`` and ``waveforms.parquet`` (one row per
subject × condition × waveform, the curve in columns ``pct_000`` … ``pct_100``).
"""

from __future__ import annotations

import csv
import json
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun import registry
from lbprun.outputs import STANCE_COLUMNS, STRIDE_COLUMNS

ID_COLUMNS = ("subject", "trial", "group", "condition", "speed_mps")
# Trial-level outcomes (trial.json keys) averaged into subjects.csv, their labels and the
# circular waveforms: from the registry (names kept here for users' scripts). Other numeric keys
# that a later version adds are averaged too, after these.
OUTCOMES = registry.OUTCOMES
OUTCOME_LABELS = registry.OUTCOME_LABELS
CIRCULAR_WAVEFORMS = registry.CIRCULAR_WAVEFORMS
# Numeric trial.json keys that describe the recording, not the runner: never averaged.
NOT_OUTCOMES = frozenset(
    {"markers_hz", "analog_hz", "n_strides", "n_stances", "n_plate_stances", "body_mass_kg"}
)
WAVE_COLUMNS = tuple(f"pct_{i:03d}" for i in range(registry.N_POINTS))
PARTICIPANT_REQUIRED = ("subject", "group", "mass_kg")
TRIAL_REQUIRED = ("subject", "trial", "path", "condition")


def gather(
    trial_dirs: Iterable[str | os.PathLike],
    /,
    *,
    participants: pd.DataFrame | str | os.PathLike,
    trials: pd.DataFrame | str | os.PathLike,
    out_dir: str | os.PathLike,
) -> None:
    """Gather per-trial folders into the cohort tables of CONTRACT.md.

    Parameters
    ----------
    trial_dirs : iterable of path
        Folders ``{subject}/{trial}/`` written by ``lbprun extract``; the folder names give the
        subject and trial, matched against the trials sheet.
    participants, trials : DataFrame or path
        The two sheets (a path is read as tab-separated text).
    out_dir : path
        Folder for ``trials.csv``, ``stances.csv``, ``strides.csv``, ``subjects.csv``,
        ``failed_trials.csv`` and ``waveforms.parquet``.

    Raises
    ------
    ValueError
        A sheet lacks a required column, a trial folder is not in the trials sheet, or a subject
        is not in the participants sheet.

    Notes
    -----
    Trials are read one at a time; stance and stride rows are appended to the output files as
    they are read and waveforms are summed per subject × condition, so memory is flat in the
    number of trials (only one row of scalars per trial is kept).

    Examples
    --------
    One trial folder as ``lbprun extract`` writes it, gathered with the two sheets:

    >>> import shutil, tempfile
    >>> from lbprun.outputs import empty_waveforms, write_trial_outputs
    >>> tmp = Path(tempfile.mkdtemp())
    >>> write_trial_outputs(tmp / "trials" / "s1" / "t1", stances=pd.DataFrame(),
    ...     summary={"status": "ok", "cadence_steps_min": 170.0}, strides=pd.DataFrame(),
    ...     waveforms=empty_waveforms())
    >>> gather([tmp / "trials" / "s1" / "t1"],
    ...        participants=pd.DataFrame({"subject": ["s1"], "group": ["lbp"], "mass_kg": [70]}),
    ...        trials=pd.DataFrame({"subject": ["s1"], "trial": ["t1"], "path": ["t1.c3d"],
    ...                             "condition": ["run"]}), out_dir=tmp / "cohort")
    >>> sorted(p.name for p in (tmp / "cohort").iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['failed_trials.csv', 'stances.csv', 'strides.csv', 'subjects.csv', 'trials.csv',
     'waveforms.parquet']
    >>> subjects = pd.read_csv(tmp / "cohort" / "subjects.csv")
    >>> subjects[["subject", "group", "n_trials", "cadence_steps_min"]].to_dict("records")
    [{'subject': 's1', 'group': 'lbp', 'n_trials': 1, 'cadence_steps_min': 170.0}]
    >>> shutil.rmtree(tmp)
    """
    meta = _trial_meta(_sheet(participants, PARTICIPANT_REQUIRED), _sheet(trials, TRIAL_REQUIRED))
    dirs = sorted((Path(d) for d in trial_dirs), key=lambda d: (d.parent.name, d.name))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [_trial_row(d, _lookup(meta, d)) for d in dirs]
    table = _keep_integers(
        pd.DataFrame(rows, columns=_union([dict.fromkeys([*ID_COLUMNS, "path", "status"]), *rows])),
        rows,
    )
    ok_dirs = [d for d, row in zip(dirs, rows, strict=True) if row.get("status") == "ok"]
    ok_meta = [_lookup(meta, d) for d in ok_dirs]
    table.to_csv(out / "trials.csv", index=False, lineterminator="\n")
    _failed(table).to_csv(out / "failed_trials.csv", index=False, lineterminator="\n")
    for name, columns in (("stances", STANCE_COLUMNS), ("strides", STRIDE_COLUMNS)):
        _stream_csv(ok_dirs, ok_meta, name=name, columns=columns, path=out / f"{name}.csv")
    subjects = subject_means(table, participants=_sheet(participants, PARTICIPANT_REQUIRED))
    subjects.to_csv(out / "subjects.csv", index=False, lineterminator="\n")
    waves = _stream_waveforms(ok_dirs, ok_meta)
    waves.to_parquet(out / "waveforms.parquet", index=False)


def _sheet(sheet: pd.DataFrame | str | os.PathLike, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a sheet (path or DataFrame) and check its required columns."""
    table = sheet.copy() if isinstance(sheet, pd.DataFrame) else pd.read_csv(sheet, sep="\t")
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"sheet is missing required column(s): {', '.join(missing)}.")
    for column in ("subject", "trial"):
        if column in table.columns:
            table[column] = table[column].astype(str)
    return table


def _trial_meta(participants: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """Trials sheet joined with each subject's group, indexed by (subject, trial)."""
    unknown = sorted(set(trials["subject"]) - set(participants["subject"]))
    if unknown:
        raise ValueError(f"subject(s) {', '.join(unknown)} in the trials sheet are missing from "
                         "the participants sheet.")  # fmt: skip
    groups = participants.set_index("subject")["group"]
    meta = trials.assign(group=trials["subject"].map(groups))
    meta["speed_mps"] = pd.to_numeric(meta.get("speed_mps", np.nan), errors="coerce")
    return meta.set_index(["subject", "trial"], drop=False)


def _lookup(meta: pd.DataFrame, trial_dir: Path) -> dict:
    """Sheet row (subject, trial, group, condition, speed_mps, path) of one trial folder."""
    key = (trial_dir.parent.name, trial_dir.name)
    if key not in meta.index:
        raise ValueError(f"trial folder {trial_dir} is not in the trials sheet "
                         f"(subject {key[0]!r}, trial {key[1]!r}).")  # fmt: skip
    row = meta.loc[key]
    return {c: row[c] for c in (*ID_COLUMNS, "path")}


def _scalars(summary: dict, prefix: str = "") -> dict:
    """Flatten trial.json: scalars kept, ``settings`` flattened, ``warnings`` joined."""
    flat = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            flat.update(_scalars(value, prefix=f"{prefix}{key}_"))
        elif isinstance(value, list):
            flat[f"{prefix}n_{key}"] = len(value)
            flat[f"{prefix}{key}"] = "; ".join(str(v) for v in value)
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _read_summary(trial_dir: Path) -> dict:
    """trial.json of one folder, or a failed-status stand-in saying why it cannot be read."""
    path = trial_dir / "trial.json"
    try:
        with open(path, encoding="utf-8") as handle:
            summary = json.load(handle)
    except FileNotFoundError:
        return {"status": "failed", "error": f"{path} is missing."}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return {"status": "failed", "error": f"{path} is not valid JSON ({exc})."}
    if not isinstance(summary, dict) or summary.get("status") not in ("ok", "failed"):
        return {"status": "failed", "error": f"{path} has no status 'ok' or 'failed'."}
    return summary


def _trial_row(trial_dir: Path, ids: dict) -> dict:
    """One trials.csv row: sheet identifiers first, then every trial.json scalar."""
    summary = _scalars(_read_summary(trial_dir))
    for key in ("subject", "trial", "condition"):  # the sheet is authoritative
        summary.pop(key, None)
    return {**ids, **summary}


def _union(rows: list[dict]) -> list[str]:
    """Column names in order of first appearance over all rows."""
    return list(dict.fromkeys(key for row in rows for key in row))


def _keep_integers(table: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """Turn integer columns into nullable integers (``Int64``).

    A failed trial's missing value would otherwise turn a good trial's ``6`` into ``6.0``:
    each trial's row must read the same whatever else is gathered with it.
    """
    ints = [
        c for c in table.columns
        if any(type(r.get(c)) is int for r in rows)
        and all(type(r[c]) is int for r in rows if r.get(c) is not None)
    ]  # fmt: skip
    return table.astype(dict.fromkeys(ints, "Int64"))


def _failed(table: pd.DataFrame) -> pd.DataFrame:
    """failed_trials.csv: subject, trial, path, error for every trial with status failed."""
    failed = table.loc[table["status"] != "ok"] if "status" in table else table.iloc[:0]
    return failed.reindex(columns=["subject", "trial", "path", "error"]).reset_index(drop=True)


def _stream_csv(
    dirs: list[Path], metas: list[dict], *, name: str, columns: tuple, path: Path
) -> None:
    """Concatenate ``{name}.csv`` of every trial into ``path``, one trial in memory at a time.

    A first pass reads only the headers so that the output has the union of all columns. Rows
    are copied as text (the csv module, not pandas: ten times faster per file for a cohort of
    small tables), so each trial's values read exactly as that trial wrote them.
    """
    found = [(d / f"{name}.csv", ids) for d, ids in zip(dirs, metas, strict=True)]
    found = [(source, ids) for source, ids in found if source.is_file()]
    headers = [_csv_header(source) for source, _ in found]
    extra = [c for c in _union([dict.fromkeys(h) for h in headers]) if c not in columns]
    header = [*ID_COLUMNS, *columns, *extra]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for (source, ids), names in zip(found, headers, strict=True):
            id_text = {k: _csv_text(ids[k]) for k in ID_COLUMNS}
            with open(source, encoding="utf-8", newline="") as rows:
                reader = csv.reader(rows)
                next(reader, None)
                for row in reader:
                    values = dict(zip(names, row, strict=False)) | id_text
                    writer.writerow([values.get(c, "") for c in header])


def _csv_header(path: Path) -> list[str]:
    """Column names of a CSV file (its first line)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), [])


def _csv_text(value) -> str:
    """Write a sheet value as pandas does in a CSV cell (missing values empty)."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def subject_means(trials: pd.DataFrame, /, *, participants: pd.DataFrame) -> pd.DataFrame:
    """Subject × condition means of the trial-level outcomes of the trials that succeeded.

    Parameters
    ----------
    trials : DataFrame
        ``cohort/trials.csv``: one row per trial with subject, group, condition, status and the
        trial-level outcomes.
    participants : DataFrame
        Participants sheet; its columns other than subject and group (mass, age, sex, …) are
        joined as covariates.

    Returns
    -------
    DataFrame
        One row per subject × condition (conditions in order of first appearance): subject,
        group, condition, n_trials, speed_mps, the outcomes (NaN-skipping means) and covariates.

    Examples
    --------
    >>> trials = pd.DataFrame({"subject": ["s1", "s1", "s2"], "group": ["lbp", "lbp", "healthy"],
    ...     "condition": "run", "status": "ok", "speed_mps": 3.0,
    ...     "cadence_steps_min": [170.0, 172.0, 165.0]})
    >>> participants = pd.DataFrame({"subject": ["s1", "s2"], "group": ["lbp", "healthy"],
    ...                              "mass_kg": [70.0, 80.0]})
    >>> means = subject_means(trials, participants=participants)
    >>> means[["subject", "n_trials", "cadence_steps_min", "mass_kg"]].values.tolist()
    [['s1', 2, 171.0, 70.0], ['s2', 1, 165.0, 80.0]]
    """
    ok = trials.loc[trials["status"] == "ok"] if "status" in trials else trials
    outcomes = [c for c in OUTCOMES if c in ok.columns]
    outcomes += [
        c for c in ok.select_dtypes("number").columns
        if c not in outcomes and c not in NOT_OUTCOMES and c not in ID_COLUMNS
        and not c.startswith(("settings_", "n_"))
    ]  # fmt: skip
    keys = ["subject", "group", "condition"]
    conditions = pd.unique(trials["condition"].astype(str))
    ok = ok.assign(condition=pd.Categorical(ok["condition"].astype(str), categories=conditions))
    grouped = ok.groupby(keys, observed=True, sort=True)
    means = grouped[["speed_mps", *outcomes]].mean().reset_index()
    means.insert(3, "n_trials", grouped.size().to_numpy())
    means["condition"] = means["condition"].astype(str)
    covariates = participants.drop(columns=["group"]).copy()
    covariates["subject"] = covariates["subject"].astype(str)
    return means.merge(covariates, on="subject", how="left", validate="many_to_one")


def _trial_curves(path: Path) -> dict[str, np.ndarray]:
    """Mean curve of each waveform in one trial's waveforms.npz (strides or plate stances)."""
    curves = {}
    with np.load(path, allow_pickle=False) as npz:
        for key in sorted(npz.files):
            cycles = npz[key]
            if cycles.ndim != 2 or key == "vgrf_stance_row":
                continue
            if cycles.shape[1] != len(WAVE_COLUMNS):
                raise ValueError(
                    f"{path}: {key} has {cycles.shape[1]} points, expected {len(WAVE_COLUMNS)}."
                )
            valid = cycles[np.isfinite(cycles).any(axis=1)]
            if len(valid):
                curves[key] = (_circular_mean(valid, axis=0) if key in CIRCULAR_WAVEFORMS
                               else np.nanmean(valid, axis=0), len(valid))  # fmt: skip
    return curves


def _circular_mean(angles_deg: np.ndarray, *, axis: int) -> np.ndarray:
    """Angle of the mean unit vector (degrees in (-180, 180]), NaN-skipping."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        vector = np.nanmean(np.exp(1j * np.deg2rad(angles_deg)), axis=axis)
    return np.rad2deg(np.angle(vector))


def _stream_waveforms(dirs: list[Path], metas: list[dict]) -> pd.DataFrame:
    """Subject × condition mean waveforms, summing one trial's mean curves at a time."""
    sums: dict[tuple, list] = {}
    for trial_dir, ids in zip(dirs, metas, strict=True):
        path = trial_dir / "waveforms.npz"
        if not path.is_file():
            continue
        for name, (curve, n_cycles) in _trial_curves(path).items():
            key = (ids["subject"], ids["group"], str(ids["condition"]), name)
            # circular waveforms: sum the unit vectors of the trial means
            value = np.exp(1j * np.deg2rad(curve)) if name in CIRCULAR_WAVEFORMS else curve
            total = sums.setdefault(key, [np.zeros(len(WAVE_COLUMNS), value.dtype), 0, 0])
            total[0] = total[0] + value
            total[1] += 1
            total[2] += n_cycles
    return _waveform_table(sums, [str(m["condition"]) for m in metas])


def _waveform_table(sums: dict[tuple, list], conditions: list[str]) -> pd.DataFrame:
    """Turn accumulated sums into the waveforms table (one row per subject × condition × wave).

    The curves go into one float array, not rows of Python floats (five times less memory
    for a large cohort).
    """
    columns = ["subject", "group", "condition", "waveform", "n_trials", "n_cycles", *WAVE_COLUMNS]
    if not sums:
        return pd.DataFrame(columns=columns)
    order = {c: i for i, c in enumerate(dict.fromkeys(conditions))}
    keys = sorted(sums, key=lambda k: (k[0], order[k[2]], k[3]))
    curves = np.empty((len(keys), len(WAVE_COLUMNS)))
    for i, key in enumerate(keys):
        total, n_trials, _ = sums[key]
        mean = total / n_trials
        if key[3] in CIRCULAR_WAVEFORMS:
            low = CIRCULAR_WAVEFORMS[key[3]]
            mean = (np.rad2deg(np.angle(mean)) - low) % 360.0 + low
        curves[i] = np.real(mean)
    ids = pd.DataFrame(keys, columns=columns[:4])
    ids["n_trials"] = [sums[key][1] for key in keys]
    ids["n_cycles"] = [sums[key][2] for key in keys]
    return pd.concat([ids, pd.DataFrame(curves, columns=list(WAVE_COLUMNS))], axis=1)


def waveform_matrix(waves: pd.DataFrame, /) -> np.ndarray:
    """Return the (rows × 101) curve array of a waveforms table (columns ``pct_000`` … ``pct_100``).

    Examples
    --------
    >>> table = pd.DataFrame([[1.0] * 101], columns=list(WAVE_COLUMNS))
    >>> waveform_matrix(table).shape
    (1, 101)
    """
    return waves.loc[:, list(WAVE_COLUMNS)].to_numpy(dtype=float)


def condition_labels(
    trials: pd.DataFrame | None, /, *, labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Readable label of each condition: the config's label map, else its speed in m/s.

    Parameters
    ----------
    trials : DataFrame or None
        Trials sheet (``condition``, optional ``speed_mps``).
    labels : mapping, optional
        ``figures.condition_labels`` from the config; wins over the speed.

    Returns
    -------
    dict
        Condition -> label. A condition whose trials share one ``speed_mps`` is labelled
        "3.5 m/s"; any other keeps its own name.

    Examples
    --------
    >>> sheet = pd.DataFrame({"condition": ["speed_2.5", "speed_3.5", "barefoot"],
    ...                       "speed_mps": [2.5, 3.5, None]})
    >>> condition_labels(sheet, labels={"barefoot": "Barefoot, 3 m/s"})
    {'speed_2.5': '2.5 m/s', 'speed_3.5': '3.5 m/s', 'barefoot': 'Barefoot, 3 m/s'}
    """
    out: dict[str, str] = {}
    if trials is not None and "condition" in trials:
        for condition, rows in trials.groupby(trials["condition"].astype(str), sort=False):
            speeds = pd.to_numeric(rows.get("speed_mps", pd.Series(dtype=float)), errors="coerce")
            speeds = speeds.dropna().unique()
            out[condition] = f"{speeds[0]:g} m/s" if len(speeds) == 1 else condition
    out.update({str(k): str(v) for k, v in (labels or {}).items()})
    return out


def conditions_of(table: pd.DataFrame, /) -> list:
    """Conditions in the table's order (categorical order, else order of first appearance).

    Examples
    --------
    >>> conditions_of(pd.DataFrame({"condition": ["walk", "run", "walk"]}))
    ['walk', 'run']
    """
    column = table["condition"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [c for c in column.cat.categories if (column == c).any()]
    return list(pd.unique(column))


def read_subjects(path: str | os.PathLike, /, *, conditions: Sequence[str] = ()) -> pd.DataFrame:
    """Read ``cohort/subjects.csv``, with the config's condition order when one is given.

    Parameters
    ----------
    path : path-like
        The subjects table written by :func:`gather`.
    conditions : sequence of str, optional
        Ordered condition labels (config ``conditions``); empty keeps the sheet's order.

    Returns
    -------
    DataFrame
        One row per subject × condition.

    Examples
    --------
    >>> import io
    >>> buffer = io.StringIO()
    >>> pd.DataFrame({"subject": ["s1", "s1"], "group": "lbp",
    ...               "condition": ["fast", "slow"]}).to_csv(buffer, index=False)
    >>> _ = buffer.seek(0)
    >>> read_subjects(buffer, conditions=["slow", "fast"])["condition"].cat.categories.tolist()
    ['slow', 'fast']
    """
    subjects = pd.read_csv(path)
    if conditions:
        subjects["condition"] = pd.Categorical(subjects["condition"].astype(str), conditions)
    return subjects
