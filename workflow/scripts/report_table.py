"""Every table of the run as an HTML page for the report -> results/report/tables/{name}.html."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from lbprun import logs, report

logs.to_file(snakemake.log[0])
for name, source in snakemake.input.items():
    report.write_table_page(snakemake.output[name], name, source, config=snakemake.config)
