"""The errors lbprun raises for bad input; anything else escaping lbprun is a bug.

Every problem with the data or with what the user asked raises a subclass of
:class:`LbprunError` whose message is one sentence naming the file (or option) and the
problem. ``lbprun`` prints it as one line ``error: ...`` and exits with status 2; a cohort run
writes the trial's ``trial.json`` with ``status: "failed"`` and lists it in
``failed_trials.csv``.

Any other exception is a bug in lbprun, and is never passed off as a failed trial: the command
line writes its traceback to a log file and prints one line saying so (exit status 70); in the
workflow the job fails with the traceback in its log.

The C3D readers (ezc3d, the ``c3d`` package) may raise anything, crash or hang on a malformed
file: whatever comes out of the reader process is bad data, and becomes a :class:`C3DError` at
the worker boundary (:mod:`lbprun.c3d.worker`).

Examples
--------
>>> from lbprun.errors import C3DError, LbprunError
>>> issubclass(C3DError, LbprunError)
True
>>> str(NoEventsError("run1.c3d: no gait events found"))
'run1.c3d: no gait events found'
"""

from __future__ import annotations

__all__ = [
    "C3DError",
    "ConfigError",
    "LbprunError",
    "NoEventsError",
    "StaticTrialError",
    "TrialError",
    "UsageError",
]


class LbprunError(Exception):
    """Bad input: one sentence naming the file (or option) and the problem."""


class C3DError(LbprunError):
    """A trial that cannot be read, with one sentence naming the file and the problem."""


class TrialError(LbprunError):
    """A readable trial that cannot yield any measure, with one sentence saying why."""


class NoEventsError(TrialError):
    """A trial in which no gait event can be found (no plate contact and no foot markers)."""


class StaticTrialError(TrialError):
    """A trial whose static calibration trial cannot be read or does not match it."""


class ConfigError(LbprunError, ValueError):
    """A workflow config or a setting that cannot be used."""


class UsageError(LbprunError, ValueError):
    """A command-line request lbprun refuses (e.g. an output folder among the inputs)."""
