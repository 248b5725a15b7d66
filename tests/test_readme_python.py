"""The Python in the README and the docs pages runs as written: every ```python block of each file, in order, in
one namespace per file, against the tiny index (the settings come from STUDYBOT_* variables, as they do for a
reader). The "Use it from Python" blocks must print what they say they print."""

import re

from helpers.tiny_index import tiny_index

from bot.models import Answer
from bot.settings import ROOT

SECTION = "Use it from Python"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def section(text: str, title: str) -> str:
    """The text under the heading `title` (any level), up to the next heading of the same level or above."""
    heading = re.search(rf"^(#+) {re.escape(title)}\n", text, re.MULTILINE)
    if heading is None:
        return ""
    rest = text[heading.end():]
    end = re.search(rf"^#{{1,{len(heading.group(1))}}} ", rest, re.MULTILINE)
    return rest[:end.start()] if end else rest


def test_the_python_in_the_readme_and_the_docs_runs_as_written(tmp_path, monkeypatch, capsys):
    settings = tiny_index(tmp_path)
    monkeypatch.setenv("STUDYBOT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("STUDYBOT_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("STUDYBOT_CHUNK_SIZE", str(settings.chunk_size))
    texts = {path: path.read_text(encoding="utf-8") for path in PAGES if path.exists()}
    blocks = {path: python_blocks(text) for path, text in texts.items()}
    assert texts and sum(len(found) for found in blocks.values()) >= 4
    usage = [path for path, text in texts.items() if python_blocks(section(text, SECTION))]
    assert len(usage) == 1, f"the {SECTION!r} blocks should be in one file, found in {usage}"
    assert len(python_blocks(section(texts[usage[0]], SECTION))) >= 4

    for path, found in blocks.items():
        namespace: dict = {}
        name = path.relative_to(ROOT)
        for number, block in enumerate(found, start=1):
            exec(compile(block, f"{name} (block {number})", "exec"), namespace)
        printed = capsys.readouterr().out
        if path == usage[0]:
            assert "256 KB" in printed and "[1] Doc 100 > Messaging > Amazon SQS" in printed
            assert "(about: sqs)" in printed and "['retrieve', 'answer']" in printed
            assert isinstance(namespace["answer"], Answer) and all(isinstance(a, Answer) for a in namespace["answers"])
            assert namespace["bot"].settings.index_dir == settings.index_dir  # the tiny index, not the real one
