# Group statistics on subject-level data (SCIENCE.md, Statistics): one rule per output table.
# Each rule (here, in figures.smk and report.smk) receives as params exactly the settings its
# script uses, so that changing e.g. the SPM settings reruns only the SPM job and what reads
# its output (rule_params in common.smk; tests/test_rule_params.py).
# Job priorities: PRIORITY_* in common.smk.


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
