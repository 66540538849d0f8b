"""SPM{t} two-sample tests on subject-mean waveforms -> results/stats/spm_clusters.csv."""

import pandas as pd

from lbprun import logs, stats

logs.to_file(snakemake.log[0])
p = snakemake.params.stats
waves = pd.read_parquet(snakemake.input.waveforms)
waves = waves.loc[waves["waveform"].isin(p["waveforms"])]
if p["conditions"]:
    waves["condition"] = pd.Categorical(waves["condition"].astype(str), p["conditions"])
methods = ["parametric", "nonparametric"] if p["spm_nonparametric"] else ["parametric"]
blocks = [
    stats.spm_waveforms(
        waves,
        reference=p["reference"],
        comparison=p["comparison"],
        alpha=p["alpha"],
        method=method,
        **({"iterations": p["spm_iterations"]} if method == "nonparametric" else {}),
    )
    for method in methods
]
pd.concat(blocks, ignore_index=True).to_csv(snakemake.output[0], index=False, lineterminator="\n")
