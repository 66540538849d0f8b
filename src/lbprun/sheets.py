"""Participants and trials sheets: loading, validation and batching, before any job starts.

The workflow (``workflow/rules/common.smk``) calls :func:`load_sheets` while Snakemake builds
its DAG, so a bad sheet stops the run before a single job is scheduled, with one sentence naming
the file, the line and the column. Everything here is plain Python and is tested without
Snakemake (``tests/test_sheets.py``).

Sheet values end up in file names (``results/trials/{subject}/{trial}/``) and in job
parameters, never in a shell command; ids are still restricted to ``[A-Za-z0-9_.-]`` so that a
hostile or mistyped sheet cannot name a path outside ``results/`` or smuggle a command.

Over 500 lines on purpose: this is everything checked before a job starts -- the sheets, the
paths they name, the folders a run may write (input/output overlap, demo) and the batches --
with one error type (:class:`SheetError`) that the workflow turns into one sentence; about half
of it is docstrings and examples.
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

from lbprun.errors import LbprunError

SAFE_LABEL = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9_.-]+$")  # ids name folders: no '.', '..', '/'
_HEADER_LINES = 2  # the header is line 1, so data row i sits on line i + 2


class SheetError(LbprunError, ValueError):
    """A sheet or a file it names is unusable; the message is one sentence naming it."""


def read_schema(path: str | Path, /) -> dict:
    """Read a YAML JSON-schema file.

    Parameters
    ----------
    path : str or Path
        Schema file.

    Returns
    -------
    dict
        The schema.
    """
    # libyaml's parser where PyYAML has it (same safe constructor, ~10x faster): the config
    # schema is read on every DAG build (issue 16).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)


def validate_config(config: dict, /, *, schema: dict) -> None:
    """Check a workflow config against its schema, naming the first offending key.

    Parameters
    ----------
    config : dict
        The merged config (``config/config.yaml`` plus any ``--configfile``).
    schema : dict
        ``workflow/schemas/config.schema.yaml``.

    Raises
    ------
    SheetError
        An unknown key, a value of the wrong type or out of range.

    Examples
    --------
    >>> schema = {"type": "object", "additionalProperties": False,
    ...           "properties": {"filters": {"type": "object", "additionalProperties": False,
    ...                          "properties": {"cutoff_hz": {"type": "number"}}}}}
    >>> validate_config({"filters": {"cutof_hz": 6}}, schema=schema)
    Traceback (most recent call last):
    lbprun.sheets.SheetError: config key 'filters.cutof_hz' is unknown (known: cutoff_hz).
    >>> validate_config({"filters": {"cutoff_hz": "6 Hz"}}, schema=schema)
    Traceback (most recent call last):
    lbprun.sheets.SheetError: config key 'filters.cutoff_hz': '6 Hz' is not of type 'number'.
    """
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return
    parent = ".".join(str(k) for k in error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        key = f"{parent}.{unknown[0]}" if parent else unknown[0]
        raise SheetError(f"config key {key!r} is unknown (known: {', '.join(known)}).")
    raise SheetError(f"config key {parent or '(top level)'!r}: {error.message}.")


def read_sheet(path: str | Path, /, *, schema: dict) -> pd.DataFrame:
    """Read a tab-separated sheet and check every row against its JSON schema.

    Parameters
    ----------
    path : str or Path
        The sheet.
    schema : dict
        Row schema (``workflow/schemas/{participants,trials}.schema.yaml``).

    Returns
    -------
    DataFrame
        Text columns as ``str`` (empty where blank), schema ``number`` columns as ``float``
        (NaN where blank). Extra columns are kept as text.

    Raises
    ------
    SheetError
        Missing file or column, a blank required cell, a non-number in a number column or a
        value the schema rejects (e.g. a subject id with a shell metacharacter).
    """
    path = Path(path)
    if not path.is_file():
        raise SheetError(f"{path}: sheet not found.")
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise SheetError(f"{path}: not a readable tab-separated sheet ({err}).") from None
    table.columns = [str(c).strip() for c in table.columns]
    required = schema.get("required", [])
    missing = [c for c in required if c not in table.columns]
    if missing:
        hint = ""
        if len(table.columns) == 1 and "," in table.columns[0]:
            hint = " Sheets are tab-separated; this one looks comma-separated (save it as TSV)."
        raise SheetError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))} "
            f"(required: {', '.join(required)}; found: {', '.join(table.columns)}).{hint}"
        )
    table = table.apply(lambda col: col.str.strip())
    numeric = [c for c, s in schema["properties"].items() if s.get("type") == "number"]
    if not _all_rows_valid(table, schema=schema, numeric=numeric):
        # row by row, for the first bad row's message (line and column)
        validator = jsonschema.Draft202012Validator(schema)
        for i, row in enumerate(table.to_dict("records")):
            _check_row(row, path=path, line=i + _HEADER_LINES, numeric=numeric, validator=validator)
    for col in numeric:
        if col in table.columns:
            table[col] = pd.to_numeric(table[col].replace("", None)).astype(float)
    return table


# A row schema made only of these keywords is checked column by column (issue 16).
_COLUMNWISE_KEYWORDS = frozenset(
    {"$schema", "title", "description", "type", "properties", "required"}
)


def _all_rows_valid(table: pd.DataFrame, /, *, schema: dict, numeric: list) -> bool:
    """Whether every row passes :func:`_check_row`, checking each column's distinct values once.

    Exact for a row schema of ``properties`` and ``required`` only (each non-empty cell is then
    valid on its own, whatever the row), which is what the sheet schemas are: a 10,000-row
    sheet takes 10,000 schema walks row by row, and far fewer values here. False when any
    value fails, or for another kind of schema: the caller then checks row by row, so the
    message is the same either way.
    """
    if set(schema) - _COLUMNWISE_KEYWORDS or schema.get("type", "object") != "object":
        return False
    for col in schema.get("required", []):
        if (table[col] == "").any():
            return False
    for col, subschema in schema.get("properties", {}).items():
        if col not in table.columns:
            continue
        values = [v for v in pd.unique(table[col]) if v != ""]
        if col in numeric:
            try:
                values = [float(v) for v in values]
            except ValueError:
                return False
            if not all(math.isfinite(v) for v in values):
                return False
        if not _values_valid(values, subschema):
            return False
    return True


def _values_valid(values: list, subschema: dict, /) -> bool:
    """Whether every value passes a column's schema (a plain text schema without jsonschema)."""
    plain = _plain_strings_valid(values, subschema)
    if plain is not None:
        return plain
    return jsonschema.Draft202012Validator({"type": "array", "items": subschema}).is_valid(values)


# Keywords of a plain text column's schema, checked without jsonschema's per-value walk.
_PLAIN_STRING_KEYWORDS = frozenset(
    {"type", "pattern", "minLength", "maxLength", "description", "title", "default"}
)


def _plain_strings_valid(values: list, subschema: dict, /) -> bool | None:
    """Whether all ``values`` pass a plain text schema; None for any other kind of schema.

    ``type: string`` with ``pattern`` (``re.search``), ``minLength`` and ``maxLength`` (code
    points) is what jsonschema checks for these keywords, one value at a time (~10 us each):
    a 10,000-trial sheet has 10,000 distinct paths (issue 16). A failure is then reported by
    the row check (jsonschema), so the message is jsonschema's either way.
    """
    if subschema.get("type") != "string" or set(subschema) - _PLAIN_STRING_KEYWORDS:
        return None
    search = re.compile(subschema["pattern"]).search if "pattern" in subschema else None
    low, high = subschema.get("minLength", 0), subschema.get("maxLength", math.inf)
    return all(
        isinstance(v, str) and low <= len(v) <= high and (search is None or search(v))
        for v in values
    )


def _check_row(row: dict, /, *, path: Path, line: int, numeric: list, validator) -> None:
    """Validate one sheet row, raising a :class:`SheetError` that names line and column."""
    where = f"{path}, line {line}"
    record = {}
    for col, value in row.items():
        if value == "":
            continue
        if col in numeric:
            record[col] = _number(value, where=f"{where}: column '{col}'")
        else:
            record[col] = value
    for col in validator.schema.get("required", []):
        if col not in record:
            raise SheetError(f"{where}: column '{col}' is empty.")
    error = jsonschema.exceptions.best_match(validator.iter_errors(record))
    if error is not None:
        col = error.path[0] if error.path else "?"
        raise SheetError(f"{where}: column '{col}': {error.message}.")


def _number(text: str, /, *, where: str) -> float:
    """Parse a finite number from a sheet cell."""
    try:
        value = float(text)
    except ValueError:
        raise SheetError(f"{where} is {text!r}, not a number.") from None
    if not math.isfinite(value):
        raise SheetError(f"{where} is {text!r}, not a finite number.")
    return value


def _duplicates(table: pd.DataFrame, /, *, keys: list[str], path: Path) -> None:
    """Raise on the first repeated key combination, naming both lines."""
    dup = table.duplicated(subset=keys, keep=False)
    if dup.any():
        rows = table.index[dup]
        first = table.loc[rows[0], keys].tolist()
        lines = [int(r) + _HEADER_LINES for r in rows if table.loc[r, keys].tolist() == first]
        what = "/".join(f"{k} {v!r}" for k, v in zip(keys, first, strict=True))
        raise SheetError(
            f"{path}: {what} appears more than once (lines {lines[0]} and {lines[1]})."
        )


def check_participants(table: pd.DataFrame, /, *, groups: dict, path: str | Path) -> None:
    """Check participant ids are unique and every group label is one the config names.

    Parameters
    ----------
    table : DataFrame
        From :func:`read_sheet`.
    groups : dict
        Config ``groups`` (``reference``, ``comparison``).
    path : str or Path
        The sheet, for messages.

    Raises
    ------
    SheetError
        Duplicate subject, a group not named in the config, or a config group with nobody in it.
    """
    path = Path(path)
    _duplicates(table, keys=["subject"], path=path)
    ref, comp = groups["reference"], groups["comparison"]
    if ref == comp:
        raise SheetError(f"config groups.reference and groups.comparison are both {ref!r}.")
    for i, group in enumerate(table["group"]):
        if group not in (ref, comp):
            raise SheetError(
                f"{path}, line {i + _HEADER_LINES}: group {group!r} is neither config "
                f"groups.reference ({ref!r}) nor groups.comparison ({comp!r})."
            )
    found = set(table["group"])
    for key, label in (("reference", ref), ("comparison", comp)):
        if label not in found:
            raise SheetError(
                f"config groups.{key} {label!r} matches no participant in {path} "
                f"(groups found: {', '.join(sorted(found)) or 'none'})."
            )


def resolve_inside(data_dir: str | Path, relpath: str, /) -> Path:
    """Join ``relpath`` to ``data_dir`` and refuse anything that lands outside it.

    The check is lexical (``..`` and absolute paths), so a data folder may hold symbolic links
    that its owner put there on purpose.

    Parameters
    ----------
    data_dir : str or Path
        The data folder.
    relpath : str
        A path from a sheet.

    Returns
    -------
    Path
        The normalised path (relative if ``data_dir`` is).

    Raises
    ------
    SheetError
        When the path escapes ``data_dir``.

    Examples
    --------
    >>> resolve_inside("data", "s01/run.c3d").as_posix()
    'data/s01/run.c3d'
    >>> resolve_inside("data", "../etc/passwd")
    Traceback (most recent call last):
    lbprun.sheets.SheetError: path '../etc/passwd' escapes data_dir 'data'.
    """
    return Path(_resolve_inside(os.path.normpath(data_dir), relpath, data_dir=data_dir))


def _resolve_inside(base: str, relpath: str, /, *, data_dir: str | Path) -> str:
    """:func:`resolve_inside` as a string, ``base`` being ``os.path.normpath(data_dir)``.

    A plain relative path (no empty, ``.`` or ``..`` part) is joined as it is: the result is
    what ``normpath(join(base, relpath))`` gives, and it cannot escape. Any other path takes
    the general route. One call per sheet path while the DAG is built (issue 16).
    """
    parts = relpath.split("/")
    if relpath[:1] != "/" and "" not in parts and "." not in parts and ".." not in parts:
        if base == os.curdir:
            return relpath
        return base + relpath if base.endswith("/") else f"{base}/{relpath}"
    full = os.path.normpath(os.path.join(base, relpath))
    rel = os.path.relpath(full, base)
    if rel in (os.curdir, os.pardir) or rel.startswith(os.pardir + os.sep):
        raise SheetError(f"path {relpath!r} escapes data_dir {str(data_dir)!r}.")
    return full


def check_c3d_file(path: str | Path, /, *, max_mb: float) -> None:
    """Refuse a missing or oversized file before any job reads it.

    Whether the file is a readable C3D is a question about that trial, not the study: a text
    file named ``.c3d``, an empty, truncated or corrupt file becomes a failed trial with one
    sentence in ``cohort/failed_trials.csv`` while the other trials are processed.

    Parameters
    ----------
    path : str or Path
        The file.
    max_mb : float
        Size limit in megabytes (config ``max_c3d_mb``).

    Raises
    ------
    SheetError
        Missing file (or not a regular file), or a file above ``max_mb`` (never read).
    """
    try:
        info = os.stat(path)  # one call: what Path.is_file() and Path.stat() each asked
    except (FileNotFoundError, NotADirectoryError, ValueError):
        info = None
    except OSError as err:
        if err.errno not in (errno.ELOOP, errno.EBADF):  # as Path.is_file(): others propagate
            raise
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        raise SheetError(f"{Path(path)}: file does not exist.")
    if info.st_size > max_mb * 1e6:
        size = info.st_size
        raise SheetError(f"{Path(path)}: {size / 1e6:.0f} MB is above max_c3d_mb ({max_mb:g} MB).")


def check_trials(
    table: pd.DataFrame,
    /,
    *,
    participants: pd.DataFrame,
    path: str | Path,
    config: dict,
    generated: bool = False,
) -> None:
    """Check trial ids, subjects, conditions and the files the trials sheet names.

    Parameters
    ----------
    table : DataFrame
        Trials sheet from :func:`read_sheet`.
    participants : DataFrame
        Participants sheet (already checked).
    path : str or Path
        The trials sheet, for messages.
    config : dict
        Workflow config: ``data_dir`` (what ``path`` and ``static`` are relative to),
        ``conditions`` (empty accepts any) and ``max_c3d_mb``.
    generated : bool, optional
        The files are generated by the workflow (the built-in demo), so they are not opened
        here; their paths are still confined to ``data_dir``.

    Raises
    ------
    SheetError
        Duplicate (subject, trial), unknown subject or condition, a path escaping ``data_dir``,
        or a file :func:`check_c3d_file` refuses.
    """
    path = Path(path)
    _duplicates(table, keys=["subject", "trial"], path=path)
    known = set(participants["subject"])
    conditions = config.get("conditions") or []
    base = os.path.normpath(config["data_dir"])
    checked = set()  # sheet paths already found good (a static serves many trials)
    columns = [_column(table, col) for col in ("subject", "condition", "path", "static")]
    rows = zip(*columns, strict=True)
    for i, (subject, condition, *files) in enumerate(rows):
        if subject not in known:
            raise SheetError(
                f"{path}, line {i + _HEADER_LINES}: subject {subject!r} is not in the "
                "participants sheet."
            )
        if conditions and condition not in conditions:
            raise SheetError(
                f"{path}, line {i + _HEADER_LINES}: condition {condition!r} is not in config "
                f"conditions ({', '.join(conditions)})."
            )
        for col, relpath in zip(("path", "static"), files, strict=True):
            if not relpath or relpath in checked:
                continue
            try:
                full = _resolve_inside(base, relpath, data_dir=config["data_dir"])
                if not generated:
                    check_c3d_file(full, max_mb=config["max_c3d_mb"])
            except SheetError as err:
                where = f"{path}, line {i + _HEADER_LINES}"
                raise SheetError(f"{where}: column '{col}': {err}") from None
            checked.add(relpath)


def _column(table: pd.DataFrame, col: str, /) -> list:
    """One column as a list (``""`` where blank, or for every row if the column is absent)."""
    if col not in table.columns:
        return [""] * len(table)
    return [value or "" for value in table[col].tolist()]


def load_sheets(
    config: dict, /, *, schema_dir: str | Path, generated: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and check both sheets named by a (schema-validated) workflow config.

    Parameters
    ----------
    config : dict
        Workflow config with defaults filled in.
    schema_dir : str or Path
        Folder holding ``participants.schema.yaml`` and ``trials.schema.yaml``.
    generated : bool, optional
        The trials are generated by the workflow (the built-in demo, see
        :func:`demo_requested`): their files are not opened, only confined to ``data_dir``.

    Returns
    -------
    participants, trials : DataFrame
        The checked sheets; trials sorted by subject and trial (the batch order).

    Raises
    ------
    SheetError
        On the first problem found, naming file, line and column.
    """
    schema_dir = Path(schema_dir)
    part_path, trial_path = config["participants"], config["trials"]
    participants = read_sheet(
        part_path, schema=read_schema(schema_dir / "participants.schema.yaml")
    )
    check_participants(participants, groups=config["groups"], path=part_path)
    trials = read_sheet(trial_path, schema=read_schema(schema_dir / "trials.schema.yaml"))
    check_trials(
        trials, participants=participants, path=trial_path, config=config, generated=generated
    )
    trials = trials.sort_values(["subject", "trial"], kind="stable").reset_index(drop=True)
    return participants, trials


def participants_without_trials(participants: pd.DataFrame, trials: pd.DataFrame, /) -> list:
    """Subjects of the participants sheet that no row of the trials sheet names (flagged).

    Examples
    --------
    >>> people = pd.DataFrame({"subject": ["S1", "S2", "S3"]})
    >>> participants_without_trials(people, pd.DataFrame({"subject": ["S2"]}))
    ['S1', 'S3']
    """
    listed = set(trials["subject"].astype(str))
    return [s for s in participants["subject"].astype(str) if s not in listed]


def _same_file(a: str | Path, b: str | Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it (lexically, after making both absolute)."""
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def demo_requested(config: dict, /, *, builtin_dir: str | Path) -> bool:
    """Whether a config asks for the built-in demo cohort to be generated.

    Only a config whose two sheets are the built-in demo sheets (``config/demo/*.tsv`` of the
    workflow) and with ``demo.enabled`` true does; a config naming sheets of its own never
    does, whatever ``demo.enabled`` says, so the demo can never write over a user's data.

    Parameters
    ----------
    config : dict
        Workflow config with defaults filled in.
    builtin_dir : str or Path
        The folder holding the built-in demo sheets.

    Returns
    -------
    bool
        True when the demo's C3D files are to be generated.

    Examples
    --------
    >>> config = {"participants": "mine/p.tsv", "trials": "mine/t.tsv", "demo": {"enabled": True}}
    >>> demo_requested(config, builtin_dir="config/demo")
    False
    """
    builtin = Path(builtin_dir)
    return bool(config["demo"]["enabled"]) and all(
        _same_file(config[name], builtin / f"{name}.tsv") for name in ("participants", "trials")
    )


def check_layout(config: dict, /, *, results: str | Path, generated: bool) -> None:
    """Refuse an output folder that overlaps the study's inputs.

    The output folder may hold no sheet and no part of the data folder, and may not lie inside
    the data folder, except for the demo, whose generated data live in ``{results}/demo``.

    Parameters
    ----------
    config : dict
        Workflow config (``participants``, ``trials``, ``data_dir``).
    results : str or Path
        The study's output folder (config ``output_dir``).
    generated : bool
        The study is the built-in demo, generated into ``{results}/demo``.

    Raises
    ------
    SheetError
        One sentence naming the overlap.

    Examples
    --------
    >>> config = {"participants": "p.tsv", "trials": "t.tsv", "data_dir": "study/data"}
    >>> check_layout(config, results="study/data/out", generated=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    lbprun.sheets.SheetError: config output_dir 'study/data/out' is inside data_dir ...
    """
    data_dir = config["data_dir"]
    for name in ("participants", "trials"):
        if _inside(config[name], results):
            raise SheetError(
                f"config {name} {config[name]!r} is inside output_dir {str(results)!r}; "
                "keep the sheets outside the folder the workflow writes to."
            )
    if generated:
        return
    if _inside(results, data_dir):
        raise SheetError(
            f"config output_dir {str(results)!r} is inside data_dir {data_dir!r}; "
            "outputs are never written into a data folder."
        )
    if _inside(data_dir, results):
        raise SheetError(
            f"config data_dir {data_dir!r} is inside output_dir {str(results)!r}; "
            "choose an output folder outside the data."
        )


def check_outputs(outputs: dict, /, *, inputs: list, results: str | Path) -> None:
    """Refuse any rule output that lies outside the output folder or could be a workflow input.

    Snakemake deletes a job's outputs before running it, so a rule whose output is a user's
    file would destroy it; this is checked on the rules themselves, before any job.

    Parameters
    ----------
    outputs : dict
        Rule name to its output file patterns (Snakemake wildcards allowed).
    inputs : list
        Every file the study reads: both sheets, every trial and static C3D.
    results : str or Path
        The study's output folder.

    Raises
    ------
    SheetError
        Naming the rule and the file.

    Examples
    --------
    >>> check_outputs({"demo": ["data/s1.c3d"]}, inputs=["data/s1.c3d"], results="results")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    lbprun.sheets.SheetError: rule demo would write 'data/s1.c3d', outside output_dir 'results'; ...
    """
    folder = os.path.abspath(results)
    inside = folder.rstrip(os.sep) + os.sep
    outside = [
        full
        for full in map(os.path.abspath, inputs)
        if not (full == folder or full.startswith(inside))  # _inside, one abspath per input
    ]
    for rule, patterns in outputs.items():
        for pattern in map(str, patterns):
            bad = _output_outside(pattern, outside=outside, results=results)
            if bad is not None:
                raise SheetError(
                    f"rule {rule} would write {bad!r}, outside output_dir "
                    f"{str(results)!r}; no rule may write anything but the study's outputs."
                )


def _output_outside(pattern: str, /, *, outside: list, results: str | Path) -> str | None:
    """Return the input an output pattern can be, or the pattern itself if outside results."""
    if "{" not in pattern:
        return None if _inside(pattern, results) else pattern
    full = pattern if os.path.isabs(pattern) else os.path.join(os.getcwd(), pattern)
    regex = re.compile(re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(full)) + "$")
    hit = next((p for p in outside if regex.match(p)), None)
    if hit is not None:
        return hit
    fixed = os.path.dirname(pattern.split("{", 1)[0])
    return None if fixed and _inside(fixed, results) else pattern


def batches(items, /, *, batch_size: int, min_batches: int = 1) -> dict:
    """Split the sorted trials (sheet rows or job list) into consecutive fixed-size batches.

    Membership depends only on the sorted sheet, ``batch_size`` and ``min_batches``, so the DAG
    is known when Snakemake starts and needs no checkpoint; a changed trial reruns only its own
    batch. A cohort smaller than ``min_batches`` full batches is cut into ``min_batches``
    smaller ones, so that a small study's extraction uses every core (one batch of 40 trials
    left one of two cores idle); larger cohorts are cut as by ``batch_size`` alone.

    Parameters
    ----------
    items : DataFrame or list
        Trials sorted by subject and trial (as :func:`load_sheets` returns them), or the job
        list :func:`trial_jobs` makes of them.
    batch_size : int
        Most trials per batch.
    min_batches : int
        Fewest batches (as long as there are that many trials); config ``min_batches``.

    Returns
    -------
    dict
        Batch id (``"b0000"``, ``"b0001"``, ...) to its slice of ``items``.

    Examples
    --------
    >>> sheet = pd.DataFrame({"subject": list("aabbc"), "trial": list("12121")})
    >>> {k: len(v) for k, v in batches(sheet, batch_size=2).items()}
    {'b0000': 2, 'b0001': 2, 'b0002': 1}
    >>> {k: len(v) for k, v in batches(sheet, batch_size=50, min_batches=2).items()}
    {'b0000': 3, 'b0001': 2}
    """
    size = min(batch_size, max(1, -(-len(items) // max(1, min_batches))))
    return {
        f"b{start // size:04d}": items[start : start + size] for start in range(0, len(items), size)
    }


def trial_jobs(
    batch: pd.DataFrame,
    /,
    *,
    participants: pd.DataFrame,
    data_dir: str | Path,
    out_root: str | Path,
    markerset: str,
) -> list[dict]:
    """Describe each trial of a batch as a job for :func:`lbprun.trial.extract_many`.

    Parameters
    ----------
    batch : DataFrame
        Rows of the trials sheet (all of them, or one batch).
    participants : DataFrame
        Participants sheet (gives ``mass_kg``).
    data_dir : str or Path
        Folder the sheet paths are relative to.
    out_root : str or Path
        Root of per-trial outputs (``results/trials``).
    markerset : str
        Config ``markerset``; a ``markerset`` column in the trials sheet overrides it per trial.

    Returns
    -------
    list of dict
        Keys ``subject``, ``trial``, ``path``, ``out_dir``, ``static``, ``mass_kg``,
        ``markerset``, ``condition`` (plain str/float/None, so they can be job params).
    """
    mass = dict(zip(participants["subject"], participants["mass_kg"], strict=True))
    base = os.path.normpath(data_dir)
    out = Path(out_root).as_posix()  # + subject + trial: ids are plain names (SAFE_LABEL)
    out = "" if out == "." else out if out.endswith("/") else f"{out}/"
    resolved = {}  # sheet path -> data path (a static serves many trials)

    def inside(relpath: str) -> str:
        if relpath not in resolved:
            resolved[relpath] = _resolve_inside(base, relpath, data_dir=data_dir)
        return resolved[relpath]

    names = ("subject", "trial", "path", "static", "markerset", "condition")
    columns = [_column(batch, name) for name in names]
    return [
        {
            "subject": subject,
            "trial": trial,
            "path": inside(relpath),
            "out_dir": f"{out}{subject}/{trial}",
            "static": inside(static) if static else None,
            "mass_kg": float(mass[subject]),
            "markerset": own_set or markerset,
            "condition": condition,
        }
        for subject, trial, relpath, static, own_set, condition in zip(*columns, strict=True)
    ]
