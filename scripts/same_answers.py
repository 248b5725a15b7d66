"""Do two eval runs give the same answers? Compares `run.jsonl` item by item, every field but the timing.

    .venv/bin/python scripts/same_answers.py BEFORE_DIR AFTER_DIR [MORE_BEFORE MORE_AFTER ...]

For a change that must not change behaviour (a refactor): run `studybot eval --no-report --out DIR` on `dev` and
`test` before and after (under one PYTHONHASHSEED when the older code weighs terms in a set's order), then compare.
Exit 1 and name the items when anything differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TIMING_FIELDS = {"ms"}  # wall time per item: differs from run to run


def answers(folder: Path) -> dict[str, dict]:
    lines = (folder / "run.jsonl").read_text(encoding="utf-8").splitlines()
    records = (json.loads(line) for line in lines if line.strip())
    return {r["id"]: {k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in records}


def differences(before: Path, after: Path) -> list[str]:
    old, new = answers(before), answers(after)
    found = [f"{before} has {sorted(old.keys() - new.keys())} that {after} lacks"] if old.keys() - new.keys() else []
    if new.keys() - old.keys():
        found.append(f"{after} has {sorted(new.keys() - old.keys())} that {before} lacks")
    found += [f"{item}: {field} differs" for item in sorted(old.keys() & new.keys())
              for field in sorted(old[item].keys() | new[item].keys()) if old[item].get(field) != new[item].get(field)]
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for before, after in zip(argv[::2], argv[1::2], strict=True):
        found = differences(Path(before), Path(after))
        print(f"{before} vs {after}: {len(answers(Path(after)))} items, "
              + ("identical answers" if not found else f"{len(found)} differences"))
        for line in found[:20]:
            print(f"  {line}")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
