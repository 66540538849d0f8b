"""Extract one batch of trials; write a per-trial log and the batch manifest (written last)."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from lbprun import logs, steps, trial
from lbprun.settings import Settings

logs.to_file(snakemake.log[0])
jobs = snakemake.params.jobs
fields = ("path", "out_dir", "static", "mass_kg", "markerset", "condition")
results = trial.extract_many(
    [{k: job[k] for k in fields} for job in jobs],
    settings=Settings.from_config(snakemake.params.settings),
)
steps.write_batch(jobs, results, manifest=snakemake.output[0], log_dir=snakemake.params.log_dir)
