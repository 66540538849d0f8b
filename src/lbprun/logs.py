"""Logging for workflow scripts: one call so every rule's ``log:`` file is set up alike."""

from __future__ import annotations

import logging
import os


def to_file(path: str | os.PathLike, /) -> None:
    """Send log records and Python warnings (e.g. convergence warnings) to ``path``.

    Parameters
    ----------
    path : path-like
        The rule's ``log:`` file; overwritten.
    """
    logging.basicConfig(filename=os.fspath(path), level=logging.INFO, filemode="w", force=True)
    logging.captureWarnings(True)
