"""Gather the trial folders listed in the batch manifests into results/cohort/."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

import logging
from pathlib import Path

import pandas as pd

from lbprun import cohort, logs

logs.to_file(snakemake.log[0])
dirs = [
    out_dir
    for manifest in snakemake.input.manifests
    for out_dir in pd.read_csv(manifest, sep="\t", dtype=str)["out_dir"]
]
logging.info("gathering %d trial folders", len(dirs))
cohort.gather(
    dirs,
    participants=snakemake.input.participants,
    trials=snakemake.input.trials,
    out_dir=Path(snakemake.output.trials).parent,
)
