"""Discrete outcomes by group and condition with effect sizes -> results/figures/discrete.*."""

import logging

import pandas as pd

from lbprun import cohort, figures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
p, f = snakemake.params.stats, snakemake.params.figures
subjects = pd.read_csv(snakemake.input.subjects)
fig = figures.discrete_figure(
    subjects,
    tests=pd.read_csv(snakemake.input.tests),
    outcomes=p["outcomes"] or [o for o in cohort.OUTCOMES if o in subjects],
    reference=p["reference"],
    comparison=p["comparison"],
    width_mm=f[f"{f['column']}_column_mm"],
    palette=f["palette"],
)
figures.save(fig, snakemake.output, dpi=f["dpi"])
