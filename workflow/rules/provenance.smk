# results/provenance.json: what every figure, table and statistic was made from -- the lbprun
# and Snakemake versions, the full configuration (all settings, defaults filled in), the sha256
# of both sheets and of each trial's C3D, and the sha256 of every output it vouches for.
# Written last, so a figure can be traced to its inputs (issue 7).

PROVENANCE = f"{RESULTS}/provenance.json"


rule provenance:
    input:
        outputs=all_targets(),
        participants=config["participants"],
        trials=config["trials"],
        cohort=f"{RESULTS}/cohort/trials.csv",
    output:
        PROVENANCE,
    params:
        config=config,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/provenance.log",
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/provenance.py"
