"""Group statistics on subject-level data (SCIENCE.md, Statistics).

Two layers, one implementation per quantity:

- :mod:`lbprun.stats.arrays`, on plain arrays (spm1d's grammar: test, then inference):
  :func:`welch_t`, :func:`hedges_g` and :func:`welch` on two 1-D samples, :func:`adjust_p` /
  :func:`holm` on a family of p-values, :func:`spm_ttest2` on two J × Q curve arrays, returning
  an :class:`SPMResult` with its supra-threshold :class:`SPMCluster` list;
- on the cohort tables: :func:`group_tests`, :func:`mixed_models`, :func:`spm_waveforms`
  (:mod:`lbprun.stats.groups`), :func:`discriminant` (:mod:`lbprun.stats.lda`) and
  :func:`associations` (:mod:`lbprun.stats.knee_loading`) take the subject × condition table of
  :mod:`lbprun.cohort` (or its waveforms or stances) and return a tidy DataFrame with the columns
  of CONTRACT.md, computed by the array functions.

The subject is the unit of analysis throughout; strides are never treated as independent samples.
Everything is importable from ``lbprun.stats`` itself.
"""

from lbprun.stats.arrays import (
    Z_975,
    SPMCluster,
    SPMResult,
    adjust_p,
    hedges_g,
    holm,
    spm_ttest2,
    welch,
    welch_df,
    welch_t,
)
from lbprun.stats.groups import (
    GROUP_TEST_COLUMNS,
    MIXED_COLUMNS,
    SPM_COLUMNS,
    conditions_of,
    group_tests,
    mixed_models,
    spm_waveforms,
)
from lbprun.stats.knee_loading import ASSOCIATION_COLUMNS, LOADING_RESPONSES, associations
from lbprun.stats.lda import DISCRIMINANT_COLUMNS, discriminant

__all__ = [
    "ASSOCIATION_COLUMNS",
    "DISCRIMINANT_COLUMNS",
    "GROUP_TEST_COLUMNS",
    "LOADING_RESPONSES",
    "MIXED_COLUMNS",
    "SPM_COLUMNS",
    "Z_975",
    "SPMCluster",
    "SPMResult",
    "adjust_p",
    "associations",
    "conditions_of",
    "discriminant",
    "group_tests",
    "hedges_g",
    "holm",
    "mixed_models",
    "spm_ttest2",
    "spm_waveforms",
    "welch",
    "welch_df",
    "welch_t",
]
