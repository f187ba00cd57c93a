"""Where Jira issues come from: each source is an iterator of Jira REST v2 issue dicts.

Export files come in every shape Jira produces: a search result (`{"issues": [...]}`), a JSON
array of issues, JSON lines (one issue a line), one issue per file (a directory of them, as the
per-issue exports and jirametrics keep them), and Jira's CSV export (tessera.importing.jira.csv_export),
each `.gz` or plain. A live REST source yields the
same dicts, so everything after the source is one pipeline.

Each issue comes with its position (file index, issue index in the file) for progress and the
report; `<PROJECT>.project.json` beside a file adds what a project export knows about its
project (components, versions with release dates, lead)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tessera.errors import InvalidInput
from tessera.importing.jira.csv_export import read_csv_issues


@dataclass(frozen=True)
class SourceIssue:
    file: str
    index: int  # the issue's position in its file
    issue: dict[str, Any]


def expand_paths(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """Files to read, in order, each with whether it was named itself: a directory stands for
    its JSON files (*.json, *.jsonl, *.ndjson and their .gz forms), sorted by name, and those of
    them that hold no issues (a board's configuration, say) are passed over."""
    files: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted((child, False) for child in path.iterdir() if child.is_file() and _is_issue_file(child))
        elif path.is_file():
            files.append((path, True))
        else:
            raise InvalidInput(f"{path}: no such file or directory.", field="file")
    return files


def _is_issue_file(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    return name.endswith((".json", ".jsonl", ".ndjson", ".csv")) and not name.endswith(".project.json")


def _open(path: Path) -> IO[str]:
    # utf-8-sig: Jira's CSV starts with a byte order mark; newline="" as the csv module wants.
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def read_issues(path: Path) -> Iterator[dict[str, Any]]:
    """The issues of one file, whichever of Jira's shapes it has."""
    if path.name.removesuffix(".gz").lower().endswith(".csv"):
        with _open(path) as stream:
            yield from read_csv_issues(stream, str(path))
        return
    with _open(path) as stream:
        head = stream.read(1)
        while head and head.isspace():
            head = stream.read(1)
        if not head:
            return
        if head == "{" and path.name.removesuffix(".gz").endswith((".jsonl", ".ndjson")):
            yield from _issues_of_lines(path, head + stream.readline(), stream)
            return
        text = head + stream.read()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if head == "{" and error.msg == "Extra data":  # JSON lines under another name
            lines = iter(text.splitlines(keepends=True))
            yield from _issues_of_lines(path, next(lines), lines)
            return
        raise InvalidInput(f"{path}: not JSON (line {error.lineno}, column {error.colno}: {error.msg}).",
                           field="file") from None
    yield from _issues_of_document(path, document)


def _issues_of_document(path: Path, document: object) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("issues"), list):
        items: list = document["issues"]
    elif isinstance(document, list):
        items = document
    elif isinstance(document, dict) and "fields" in document:
        items = [document]
    else:
        raise InvalidInput(f"{path}: neither a search result ({{\"issues\": [...]}}), a list of issues nor an "
                           "issue.", field="file")
    shared = {part: document[part] for part in ("names", "schema")
              if isinstance(document, dict) and isinstance(document.get(part), dict)}
    for position, item in enumerate(items):
        issue = _checked(path, position, item)
        for part, value in shared.items():  # a search's `expand=names,schema` is said once for all issues
            issue.setdefault(part, value)
        yield issue


def _issues_of_lines(path: Path, first: str, rest: Iterable[str]) -> Iterator[dict[str, Any]]:
    def lines() -> Iterator[str]:
        yield first
        yield from rest

    for number, line in enumerate(lines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"{path}: line {number} is not JSON ({error.msg}).", field="file") from None
        yield _checked(path, number, item)


def _checked(path: Path, position: int, item: object) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("fields"), dict) or not item.get("key"):
        raise InvalidInput(f"{path}: issue {position} has no key or fields; is this a Jira issue export?",
                           field="file")
    return item


def file_source(paths: Iterable[str | Path]) -> Iterator[SourceIssue]:
    for path, named in expand_paths(paths):
        issues = read_issues(path)
        if not named:
            issues = _unless_not_issues(issues)
        for index, issue in enumerate(issues):
            yield SourceIssue(file=str(path), index=index, issue=issue)


def _unless_not_issues(issues: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """A folder's file that turns out to hold something else than issues, at its start."""
    try:
        first = next(issues)
    except StopIteration:
        return
    except InvalidInput:
        return
    yield first
    yield from issues


def project_exports(paths: Iterable[str | Path]) -> dict[str, dict[str, Any]]:
    """`<PROJECT>.project.json` files beside (or in) the given paths, by project key."""
    found: dict[str, dict[str, Any]] = {}
    folders = {Path(p) if Path(p).is_dir() else Path(p).parent for p in paths}
    for folder in sorted(folders):
        for candidate in sorted(folder.glob("*.project.json")):
            try:
                document = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise InvalidInput(f"{candidate}: not a readable project export ({error}).", field="file") from None
            if isinstance(document, dict) and document.get("key"):
                found[str(document["key"]).upper()] = document
    return found
