"""Vector-coding coordination patterns by group and condition -> results/figures/vector_coding.*."""

from pathlib import Path

from lbprun import cohort, figures, logs, report

logs.to_file(snakemake.log[0])
p = snakemake.params
subjects = cohort.read_subjects(snakemake.input.subjects, conditions=p.conditions)
fig = figures.vector_coding_figure(subjects, groups=(p.reference, p.comparison), labels=p.labels)
report.write_notes(snakemake.output.notes, figures.notes_of(fig))
figures.save(fig, Path(snakemake.output[0]).with_suffix(""))
