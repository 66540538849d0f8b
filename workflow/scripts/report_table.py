"""Every table of the run as an HTML page for the report -> results/report/tables/{name}.html."""

from lbprun import logs, report

logs.to_file(snakemake.log[0])
for name, source in snakemake.input.items():
    report.write_table_page(snakemake.output[name], name, source, config=snakemake.config)
