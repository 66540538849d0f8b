"""Quality control: strides per trial, failures and their reasons -> results/figures/qc.*."""

import logging

import pandas as pd

from lbprun import figures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
p, f = snakemake.params.stats, snakemake.params.figures
fig = figures.qc_figure(
    pd.read_csv(snakemake.input.trials),
    failed=pd.read_csv(snakemake.input.failed),
    width_mm=f[f"{f['column']}_column_mm"],
    palette=f["palette"],
)
figures.save(fig, snakemake.output, dpi=f["dpi"])
