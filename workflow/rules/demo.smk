# The built-in demo cohort. Its sheets are committed (config/demo/*.tsv) so that the DAG is
# known before anything runs; this rule generates the C3D files they name with lbprun.synth,
# and fails with a clear message if config demo.* no longer matches the committed sheets.
if config["demo"]["enabled"]:

    rule demo_cohort:
        output:
            demo_files(),
        params:
            demo=config["demo"],
            participants=config["participants"],
            trials=config["trials"],
        conda:
            CONDA_ENV
        log:
            f"{RESULTS}/logs/demo_cohort.log",
        resources:
            mem_mb=1000,
            runtime=10,
        script:
            "../scripts/demo_cohort.py"
