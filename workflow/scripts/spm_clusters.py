"""SPM{t} two-sample tests on subject-mean waveforms -> results/stats/spm_clusters.csv."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

import pandas as pd

from lbprun import logs, steps

logs.to_file(snakemake.log[0])
p = snakemake.params
result = steps.spm_clusters(
    pd.read_parquet(snakemake.input.waveforms),
    waveforms=p.waveforms,
    conditions=p.conditions,
    reference=p.reference,
    comparison=p.comparison,
    alpha=p.alpha,
    nonparametric=p.spm_nonparametric,
    iterations=p.spm_iterations,
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
