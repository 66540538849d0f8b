"""Safe, unit- and axis-normalised loading of C3D trials.

Every trial the pipeline sees passes through :func:`load`, which returns a :class:`Trial`
in one canonical frame: metres, seconds, newtons, the lab's vertical axis rotated to +Z
(right-handed), vertical ground reaction force positive up. The original units and vertical
axis are kept in the trial's metadata so that outputs can say what was read.

Bad input never crashes the caller: it raises :class:`C3DError` with one sentence that names
the file and the problem.

How a file is read, and why:

1. The 512-byte header is checked against the file size first (~10 µs): a truncated file is
   an error here, because ezc3d would silently return fewer frames. The parameter section's
   records are walked too (~50 µs): a parameter declaring more than 7 dimensions or more bytes
   than the file holds would send ezc3d into an endless loop or a huge allocation.
2. Files of the plain layout (Intel or DEC, parameters, header and file size consistent) are
   read in-process by :mod:`~lbprun.c3d.fast`, a numpy reader whose arrays equal ezc3d's bit
   for bit (issue 16: on short trials the read dominated; ``tests/test_c3d_fast.py`` checks it
   against ezc3d on every corpus file and fuzzed variant). Anything else, and any doubt, goes
   to ezc3d, which stays the oracle and the fallback: ezc3d (or, for what it refuses -- MIPS
   byte order, float ANALOG:OFFSET -- the pure-Python ``c3d`` package) runs in one persistent
   worker process, ``python -m lbprun._c3d_worker``, with an address-space limit (1 GB); a
   read that segfaults, hangs past its timeout (3 s plus 1 s per MB) or exhausts memory
   becomes a C3DError and the worker is restarted on the next
   load. The worker dies with the process that started it, however that process ends. A
   persistent worker costs ~1.0-1.2x an in-process read (``bench/bench_load.py``); a fresh
   process per file costs 2-8x. The worker is started with ``subprocess`` and ``-m`` rather than
   multiprocessing's spawn/forkserver, which re-import the caller's ``__main__`` -- inside a
   Snakemake ``script:`` that re-runs the script itself.
3. The frames read are compared with the frames the header declares; fewer is an error.
4. Force plates are computed here from the analog channels with numpy (types 1-4, C3D user
   guide; the same equations as ezc3d's platform module, which is ~10x slower), then markers
   and plates are scaled to metres and rotated so that the lab's vertical becomes +Z.

The package follows those steps, one module each: :mod:`~lbprun.c3d.header` (1),
:mod:`~lbprun.c3d.fast` and :mod:`~lbprun.c3d.worker` (2; the worker's side is
:mod:`lbprun._c3d_worker`, kept outside the package so that the memory-capped reader process
imports neither this package nor scipy),
:mod:`~lbprun.c3d.loader` (3 and assembly), :mod:`~lbprun.c3d.parameters` (C3D parameters:
labels, events, metadata, FORCE_PLATFORM), :mod:`~lbprun.c3d.markers` (labels, model outputs,
units, gaps), :mod:`~lbprun.c3d.axes` (the lab's vertical axis), :mod:`~lbprun.c3d.poses`
(markerless segment poses), :mod:`~lbprun.c3d.records` (what :func:`load` returns). Force-plate
physics lives in :mod:`lbprun.plates`, :class:`C3DError` in :mod:`lbprun.errors`.
"""

from lbprun.c3d.loader import load
from lbprun.c3d.records import C3DError, Event, Trial
from lbprun.c3d.worker import (
    READ_TIMEOUT_BASE_S,
    READ_TIMEOUT_S_PER_MB,
    WORKER_START_TIMEOUT_S,
    read_timeout_s,
)
from lbprun.plates import ForcePlate

__all__ = [
    "READ_TIMEOUT_BASE_S",
    "READ_TIMEOUT_S_PER_MB",
    "WORKER_START_TIMEOUT_S",
    "C3DError",
    "Event",
    "ForcePlate",
    "Trial",
    "load",
    "read_timeout_s",
]
