# lbprun: running biomechanics in low back pain, from C3D trials to a paper's statistics,
# figures, tables and report. Run `snakemake --cores 2` (demo) or add `--configfile FILE`; the
# run ends with a summary and results/report.html. The workflow itself is workflow/Snakefile
# (the Snakemake catalog layout, usable as a module).
include: "workflow/Snakefile"


# An included file's default target does not carry over: name it here.
rule everything:
    input:
        rules.all.input,
    default_target: True
