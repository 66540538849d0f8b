"""Per-condition group tests on subject-level outcomes -> results/stats/group_tests.csv."""

from lbprun import cohort, logs, stats

logs.to_file(snakemake.log[0])
p = snakemake.params.stats
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p["conditions"])
outcomes = p["outcomes"] or [o for o in cohort.OUTCOMES if o in subjects]
result = stats.group_tests(
    subjects,
    outcomes=outcomes,
    reference=p["reference"],
    comparison=p["comparison"],
    correction=p["correction"],
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
