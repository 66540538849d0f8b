"""Extract one batch of trials; write a per-trial log and the batch manifest (written last)."""

import json
import logging
import os
from pathlib import Path

import pandas as pd

from lbprun import logs, trial
from lbprun.settings import Settings

logs.to_file(snakemake.log[0])
jobs = snakemake.params.jobs
settings = Settings.from_config(snakemake.params.settings)
fields = ("path", "out_dir", "static", "mass_kg", "markerset", "condition")
results = trial.extract_many([{k: job[k] for k in fields} for job in jobs], settings=settings)

rows = []
for job, info in zip(jobs, results, strict=True):
    log_path = Path(snakemake.params.log_dir) / job["subject"] / f"{job['trial']}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(json.dumps({**job, **info}, indent=1, default=str) + "\n")
    logging.info("%s/%s: %s %s", job["subject"], job["trial"], info["status"], info["error"] or "")
    keys = ("subject", "trial", "condition", "path", "out_dir")
    row = {k: job[k] for k in keys}
    rows.append(
        row
        | {
            "status": info["status"],
            "error": info["error"] or "",
            "sha256": info.get("sha256") or "",
        }
    )

out = Path(snakemake.output[0])
tmp = out.with_suffix(".tmp")
pd.DataFrame(rows).to_csv(tmp, sep="\t", index=False)
os.replace(tmp, out)
