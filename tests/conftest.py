"""Shared fixtures: the real C3D corpus in ../shared/data/c3d (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

C3D_DIR = Path(
    os.environ.get(
        "LBPRUN_C3D_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "c3d"
    )
)


@pytest.fixture(scope="session")
def c3d_dir() -> Path:
    """The shared real-file corpus; tests that need it skip only when the folder is absent.

    Under CI (``CI`` set) a missing corpus fails instead: a green run must have checked it.
    """
    if not C3D_DIR.is_dir():
        message = f"real C3D corpus not found at {C3D_DIR} (set LBPRUN_C3D_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return C3D_DIR
