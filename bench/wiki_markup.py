"""Converts every description and comment of the real Jira data (Appcelerator's public Jira,
../shared/data/jira-real/tidev-appcelerator) from wiki markup to Markdown and reports texts per
second. The Jira importer converts about 134,000 such texts; it has 3 minutes for everything.

    python bench/wiki_markup.py [DATA_DIR]"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

from tessera.jira_format.wiki_markup import wiki_to_markdown

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / ".." / "shared" / "data" / "jira-real" / "tidev-appcelerator"


def texts(data_dir: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(data_dir.glob("*.issues.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                fields = json.loads(line)["fields"]
                found.append(fields.get("description") or "")
                found.extend(comment.get("body") or "" for comment in (fields.get("comment") or {}).get("comments", []))
    return found


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/jira-real/tidev-appcelerator")
    if not data_dir.is_dir():
        data_dir = DEFAULT_DATA
    corpus = texts(data_dir)
    characters = sum(len(text) for text in corpus)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for text in corpus:
            wiki_to_markdown(text)
        best = min(best, time.perf_counter() - started)
    print(f"{len(corpus)} texts, {characters / 1e6:.1f} M characters: best of 3 runs {best:.2f} s, "
          f"{len(corpus) / best:,.0f} texts/s, {characters / best / 1e6:.1f} M characters/s")


if __name__ == "__main__":
    main()
