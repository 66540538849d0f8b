"""The HTML report, built by the workflow itself (never stale) -> results/report.html."""

from lbprun import __version__, logs, report

logs.to_file(snakemake.log[0])
report.build_report(
    snakemake.output[0],
    snakefile=snakemake.params.snakefile,
    config=snakemake.config,
    metadata={
        "Run summary": snakemake.params.summary_note,
        "lbprun version": __version__,
        "Preset": str(snakemake.config.get("preset", "")),
    },
)
