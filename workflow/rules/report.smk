# Tables for the paper (CSV, Markdown, LaTeX booktabs), every table again as an HTML page the
# report shows, the run summary (printed at the end, summary.txt, the report's front page) and
# the HTML report itself, built by the workflow so that it is never stale (issue 13).
from snakemake.logging import logger

from lbprun import report as lbprun_report

READABLE_TABLES = {
    "participants": f"{RESULTS}/tables/participants.csv",
    "outcomes": f"{RESULTS}/tables/outcomes.csv",
    **{name: f"{RESULTS}/stats/{name}.csv" for name in STATS_TABLES},
}
SUMMARY = f"{RESULTS}/summary.txt"
WITHOUT_TRIALS = sheets.participants_without_trials(PARTICIPANTS, TRIALS)
if WITHOUT_TRIALS:
    logger.warning(
        f"{config['participants']}: {len(WITHOUT_TRIALS)} participant(s) without trials in "
        f"{config['trials']}: {', '.join(WITHOUT_TRIALS[:20])}"
        + (" ..." if len(WITHOUT_TRIALS) > 20 else "")
    )
REPORT = f"{RESULTS}/report.html"


rule participants_table:
    input:
        participants=config["participants"],
    output:
        table_outputs("participants"),
    params:
        **rule_params("reference", "comparison"),
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
    priority: PRIORITY_TABLES  # common.smk
    input:
        subjects=f"{RESULTS}/cohort/subjects.csv",
        tests=f"{RESULTS}/stats/group_tests.csv",
    output:
        table_outputs("outcomes"),
    params:
        **rule_params("reference", "comparison", "correction"),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/tables/outcomes.log",
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/outcomes_table.py"


# Every table's HTML page in one job (issue 16: each job pays ~1.5 s of imports).
rule report_table:
    input:
        **READABLE_TABLES,
    output:
        **{
            name: report_file(
                f"{RESULTS}/report/tables/{name}.html",
                caption=caption_file(
                    f"table_{name}",
                    "report_table.rst",
                    caption=lbprun_report.table_caption(name, config=config)[1],
                ),
                category="Tables",
                labels={"table": name.replace("_", " ")},
            )
            for name in READABLE_TABLES
        },
    params:
        captions={name: lbprun_report.table_caption(name, config=config) for name in READABLE_TABLES},
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/tables/report_tables.log",
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/report_table.py"


rule run_summary:
    priority: PRIORITY_TABLES  # common.smk
    input:
        participants=config["participants"],
        trials_sheet=config["trials"],
        trials=f"{RESULTS}/cohort/trials.csv",
        failed=f"{RESULTS}/cohort/failed_trials.csv",
        group_tests=f"{RESULTS}/stats/group_tests.csv",
        notes=FIGURE_NOTES,
    output:
        text=SUMMARY,
        json=f"{RESULTS}/summary.json",
        html=report_file(
            f"{RESULTS}/report/summary.html",
            caption="../report/summary.rst",
            category="Run summary",
        ),
    localrule: True
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/run_summary.log",
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/run_summary.py"


rule report:
    input:
        all_targets(),
        expand(f"{RESULTS}/report/tables/{{name}}.html", name=READABLE_TABLES),
        PROVENANCE,
        summary=f"{RESULTS}/summary.json",
    output:
        REPORT,
    params:
        snakefile=workflow.main_snakefile,
    localrule: True
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/report.log",
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/build_report.py"


onsuccess:
    stop_job_server()  # common.smk
    # The run ends on what it made and what it could not, not on "100% done" alone.
    if Path(SUMMARY).is_file():
        text = Path(SUMMARY).read_text(encoding="utf-8")
        logger.info(f"\n{text}")
        logger.info(f"Report: {REPORT}")
