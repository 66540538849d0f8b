"""Group mean waveform with SPM clusters shaded -> results/figures/waveform_{name}.*."""

import logging

import pandas as pd

from lbprun import figures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
p, f = snakemake.params.stats, snakemake.params.figures
fig = figures.waveform_figure(
    pd.read_parquet(snakemake.input.waveforms),
    clusters=pd.read_csv(snakemake.input.clusters),
    waveform=snakemake.wildcards.waveform,
    reference=p["reference"],
    comparison=p["comparison"],
    band=f["band"],
    width_mm=f[f"{f['column']}_column_mm"],
    palette=f["palette"],
)
figures.save(fig, snakemake.output, dpi=f["dpi"])
