"""Per-condition group tests on subject-level outcomes -> results/stats/group_tests.csv."""

from lbprun import jobserver

jobserver.hand_over()  # run in the preloaded job server if there is one (issue 16)

from lbprun import cohort, logs, stats, steps

logs.to_file(snakemake.log[0])
p = snakemake.params
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p.conditions)
result = stats.group_tests(
    subjects,
    outcomes=steps.outcomes_to_test(p.outcomes, subjects),
    reference=p.reference,
    comparison=p.comparison,
    correction=p.correction,
)
result.to_csv(snakemake.output[0], index=False, lineterminator="\n")
