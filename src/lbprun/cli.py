"""The ``lbprun`` command line: thin wrappers around the library.

Each subcommand is a pair of small functions registered in :data:`SUBCOMMANDS`:
``add_arguments(parser)`` declares its options and ``run(args) -> int`` calls into the
``lbprun`` modules and returns the exit code. To add a subcommand, write the two functions and
call :func:`register` (or add an entry to the dict) -- nothing else here needs to change.

Bad input (:class:`lbprun.errors.LbprunError`, or a file the system refuses) ends with exit
code 2 and one line ``error: ...`` on stderr, never a traceback. Anything else is a bug: its
traceback goes to a log file in the temporary folder, and one line on stderr names the error and
the log (exit code 70, ``EX_SOFTWARE``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable

import numpy as np

from lbprun.errors import ConfigError, LbprunError, UsageError

#: name -> (one-line help, add_arguments, run)
SUBCOMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}

EXIT_BAD_INPUT = 2
EXIT_BUG = 70  # sysexits.h EX_SOFTWARE: an internal software error


def register(
    name: str,
    help_text: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
) -> None:
    """Add a subcommand to ``lbprun``."""
    SUBCOMMANDS[name] = (help_text, add_arguments, run)


# --------------------------------------------------------------------------------------------
# inspect
# --------------------------------------------------------------------------------------------


def _inspect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trial", help="C3D file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--markerset", default="auto", help="auto, a built-in set name or a YAML file"
    )
    parser.add_argument(
        "--config", help="workflow config YAML (events.plate_loaded_n decides 'loaded')"
    )
    parser.add_argument("--static", help="static trial, to see what it adds to the outcomes")
    parser.add_argument("--mass-kg", type=float, help="body mass, as the sheet would give it")
    parser.add_argument(
        "--no-outcomes", action="store_true", help="skip running the trial (faster)"
    )


def describe(trial, /, *, markerset: str = "auto", loaded_n: float | None = None) -> dict:
    """Summarise a loaded trial as the JSON object ``lbprun inspect --json`` prints.

    A plate is "loaded" when its vertical force exceeds ``loaded_n`` (config
    ``events.plate_loaded_n``, default from :class:`lbprun.settings.Settings`), which the
    object records as ``plate_loaded_n``.
    """
    from lbprun.markersets import ROLES, resolve
    from lbprun.settings import Settings

    loaded_n = Settings().plate_loaded_n if loaded_n is None else loaded_n

    name, mapping = resolve(trial, markerset)
    plates = []
    for plate in trial.plates:
        peak = float(np.nanmax(plate.vertical_n, initial=0.0)) if plate.force_n.size else 0.0
        plates.append(
            {
                "index": plate.index,
                "type": plate.plate_type,
                "samples": int(plate.force_n.shape[0]),
                "loaded": peak > loaded_n,
                "peak_vertical_n": round(peak, 1),
            }
        )
    return {
        "file": str(trial.path),
        "frames": trial.frames,
        "frames_declared": trial.frames_declared,
        "first_frame": trial.first_frame,
        "markers_hz": trial.markers_hz,
        "analog_hz": trial.analog_hz,
        "duration_s": round(trial.duration_s, 4),
        "units": trial.units,
        "vertical_axis": trial.vertical_axis,
        "label_prefix": trial.metadata.get("label_prefix", ""),
        "reader": trial.metadata.get("reader", ""),
        "n_markers": len(trial.labels),
        "model_outputs": sorted(trial.model_outputs),
        "markerset": "markerless" if trial.markerless else name,
        "roles": {role: mapping.get(role) for role in ROLES},
        **_role_details(trial, markerset),
        "plates": plates,
        "plate_loaded_n": loaded_n,
        "events": [
            {"label": e.label, "context": e.context, "time_s": round(e.time_s, 4)}
            for e in trial.events
        ],
        "warnings": list(trial.warnings),
        **_pose_summary(trial),
    }


def _role_details(trial, markerset: str) -> dict:
    """How each role was found, and the labels left over with the roles they might fill."""
    from lbprun.markersets import resolve_roles

    found = resolve_roles(trial, markerset)
    snippet = "roles:\n" + "".join(
        f"  {roles[0]}: {label}\n" for label, roles in found.unmatched.items()
    )
    return {
        "role_rules": {r: found.rules[r] for r in found.mapping},
        "unmatched_labels": found.unmatched,
        "ambiguous_roles": found.ambiguous,
        "markerset_yaml": snippet if found.unmatched else "",
    }


def outcomes(path, /, *, static=None, mass_kg=None, markerset="auto", settings=None) -> dict:
    """Run the trial as ``lbprun extract`` would: each outcome computed or null, why, the fix."""
    from lbprun.trial import process
    from lbprun.trial.outcomes import explain

    try:
        summary, *_ = process(
            path, static=static, mass_kg=mass_kg, markerset=markerset, settings=settings
        )
    except LbprunError as exc:  # inspect reports what extract would say
        summary = {"status": "failed", "error": str(exc)}
    return {key: {**info, "value": summary.get(key)} for key, info in explain(summary).items()}


def _pose_summary(trial) -> dict:
    """Markerless facts: whether the trial has no markers, its segments and tracked share."""
    segments = {
        name: round(float(np.isfinite(pose[:, 0, 0]).mean()), 3)
        for name, pose in trial.poses.items()
    }
    return {"markerless": trial.markerless, "segments": segments}


def _format_text(info: dict) -> str:
    lines = [
        f"file            {info['file']}",
        f"frames          {info['frames']} (header declares {info['frames_declared']})",
        f"rates           markers {info['markers_hz']:g} Hz, analog {info['analog_hz']:g} Hz",
        f"duration        {info['duration_s']:g} s",
        f"units           {info['units']} (converted to m)",
        f"vertical axis   {info['vertical_axis']} (rotated to +Z)",
        f"label prefix    {info['label_prefix'] or '(none)'}",
        f"markers         {info['n_markers']}, model outputs {len(info['model_outputs'])}",
        f"marker set      {info['markerset']}",
    ]
    if not info["markerless"]:  # a markerless trial has no marker roles to list
        lines += [f"  {role:<14}{label or 'missing'}" for role, label in info["roles"].items()]
    if info["segments"]:
        kind = "markerless, " if info["markerless"] else ""
        lines.append(f"segment poses   {len(info['segments'])} ({kind}share of frames tracked)")
        lines += [f"  {name:<15} {share:.0%}" for name, share in info["segments"].items()]
    lines.append(f"force plates    {len(info['plates'])}")
    for p in info["plates"]:
        state = "loaded" if p["loaded"] else "unloaded"
        lines.append(
            f"  plate {p['index'] + 1}: type {p['type']}, {state}, "
            f"peak vertical {p['peak_vertical_n']:g} N"
        )
    lines.append(f"events          {len(info['events'])}")
    lines += [f"  {e['time_s']:8.3f} s  {e['context']} {e['label']}" for e in info["events"]]
    lines.append(f"warnings        {len(info['warnings'])}")
    lines += [f"  {w}" for w in info["warnings"]]
    return "\n".join(lines + _format_labs(info))


def _format_labs(info: dict) -> list[str]:
    """Unmatched labels (with a YAML snippet) and the outcomes a user will get."""
    lines = []
    if info.get("unmatched_labels"):
        lines.append(
            f"unmatched       {len(info['unmatched_labels'])} labels that may be landmarks"
        )
        lines += [f"  {k:<24}might be {', '.join(v)}" for k, v in info["unmatched_labels"].items()]
        lines.append("  paste into a marker-set YAML (--markerset FILE) and edit:")
        lines += [f"    {x}" for x in info["markerset_yaml"].splitlines()]
    for role, labels in (info.get("ambiguous_roles") or {}).items():
        lines.append(f"ambiguous       {role}: {', '.join(labels)} (none used; name one in a YAML)")
    if "outcomes" in info:
        lines.append("outcomes        (what lbprun extract gives)")
        for key, o in info["outcomes"].items():
            if o["computed"]:
                lines.append(f"  {key:<26}{o['value']:.4g}")
            else:
                lines += [f"  {key:<26}null: {o['reason']}", f"  {'':<26}fix: {o['fix']}"]
    return lines


def _inspect_run(args: argparse.Namespace) -> int:
    from lbprun.c3d import load

    loaded_n = _settings_from(args.config).plate_loaded_n if args.config else None
    info = describe(load(args.trial), markerset=args.markerset, loaded_n=loaded_n)
    if not args.no_outcomes:
        settings = _settings_from(args.config) if args.config else None
        info["outcomes"] = outcomes(
            args.trial,
            static=args.static,
            mass_kg=args.mass_kg,
            markerset=args.markerset,
            settings=settings,
        )
    print(json.dumps(info, indent=2) if args.json else _format_text(info))
    return 0


register(
    "inspect", "say what is in a trial and how it will be read", _inspect_arguments, _inspect_run
)


# --------------------------------------------------------------------------------------------
# init (lbprun.init: draft sheets from a folder of C3D files)
# --------------------------------------------------------------------------------------------


def _init_arguments(parser: argparse.ArgumentParser) -> None:
    from lbprun.init import add_arguments

    add_arguments(parser)


def _init_run(args: argparse.Namespace) -> int:
    from lbprun.init import run

    return run(args)


register(
    "init", "draft participants and trials sheets from a folder of C3D files", _init_arguments,
    _init_run,
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# extract (lbprun.trial: one trial end to end)
# --------------------------------------------------------------------------------------------


def _extract_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trial", help="C3D file")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--static", help="static calibration trial (C3D)")
    parser.add_argument("--mass-kg", type=float, help="body mass (kg) for force normalisation")
    parser.add_argument("--markerset", default="auto", help="auto, a built-in set or a YAML file")
    parser.add_argument("--condition", help="condition label recorded in trial.json")
    parser.add_argument(
        "--config", help="workflow config YAML whose filters/events/coordination apply"
    )


def _settings_from(config_path: str):
    """Read settings from a workflow config file; a bad file gives one sentence naming it."""
    import yaml

    from lbprun.settings import Settings

    try:
        with open(config_path, encoding="utf-8") as handle:
            return Settings.from_config(yaml.safe_load(handle) or {})
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot be read ({exc.strerror})") from exc
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        detail = str(exc).strip().splitlines()[0]
        raise ConfigError(f"{config_path}: not a usable config ({detail})") from exc


def _check_out_outside_inputs(out: str, inputs: list[str]) -> None:
    """Refuse an ``--out`` folder that is the folder holding the trial or its static."""
    from pathlib import Path

    for source in filter(None, inputs):
        folder = Path(source).resolve().parent
        if Path(out).resolve() == folder:
            raise UsageError(
                f"--out {out} is the folder holding {Path(source).name}; lbprun never writes "
                "among the files it reads, choose another folder."
            )


def _extract_run(args: argparse.Namespace) -> int:
    from lbprun.settings import Settings
    from lbprun.trial import extract

    _check_out_outside_inputs(args.out, [args.trial, args.static])
    settings = Settings()
    if args.config:
        settings = _settings_from(args.config)
    summary = extract(
        args.trial,
        args.out,
        static=args.static,
        mass_kg=args.mass_kg,
        markerset=args.markerset,
        condition=args.condition,
        settings=settings,
    )
    if summary["status"] != "ok":
        print(f"error: {summary['error']}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in summary["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


register(
    "extract", "compute every measure of one trial and write its output files",
    _extract_arguments, _extract_run,
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Build the ``lbprun`` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="lbprun", description="Running biomechanics in low back pain, from C3D trials."
    )
    from lbprun import __version__

    parser.add_argument("--version", action="version", version=f"lbprun {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_arguments, run) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        add_arguments(sub)
        sub.set_defaults(_run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``lbprun``; return the exit code (0 ok, 2 bad input, 70 a bug in lbprun)."""
    args = build_parser().parse_args(argv)
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the try
        return code
    except BrokenPipeError:
        # `lbprun inspect --json | head`: the reader has what it wanted; no error, no traceback
        # at exit (Python docs, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (LbprunError, OSError) as error:  # bad input must end in one line, never a traceback
        print(f"error: {_first_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # a bug: the traceback to a log file, one line on the console
        log = _write_traceback(error, sys.argv[1:] if argv is None else argv)
        print(
            f"error: a bug in lbprun ({type(error).__name__}: {_first_line(error)}), not a "
            f"problem of the input; traceback in {log}",
            file=sys.stderr,
        )
        return EXIT_BUG


def _first_line(error: BaseException) -> str:
    """Return the first line of an error's message (its type name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _write_traceback(error: BaseException, argv: list[str]) -> str:
    """Write the traceback of an unforeseen error to a new log file; return its path."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    with tempfile.NamedTemporaryFile(
        "w", prefix=f"lbprun-bug-{stamp}-", suffix=".log", delete=False, encoding="utf-8"
    ) as handle:
        handle.write(f"lbprun {' '.join(argv)}\n")
        handle.writelines(traceback.format_exception(type(error), error, error.__traceback__))
    return handle.name


if __name__ == "__main__":
    sys.exit(main())
