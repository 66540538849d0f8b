"""Shared fixtures: the real C3D corpus in ../shared/data/c3d (never copied into the repo)."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def no_slurm_controller_conf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``slurm.conf`` naming a controller that refuses connections at once.

    Every Snakemake start imports snakemake-executor-plugin-slurm, which runs ``scontrol show
    config`` for a help text. Where SLURM's client is installed but no controller answers (as
    on CI once the SLURM tests have run: ``/etc/slurm/slurm.conf`` then names their stopped
    cluster), ``scontrol`` retries for ``MessageTimeout`` (10 s by default) on every start.
    """
    conf = tmp_path_factory.mktemp("no_slurm") / "slurm.conf"
    # Port 1 (tcpmux) is refused at once; whatever answers, MessageTimeout bounds the wait to 1 s.
    conf.write_text(
        "ClusterName=none\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=1\nMessageTimeout=1\n"
    )
    return conf


@pytest.fixture(scope="session", autouse=True)
def _no_slurm_wait(no_slurm_controller_conf: Path) -> Iterator[None]:
    """Snakemake starts in tests without SLURM's 10 s wait for a controller.

    Only ``SLURM_CONF`` changes, for the whole session (module fixtures run workflows too). The
    SLURM tests are unaffected: starting their cluster points ``SLURM_CONF`` at it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLURM_CONF", str(no_slurm_controller_conf))
        yield
