"""Mixed models outcome ~ group * condition + (1 | subject) -> results/stats/mixed_models.csv."""

import logging

import pandas as pd

from lbprun import cohort, stats

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
p = snakemake.params.stats
subjects = pd.read_csv(snakemake.input.subjects)
if p["conditions"]:
    subjects["condition"] = pd.Categorical(subjects["condition"].astype(str), p["conditions"])
outcomes = p["outcomes"] or [o for o in cohort.OUTCOMES if o in subjects]
result = stats.mixed_models(
    subjects, outcomes=outcomes, covariates=p["covariates"], reference=p["reference"]
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
