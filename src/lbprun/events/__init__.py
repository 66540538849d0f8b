"""Gait events: touchdown (TD) and toe-off (TO) from force plates, foot markers or the file.

SCIENCE.md, "Gait events". Three sources, each stance saying which one it came from:

- ``plate``: the filtered vertical force crossing a threshold (20 N overground, 50 N on a
  treadmill), complete contacts only, the foot identified by its markers (:func:`plate_stances`).
- ``kinematic``: the *foot-clearance* detector of :func:`kinematic_stances` (below), with
  Handsaker et al. 2016 (J Biomech 49:4128) available for comparison
  (:func:`handsaker_stances`). On trials with plates the kinematic detector is calibrated
  against the plate stances of the same trial (:func:`calibrate`) and its events off the
  plates are shifted by the measured bias (:func:`detect`).
- ``file``: "Foot Strike"/"Foot Off" events stored in the C3D (:func:`file_stances`), only on
  request.

Why not Handsaker as written: on the real running files its acceleration peaks land 11-17 ms
late with a foot-dependent bias, and a heel-top marker decelerates in the air ~60 ms before
contact (SCIENCE.md). Vertical *position* is far less noisy than its second derivative, and a
marker that reaches the ground stops descending at a height it keeps through stance. So for
each candidate stance (a minimum of the foot centre's height between two swing maxima) the
clearance of every foot marker is its height above its own lowest point in that stance (which
also absorbs markers' different heights and a runway or lab calibration that is not level);
the foot's clearance is the smallest of them, and TD (TO) is the instant it falls below (rises
above) a few millimetres. Against the plates (kinematic - plate, mean ± SD, ms; see
tests/test_events.py):

==========================  =============  ============  =============
file (foot markers)         ours, raw TD   ours, TO      Handsaker TD
==========================  =============  ============  =============
RBDS001runT35 (heel, MT1,   +3.0 ± 0.9     -1.4 ± 1.7    +14.6 ± 10.9
MT5), 85 treadmill stances
JA1Gait21 + LP5MT, 5        +1.7 ± 2.0     +5.7 ± 3.7    +15.7 ± 2.1
JA1Gait21 heel/toe/MT1, 5   +16.5 ± 3.1    +5.7 ± 3.7    +15.7 ± 2.1
==========================  =============  ============  =============

The last row is the caveat: without a lateral forefoot marker the detector sees a lateral
forefoot landing only when the medial markers arrive ~15 ms later. That offset is constant
within a trial, so on trials with plates :func:`combine` removes it (leave-one-out residual
SD 3.9 ms on JA1Gait21); on trials without plates it remains and is reported as uncalibrated.

Feet marked by a cluster only (the Running Injury Clinic's ``L_foot_1..4``) feed the same
detector: :func:`foot_markers` takes every role named ``{side}_foot_*`` (the cluster's
markers) with the cluster's forefoot pivot as the toe (:mod:`lbprun.trial.landmarks`,
:func:`lbprun.kinematics.clusters.forefoot_pivot`). Touchdown against the plates (tests/
test_labs_real.py, rear-foot markers taken as a cluster): RBDS001runT35 +1.0 ms (mean |error|
3.2 ms, 85 stances), JA1Gait21 -1.1 ms (9.2 ms, 5), Running_0002 -8.4 ms (1); toe-off from a
cluster is good on the treadmill (RBDS -2.4 ms) but ~30 ms early overground, where a trial
holds too few push-offs to fit the pivot well.

The package follows the flow: :mod:`~lbprun.events.stance` (the :class:`Stance` and
:class:`Stride` records), :mod:`~lbprun.events.contacts` (plate contacts; the force-plate
physics, filter and treadmill detection are :mod:`lbprun.plates`), :mod:`~lbprun.events.kinematic`
(the foot-clearance and Handsaker detectors), :mod:`~lbprun.events.calibration` (kinematic
against plate events), :mod:`~lbprun.events.strides` (strides and their validity) and
:mod:`~lbprun.events.detect` (the event source a trial's settings ask for).
"""

from lbprun.events.calibration import Calibration, calibrate, combine, match, shifted
from lbprun.events.contacts import plate_stances
from lbprun.events.detect import Events, detect, file_stances
from lbprun.events.kinematic import (
    FOOT_ROLES,
    MIN_KINEMATIC_STANCE_S,
    foot_markers,
    handsaker_stances,
    kinematic_stances,
)
from lbprun.events.stance import Stance, Stride
from lbprun.events.strides import strides
from lbprun.plates import force_lowpass, is_treadmill, threshold_crossings, treadmill_reason

__all__ = [
    "FOOT_ROLES",
    "MIN_KINEMATIC_STANCE_S",
    "Calibration",
    "Events",
    "Stance",
    "Stride",
    "calibrate",
    "combine",
    "detect",
    "file_stances",
    "foot_markers",
    "force_lowpass",
    "handsaker_stances",
    "is_treadmill",
    "kinematic_stances",
    "match",
    "plate_stances",
    "shifted",
    "strides",
    "threshold_crossings",
    "treadmill_reason",
]
