"""Mixed models outcome ~ group * condition + (1 | subject) -> results/stats/mixed_models.csv."""

from lbprun import cohort, logs, stats

logs.to_file(snakemake.log[0])
p = snakemake.params.stats
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p["conditions"])
outcomes = p["outcomes"] or [o for o in cohort.OUTCOMES if o in subjects]
result = stats.mixed_models(
    subjects, outcomes=outcomes, covariates=p["covariates"], reference=p["reference"]
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
