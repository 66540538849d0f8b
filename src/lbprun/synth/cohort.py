"""The demo cohort: two groups of runners at several speeds, with their ground truth.

Group differences follow the published directions of SCIENCE.md, planted large enough to be
found with 10 subjects per group (Hedges' g about 2): the low-back-pain group (``lbp``) has
less pelvis rotation, a more in-phase pelvis-thorax coordination (smaller relative phase), a
more extended knee at touchdown and a higher loading rate; thorax rotation, impact and
active peaks are drawn from the same distribution in both groups. Faster running brings more
rotation, higher peaks and loading rates, a higher cadence and shorter stance.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun.synth.params import TrialParams
from lbprun.synth.poses import SEGMENTS
from lbprun.synth.simulate import noiseless, simulate_trial
from lbprun.synth.writer import write_c3d

REFERENCE_SPEED_MPS = 3.0

# parameter: (healthy mean, lbp mean, between-subject SD, change per m/s), at 3 m/s
GROUP_EFFECTS: dict[str, tuple[float, float, float, float]] = {
    "pelvis_rot_amp_deg": (7.5, 5.0, 1.2, 1.5),
    "thorax_rot_amp_deg": (6.0, 6.0, 1.2, 1.0),
    "relphase_deg": (140.0, 110.0, 13.0, 6.0),
    "knee_flex_td_deg": (20.0, 14.0, 3.0, 1.5),
    "valr_bw_s": (60.0, 85.0, 9.0, 15.0),
    "impact_peak_bw": (1.65, 1.65, 0.15, 0.15),
    "active_peak_bw": (2.55, 2.55, 0.15, 0.12),
    "cadence_steps_min": (168.0, 164.0, 7.0, 7.0),
    "stance_time_s": (0.245, 0.245, 0.012, -0.04),
    # Forward trunk lean varies between runners (no group difference planted).
    "thorax_lean_deg": (8.0, 8.0, 2.5, 1.0),
}


@dataclass(frozen=True)
class CohortSpec:
    """What :func:`write_cohort` generates.

    ``duration_s=None`` means 10 s on a treadmill and 3.5 s overground (a few strides
    through the capture volume). ``noise=False`` writes noiseless files without gaps.
    """

    n_per_group: int = 10
    speeds_mps: tuple[float, ...] = (2.5, 3.5)
    seed: int = 1
    duration_s: float | None = None
    setup: str = "treadmill"
    markers_hz: float = 200.0
    analog_hz: float = 1000.0
    noise: bool = True
    markerless_subjects: tuple[str, ...] = ()  # their trials hold segment poses, no markers


def condition_name(speed_mps: float, /) -> str:
    """Condition label of a speed, e.g. ``speed_2.5``."""
    return f"speed_{speed_mps:.1f}"


def draw_subjects(spec: CohortSpec, rng: np.random.Generator, /) -> pd.DataFrame:
    """Participants sheet plus each subject's random effects (columns ``z_<parameter>``)."""
    n = 2 * spec.n_per_group
    group = np.repeat(["healthy", "lbp"], spec.n_per_group)
    sex = np.tile(["M", "F"], n)[:n]
    height = np.where(sex == "M", 1.78, 1.66) + 0.06 * rng.standard_normal(n)
    rows = pd.DataFrame(
        {
            "subject": [f"S{i + 1:02d}" for i in range(n)],
            "group": group,
            "mass_kg": np.round((22.5 + 2.0 * rng.standard_normal(n)) * height**2, 1),
            "height_m": np.round(height, 3),
            "age": np.round(36 + 9 * rng.standard_normal(n)).astype(int),
            "sex": sex,
            "leg_length_m": np.round(0.525 * height + 0.015 * rng.standard_normal(n), 3),
        }
    )
    rows["inter_asis_m"] = np.round(0.137 * height + 0.01 * rng.standard_normal(n), 3)
    last = np.arange(n) % spec.n_per_group == spec.n_per_group - 1
    rows["footstrike"] = np.where(last & (spec.n_per_group >= 4), "non_rearfoot", "rearfoot")
    for name in GROUP_EFFECTS:
        rows[f"z_{name}"] = rng.standard_normal(n)
    return rows


def trial_params(subject: pd.Series, speed_mps: float, spec: CohortSpec, /) -> TrialParams:
    """Parameters of one subject's trial at one speed."""
    duration = spec.duration_s or (10.0 if spec.setup == "treadmill" else 3.5)
    values = {}
    for name, (healthy, lbp, sd, per_speed) in GROUP_EFFECTS.items():
        mean = healthy if subject["group"] == "healthy" else lbp
        values[name] = (
            mean + per_speed * (speed_mps - REFERENCE_SPEED_MPS) + sd * subject[f"z_{name}"]
        )
    values["relphase_deg"] = float(np.clip(values["relphase_deg"], 20.0, 175.0))
    size = subject["height_m"] / 1.75
    condition = condition_name(speed_mps)
    params = TrialParams(
        subject=subject["subject"],
        trial=condition,
        condition=condition,
        group=subject["group"],
        setup=spec.setup,
        speed_mps=speed_mps,
        duration_s=duration,
        markers_hz=spec.markers_hz,
        analog_hz=spec.analog_hz,
        mass_kg=subject["mass_kg"],
        height_m=subject["height_m"],
        leg_length_m=subject["leg_length_m"],
        inter_asis_m=subject["inter_asis_m"],
        knee_width_m=round(0.10 * size, 3),
        ankle_width_m=round(0.07 * size, 3),
        footstrike=subject["footstrike"],
        knee_flex_swing_deg=100.0 + 8.0 * (speed_mps - REFERENCE_SPEED_MPS),
        **values,
    )
    return params if spec.noise else noiseless(params)


def write_cohort(out_dir: str | Path, /, spec: CohortSpec | None = None, **options) -> dict:
    """Write a synthetic cohort: C3D files, participants and trials sheets, truth tables.

    Parameters
    ----------
    out_dir : str or Path
        Output folder: ``c3d/{subject}_{condition}.c3d``, ``participants.tsv``,
        ``trials.tsv`` (paths relative to ``out_dir``), ``truth_trials.csv``,
        ``truth_stances.csv`` and ``truth_strides.csv``.
    spec : CohortSpec, optional
        Everything that defines the cohort; default the demo cohort.
    **options
        Fields of :class:`CohortSpec` overriding ``spec``: ``n_per_group=10``,
        ``speeds_mps=(2.5, 3.5)``, ``seed=1``, ``duration_s`` (10 s treadmill, 3.5 s
        overground), ``setup="treadmill"`` or ``"overground"``, ``markers_hz=200``,
        ``analog_hz=1000``, ``noise=True``, ``markerless_subjects=()`` (subjects whose
        trials are written as markerless segment poses).

    Returns
    -------
    dict
        Paths written (``participants``, ``trials``, ``truth_trials``, ``truth_stances``,
        ``truth_strides``, ``c3d`` list) and ``n_trials``.
    """
    unknown = set(options) - {f.name for f in fields(CohortSpec)}
    if unknown:
        raise TypeError(f"unknown cohort option(s): {', '.join(sorted(unknown))}")
    spec = replace(spec or CohortSpec(), **options)
    out = Path(out_dir)
    rng = np.random.default_rng(spec.seed)
    subjects = draw_subjects(spec, rng)
    trial_seeds = rng.integers(0, 2**31, size=(len(subjects), len(spec.speeds_mps)))
    tables: dict[str, list] = {
        "trials": [],
        "truth_trials": [],
        "truth_stances": [],
        "truth_strides": [],
    }
    for i, subject in subjects.iterrows():
        for j, speed in enumerate(spec.speeds_mps):
            params = trial_params(subject, float(speed), spec)
            markerless = params.subject in spec.markerless_subjects
            _write_trial(out, params, int(trial_seeds[i, j]), tables, markerless=markerless)
    return _write_tables(out, subjects, tables)


def _write_trial(
    out: Path, params: TrialParams, seed: int, tables: dict, *, markerless: bool = False
) -> None:
    """Simulate and write one trial (markerless: segment poses only); append its truth rows."""
    poses = SEGMENTS if markerless else ()
    data, truth = simulate_trial(params, seed=seed, poses=poses, markers=not markerless)
    rel = Path("c3d") / f"{params.subject}_{params.condition}.c3d"
    write_c3d(out / rel, data)
    keys = {"subject": params.subject, "trial": params.trial}
    tables["trials"].append(
        {
            **keys,
            "path": rel.as_posix(),
            "condition": params.condition,
            "speed_mps": params.speed_mps,
        }
    )
    tables["truth_trials"].append(
        {
            **keys,
            "condition": params.condition,
            "group": params.group,
            "speed_mps": params.speed_mps,
            "footstrike": params.footstrike,
            **truth["trial"],
        }
    )
    tables["truth_stances"] += [{**keys, **row} for row in truth["stances"]]
    tables["truth_strides"] += [{**keys, **row} for row in truth["strides"]]


def _write_tables(out: Path, subjects: pd.DataFrame, tables: dict) -> dict:
    sheet_cols = ["subject", "group", "mass_kg", "height_m", "age", "sex", "leg_length_m"]
    paths = {"participants": out / "participants.tsv", "trials": out / "trials.tsv"}
    subjects[sheet_cols].to_csv(paths["participants"], sep="\t", index=False)
    pd.DataFrame(tables["trials"]).to_csv(paths["trials"], sep="\t", index=False)
    for name in ("truth_trials", "truth_stances", "truth_strides"):
        paths[name] = out / f"{name}.csv"
        frame = pd.DataFrame(tables[name])
        if "plate" in frame:
            frame["plate"] = frame["plate"].astype("Int64")
        frame.to_csv(paths[name], index=False)
    paths["c3d"] = sorted((out / "c3d").glob("*.c3d"))
    paths["n_trials"] = len(tables["trials"])
    return paths
