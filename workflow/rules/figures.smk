# Publication figures, each as PDF (vector, fonts embedded), PNG (300 dpi) and SVG.
# Every file goes into the report with a caption naming the settings it was made with; what a
# figure leaves out (a group, an outcome or a waveform no trial has) is written to its notes
# file, which the caption includes and the run summary lists.
from lbprun.cohort import condition_labels

# Condition -> label with units: config figures.condition_labels, else "2.5 m/s" from speed_mps.
CONDITION_LABELS = condition_labels(TRIALS, labels=config["figures"].get("condition_labels"))
FIGURE_NOTES = [f"{RESULTS}/report/notes/{name}.rst" for name in FIGURES]


# Every waveform figure in one job (issue 16: a job run without the job server -- on a cluster,
# or with preload_jobs: false -- pays ~1.5 s of imports).
rule waveform_figure:
    priority: PRIORITY_CRITICAL  # common.smk
    input:
        waveforms=f"{RESULTS}/cohort/waveforms.parquet",
        clusters=f"{RESULTS}/stats/spm_clusters.csv",
    output:
        *[
            figure
            for name in WAVEFORM_FIGURES
            for figure in figure_outputs(name, waveform_caption(name.removeprefix("waveform_")))
        ],
        **{f"notes_{name}": f"{RESULTS}/report/notes/{name}.rst" for name in WAVEFORM_FIGURES},
    params:
        **rule_params(
            "waveforms", "conditions", "reference", "comparison", band=config["figures"]["band"]
        ),
        labels=CONDITION_LABELS,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/figures/waveforms.log",
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/waveform_figure.py"


# The discrete, vector-coding and QC figures: one job each. With the job server a job costs
# ~0.1 s of CPU, and the discrete figure alone is ~5 s: three jobs pack the two cores better
# than one of ~8.5 s (issue 16); each redraws only when its own inputs or settings change.
COHORT_FIGURES = {
    "discrete": {
        "input": {
            "subjects": f"{RESULTS}/cohort/subjects.csv",
            "tests": f"{RESULTS}/stats/group_tests.csv",
        },
        "params": rule_params(
            "conditions", "reference", "comparison", outcomes=config["figures"]["outcomes"]
        ),
        "priority": PRIORITY_FIGURES,
    },
    "vector_coding": {
        "input": {"subjects": f"{RESULTS}/cohort/subjects.csv"},
        "params": rule_params("conditions", "reference", "comparison"),
        "priority": PRIORITY_TABLES,
    },
    "qc": {
        "input": {
            "trials": f"{RESULTS}/cohort/trials.csv",
            "failed": f"{RESULTS}/cohort/failed_trials.csv",
        },
        "params": {},
        "priority": PRIORITY_TABLES,
    },
}

for _figure, _spec in COHORT_FIGURES.items():

    rule:
        name:
            f"{_figure}_figure"
        priority: _spec["priority"]  # common.smk
        input:
            **_spec["input"],
        output:
            *figure_outputs(_figure, f"{_figure}_figure"),
            notes=f"{RESULTS}/report/notes/{_figure}.rst",
        params:
            **_spec["params"],
            figure=_figure,
            labels=CONDITION_LABELS,
        conda:
            CONDA_ENV
        log:
            f"{RESULTS}/logs/figures/{_figure}.log",
        resources:
            mem_mb=1000,
            runtime=10,
        script:
            "../scripts/cohort_figure.py"
