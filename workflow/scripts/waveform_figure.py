"""Group mean waveforms with SPM clusters shaded -> results/figures/waveform_{name}.*, all."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from pathlib import Path

import pandas as pd

from lbprun import figures, logs, report, steps

logs.to_file(snakemake.log[0])
p = snakemake.params
waves = steps.with_condition_order(pd.read_parquet(snakemake.input.waveforms), p.conditions)
clusters = pd.read_csv(snakemake.input.clusters)
for waveform in p.waveforms:
    fig = figures.waveform_figure(
        waves,
        clusters,
        waveform=waveform,
        groups=(p.reference, p.comparison),
        band=p.band,
        labels=p.labels,
    )
    report.write_notes(snakemake.output[f"notes_waveform_{waveform}"], figures.notes_of(fig))
    figures.save(fig, Path(snakemake.output[0]).parent / f"waveform_{waveform}")
