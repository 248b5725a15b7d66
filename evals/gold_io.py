"""Read gold sets in the format of shared/gold-schema.md and write run files."""

from __future__ import annotations

import json
from pathlib import Path

TYPES = {"factoid", "numeric", "comparison", "scenario", "keyword", "unanswerable", "followup"}
REQUIRED = ("id", "question", "type")


class GoldError(ValueError):
    """A gold file that cannot be scored; the message names the file and line."""


def load_gold(path: Path) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise GoldError(f"cannot read gold file {path}: {err}") from err
    items = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            items.append(_item(line, f"{path}:{number}"))
    if not items:
        raise GoldError(f"{path} holds no gold items")
    ids = [i["id"] for i in items]
    if len(set(ids)) != len(ids):
        raise GoldError(f"{path}: duplicate ids")
    return items


def _item(line: str, where: str) -> dict:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise GoldError(f"{where}: not JSON ({err.msg})") from err
    if not isinstance(item, dict) or any(key not in item for key in REQUIRED):
        raise GoldError(f"{where}: needs at least {', '.join(REQUIRED)}")
    if item["type"] not in TYPES:
        raise GoldError(f"{where}: unknown type {item['type']!r} (one of {', '.join(sorted(TYPES))})")
    item.setdefault("facts", [])
    item.setdefault("evidence", "")
    item.setdefault("doc", "")
    item.setdefault("section", "")
    item.setdefault("answer", "")
    item["id"] = str(item["id"])
    return item


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
