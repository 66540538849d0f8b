"""Which outcome separates the groups (leave-one-subject-out) -> results/stats/discriminant.csv."""

from lbprun import cohort, logs, stats

logs.to_file(snakemake.log[0])
p = snakemake.params.stats
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p["conditions"])
result = stats.discriminant(
    subjects,
    outcomes=p["outcomes"] or [o for o in cohort.OUTCOMES if o in subjects],
    reference=p["reference"],
    comparison=p["comparison"],
    shrinkage=p["discriminant_shrinkage"],
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
