# Config and sheets are validated here, while the DAG is built, so that a wrong key, a missing
# column, an unknown group label, a hostile path, a missing file, an output folder overlapping
# the data or a run already in progress stops the run before any job starts. The checks live in
# lbprun.sheets and lbprun.study (tested without Snakemake).
import hashlib
import json
import os
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from lbprun import jobserver, sheets, steps, study

min_version("9.0")

# From this file's folder, so that the workflow also works as a module (workflow/Snakefile).
REPO_DIR = Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).parents[1]
SCHEMAS = REPO_DIR / "workflow" / "schemas"
# The built-in demo's sheets: only a config naming exactly these generates the demo cohort.
DEMO_SHEETS = REPO_DIR / "config" / "demo"
# Relative to workflow/rules/: the root environment.yml (same packages as `make install`).
CONDA_ENV = "../../environment.yml"

try:
    # One sentence naming the key first; then snakemake's validate fills in the defaults.
    sheets.validate_config(config, schema=sheets.read_schema(SCHEMAS / "config.schema.yaml"))
    validate(config, SCHEMAS / "config.schema.yaml")
    # Everything the workflow writes goes under RESULTS (config output_dir), one per study.
    RESULTS = os.path.normpath(config["output_dir"])
    # The demo is generated only when asked for, and only into its own folder of the outputs.
    DEMO = sheets.demo_requested(config, builtin_dir=DEMO_SHEETS)
    if DEMO:
        config["data_dir"] = f"{RESULTS}/demo"
    sheets.check_layout(config, results=RESULTS, generated=DEMO)
    PARTICIPANTS, TRIALS = sheets.load_sheets(config, schema_dir=SCHEMAS, generated=DEMO)
except sheets.SheetError as err:
    raise WorkflowError(str(err)) from None

# `report(` cannot start a line in a .smk file (the parser takes it for the `report:` keyword).
report_file = report

# Jobs are built once for the whole sheet, then cut into batches (see trials.smk).
JOBS = sheets.batches(
    sheets.trial_jobs(
        TRIALS,
        participants=PARTICIPANTS,
        data_dir=config["data_dir"],
        out_root=f"{RESULTS}/trials",
        markerset=config["markerset"],
    ),
    batch_size=config["batch_size"],
    min_batches=config["min_batches"],
)
# One folder of batch input stamps per output folder (see batch_inputs), named by its path.
OUTPUT_KEY = hashlib.sha256(os.path.abspath(RESULTS).encode()).hexdigest()[:16]
INPUT_STAMPS = Path(".snakemake", "lbprun", "inputs", OUTPUT_KEY)
FIGURE_FORMATS = ["pdf", "png", "svg"]

# Priorities (issue 16): longest first, so that on 2 cores no long job is left to run alone at
# the end. After gathering come two chains of about fixed length (~7-8 s of CPU each),
# spm_clusters -> waveform_figure and group_tests -> discrete_figure, and the mixed models, one
# job whose CPU grows with the subjects (~1.3 s + ~0.04 s a subject: 2.6 s at 20 subjects,
# 9 s at 200): first in a cohort where it is the longest, after the chains in a small one.
# Extraction goes before everything it can run beside (the participants table): on 2 cores the
# demo's two batches then start together. Only the order changes, never an output.
PRIORITY_EXTRACT = 40  # extract_batch
PRIORITY_CRITICAL = 20  # spm_clusters, waveform_figure
PRIORITY_FIGURES = 10  # group_tests, discrete_figure
PRIORITY_MIXED = 30 if TRIALS["subject"].nunique() > 150 else 5  # mixed_models
# Small jobs ready halfway (after group_tests, after the figures): in the chains' wake, not
# one after another at the end, where each left a core idle.
PRIORITY_TABLES = 6  # outcomes_table, run_summary, vector_coding_figure, qc_figure

TABLES = ["participants", "outcomes"]
TABLE_FORMATS = ["csv", "md", "tex"]
COHORT_TABLES = ["trials", "stances", "strides", "subjects", "failed_trials"]
STATS_TABLES = ["group_tests", "mixed_models", "spm_clusters", "associations", "discriminant"]
WAVEFORM_FIGURES = [f"waveform_{name}" for name in config["stats"]["waveforms"]]
FIGURES = [*WAVEFORM_FIGURES, "discrete", "vector_coding", "qc"]


wildcard_constraints:
    batch=r"b\d{4}",
    table="|".join(TABLES),


def rule_params(*keys, **named):
    """Params of one rule: the named settings, each under its own name.

    ``keys`` are ``stats`` keys, or ``reference`` and ``comparison`` (config ``groups``) and
    ``conditions``; ``named`` adds other values (e.g. a ``figures`` key).
    """
    top = {
        "reference": config["groups"]["reference"],
        "comparison": config["groups"]["comparison"],
        "conditions": config["conditions"],
    }
    return {key: top[key] if key in top else config["stats"][key] for key in keys} | named


def batch_jobs(wildcards):
    """Extraction jobs of one batch: plain dicts, so a sheet edit reruns only that batch."""
    return JOBS[wildcards.batch]


def batch_inputs(wildcards):
    """What a batch depends on: its C3D files (trials and statics), through one stamp.

    Touching or editing one file reruns that batch only. A user's files stand behind one
    stamp per batch (lbprun.steps.inputs_stamp: their sizes and times, dated like the newest;
    in .snakemake, one folder per output folder), since Snakemake's cost per declared input
    dominated a large cohort's DAG build (issue 16). The demo's files are declared themselves:
    the demo rule makes them, so Snakemake must see them to run it first.
    """
    files = []
    for job in batch_jobs(wildcards):
        files.append(job["path"])
        if job["static"]:
            files.append(job["static"])
    files = sorted(set(files))
    if DEMO:
        return files
    stamp = Path(INPUT_STAMPS, f"{wildcards.batch}.tsv")
    return steps.inputs_stamp(stamp, files, write=workflow.is_main_process)


def batch_manifests():
    """One manifest per batch, listing its trials' output folders and status."""
    return [f"{RESULTS}/batches/{batch}.tsv" for batch in JOBS]


def study_inputs():
    """Every file the study reads: both sheets and each trial's C3D and static."""
    jobs = [job for batch_jobs in JOBS.values() for job in batch_jobs]
    statics = {job["static"] for job in jobs if job["static"]}
    return sorted({job["path"] for job in jobs} | statics)


def demo_files():
    """Every C3D the demo rule generates (the built-in sheets' paths, under RESULTS/demo)."""
    return study_inputs()


def check_rule_outputs():
    """Stop the DAG build if any rule could write outside RESULTS or over a study input."""
    outputs = {rule.name: [str(f) for f in rule.output] for rule in workflow.rules}
    inputs = [config["participants"], config["trials"], *study_inputs()]
    try:
        sheets.check_outputs(outputs, inputs=inputs, results=RESULTS)
    except sheets.SheetError as err:
        raise WorkflowError(str(err)) from None


def claim_output_folder():
    """Lock RESULTS for this run (lbprun.study), or stop with one sentence saying who holds it.

    One run at a time per output folder and one study per folder. Taken in the main Snakemake
    process only (jobs that re-read the Snakefile must not) and held until it ends; a killed
    run's Snakemake locks and incomplete markers for RESULTS are cleared, so rerunning the same
    command resumes. Returns the lock, to be kept referenced.
    """
    if not workflow.is_main_process:
        return None
    try:
        return study.claim(RESULTS, config=config, snakemake_dir=".snakemake")
    except study.StudyError as err:
        raise WorkflowError(str(err)) from None


def all_targets():
    """Every output of CONTRACT.md but the report and run summary (report.smk adds those)."""
    return [
        *expand(f"{RESULTS}/cohort/{{name}}.csv", name=COHORT_TABLES),
        *expand(f"{RESULTS}/stats/{{name}}.csv", name=STATS_TABLES),
        *expand(f"{RESULTS}/tables/{{t}}.{{ext}}", t=TABLES, ext=TABLE_FORMATS),
        *expand(f"{RESULTS}/figures/{{f}}.{{ext}}", f=FIGURES, ext=FIGURE_FORMATS),
    ]


def figure_outputs(name, caption):
    """The three files of one figure, each wrapped for the report.

    ``caption``: a file name in workflow/report/ without ``.rst``, or an absolute path.
    """
    if not os.path.isabs(caption):
        caption = f"../report/{caption}.rst"
    return [
        report_file(
            f"{RESULTS}/figures/{name}.{ext}",
            caption=caption,
            category="Figures",
            subcategory=name,
            labels={"figure": name, "format": ext},
        )
        for ext in FIGURE_FORMATS
    ]


def caption_file(name, template, **values):
    """Path of a report caption: workflow/report/``template`` with ``values`` set in Jinja.

    For the outputs of a job that makes several figures or pages (one process pays the imports
    once, issue 16): a caption cannot take the figure from the job's wildcards, so each file
    gets its own, written into .snakemake/lbprun/captions/ while the DAG is built (atomic,
    only when changed).
    """
    header = "".join(
        f"{{% set {key} = {json.dumps(value, ensure_ascii=False)} %}}" for key, value in values.items()
    )
    text = header + (REPO_DIR / "workflow" / "report" / template).read_text()
    path = Path(".snakemake", "lbprun", "captions", f"{name}.rst").resolve()
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        steps.replace_text(path, text)
    return str(path)


def waveform_caption(waveform):
    """Caption of one waveform figure (waveform_figure.rst with ``w`` and ``notes``)."""
    notes = f"{RESULTS}/report/notes/waveform_{waveform}.rst"
    return caption_file(f"waveform_{waveform}", "waveform_figure.rst", w=waveform, notes=notes)


def table_outputs(name):
    """The three files of one table, each wrapped for the report."""
    return [
        report_file(
            f"{RESULTS}/tables/{name}.{ext}",
            caption=f"../report/{name}_table.rst",
            category="Tables",
            subcategory=name,
            labels={"table": name, "format": ext},
        )
        for ext in TABLE_FORMATS
    ]


# Jobs run in copies of one process that has imported the libraries once (lbprun.jobserver,
# issue 16): local runs only; on a cluster executor every job runs where the executor put it.
_JOB_SERVER = []


def start_job_server():
    """Start the job server, preloading what this run's jobs import (config ``preload_jobs``)."""
    if not (config["preload_jobs"] and workflow.local_exec and jobserver.available()):
        return
    scripts = {Path(job.rule.script).stem for job in workflow.dag.needrun_jobs() if job.rule.script}
    if scripts:
        _JOB_SERVER.append(jobserver.start(jobserver.preload_for(scripts)))


def stop_job_server():
    """End the job server (it also ends on its own when this process does)."""
    while _JOB_SERVER:
        _JOB_SERVER.pop().stop()


onstart:
    start_job_server()


onerror:
    stop_job_server()
