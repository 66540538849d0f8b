# Per-trial extraction, in fixed-size batches (issue 6).
#
# Why batches: a `script:` job costs ~1.5 s of CPU before any work (imports, scheduling; ~0.1 s
# on a local run, where lbprun.jobserver has done the imports once, but not on a cluster), more
# than reading 20 trials, and `group:` jobs do nothing in local execution. So one job extracts up
# to `batch_size` trials in one process (lbprun.trial.extract_many); a small cohort is cut into
# `min_batches` jobs so that every core extracts (lbprun.sheets.batches).
#
# Why no checkpoint: batch membership is a pure function of the trials sheet sorted by subject
# and trial (lbprun.sheets.batches), so the whole DAG is known when Snakemake starts.
#
# What Snakemake tracks: each batch job's input stands for exactly its trials' C3D files (and
# statics): one stamp listing their sizes and times, dated like the newest (batch_inputs in
# common.smk; the demo's generated files are declared themselves); its params are its trials'
# job descriptions (path, mass, marker set, condition) and the processing settings, and its
# output is a manifest (results/batches/{batch}.tsv) listing each trial's output folder, status
# and the sha256 of its C3D. Touching or editing one trial therefore reruns only its batch,
# then the gathers downstream. The per-trial files
# (results/trials/{subject}/{trial}/...) are written atomically by lbprun.trial and are not
# declared as outputs: Snakemake outputs cannot vary in number per job of one rule, and one rule
# per batch would slow DAG construction for large cohorts. The manifest is written last, so an
# interrupted batch has no manifest and is rerun whole (`--rerun-incomplete`).
# Trade-off: inserting a trial into the sheet shifts later batch boundaries and reruns them.


rule extract_batch:
    priority: PRIORITY_EXTRACT  # common.smk
    input:
        batch_inputs,
    output:
        f"{RESULTS}/batches/{{batch}}.tsv",
    params:
        jobs=batch_jobs,
        settings={key: config[key] for key in ("filters", "events", "kinetics", "coordination", "markerset")},
        log_dir=f"{RESULTS}/logs/trials",
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/batches/{{batch}}.log",
    resources:
        mem_mb=1500,
        runtime=lambda wildcards, attempt: 30 * attempt,
    script:
        "../scripts/extract_batch.py"
