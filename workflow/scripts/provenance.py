"""Write results/provenance.json: versions, config, sheet and C3D hashes, output hashes."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

import logging
from pathlib import Path

import snakemake as snakemake_package

from lbprun import __version__, logs, steps

logs.to_file(snakemake.log[0])
record = steps.provenance_record(
    config=snakemake.params.config,
    sheets={name: snakemake.input[name] for name in ("participants", "trials")},
    trials=snakemake.input.cohort,
    outputs=snakemake.input.outputs,
    results=Path(snakemake.output[0]).parent,
    versions={"lbprun_version": __version__, "snakemake_version": snakemake_package.__version__},
)
steps.replace_text(snakemake.output[0], steps.provenance_text(record))
logging.info("recorded %d outputs of %d trials", len(record["outputs"]), len(record["trials"]))
