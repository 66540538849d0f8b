"""Quality control: strides per trial, failures and their reasons -> results/figures/qc.*."""

import logging
from pathlib import Path

import pandas as pd

from lbprun import figures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
logging.captureWarnings(True)
fig = figures.qc_figure(pd.read_csv(snakemake.input.trials), pd.read_csv(snakemake.input.failed))
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
