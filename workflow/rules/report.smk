# Tables for the paper (CSV, Markdown, LaTeX booktabs), each in the report with its caption.
# The HTML report itself is built by `snakemake --report results/report.html` from every
# report() output of the workflow (see workflow/report/workflow.rst).


rule participants_table:
    input:
        participants=config["participants"],
    output:
        table_outputs("participants"),
    params:
        stats=STATS_PARAMS,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/tables/participants.log",
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/participants_table.py"


rule outcomes_table:
    input:
        subjects=f"{RESULTS}/cohort/subjects.csv",
        tests=f"{RESULTS}/stats/group_tests.csv",
    output:
        table_outputs("outcomes"),
    params:
        stats=STATS_PARAMS,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/tables/outcomes.log",
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/outcomes_table.py"
