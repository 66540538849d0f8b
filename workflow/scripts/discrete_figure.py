"""Discrete outcomes by group and condition with effect sizes -> results/figures/discrete.*."""

from pathlib import Path

import pandas as pd

from lbprun import cohort, figures, logs, report

logs.to_file(snakemake.log[0])
p = snakemake.params
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p.conditions)
fig = figures.discrete_figure(
    subjects,
    pd.read_csv(snakemake.input.tests),
    outcomes=p.outcomes,
    groups=(p.reference, p.comparison),
    labels=p.labels,
)
report.write_notes(snakemake.output.notes, figures.notes_of(fig))
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
