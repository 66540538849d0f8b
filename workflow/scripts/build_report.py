"""The HTML report, built by the workflow itself (never stale) -> results/report.html."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

import json
from pathlib import Path

from lbprun import logs, report

logs.to_file(snakemake.log[0])
summary = json.loads(Path(snakemake.input.summary).read_text(encoding="utf-8"))
report.build_report(
    snakemake.output[0],
    snakefile=snakemake.params.snakefile,
    config=snakemake.config,
    metadata=report.front_page_facts(summary),
)
