"""One module's mutants against chosen test files, in minutes instead of `make mutate`'s hours.

    .venv/bin/python bench/mutants_against.py bot/ingest/clean.py tests/test_load.py [--timeout 60]

Needs the mutants mutmut generated (`make mutate` started once; `mutants/` keeps them). Each mutant runs in a child
forked from one process that has imported pytest and the project, with mutmut's own switch
(`set_mutant_under_test`), against the tests named here, from the project's `tests/` (so tests written since the
mutants were made count). A mutant they do not kill survives, even if a test elsewhere would kill it: the score is a
lower bound for `make mutate`'s, which runs every test that reaches the function. Prints the survivors and a score
line; `mutmut show NAME` shows one.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
PYTEST_ARGS = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
               "-m", "not slow and not browser and not spawns"]


def mutant_names(module: str) -> list[str]:
    meta = MUTANTS / f"{module}.meta"
    if not meta.exists():
        sys.exit(f"no mutants of {module} in {MUTANTS}: start `make mutate` once to generate them")
    if (ROOT / module).stat().st_mtime > (MUTANTS / module).stat().st_mtime:
        print(f"note: {module} changed after its mutants were made; `make mutate` regenerates them", file=sys.stderr)
    return list(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])


def run_one(name: str, tests: list[str], timeout: int) -> int:
    """pytest's exit code for one mutant (0: it survived), or -1 when it ran out of time."""
    from mutmut.mutation.trampoline import set_mutant_under_test

    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.alarm(timeout)  # a mutant that loops forever is killed by the alarm's default action
        set_mutant_under_test(name)
        import pytest

        os._exit(int(pytest.main([*PYTEST_ARGS, *tests])))
    _, status = os.waitpid(pid, 0)
    return -1 if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="a path mutmut mutates, e.g. bot/ingest/clean.py")
    parser.add_argument("tests", nargs="+", help="test files or node ids, relative to the project")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per mutant before it counts as killed")
    args = parser.parse_args(argv)
    names = mutant_names(args.module)
    tests = [str(ROOT / t) for t in args.tests]
    os.chdir(MUTANTS)
    sys.path.insert(0, str(MUTANTS))  # the mutated package, ahead of the project's own
    import pytest  # noqa: F401  (imported once here, shared by every forked child)

    __import__(args.module.removesuffix(".py").replace("/", "."))
    survivors, timeouts = [], 0
    for name in names:
        code = run_one(name, tests, args.timeout)
        timeouts += code == -1
        if code == 0:
            survivors.append(name)
            print("survived", name, flush=True)
    killed = len(names) - len(survivors)
    score = killed / len(names) if names else 0.0
    print(f"{args.module} against {' '.join(args.tests)}: {len(names)} mutants, {killed} killed "
          f"({timeouts} by timeout), {len(survivors)} survived, score {score:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
