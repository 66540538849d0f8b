"""Synthetic running trials with exact ground truth: the demo cohort and the test oracle.

:func:`write_cohort` writes a cohort of C3D files (through ezc3d), the participants and
trials sheets, and the truth tables; :func:`simulate_trial` and :func:`write_c3d` are the
pieces for one trial. Same seed, byte-identical files.

The model (how to reproduce the truth from the files)
-----------------------------------------------------
Lab frame: Z up, progression +X (treadmill: the runner stays near X = 0 and the stance foot
moves at -speed with the belt; overground: the pelvis moves at +speed). Ground at Z = 0.

- **Pelvis and thorax** are rigid frames (x anterior, y left, z up) with orientation
  ``Rz(rotation) Rx(obliquity) Ry(tilt)``; the rotation-first Cardan angle (Baker 2001) of
  each is therefore its simulated ``rotation``. Rotations oscillate at stride frequency
  (phase 0 at left touchdown) with optional 2nd/3rd harmonics; the thorax lags the pelvis by
  the chosen relative phase. Pelvis markers: LASI/RASI at +-InterAsisDistance/2 on the y axis
  (origin mid-ASIS), LPSI/RPSI (and optional SACR = mid-PSIS) in the same z = 0 plane, so
  the ISB / Plug-in Gait pelvis frame from the markers *is* the simulated frame. Thorax
  markers CLAV, C7, STRN, T10 lie in its sagittal plane with mid(STRN, T10) straight below
  mid(CLAV, C7): the ISB thorax frame (IJ = CLAV, PX = STRN, T8 = T10) is the simulated frame.
  Trunk rotation = rotation-first angle of ``R_pelvis.T @ R_thorax``.
- **Hip joint centres** sit exactly where Plug-in Gait's Davis (1991) equations put them from
  the PROCESSING group written to the file (LLegLength/RLegLength, InterAsisDistance,
  MarkerDiameter, L/RAsisTrocanterDistance = 0.1288 LegLength - 48.56 mm).
- **Legs** are hip-knee-ankle chains in the vertical plane through the hip (normal = lab Y),
  so knee flexion = the angle between thigh (HJC->KJC) and shank (KJC->AJC) axes, which is
  also the Grood & Suntay / Plug-in Gait flexion angle (shared flexion axis, no varus or
  rotation). KNE = KJC + (KneeWidth/2 + MarkerDiameter/2) along the lateral axis, ANK = AJC
  + (AnkleWidth/2 + MarkerDiameter/2) likewise; THI and TIB wands lie in the frontal plane
  of their segment. Plug-in Gait's chord function (plane HJC-THI-KNE, right angle at KJC,
  ``|KNE - KJC| = delta``) therefore returns the true KJC, and likewise the true AJC from KJC,
  TIB, ANK. With ``medial_markers=True``, KNM / MMA are written at the mirror positions, so
  the epicondyle and malleolus midpoints are the joint centres too.
- **Feet**: rigid HEE and TOE; in stance the heel stays on the ground, then (after heel rise)
  the foot pivots about the MTP joint centre 15 mm above the flat toes, TOE just behind it.
  For 90 ms after touchdown the ankle joint centre (not the shoe) keeps moving along the
  hip-ankle line (heel pad and sole compressing, <= 1 cm), which makes the knee angle C2
  across touchdown; joint centres, knee angle and the ANK/TIB markers include it.
- **Vertical GRF**: quarter-sine pieces per stance with the chosen impact peak, VALR and
  active peak (no impact peak for non-rearfoot strikers), flight between stances; see
  :mod:`lbprun.synth.grf`. Force plates are type 2 (Fx Fy Fz Mx My Mz, N and N mm) with Vicon's
  axes (x = -X, y = +Y, z = down); ezc3d's platform module returns the force on the runner in
  the lab (vertical positive up) and the COP under the foot. Treadmill: one 1.6 x 0.6 m
  plate catching every stance; overground: three 0.9 x 0.6 m plates along +X, the run
  shifted so that the stance nearest mid-trial lands on the middle plate.

Truth values (``truth_*.csv``) are computed from the noiseless model, at the exact event
times (touchdown = force onset), with SCIENCE.md's definitions; see
:mod:`lbprun.synth.truth`.
"""

from lbprun.synth.cohort import CohortSpec, write_cohort
from lbprun.synth.example import example_trial
from lbprun.synth.params import TrialParams
from lbprun.synth.simulate import noiseless, simulate_trial
from lbprun.synth.writer import write_c3d

__all__ = [
    "CohortSpec",
    "TrialParams",
    "example_trial",
    "noiseless",
    "simulate_trial",
    "write_c3d",
    "write_cohort",
]
