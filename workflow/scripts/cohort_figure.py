"""One cohort figure (params.figure): discrete outcomes, vector-coding patterns or QC."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from pathlib import Path

import pandas as pd

from lbprun import cohort, figures, logs, report

logs.to_file(snakemake.log[0])
p = snakemake.params
inputs = snakemake.input
if p.figure == "qc":
    fig = figures.qc_figure(pd.read_csv(inputs.trials), pd.read_csv(inputs.failed))
else:
    subjects = cohort.read_subjects(inputs.subjects, conditions=p.conditions)
    groups = (p.reference, p.comparison)
    if p.figure == "discrete":
        tests = pd.read_csv(inputs.tests)
        fig = figures.discrete_figure(
            subjects, tests, outcomes=p.outcomes, groups=groups, labels=p.labels
        )
    else:
        fig = figures.vector_coding_figure(subjects, groups=groups, labels=p.labels)
report.write_notes(snakemake.output.notes, figures.notes_of(fig))
figures.save(fig, Path(snakemake.output[0]).parent / p.figure)
