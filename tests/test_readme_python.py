"""The README's "Use it from Python" section runs as written: every ```python block, in order, in one namespace,
against the tiny index (the settings come from STUDYBOT_* variables, as they do for a reader)."""

import re

from helpers.tiny_index import tiny_index

from bot.models import Answer
from bot.settings import ROOT

SECTION = "## Use it from Python"


def python_blocks(readme: str, heading: str) -> list[str]:
    section = readme.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def test_the_python_usage_in_the_readme_runs_as_written(tmp_path, monkeypatch, capsys):
    settings = tiny_index(tmp_path)
    monkeypatch.setenv("STUDYBOT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("STUDYBOT_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("STUDYBOT_CHUNK_SIZE", str(settings.chunk_size))
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"), SECTION)
    assert len(blocks) >= 4
    namespace: dict = {}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"README.md ({SECTION}, block {number})", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "256 KB" in printed and "[1] Doc 100 > Messaging > Amazon SQS" in printed
    assert "(about: sqs)" in printed and "['retrieve', 'answer']" in printed
    assert isinstance(namespace["answer"], Answer) and all(isinstance(a, Answer) for a in namespace["answers"])
    assert namespace["bot"].settings.index_dir == settings.index_dir  # the tiny index, not the real one
