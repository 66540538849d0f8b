"""Generate the demo cohort's C3D files and check they are the ones the sheets name."""

import logging

import pandas as pd

from lbprun import synth

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
demo = snakemake.params.demo
written = synth.write_cohort(
    snakemake.params.out_dir,
    n_per_group=demo["size"],
    speeds_mps=tuple(demo["speeds_mps"]),
    seed=demo["seed"],
    duration_s=demo["duration_s"],
    setup=demo["setup"],
)
logging.info("synth.write_cohort wrote %s", written)
made = pd.read_csv(f"{snakemake.params.out_dir}/trials.tsv", sep="\t", dtype=str)
named = pd.read_csv(snakemake.params.trials, sep="\t", dtype=str)
if sorted(made["path"]) != sorted(named["path"]):
    raise SystemExit(
        f"the demo generated with config demo {demo} does not match {snakemake.params.trials}; "
        f"copy {snakemake.params.out_dir}/participants.tsv and trials.tsv over the configured "
        "sheets, or restore the demo settings."
    )
