"""No gold data reaches the bot (issue 15): the probe runs ingest, build_bot and asks, extractive and through a chat
model, in a fresh interpreter whose audit hook is installed before any project import, and reports every opened
file whose bytes are a gold file's or that holds gold questions, whatever its name or place."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env

from bot.settings import ROOT

pytestmark = pytest.mark.slow
PROBE = Path(__file__).parent / "leak_probe.py"
GOLD_FILES = sorted(str(p) for p in (ROOT / "evals" / "gold").glob("*.jsonl"))


def probe(settings, **env: str) -> dict:
    done = subprocess.run([sys.executable, str(PROBE), *GOLD_FILES], capture_output=True, text=True, timeout=600,
                          env=cli_env(settings) | {"HF_HUB_OFFLINE": "1"} | env, cwd=str(ROOT))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_gold_file_is_opened_on_the_extractive_or_the_model_path(real_settings):
    report = probe(real_settings)
    assert report["opened"] > 100, "the hook saw too few opens to mean anything"
    assert report["leaks"] == []
    assert report["extractive_refused"] == [False, False, True]
    assert report["model_calls"] >= 2  # the model path really ran (the refused question never reaches it)


def test_the_probe_catches_a_renamed_copy_of_a_gold_set(real_settings, tmp_path):
    disguised = tmp_path / "aliases_extra.tsv"
    shutil.copyfile(ROOT / "evals" / "gold" / "dev.jsonl", disguised)
    report = probe(real_settings, LEAK_PROBE_CONTROL=str(disguised))
    assert report["leaks"] == [f"{disguised}: the bytes of a gold file"]
    rewritten = tmp_path / "notes.txt"
    rows = [json.loads(line) for line in (ROOT / "evals" / "gold" / "test.jsonl").read_text().splitlines()[:3]]
    rewritten.write_text("\n".join(f"Q: {row['question']}" for row in rows))
    assert probe(real_settings, LEAK_PROBE_CONTROL=str(rewritten))["leaks"] == [f"{rewritten}: holds 3 gold questions"]


def test_the_probe_is_not_a_test_module_and_imports_nothing_of_the_project_before_its_hook():
    text = PROBE.read_text()
    hook = text.index("sys.addaudithook(audit)")
    assert "from bot" not in text[:hook] and "import bot" not in text[:hook]
    assert not PROBE.name.startswith("test_") and os.access(PROBE, os.R_OK)
