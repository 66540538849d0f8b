# The built-in demo cohort. Its sheets are committed (config/demo/*.tsv) so that the DAG is
# known before anything runs; this rule generates the C3D files they name with lbprun.synth
# into RESULTS/demo, and fails with a clear message if config demo.* no longer matches the
# committed sheets. It exists only when the config names the built-in sheets (DEMO, see
# common.smk): a study's own sheets never make it run, whatever demo.enabled says.
if DEMO:

    rule demo_cohort:
        output:
            c3d=demo_files(),
            participants=f"{RESULTS}/demo/participants.tsv",
            trials=f"{RESULTS}/demo/trials.tsv",
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
