"""Quality control: strides per trial, failures and their reasons -> results/figures/qc.*."""

from pathlib import Path

import pandas as pd

from lbprun import figures, logs, report

logs.to_file(snakemake.log[0])
fig = figures.qc_figure(pd.read_csv(snakemake.input.trials), pd.read_csv(snakemake.input.failed))
report.write_notes(snakemake.output.notes, figures.notes_of(fig))
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
