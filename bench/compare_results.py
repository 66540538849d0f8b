"""Compare two runs' output folders byte for byte, figures, report, logs and timestamps aside.

Usage: python bench/compare_results.py BEFORE/results AFTER/results

Compared: every file under ``cohort/``, ``stats/``, ``tables/``, ``batches/`` and
``trials/`` (per-trial outputs), ``summary.txt`` and ``summary.json``. Not compared:
``figures/`` (PDF/SVG embed creation dates), ``report/``, ``report.html``, ``logs/``,
``provenance.json`` (it records the lbprun version and the run's paths). Prints one RESULT line.
"""

from __future__ import annotations

import sys
from pathlib import Path

COMPARED = ("cohort", "stats", "tables", "batches", "trials")
SINGLE = ("summary.txt", "summary.json")


def files(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every compared file under ``root``."""
    found = {name: (root / name).read_bytes() for name in SINGLE if (root / name).is_file()}
    for part in COMPARED:
        for path in sorted((root / part).rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def main() -> None:
    before, after = (Path(arg) for arg in sys.argv[1:3])
    old, new = files(before), files(after)
    missing = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    differ = sorted(name for name in set(old) & set(new) if old[name] != new[name])
    for name in differ[:20]:
        print(f"differs: {name}")
    for name in missing[:20]:
        print(f"missing after: {name}")
    same = len(set(old) & set(new)) - len(differ)
    verdict = "byte-identical" if not (differ or missing) else "DIFFERENT"
    print(
        f"RESULT {same} of {len(old)} outputs ({', '.join(COMPARED + SINGLE)}) {verdict}; "
        f"{len(differ)} differ, {len(missing)} missing, {len(added)} new"
    )


if __name__ == "__main__":
    main()
