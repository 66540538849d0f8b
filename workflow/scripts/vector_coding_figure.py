"""Vector-coding coordination patterns by group and condition -> results/figures/vector_coding.*."""

import logging
from pathlib import Path

import pandas as pd

from lbprun import figures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
p = snakemake.params.stats
subjects = pd.read_csv(snakemake.input.subjects)
if p["conditions"]:
    subjects["condition"] = pd.Categorical(subjects["condition"].astype(str), p["conditions"])
fig = figures.vector_coding_figure(subjects, groups=(p["reference"], p["comparison"]))
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
