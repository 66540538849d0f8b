# lbprun: running biomechanics in low back pain, from C3D trials to a paper's statistics,
# figures, tables and report. Run `snakemake --cores 2` (demo) or add `--configfile FILE`.
configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/trials.smk"
include: "workflow/rules/cohort.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/provenance.smk"


rule all:
    input:
        all_targets(),
        PROVENANCE,
    default_target: True


# Last, once every rule exists: no rule may write outside the study's output folder.
check_rule_outputs()
