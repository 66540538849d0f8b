"""Generate the demo cohort's C3D files and check they are the ones the sheets name."""

import logging
from pathlib import Path

import pandas as pd

from lbprun import logs, synth

logs.to_file(snakemake.log[0])
demo = snakemake.params.demo
# RESULTS/demo (never a study's data folder); the sheets' paths are relative to it
out_dir = str(Path(snakemake.output.participants).parent)
written = synth.write_cohort(
    out_dir,
    n_per_group=demo["size"],
    speeds_mps=tuple(demo["speeds_mps"]),
    seed=demo["seed"],
    duration_s=demo["duration_s"],
    setup=demo["setup"],
)
logging.info("synth.write_cohort wrote %s", written)
# The committed sheets must be exactly what this demo configuration generates (same subjects,
# masses and files); otherwise the DAG, built from the sheets, would not match the files.
for sheet in ("participants", "trials"):
    made = pd.read_csv(f"{out_dir}/{sheet}.tsv", sep="\t", dtype=str)
    named = pd.read_csv(snakemake.params[sheet], sep="\t", dtype=str)
    if not made.equals(named):
        raise SystemExit(
            f"the demo generated with config demo {demo} does not match "
            f"{snakemake.params[sheet]}; copy {out_dir}/{sheet}.tsv over it, or restore the "
            "demo settings."
        )
