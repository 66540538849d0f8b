"""Discrete outcomes, vector-coding patterns, QC -> figures/{discrete,vector_coding,qc}.*."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from pathlib import Path

import pandas as pd

from lbprun import cohort, figures, logs, report

logs.to_file(snakemake.log[0])
p = snakemake.params
groups = (p.reference, p.comparison)
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p.conditions)
made = {
    "discrete": figures.discrete_figure(
        subjects,
        pd.read_csv(snakemake.input.tests),
        outcomes=p.outcomes,
        groups=groups,
        labels=p.labels,
    ),
    "vector_coding": figures.vector_coding_figure(subjects, groups=groups, labels=p.labels),
    "qc": figures.qc_figure(
        pd.read_csv(snakemake.input.trials), pd.read_csv(snakemake.input.failed)
    ),
}
for name, fig in made.items():
    report.write_notes(snakemake.output[f"notes_{name}"], figures.notes_of(fig))
    figures.save(fig, Path(snakemake.output[0]).parent / name)
