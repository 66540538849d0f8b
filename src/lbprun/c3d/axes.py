"""The lab's vertical axis, from plate geometry and marker heights, and the rotation to Z up."""

from __future__ import annotations

import warnings

import numpy as np

_AXES = "XYZ"


def _axis_from_corners(corner_sets: list[np.ndarray]) -> tuple[int, float] | None:
    """Find the axis along which plate corners do not vary (the plate surface is horizontal)."""
    for corners in corner_sets:
        spans = np.ptp(corners, axis=0)
        if spans.max() > 0 and spans.min() < 0.05 * spans.max():
            axis = int(np.argmin(spans))
            return axis, float(corners[:, axis].mean())
    return None


def _axis_from_markers(markers: np.ndarray) -> int:
    """Find the axis of body height: widest within-frame marker spread, rarely below floor."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames are expected
        spread = np.nanmedian(np.nanmax(markers, axis=1) - np.nanmin(markers, axis=1), axis=0)
        scale = np.nanmax(np.abs(markers))
        above = [np.mean(v[np.isfinite(v)] > -0.03 * scale) for v in np.moveaxis(markers, -1, 0)]
    score = np.nan_to_num(spread) * np.nan_to_num(np.asarray(above))
    return int(np.argmax(score)) if score.max() > 0 else 2


def _vertical(markers: np.ndarray, corner_sets: list[np.ndarray]) -> tuple[int, int]:
    """Index and sign of the lab's vertical axis, from plate geometry and marker heights."""
    has_markers = markers.size and np.isfinite(markers).any()
    from_plates = _axis_from_corners(corner_sets)
    if from_plates is not None:
        axis, floor = from_plates
    elif has_markers:
        axis, floor = _axis_from_markers(markers), 0.0
    else:
        return 2, 1
    if not has_markers:
        return axis, 1
    # People stand on the floor: most marker samples lie above the plate surface.
    heights = markers[..., axis]
    above = np.count_nonzero(heights > floor + 0.01)
    below = np.count_nonzero(heights < floor - 0.01)
    return axis, 1 if above >= below else -1


def _rotation_to_z_up(axis: int, sign: int) -> np.ndarray:
    """Right-handed rotation whose rows are the new X, Y, Z in old coordinates (new Z = up)."""
    up = np.zeros(3)
    up[axis] = sign
    new_x = np.eye(3)[0] if axis != 0 else np.eye(3)[1]
    new_y = np.cross(up, new_x)
    return np.vstack([new_x, new_y, up])
