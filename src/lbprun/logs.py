"""Logging for workflow scripts: one call so every rule's ``log:`` file is set up alike."""

from __future__ import annotations

import logging
import os
import sys


def to_file(path: str | os.PathLike, /) -> None:
    """Send log records, Python warnings and the traceback of an uncaught error to ``path``.

    An error escaping a workflow script is a bug (bad data end as failed trials or as one
    sentence, :mod:`lbprun.errors`): its traceback is written to the rule's log before the job
    fails, as well as to stderr as Python does.

    Parameters
    ----------
    path : path-like
        The rule's ``log:`` file; overwritten.
    """
    logging.basicConfig(filename=os.fspath(path), level=logging.INFO, filemode="w", force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    from lbprun import jobserver

    if jobserver.in_copy():  # says where the job ran, for anyone reading the log
        logging.getLogger("lbprun").info(
            "run by the job server: process %d, forked from process %d with its imports done",
            os.getpid(),
            os.getppid(),
        )


def _log_uncaught(kind, value, tb) -> None:
    """Log an uncaught error with its traceback, then report it as Python does."""
    if not issubclass(kind, KeyboardInterrupt):
        logging.getLogger("lbprun").critical(
            "uncaught %s: the job stops", kind.__name__, exc_info=(kind, value, tb)
        )
    sys.__excepthook__(kind, value, tb)
