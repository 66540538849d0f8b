"""A short synthetic running trial on disk, for the documentation's examples."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_WRITTEN: dict[tuple[str, bool], Path] = {}


def example_trial(*, setup: str = "treadmill", markerless: bool = False) -> Path:
    """Path of a 3 s synthetic running trial (C3D), written once per process.

    The trial is :func:`lbprun.synth.simulate_trial` of the default
    :class:`~lbprun.synth.TrialParams` (Plug-in Gait markers at 200 Hz, force plates at
    1000 Hz, 3.0 m/s) with seed 1, written to a temporary folder that is removed when the
    process ends. Examples use it as a real file to load and process.

    Parameters
    ----------
    setup : {"treadmill", "overground"}, optional
        One treadmill plate under every stance, or three overground plates.
    markerless : bool, optional
        Write segment poses (every segment of :data:`lbprun.synth.poses.SEGMENTS`, as a
        markerless system does) instead of markers.

    Returns
    -------
    Path
        The C3D file (the same path on every call with the same options).

    Examples
    --------
    >>> from lbprun import c3d, synth
    >>> path = synth.example_trial()
    >>> path.name, path == synth.example_trial()
    ('example_treadmill.c3d', True)
    >>> trial = c3d.load(path)
    >>> trial.frames, trial.markers_hz, trial.analog_hz, len(trial.plates)
    (600, 200.0, 1000.0, 1)
    >>> c3d.load(synth.example_trial(markerless=True)).markerless
    True
    """
    key = (setup, markerless)
    if key not in _WRITTEN:
        from lbprun.synth.params import TrialParams
        from lbprun.synth.poses import SEGMENTS
        from lbprun.synth.simulate import simulate_trial
        from lbprun.synth.writer import write_c3d

        folder = Path(tempfile.mkdtemp(prefix="lbprun-example-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        params = TrialParams(setup=setup, duration_s=3.0)
        poses = SEGMENTS if markerless else ()
        data, _ = simulate_trial(params, seed=1, poses=poses, markers=not markerless)
        name = f"example_{setup}{'_markerless' if markerless else ''}.c3d"
        _WRITTEN[key] = write_c3d(folder / name, data)
    return _WRITTEN[key]
