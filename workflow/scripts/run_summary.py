"""What the run made and could not -> results/summary.txt, summary.json, report/summary.html."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

import json
from pathlib import Path

import pandas as pd

from lbprun import cohort, logs, report, tables

logs.to_file(snakemake.log[0])
config = snakemake.config
group_tests = pd.read_csv(snakemake.input.group_tests)
sheet = pd.read_csv(snakemake.input.trials_sheet, sep="\t", dtype={"subject": str})
labels = cohort.condition_labels(sheet, labels=config["figures"].get("condition_labels"))
summary = report.run_summary(
    participants=pd.read_csv(snakemake.input.participants, sep="\t", dtype={"subject": str}),
    trials_sheet=sheet,
    trials=pd.read_csv(snakemake.input.trials, dtype={"subject": str}),
    failed=pd.read_csv(snakemake.input.failed, dtype={"subject": str}),
    group_tests=group_tests,
    groups=(config["groups"]["reference"], config["groups"]["comparison"]),
    notes=report.read_notes(snakemake.input.notes),
)
Path(snakemake.output.text).write_text(report.summary_text(summary) + "\n", encoding="utf-8")
Path(snakemake.output.json).write_text(json.dumps(summary, indent=1, default=str) + "\n")
Path(snakemake.output.html).write_text(
    report.summary_html(summary, headline=tables.group_tests_table(group_tests), labels=labels)
    + report.methods_html(config),
    encoding="utf-8",
)
