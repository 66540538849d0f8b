"""Outcomes by group: mean ± SD, difference [95 % CI], g, p -> results/tables/outcomes.*."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from pathlib import Path

import pandas as pd

from lbprun import logs, tables

logs.to_file(snakemake.log[0])
p = snakemake.params
table = tables.outcome_table(
    pd.read_csv(snakemake.input.subjects), pd.read_csv(snakemake.input.tests)
)
tables.write_table(
    table,
    Path(snakemake.output[0]).with_suffix(""),
    caption=(
        f"Outcomes by group and condition ({p.comparison} − {p.reference}); "
        f"p adjusted with {p.correction}."
    ),
)
