"""Write results/provenance.json: versions, config, sheet and C3D hashes, output hashes."""

import json
import logging
import os
from pathlib import Path

import pandas as pd
import snakemake as snakemake_package

from lbprun import __version__, logs
from lbprun.outputs import sha256_of

logs.to_file(snakemake.log[0])
results = Path(snakemake.output[0]).parent
trials = pd.read_csv(snakemake.input.cohort, dtype=str, keep_default_na=False)
record = {
    "lbprun_version": __version__,
    "snakemake_version": snakemake_package.__version__,
    "config": snakemake.params.config,
    "sheets": {
        name: {"path": snakemake.input[name], "sha256": sha256_of(snakemake.input[name])}
        for name in ("participants", "trials")
    },
    # one row per trial of the sheet, as extracted (status and the sha256 of its C3D)
    "trials": trials.reindex(columns=["subject", "trial", "path", "status", "sha256"]).to_dict(
        "records"
    ),
    "outputs": {
        Path(path).relative_to(results).as_posix(): sha256_of(path)
        for path in sorted(snakemake.input.outputs)
    },
}
out = Path(snakemake.output[0])
tmp = out.with_name(f".{out.name}.tmp")
tmp.write_text(json.dumps(record, indent=1, default=str) + "\n")
os.replace(tmp, out)
logging.info("recorded %d outputs of %d trials", len(record["outputs"]), len(trials))
