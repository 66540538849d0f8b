"""Participant characteristics by group -> results/tables/participants.{csv,md,tex}."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from pathlib import Path

import pandas as pd

from lbprun import logs, tables

logs.to_file(snakemake.log[0])
p = snakemake.params
table = tables.participant_table(
    pd.read_csv(snakemake.input.participants, sep="\t"),
    reference=p.reference,
    comparison=p.comparison,
)
tables.write_table(
    table,
    Path(snakemake.output[0]).with_suffix(""),
    caption=f"Participant characteristics by group ({p.reference}, {p.comparison}).",
)
