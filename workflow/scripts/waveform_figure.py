"""Group mean waveform with SPM clusters shaded -> results/figures/waveform_{name}.*."""

from pathlib import Path

import pandas as pd

from lbprun import figures, logs, report, steps

logs.to_file(snakemake.log[0])
p = snakemake.params
fig = figures.waveform_figure(
    steps.with_condition_order(pd.read_parquet(snakemake.input.waveforms), p.conditions),
    pd.read_csv(snakemake.input.clusters),
    waveform=snakemake.wildcards.waveform,
    groups=(p.reference, p.comparison),
    band=p.band,
    labels=p.labels,
)
report.write_notes(snakemake.output.notes, figures.notes_of(fig))
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
