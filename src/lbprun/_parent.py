"""A helper process ends with the process that started it: one place for ``PR_SET_PDEATHSIG``.

Used by the C3D reader's worker (:mod:`lbprun._c3d_worker`) and by the job server's copies
(:mod:`lbprun.jobserver`). Standard library only: the memory-capped reader imports neither
:mod:`lbprun.c3d` nor scipy.
"""

from __future__ import annotations

import contextlib
import os
import signal

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent_pid: int, /) -> None:
    """Have the kernel SIGKILL this process when ``parent_pid`` ends (Linux; elsewhere nothing).

    If the parent already ended before the request took effect, exit at once (status 1).
    ``parent_pid`` 0 means unknown: the request is made, nothing is checked.

    Examples
    --------
    >>> die_with(os.getppid())  # the parent is alive: returns
    """
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent_pid and os.getppid() != parent_pid:  # it ended before prctl took effect
        os._exit(1)
