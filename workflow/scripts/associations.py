"""Knee flexion at touchdown vs impact and loading rates -> results/stats/associations.csv."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

import pandas as pd

from lbprun import logs, stats

logs.to_file(snakemake.log[0])
result = stats.associations(
    pd.read_csv(snakemake.input.stances),
    pd.read_csv(snakemake.input.subjects),
    reference=snakemake.params.reference,
    min_subjects=snakemake.params.association_min_subjects,
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
