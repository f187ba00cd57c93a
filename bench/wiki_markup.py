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

# shared/ sits beside the checkout (../shared, as issue 18 says), or beside its worktrees' folder.
_REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = next((path for path in (base / "shared" / "data" / "jira-real" / "tidev-appcelerator"
                                       for base in (_REPO.parent, _REPO.parent.parent)) if path.is_dir()),
                    _REPO.parent / "shared" / "data" / "jira-real" / "tidev-appcelerator")


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
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    if not data_dir.is_dir():
        sys.exit(f"no Jira data at {data_dir}: pass its directory")
    corpus = texts(data_dir)
    characters = sum(len(text) for text in corpus)
    best_wall = best_cpu = float("inf")
    slowest = (0.0, "")
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        for text in corpus:
            wiki_to_markdown(text)
        best_wall = min(best_wall, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
    for text in corpus:
        started = time.perf_counter()
        wiki_to_markdown(text)
        slowest = max(slowest, (time.perf_counter() - started, f"{len(text):,} characters"))
    # CPU time is the converter's own cost; wall time also counts the other work on the machine.
    print(f"{len(corpus):,} texts, {characters / 1e6:.1f} M characters, best of 3 runs: "
          f"{best_cpu:.1f} s CPU = {len(corpus) / best_cpu:,.0f} texts/s ({characters / best_cpu / 1e6:.1f} M chars/s); "
          f"{best_wall:.1f} s wall = {len(corpus) / best_wall:,.0f} texts/s; "
          f"slowest text {slowest[0] * 1000:.0f} ms ({slowest[1]})")


if __name__ == "__main__":
    main()
