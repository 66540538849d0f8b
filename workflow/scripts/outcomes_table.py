"""Outcomes by group: mean ± SD, difference [95 % CI], g, p -> results/tables/outcomes.*."""

import logging

import pandas as pd

from lbprun import tables

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
p = snakemake.params.stats
table = tables.outcome_table(
    pd.read_csv(snakemake.input.tests),
    reference=p["reference"],
    comparison=p["comparison"],
)
tables.write_table(table, snakemake.output)
