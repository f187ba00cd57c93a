"""Every shape Jira writes issues in reads as the same issues; a file that is not one says
which file and where."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tessera.errors import InvalidInput
from tessera.importing.jira.sources import file_source, project_exports

ISSUES = [{"id": str(10_000 + n), "key": f"ABC-{n}", "fields": {"summary": f"Issue {n}"}} for n in range(1, 6)]


def keys(paths: list[Path]) -> list[str]:
    return [item.issue["key"] for item in file_source(paths)]


def test_every_export_shape_reads_the_same_issues(tmp_path: Path) -> None:
    expected = [issue["key"] for issue in ISSUES]
    search = tmp_path / "search.json.gz"
    with gzip.open(search, "wt", encoding="utf-8") as stream:
        json.dump({"startAt": 0, "total": 5, "issues": ISSUES}, stream)
    array = tmp_path / "array.json"
    array.write_text(json.dumps(ISSUES))
    lines = tmp_path / "issues.jsonl"
    lines.write_text("\n".join(json.dumps(issue) for issue in ISSUES) + "\n\n")
    lines_by_another_name = tmp_path / "dump.json"
    lines_by_another_name.write_text("\n".join(json.dumps(issue) for issue in ISSUES))
    folder = tmp_path / "per-issue"
    folder.mkdir()
    for issue in ISSUES:
        (folder / f"{issue['key']}.json").write_text(json.dumps(issue, indent=2))
    (folder / "board_configuration.json").write_text(json.dumps({"columns": []}))  # not issues: passed over
    (folder / "ABC.project.json").write_text(json.dumps({"key": "ABC", "name": "Alphabet", "versions": []}))
    for source in (search, array, lines, lines_by_another_name, folder):
        assert sorted(keys([source]), key=lambda k: int(k.split("-")[1])) == expected, source
    assert keys([array, lines]) == expected * 2  # several files, in order
    assert project_exports([folder])["ABC"]["name"] == "Alphabet"
    positions = [(Path(item.file).name, item.index) for item in file_source([lines])]
    assert positions == [("issues.jsonl", index) for index in range(5)]


@pytest.mark.parametrize(("content", "message"), [
    ('{"issues": [1, 2]}', "issue 0 has no key or fields"),
    ('{"issues": [', "not JSON (line 1"),
    ('{"values": []}', "neither a search result"),
])
def test_a_file_that_is_not_issues_is_named_with_the_place(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(InvalidInput) as caught:
        keys([path])
    assert str(path) in caught.value.message and message in caught.value.message


def test_a_broken_line_of_json_lines_is_named(tmp_path: Path) -> None:
    path = tmp_path / "issues.jsonl"
    path.write_text(json.dumps(ISSUES[0]) + "\n{broken\n")
    with pytest.raises(InvalidInput, match="line 2 is not JSON"):
        keys([path])
    with pytest.raises(InvalidInput, match="no such file"):
        keys([tmp_path / "missing.json"])
