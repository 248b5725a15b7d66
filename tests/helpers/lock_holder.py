"""A child process that holds the ingest lock of an index for a while: the other ingest under test is real."""

import subprocess
import sys
from pathlib import Path

HOLD = """
import sys, time
from bot.ingest.index import ingest_lock
from bot.settings import Settings
with ingest_lock(Settings.from_env({}, index_dir=sys.argv[1])):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_the_ingest_lock(index_dir: Path, seconds: float) -> subprocess.Popen:
    """Returns once the child holds the lock; it lets go after `seconds` (or when killed)."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(index_dir), str(seconds)], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout.readline().strip() == "holding"
    return child
