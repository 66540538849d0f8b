"""Participant characteristics by group -> results/tables/participants.{csv,md,tex}."""

import logging

import pandas as pd

from lbprun import tables

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
p = snakemake.params.stats
table = tables.participant_table(
    pd.read_csv(snakemake.input.participants, sep="\t"),
    trials=pd.read_csv(snakemake.input.trials),
    reference=p["reference"],
    comparison=p["comparison"],
)
tables.write_table(table, snakemake.output)
