"""Discrete outcomes by group and condition with effect sizes -> results/figures/discrete.*."""

from pathlib import Path

import pandas as pd

from lbprun import cohort, figures, logs

logs.to_file(snakemake.log[0])
p = snakemake.params.stats
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p["conditions"])
fig = figures.discrete_figure(
    subjects,
    pd.read_csv(snakemake.input.tests),
    outcomes=[o for o in snakemake.params.figures["outcomes"] if o in subjects],
    groups=(p["reference"], p["comparison"]),
)
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
