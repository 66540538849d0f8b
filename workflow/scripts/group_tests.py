"""Per-condition group tests on subject-level outcomes -> results/stats/group_tests.csv."""

import logging

from lbprun import cohort, stats

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, filemode="w")
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
