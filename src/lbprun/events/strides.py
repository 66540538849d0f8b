"""Strides from touchdown to the next ipsilateral touchdown, with their validity."""

from __future__ import annotations

import numpy as np

from lbprun.events.stance import Stance, Stride


def _stride_reasons(
    tds: np.ndarray, others: np.ndarray, limits: tuple, spans, max_ratio: float
) -> list[str]:
    """Why each TD-to-next-TD interval of one foot is not a valid stride ("" when it is)."""
    td, nxt = tds[:-1], tds[1:]
    duration = nxt - td
    typical = float(np.median(np.diff(tds)))
    # contralateral touchdowns strictly inside each stride
    inside = np.searchsorted(np.sort(others), nxt, side="left") - np.searchsorted(
        np.sort(others), td, side="right"
    )
    reasons = np.full(len(td), "", dtype=object)
    spans = np.asarray(spans, dtype=float).reshape(-1, 2)
    gap = ((spans[None, :, 0] < nxt[:, None]) & (spans[None, :, 1] > td[:, None])).any(axis=1)
    # the first reason that applies, in this order
    for hit, why in (
        (gap, "gap too long"),
        (
            duration > max_ratio * typical,
            f"missing event: stride longer than {max_ratio:g} times the typical stride",
        ),
        (
            (inside == 0) & bool(others.size),
            "missing event: no contralateral touchdown within the stride",
        ),
        (~((limits[0] <= duration) & (duration <= limits[1])), "implausible duration"),
    ):
        reasons[hit] = why
    return reasons.tolist()


def strides(
    stances: list[Stance],
    /,
    *,
    invalid_spans_s: list[tuple[float, float]] = (),
    min_stride_s: float = 0.3,
    max_stride_s: float = 2.5,
    max_ratio: float = 1.5,
) -> list[Stride]:
    """Strides from each touchdown to the next ipsilateral touchdown, with validity flags.

    Parameters
    ----------
    stances : list of Stance
        Stances of both feet (any source).
    invalid_spans_s : list of (float, float), optional
        Time spans where data are unusable (e.g. marker gaps too long to fill); a stride that
        overlaps one is invalid with reason "gap too long".
    min_stride_s, max_stride_s : float, optional
        Plausible stride durations (default 0.3-2.5 s, running to slow walking).
    max_ratio : float, optional
        A stride longer than this many times the side's median stride hides a missed
        touchdown (default 1.5).

    Returns
    -------
    list of Stride
        Sorted by touchdown. Invalid reasons: "implausible duration", "missing event: ..."
        (no contralateral touchdown in between, or a stride longer than 1.5 times the
        side's median, i.e. a missed touchdown), "gap too long".

    Examples
    --------
    >>> st = [Stance("L", t, t + 0.25, "plate") for t in (0.0, 0.72, 1.46, 2.9)]
    >>> st += [Stance("R", t, t + 0.25, "plate") for t in (0.36, 1.1, 1.82)]
    >>> [(s.td_s, s.valid, s.invalid_reason[:14]) for s in strides(st) if s.side == "L"]
    [(0.0, True, ''), (0.72, True, ''), (1.46, False, 'missing event:')]
    """
    out = []
    for side in ("L", "R"):
        tds = np.sort([s.td_s for s in stances if s.side == side])
        others = np.array([s.td_s for s in stances if s.side not in ("", side)], dtype=float)
        if len(tds) < 2:
            continue
        reasons = _stride_reasons(
            tds, others, (min_stride_s, max_stride_s), invalid_spans_s, max_ratio
        )
        out += [
            Stride(side, td, nxt, not why, why)
            for td, nxt, why in zip(tds[:-1].tolist(), tds[1:].tolist(), reasons, strict=True)
        ]
    return sorted(out, key=lambda s: s.td_s)
