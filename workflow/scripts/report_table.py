"""One table of the run as an HTML page for the report -> results/report/tables/{name}.html."""

from pathlib import Path

import pandas as pd

from lbprun import logs, report, tables

logs.to_file(snakemake.log[0])
name = snakemake.wildcards.name
source = pd.read_csv(snakemake.input[0])
readable = {
    "participants": lambda t: t,
    "outcomes": lambda t: t,
    "group_tests": tables.group_tests_table,
    "mixed_models": lambda t: tables.mixed_models_table(
        t, reference=snakemake.config["groups"]["reference"]
    ),
    "spm_clusters": tables.spm_clusters_table,
    "associations": tables.associations_table,
    "discriminant": tables.discriminant_table,
}[name](source)
title, caption = report.table_caption(name, config=snakemake.config)
Path(snakemake.output[0]).write_text(
    report.html_page(title, caption, readable, table_id=f"lbprun-{name}"), encoding="utf-8"
)
