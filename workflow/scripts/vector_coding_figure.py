"""Vector-coding coordination patterns by group and condition -> results/figures/vector_coding.*."""

import logging

import pandas as pd

from lbprun import figures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
p, f = snakemake.params.stats, snakemake.params.figures
fig = figures.vector_coding_figure(
    pd.read_csv(snakemake.input.subjects),
    reference=p["reference"],
    comparison=p["comparison"],
    width_mm=f[f"{f['column']}_column_mm"],
    palette=f["palette"],
)
figures.save(fig, snakemake.output, dpi=f["dpi"])
