"""Which outcome separates the groups (leave-one-subject-out) -> results/stats/discriminant.csv."""

import logging

import pandas as pd

from lbprun import cohort, stats

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
p = snakemake.params.stats
subjects = pd.read_csv(snakemake.input.subjects)
if p["conditions"]:
    subjects["condition"] = pd.Categorical(subjects["condition"].astype(str), p["conditions"])
result = stats.discriminant(
    subjects,
    outcomes=p["outcomes"] or [o for o in cohort.OUTCOMES if o in subjects],
    reference=p["reference"],
    comparison=p["comparison"],
    shrinkage=p["discriminant_shrinkage"],
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
