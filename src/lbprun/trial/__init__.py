"""One trial end to end: C3D file -> every measure of SCIENCE.md -> the files of CONTRACT.md.

:func:`extract` never raises for bad data: a trial that cannot be read or processed (any
:class:`lbprun.errors.LbprunError`) gets a ``trial.json`` with ``status: "failed"`` and one
sentence saying why, so that a cohort run can list it and carry on. Any other exception is a bug
and is raised, never written down as a failed trial (:mod:`lbprun.errors`). Measures that cannot
be computed for a readable trial (no thorax markers, no plate contact) are null with a warning,
and the others are still reported.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun import __version__, c3d, events, markersets
from lbprun.errors import LbprunError, StaticTrialError, TrialError
from lbprun.kinematics.clusters import StaticMismatchError
from lbprun.outputs import empty_waveforms, make_durable, sha256_of, write_trial_outputs
from lbprun.settings import Settings
from lbprun.trial import sources
from lbprun.trial.landmarks import landmarks, name_calibrated_models
from lbprun.trial.measures import measure_trial
from lbprun.trial.outcomes import null_summary

_log = logging.getLogger(__name__)


def _failed_summary(path: Path, error: str, settings: Settings) -> dict:
    return {
        "status": "failed",
        "error": error,
        "file": str(path),
        "sha256": sha256_of(path) if path.is_file() else None,
        "lbprun_version": __version__,
        "n_strides": 0,
        "n_stances": 0,
        "n_plate_stances": 0,
        "warnings": [],
        "settings": settings.to_dict(),
        "null_outcomes": f"every outcome: {error}",
    }


# A batch's static trials, read once: every dynamic trial of a participant's session names the
# same static, and reading it again for each (worker round trip, parse, canonical frame) cost
# 10 ms per RIC trial and 50 ms per Dorn trial (issue 16). Keyed on the file's identity, size
# and modification time, so a static rewritten in the meantime is read again; each use gets a
# deep copy, so nothing downstream can change what the next trial sees. A few at most: a batch
# holds the trials of a handful of sessions, and memory stays flat however long the batch.
_STATICS: dict[tuple, c3d.Trial] = {}
_MAX_STATICS = 4


def _load_static(path: str | os.PathLike) -> c3d.Trial:
    """``c3d.load(path)``, from this process's cache when the same file was read before."""
    try:
        st = os.stat(path)
    except OSError:  # let the loader word the error
        return c3d.load(path)
    key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _STATICS:
        loaded = c3d.load(path)
        while len(_STATICS) >= _MAX_STATICS:
            del _STATICS[next(iter(_STATICS))]
        _STATICS[key] = loaded
    return copy.deepcopy(_STATICS[key])


def _check_cutoff(trial, key: str, cutoff_hz: float) -> None:
    """Refuse a low-pass cut-off the trial's frame rate cannot carry (its sentence, not a bug)."""
    if not cutoff_hz < trial.markers_hz / 2:
        raise TrialError(
            f"{trial.path.name}: its frame rate ({trial.markers_hz:g} Hz) is too low for the "
            f"low-pass filter ({key} {cutoff_hz:g} Hz must lie below {trial.markers_hz / 2:g} "
            "Hz); lower it in the config"
        )


def process(
    path: str | os.PathLike,
    /,
    *,
    static: str | os.PathLike | None = None,
    mass_kg: float | None = None,
    markerset: str = "auto",
    settings: Settings | None = None,
) -> tuple[dict, pd.DataFrame, pd.DataFrame, dict]:
    """Every measure of one trial, without writing anything.

    Parameters
    ----------
    path : path-like
        The dynamic trial.
    static : path-like, optional
        Static calibration trial (anatomical markers for cluster-only dynamic trials).
    mass_kg : float, optional
        Body mass; without it, a treadmill trial's mean vertical force over whole strides
        is used (with a warning), otherwise force measures in BW are null.
    markerset : str, optional
        ``"auto"``, a built-in set name or a YAML file mapping roles to labels.
    settings : Settings, optional
        Processing choices (defaults of SCIENCE.md).

    Returns
    -------
    summary, stances, strides, waveforms
        The contents of ``trial.json``, ``stances.csv``, ``strides.csv``, ``waveforms.npz``.

    Raises
    ------
    lbprun.errors.LbprunError
        One sentence naming the file and the problem: :class:`~lbprun.errors.C3DError` (the
        trial cannot be read), :class:`~lbprun.errors.StaticTrialError` (its static trial
        cannot be read or does not match it), :class:`~lbprun.errors.NoEventsError` (no gait
        event), :class:`~lbprun.errors.TrialError` (its marker set cannot be used).

    Examples
    --------
    >>> from lbprun import synth
    >>> summary, stances, strides, waveforms = process(synth.example_trial(), mass_kg=70.0)
    >>> summary["status"], summary["markerset"], summary["n_strides"], summary["n_plate_stances"]
    ('ok', 'plug_in_gait', 5, 7)
    >>> # simulated: knee flexion 20 deg at touchdown, pelvis rotation 2 x 7.5 deg, 2.55 BW
    >>> round(summary["knee_flex_td_deg"]), round(summary["pelvis_rot_rom_deg"])
    (20, 15)
    >>> round(summary["active_peak_bw"], 1), list(stances["side"][:2])
    (2.5, ['L', 'R'])
    >>> waveforms["pelvis_rot_deg"].shape  # one 101-point curve per stride
    (5, 101)
    """
    settings = settings or Settings()
    path = Path(path)
    trial = c3d.load(path)
    if not trial.markers_hz > 0:  # every time base below is the marker (or pose) frame rate
        raise TrialError(
            f"{path.name}: no marker or pose data (POINT:RATE is {trial.markers_hz:g}): lbprun "
            "measures running from markers or segment poses; a force-plates-only file is not "
            "supported"
        )
    _check_cutoff(trial, "filters.marker_cutoff_hz", settings.marker_cutoff_hz)
    try:
        static_trial = _load_static(static) if static else None
    except c3d.C3DError as exc:  # without its calibration the trial cannot be measured as asked
        raise StaticTrialError(f"{path.name}: its static trial could not be read ({exc})") from exc
    try:
        marks = landmarks(trial, static=static_trial, markerset=markerset, settings=settings)
    except StaticMismatchError as exc:
        raise StaticTrialError(str(exc)) from exc
    except (markersets.MarkerSetError, OSError, ValueError) as exc:
        raise TrialError(f"{path.name}: {exc}") from exc
    trial, mapping, name = marks.trial, marks.found.mapping, marks.found.name
    name = "markerless" if trial.markerless else name
    feet, feet_sources, feet_warnings = sources.feet(
        trial, events.foot_markers(trial, mapping), settings=settings
    )
    if feet:  # the foot-clearance detector filters the feet
        _check_cutoff(trial, "events.kinematic_cutoff_hz", settings.kinematic_cutoff_hz)
    found = events.detect(trial, feet=feet, settings=settings)
    result = measure_trial(
        trial,
        mapping,
        found,
        static=static_trial,
        mass_kg=mass_kg,
        settings=settings,
    )
    summary = {
        "status": "ok",
        "error": None,
        "file": str(path),
        "sha256": sha256_of(path),
        "lbprun_version": __version__,
        "markers_hz": trial.markers_hz,
        "analog_hz": trial.analog_hz,
        "vertical_axis": trial.vertical_axis,
        "markerset": name,
        **result.summary,
        "roles": marks.found.report(),
        "unmatched_labels": marks.found.unmatched,
        "warnings": [
            *trial.warnings,
            *marks.warnings,
            *feet_warnings,
            *found.warnings,
            *result.warnings,
        ],
        "settings": name_calibrated_models(
            {**settings.to_dict(), **marks.settings, **found.settings, **result.settings}
            | feet_sources,
            marks.found,
        ),
    }
    summary["kinematics_source"] = sources.kinematics_source(summary["settings"])
    summary["null_outcomes"] = null_summary(summary)  # one line per trial for the cohort QC
    return summary, result.stances, result.strides, result.waveforms


def extract(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    /,
    *,
    static: str | os.PathLike | None = None,
    mass_kg: float | None = None,
    markerset: str = "auto",
    condition: str | None = None,
    settings: Settings | None = None,
    extra: Mapping | None = None,
) -> dict:
    """Process one trial and write its four output files (CONTRACT.md) atomically.

    Never raises for bad data (:class:`lbprun.errors.LbprunError`): the returned (and
    written) summary has ``status: "failed"`` and ``error`` set to one sentence instead. Any
    other exception is a bug and is raised. Each file is flushed to disk before it is moved
    into place (:func:`extract_many` flushes its batch once instead).

    Parameters
    ----------
    path, out_dir : path-like
        The trial and the folder to write into.
    static, mass_kg, markerset, settings
        See :func:`process`.
    condition : str, optional
        Recorded in ``trial.json``.
    extra : mapping, optional
        More keys for ``trial.json`` (e.g. ``subject``, ``trial`` from the sheet).

    Returns
    -------
    dict
        The ``trial.json`` contents.

    Examples
    --------
    >>> import tempfile
    >>> from lbprun import synth
    >>> out = tempfile.TemporaryDirectory()
    >>> summary = extract(synth.example_trial(), out.name, mass_kg=70.0, condition="3 m/s")
    >>> summary["status"], summary["condition"], sorted(p.name for p in Path(out.name).iterdir())
    ('ok', '3 m/s', ['stances.csv', 'strides.csv', 'trial.json', 'waveforms.npz'])
    >>> empty = Path(out.name, "empty.c3d")
    >>> _ = empty.write_bytes(b"")
    >>> failed = extract(empty, Path(out.name, "failed"))  # bad data: written, not raised
    >>> failed["status"], failed["error"]
    ('failed', 'empty.c3d: the file is empty')
    >>> out.cleanup()
    """
    summary, stances, strides, waves = _outputs(
        path,
        static=static,
        mass_kg=mass_kg,
        markerset=markerset,
        settings=settings,
        more={"condition": condition, **(extra or {})},
    )
    write_trial_outputs(out_dir, summary=summary, stances=stances, strides=strides, waveforms=waves)
    return summary


def _outputs(path, /, *, static, mass_kg, markerset, settings, more: Mapping) -> tuple:
    """Return the four outputs of one trial (a failed trial's for bad data; a bug is raised)."""
    settings = settings or Settings()
    path = Path(path)
    try:
        summary, stances, strides, waves = process(
            path, static=static, mass_kg=mass_kg, markerset=markerset, settings=settings
        )
    except LbprunError as exc:  # bad data fail this trial only; anything else is a bug
        summary = _failed_summary(path, str(exc), settings)
        stances, strides, waves = pd.DataFrame(), pd.DataFrame(), empty_waveforms()
    summary.update(more)
    return summary, stances, strides, waves


def _as_float(value) -> float | None:
    """Sheet value to float (empty, None and NaN give None)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def extract_many(jobs: Iterable[Mapping], /, *, settings: Settings | None = None) -> list[dict]:
    """Extract a batch of trials in one process (the safe loader's worker is reused).

    Parameters
    ----------
    jobs : iterable of mapping
        Keys ``path``, ``out_dir`` and optionally ``static``, ``mass_kg``, ``markerset``,
        ``condition``, ``extra``.
    settings : Settings, optional
        Shared processing choices.

    Returns
    -------
    list of dict
        One ``trial.json`` summary per job, in order. When it returns, every trial's files
        are on disk (one flush for the batch rather than an ``fsync`` per file: the caller's
        record that the batch is complete, the workflow's manifest, comes after).

    Examples
    --------
    >>> import tempfile
    >>> from lbprun import synth
    >>> out = tempfile.TemporaryDirectory()
    >>> jobs = [
    ...     {"path": synth.example_trial(), "out_dir": Path(out.name, "a"), "mass_kg": "70"},
    ...     {"path": Path(out.name, "missing.c3d"), "out_dir": Path(out.name, "b")},
    ... ]
    >>> [(s["status"], s["error"]) for s in extract_many(jobs)]
    [('ok', None), ('failed', 'missing.c3d: cannot be opened (No such file or directory)')]
    >>> out.cleanup()
    """
    jobs = list(jobs)
    results = []
    for i, job in enumerate(jobs, start=1):
        # per-trial progress in the batch's log: a long batch shows where it is
        _log.info("trial %d/%d: %s", i, len(jobs), job["path"])
        summary, stances, strides, waves = _outputs(
            job["path"],
            static=job.get("static") or None,
            mass_kg=_as_float(job.get("mass_kg")),
            markerset=job.get("markerset") or "auto",
            settings=settings,
            more={"condition": job.get("condition"), **(job.get("extra") or {})},
        )
        write_trial_outputs(
            job["out_dir"],
            summary=summary,
            stances=stances,
            strides=strides,
            waveforms=waves,
            durable=False,  # the batch is flushed once below
        )
        results.append(summary)
        _log.info("trial %d/%d: %s", i, len(jobs), summary.get("status"))
    make_durable(job["out_dir"] for job in jobs)
    return results
