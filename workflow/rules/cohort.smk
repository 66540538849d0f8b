# Gather every batch's trials into the cohort tables. lbprun.cohort.gather streams one trial
# folder at a time, so this job's memory does not grow with the cohort (issue 6).


rule gather_cohort:
    input:
        manifests=batch_manifests(),
        participants=config["participants"],
        trials=config["trials"],
    output:
        **{name: f"{RESULTS}/cohort/{name}.csv" for name in COHORT_TABLES},
        waveforms=f"{RESULTS}/cohort/waveforms.parquet",
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/gather_cohort.log",
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/gather_cohort.py"
