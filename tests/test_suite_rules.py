"""Rules of the test suite itself (issue 15)."""

import re
from pathlib import Path

TESTS = Path(__file__).parent


def test_test_modules_never_import_each_other():
    """Shared data and builders live in tests/helpers/ (or conftest): a test module is never a library."""
    importing = {path.name: re.findall(r"^\s*(?:from|import) (test_\w+)", path.read_text(), re.MULTILINE)
                 for path in TESTS.glob("*.py")}
    assert {name: found for name, found in importing.items() if found} == {}
