"""Check that a speed change leaves every per-trial output byte-identical.

Extracts the real running files of the corpus (with their static trials where they have one)
and a few generated demo trials (treadmill and overground) twice: with the code of a git
reference and with the working tree. The reference defaults to the commit of main the working
tree is based on (``git merge-base HEAD main``), so that changes others landed since are not
counted; it is exported with ``git archive`` into a temporary folder. Each run is a fresh
Python process with its own ``PYTHONPATH``. Then ``trial.json``, ``stances.csv``,
``strides.csv`` and ``waveforms.npz`` of every trial are compared bit for bit.
``trial.json`` holds no timing field, so nothing is excluded.

With ``--workflow``, the cohort-level outputs instead: a small generated demo cohort (three
runners per group, two treadmill speeds) goes through the whole Snakemake workflow once with the
reference tree (``git archive`` of the repo) and once with the working tree, each in its own
folder with its own ``PYTHONPATH``; then every file under the output folder is compared bit for
bit except the figures, the report, logs and run bookkeeping (:data:`WORKFLOW_SKIP`); with
``--figures`` the figures too (they are written byte-stable: no dates, salted SVG ids).

Usage: python bench/check_identical.py [--ref REF] [--corpus DIR] [--cache DIR]
       [--workflow [--figures]]
Exit status 1 when any file differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("LBPRUN_C3D_DIR", REPO.parent / "shared" / "data" / "c3d"))
DEFAULT_CACHE = Path(os.environ.get("LBPRUN_BENCH_CACHE", "/tmp/lbprun-bench"))
# (dynamic trial, static trial or None), relative to the corpus
CORPUS_TRIALS = (
    ("dorn2012_flash-running/JA1Gait21.c3d", "dorn2012_flash-running/JA1Static05.c3d"),
    ("bmc-ric/RBDS001runT35.c3d", None),
    ("bmc-ric/RBDS001runT35.c3d", "bmc-ric/RBDS001static.c3d"),
    ("bmc-ric/20140515T133244_run.c3d", "bmc-ric/20140515T133244_static.c3d"),
    ("pyorerun/Running_0002.c3d", None),
    ("theia-sanford/pose_filt_2.c3d", None),
)
OUTPUTS = ("trial.json", "stances.csv", "strides.csv", "waveforms.npz")
# --workflow: output folders and files not compared (images, HTML, logs, run bookkeeping)
WORKFLOW_SKIP = (
    "figures/", "report/", "logs/", "batches/", "report.html", "provenance.json",
    "summary.txt", "summary.json", "lbprun.lock", "study.json",
)  # fmt: skip

# runs in the child: extract every job into its own folder
CHILD = """
import json, sys, warnings
warnings.simplefilter("ignore")
from lbprun import trial
for job in json.loads(sys.argv[1]):
    trial.extract(job["path"], job["out_dir"], static=job["static"], mass_kg=70.0)
"""


def demo_trials(cache: Path) -> list[Path]:
    """Two treadmill and two overground demo trials (generated once into the cache)."""
    from lbprun.synth import write_cohort

    files = []
    for setup in ("treadmill", "overground"):
        folder = cache / f"identical-{setup}"
        if not (folder / "trials.tsv").is_file():
            write_cohort(folder, n_per_group=1, speeds_mps=(3.0,), seed=3, setup=setup)
        files += sorted((folder / "c3d").glob("*.c3d"))
    return files


def run_extraction(src: Path, jobs: list[dict], out: Path) -> None:
    """Extract ``jobs`` into ``out`` with the lbprun package found in ``src``."""
    jobs = [{**job, "out_dir": str(out / job["name"])} for job in jobs]
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", CHILD, json.dumps(jobs)], env=env, check=True)


def export_ref(ref: str, dest: Path, *paths: str) -> Path:
    """Unpack ``git archive`` of ``ref`` (``paths``, default ``src``) into ``dest``; its ``src``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, *(paths or ("src",))],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def run_workflow(tree: Path, cohort: Path, workdir: Path) -> None:
    """Run the workflow of the repo copy ``tree`` on the cohort, outputs in ``workdir/results``."""
    import yaml

    workdir.mkdir(parents=True)
    config = {
        "participants": str(cohort / "participants.tsv"),
        "trials": str(cohort / "trials.tsv"),
        "data_dir": str(cohort),
        "output_dir": "results",
        "demo": {"enabled": False},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(tree / "src"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
    cmd = [str(bin_dir / "snakemake"), "-s", str(tree / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(workdir / "config.yaml"), "--cores", "2", "-q"]  # fmt: skip
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)


def compare_workflow(ref: str, cache: Path, *, figures: bool = False) -> int:
    """Whole-workflow mode: cohort, stats and table files of both trees, byte for byte."""
    from lbprun.synth import write_cohort

    cohort = cache / "identical-workflow"
    if not (cohort / "trials.tsv").is_file():
        write_cohort(cohort, n_per_group=3, speeds_mps=(2.5, 3.5), seed=1, setup="treadmill")
    skip = tuple(s for s in WORKFLOW_SKIP if not (figures and s == "figures/"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "tree").mkdir()
        export_ref(ref, tmp / "tree", ".")
        run_workflow(tmp / "tree", cohort, tmp / "ref")
        run_workflow(REPO, cohort, tmp / "new")
        files = sorted(
            p.relative_to(tmp / "ref" / "results")
            for p in (tmp / "ref" / "results").rglob("*")
            if p.is_file() and not str(p.relative_to(tmp / "ref" / "results")).startswith(skip)
        )
        differ = []
        for name in files:
            new = tmp / "new" / "results" / name
            if (
                not new.is_file()
                or new.read_bytes() != (tmp / "ref" / "results" / name).read_bytes()
            ):
                differ.append(str(name))
        tops = sorted({f.parts[0] for f in files})
    if differ:
        print(f"RESULT {len(differ)} of {len(files)} workflow output files differ from {ref}:")
        print("\n".join(f"  {d}" for d in differ))
        return 1
    print(f"RESULT all {len(files)} workflow output files ({', '.join(tops)}) byte-identical "
          f"to {ref}")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default=None, help="git reference (default: merge-base)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--workflow", action="store_true", help="compare cohort-level outputs")
    parser.add_argument("--figures", action="store_true", help="--workflow: figures/ too")
    args = parser.parse_args()
    if args.ref is None:
        args.ref = subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()[:10]
    if args.workflow:
        return compare_workflow(args.ref, args.cache, figures=args.figures)
    jobs = []
    for dynamic, static in CORPUS_TRIALS:
        if (args.corpus / dynamic).is_file():
            name = Path(dynamic).stem + ("_static" if static else "")
            static_path = str(args.corpus / static) if static else None
            jobs.append({"name": name, "path": str(args.corpus / dynamic), "static": static_path})
    for demo in demo_trials(args.cache):
        name = f"{demo.parents[1].name}-{demo.stem}"
        jobs.append({"name": name, "path": str(demo), "static": None})
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ref_src = export_ref(args.ref, tmp)
        run_extraction(ref_src, jobs, tmp / "ref")
        run_extraction(REPO / "src", jobs, tmp / "new")
        differ = []
        for job in jobs:
            for name in OUTPUTS:
                a, b = tmp / "ref" / job["name"] / name, tmp / "new" / job["name"] / name
                if a.read_bytes() != b.read_bytes():
                    differ.append(f"{job['name']}/{name}")
            status = json.loads((tmp / "new" / job["name"] / "trial.json").read_text())["status"]
            print(f"{job['name']:<34} {status}")
    n_files = len(jobs) * len(OUTPUTS)
    if differ:
        print(f"RESULT {len(differ)} of {n_files} output files differ from {args.ref}:")
        print("\n".join(f"  {d}" for d in differ))
        return 1
    print(f"RESULT all {n_files} output files of {len(jobs)} trials byte-identical to {args.ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
