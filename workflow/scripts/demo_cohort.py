"""Generate the demo cohort's C3D files and check they are the ones the sheets name."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

import logging
from pathlib import Path

from lbprun import logs, steps, synth

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
sheets = {name: snakemake.params[name] for name in ("participants", "trials")}
if problem := steps.demo_mismatch(out_dir, sheets, demo):
    raise SystemExit(problem)
