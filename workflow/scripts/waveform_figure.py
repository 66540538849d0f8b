"""Group mean waveform with SPM clusters shaded -> results/figures/waveform_{name}.*."""

from pathlib import Path

import pandas as pd

from lbprun import figures, logs, report

logs.to_file(snakemake.log[0])
p = snakemake.params.stats
waves = pd.read_parquet(snakemake.input.waveforms)
if p["conditions"]:
    waves["condition"] = pd.Categorical(waves["condition"].astype(str), p["conditions"])
fig = figures.waveform_figure(
    waves,
    pd.read_csv(snakemake.input.clusters),
    waveform=snakemake.wildcards.waveform,
    groups=(p["reference"], p["comparison"]),
    band=snakemake.params.figures["band"],
    labels=snakemake.params.labels,
)
report.write_notes(snakemake.output.notes, figures.notes_of(fig))
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
