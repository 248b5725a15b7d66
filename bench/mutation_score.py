"""Mutation score per module from the last `mutmut run` (`make mutate` runs both).

    .venv/bin/python bench/mutation_score.py [--survivors]

Reads mutants/**/*.meta (mutmut 3). Score = (killed + timed out) / (all mutants − skipped): a mutant no test runs
("no tests") counts as surviving. `--survivors` lists the surviving mutants; `mutmut show NAME` prints one's diff.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants")
KILLED = {1, 3}
TIMEOUT = {36, 24, -24, 152, 255}
SKIPPED = {34}


def outcome(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in TIMEOUT:
        return "timeout"
    if code in SKIPPED:
        return "skipped"
    if code is None:
        return "not checked"
    return "survived" if code == 0 else ("no tests" if code in (5, 33) else "other")


def results() -> dict[str, dict[str, str]]:
    """{module path: {mutant name: outcome}}."""
    found = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        if codes:
            found[str(meta.relative_to(MUTANTS))[: -len(".meta")]] = {name: outcome(c) for name, c in codes.items()}
    return found


def main(argv: list[str]) -> int:
    modules = results()
    if not modules:
        print("no mutmut results: run `make mutate` (or .venv/bin/mutmut run) first")
        return 1
    print("| module | mutants | killed | survived | no tests | timeout | score |")
    print("|---|---|---|---|---|---|---|")
    for module, outcomes in modules.items():
        counts = Counter(outcomes.values())
        tested = len(outcomes) - counts["skipped"] - counts["not checked"]
        score = (counts["killed"] + counts["timeout"]) / tested if tested else 0.0
        print(f"| {module} | {len(outcomes)} | {counts['killed']} | {counts['survived']} | {counts['no tests']} | "
              f"{counts['timeout']} | {score:.0%} |")
    if "--survivors" in argv:
        for outcomes in modules.values():
            for name, result in sorted(outcomes.items()):
                if result in ("survived", "no tests"):
                    print(f"{result:9} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
