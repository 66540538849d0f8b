# Group statistics on subject-level data (SCIENCE.md, Statistics): one rule per output table.
# Each rule (here, in figures.smk and report.smk) receives as params exactly the settings its
# script uses, so that changing e.g. the SPM settings reruns only the SPM job and what reads
# its output (rule_params in common.smk; tests/test_rule_params.py).
#
# Priorities (issue 16): longest first, so that on 2 cores no long job is left to run alone at
# the end. After gathering come two chains of about fixed length (~7-8 s of CPU each),
# spm_clusters -> waveform_figure and group_tests -> cohort_figures, and the mixed models, one
# job whose CPU grows with the subjects (~1.3 s + ~0.04 s a subject: 2.6 s at 20 subjects,
# 9 s at 200): first in a cohort where it is the longest, after the chains in a small one.
# Only the order changes, never an output.
PRIORITY_CRITICAL = 20  # spm_clusters, waveform_figure
PRIORITY_FIGURES = 10  # group_tests, cohort_figures
PRIORITY_MIXED = 30 if TRIALS["subject"].nunique() > 150 else 5  # mixed_models


rule group_tests:
    priority: PRIORITY_FIGURES
    input:
        subjects=f"{RESULTS}/cohort/subjects.csv",
    output:
        report(
            f"{RESULTS}/stats/group_tests.csv",
            caption="../report/group_tests.rst",
            category="Statistical tests",
        ),
    params:
        **rule_params("outcomes", "correction", "conditions", "reference", "comparison"),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/stats/group_tests.log",
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/group_tests.py"


rule mixed_models:
    priority: PRIORITY_MIXED
    input:
        subjects=f"{RESULTS}/cohort/subjects.csv",
    output:
        report(
            f"{RESULTS}/stats/mixed_models.csv",
            caption="../report/mixed_models.rst",
            category="Statistical tests",
        ),
    params:
        **rule_params("outcomes", "covariates", "conditions", "reference"),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/stats/mixed_models.log",
    resources:
        mem_mb=1000,
        runtime=20,
    script:
        "../scripts/mixed_models.py"


rule spm_clusters:
    priority: PRIORITY_CRITICAL
    input:
        waveforms=f"{RESULTS}/cohort/waveforms.parquet",
    output:
        report(
            f"{RESULTS}/stats/spm_clusters.csv",
            caption="../report/spm_clusters.rst",
            category="Statistical tests",
        ),
    params:
        **rule_params(
            "waveforms",
            "alpha",
            "spm_nonparametric",
            "spm_iterations",
            "conditions",
            "reference",
            "comparison",
        ),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/stats/spm_clusters.log",
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/spm_clusters.py"


rule discriminant:
    input:
        subjects=f"{RESULTS}/cohort/subjects.csv",
    output:
        report(
            f"{RESULTS}/stats/discriminant.csv",
            caption="../report/discriminant.rst",
            category="Statistical tests",
        ),
    params:
        **rule_params("outcomes", "discriminant_shrinkage", "conditions", "reference", "comparison"),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/stats/discriminant.log",
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/discriminant.py"


rule associations:
    input:
        stances=f"{RESULTS}/cohort/stances.csv",
        subjects=f"{RESULTS}/cohort/subjects.csv",
    output:
        report(
            f"{RESULTS}/stats/associations.csv",
            caption="../report/associations.rst",
            category="Statistical tests",
        ),
    params:
        **rule_params("association_min_subjects", "reference"),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/stats/associations.log",
    resources:
        mem_mb=2000,
        runtime=20,
    script:
        "../scripts/associations.py"
