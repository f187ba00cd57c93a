"""`tessera import jira` over real Jira data (the Appcelerator DAEMON project, 317 issues):
what JQL answers afterwards is what the raw JSON says, importing again changes nothing, a
changed issue is updated (with history), and two organizations importing the same keys stay
apart."""

from __future__ import annotations

import copy
import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tessera.db.engine import Database
from tessera.importing.jira.pipeline import ImportReport, import_jira
from tessera.importing.jira.sources import file_source, project_exports
from tessera.importing.jira.values import parse_time
from tessera.importing.models import ImportMapping
from tessera.issues.comments.models import Comment
from tessera.issues.models import ChangeItem, Issue, IssueLink
from tessera.projects.models import Project, Version
from tests.importing.conftest import TIDEV, jql_count, need, read_jsonl
from tests.support import make_org_async

DAEMON = TIDEV / "DAEMON.issues.jsonl.gz"


@pytest.fixture(scope="module")
def daemon() -> list[dict]:
    return read_jsonl(need(DAEMON))


async def run(database: Database, org_key: str, *paths: Path, **options: object) -> ImportReport:
    return await import_jira(database, org_key=org_key, source=lambda: file_source(paths),
                             project_documents=project_exports(paths), **options)  # type: ignore[arg-type]


async def count(database: Database, model: type, org: int, *where: object) -> int:
    async with database.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(
            model.organization_id == org, *where)) or 0)


def quoted(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


async def test_daemon_imports_and_jql_answers_as_the_raw_json(database: Database, database_url: str,
                                                              daemon: list[dict]) -> None:
    org = await make_org_async(database_url)
    report = await run(database, org.key, DAEMON)
    assert report.outcomes["created"] == len(daemon) == 317 and report.outcomes["skipped"] == 0
    raw_comments = sum(len(issue["fields"]["comment"]["comments"]) for issue in daemon)
    assert report.comments == raw_comments
    assert await count(database, Comment, org.organization_id) == raw_comments
    assert any("attachments not imported" in note for note in report.notes)

    fields = [issue["fields"] for issue in daemon]
    checks: dict[str, int] = {}
    for name, number in Counter(f["status"]["name"] for f in fields).items():
        checks[f"project = DAEMON AND status = {quoted(name)}"] = number
    for name, number in Counter(f["issuetype"]["name"] for f in fields).items():
        checks[f"issuetype = {quoted(name)}"] = number
    for name, number in Counter((f["resolution"] or {}).get("name") for f in fields).items():
        checks["resolution is EMPTY" if name is None else f"resolution = {quoted(name)}"] = number
    for name, number in Counter(v["name"] for f in fields for v in f["fixVersions"]).most_common(3):
        checks[f"fixVersion = {quoted(name)}"] = number
    for name, number in Counter(c["name"] for f in fields for c in f["components"]).most_common(3):
        checks[f"component = {quoted(name)}"] = number
    for name, number in Counter(label for f in fields for label in f["labels"]).most_common(2):
        checks[f"labels = {quoted(name)}"] = number
    checks["labels is EMPTY"] = sum(1 for f in fields if not f["labels"])
    cut = datetime(2017, 6, 1, tzinfo=UTC)
    checks['created < "2017-06-01"'] = sum(1 for f in fields if parse_time(f["created"]) < cut)
    checks['resolved >= "2017-06-01"'] = sum(1 for f in fields if f["resolution"] and parse_time(
        f["resolutiondate"] or f["updated"]) >= cut)
    checks["status WAS Closed"] = checks.get("project = DAEMON AND status = \"Closed\"", 0)
    answers = {query: await jql_count(database, org.key, query) for query in checks}
    assert answers == checks

    async with database.unit_of_work(write=False) as session:
        project = await session.scalar(select(Project).where(Project.organization_id == org.organization_id,
                                                             Project.key == "DAEMON"))
        assert project is not None and project.name == "Appcelerator Daemon"
        # Numbers continue after the highest key, so PROJ-123 keeps pointing where it did.
        assert project.issue_counter == max(int(issue["key"].split("-")[1]) for issue in daemon)
        released = await session.scalar(select(Version).where(Version.organization_id == org.organization_id,
                                                              Version.name == "Appc Daemon 1.0.0"))
        assert released is not None and released.released and str(released.release_date) == "2017-12-05"
        first = await session.scalar(select(Issue).where(Issue.organization_id == org.organization_id,
                                                         Issue.key == "DAEMON-1"))
        assert first is not None and first.created_at == parse_time(daemon[0]["fields"]["created"])
        epic = await session.scalar(select(Issue.id).where(Issue.organization_id == org.organization_id,
                                                           Issue.key == "DAEMON-48"))
        assert first.parent_id == epic  # the epic of DAEMON-1

    # Links: each pair once, from whichever end it was read, when both ends came in.
    keys = {issue["key"] for issue in daemon}
    pairs = set()
    for issue in daemon:
        for link in issue["fields"]["issuelinks"]:
            if "outwardIssue" in link:
                pairs.add((link["type"]["name"], issue["key"], link["outwardIssue"]["key"]))
            else:
                pairs.add((link["type"]["name"], link["inwardIssue"]["key"], issue["key"]))
    expected_links = {pair for pair in pairs if pair[1] in keys and pair[2] in keys}
    assert await count(database, IssueLink, org.organization_id) == len(expected_links) == report.links

    # Importing again: nothing new, nothing duplicated.
    again = await run(database, org.key, DAEMON)
    assert again.outcomes == Counter(unchanged=317) and again.links == 0 and again.parents == 0
    assert await count(database, Issue, org.organization_id) == 317
    assert await count(database, Comment, org.organization_id) == raw_comments
    assert await count(database, IssueLink, org.organization_id) == len(expected_links)


async def test_a_changed_issue_is_updated_with_history(database: Database, database_url: str, daemon: list[dict],
                                                       tmp_path: Path) -> None:
    org = await make_org_async(database_url)
    sample = [copy.deepcopy(issue) for issue in daemon[:40]]
    first = tmp_path / "DAEMON.json"
    first.write_text(json.dumps({"issues": sample}))
    await run(database, org.key, first)
    open_issue = next(issue for issue in sample if issue["fields"]["status"]["name"] == "Open")
    key = open_issue["key"]
    comments_before = await count(database, Comment, org.organization_id)
    assert await jql_count(database, org.key, f"key = {key} AND status CHANGED") == 0
    closed = next(issue["fields"]["status"] for issue in daemon if issue["fields"]["status"]["name"] == "Closed")
    open_issue["fields"]["status"] = closed
    open_issue["fields"]["updated"] = "2021-11-01T10:00:00.000+0000"
    open_issue["fields"]["labels"] = ["imported-again"]
    open_issue["fields"]["comment"]["comments"].append({
        "id": "999999", "author": open_issue["fields"]["reporter"], "body": "Closed in the old tracker.",
        "created": "2021-11-01T10:00:00.000+0000", "updated": "2021-11-01T10:00:00.000+0000"})
    second = tmp_path / "DAEMON-again.jsonl.gz"
    with gzip.open(second, "wt", encoding="utf-8") as stream:
        stream.write("\n".join(json.dumps(issue) for issue in sample))
    report = await run(database, org.key, second)
    assert report.outcomes == Counter(updated=1, unchanged=39)
    assert await count(database, Comment, org.organization_id) == comments_before + 1
    assert await jql_count(database, org.key, f"key = {key} AND status = Closed AND labels = imported-again") == 1
    assert await jql_count(database, org.key, f'key = {key} AND status CHANGED FROM Open TO Closed '
                                              f'ON "2021-11-01"') == 1
    assert await jql_count(database, org.key, f'key = {key} AND status WAS Open BEFORE "2021-11-01"') == 1
    assert await count(database, ChangeItem, org.organization_id, ChangeItem.field_id == "status") == 1


async def test_the_same_keys_in_two_organizations_stay_apart(database: Database, database_url: str,
                                                             daemon: list[dict], tmp_path: Path) -> None:
    first, second = await make_org_async(database_url), await make_org_async(database_url)
    sample = tmp_path / "DAEMON.jsonl"
    sample.write_text("\n".join(json.dumps(issue) for issue in daemon[:60]))
    await run(database, first.key, sample)
    before = {model: await count(database, model, first.organization_id) for model in (Issue, Comment, IssueLink)}
    report = await run(database, second.key, sample)
    assert report.outcomes == Counter(created=60)  # not "unchanged": the first import is not the second's
    for model, number in before.items():
        assert await count(database, model, first.organization_id) == number
        assert await count(database, model, second.organization_id) == number
    async with database.unit_of_work(write=False) as session:
        owners = (await session.execute(select(Issue.organization_id, Issue.id).where(Issue.key == "DAEMON-1"))).all()
        mapped = (await session.execute(select(ImportMapping.organization_id).where(
            ImportMapping.kind == "issue", ImportMapping.organization_id.in_(
                [first.organization_id, second.organization_id])))).scalars().all()
    mine = {org for org, _ in owners} & {first.organization_id, second.organization_id}
    assert mine == {first.organization_id, second.organization_id}
    assert Counter(mapped) == {first.organization_id: 60, second.organization_id: 60}
    assert await jql_count(database, second.key, "project = DAEMON") == 60


async def test_imported_issues_read_and_move_through_the_apis(database: Database, database_url: str,
                                                              daemon: list[dict], client: TestClient,
                                                              tmp_path: Path) -> None:
    org = await make_org_async(database_url)
    sample = tmp_path / "DAEMON.jsonl"
    sample.write_text("\n".join(json.dumps(issue) for issue in daemon[:80]))
    await run(database, org.key, sample)
    raw = next(issue for issue in daemon[:80] if issue["fields"]["comment"]["comments"]
               and issue["fields"]["status"]["name"] == "Closed")
    response = client.get(f"/rest/api/2/issue/{raw['key']}", headers=org.headers)
    assert response.status_code == 200, response.text
    fields = response.json()["fields"]
    assert fields["status"]["name"] == "Closed" and fields["summary"] == raw["fields"]["summary"]
    assert fields["comment"]["total"] == len(raw["fields"]["comment"]["comments"])
    assert fields["created"][:19] == raw["fields"]["created"][:19]
    # Jira's default workflows let any status go to any: the team can reopen and close again.
    moves = client.get(f"/rest/api/2/issue/{raw['key']}/transitions", headers=org.headers).json()["transitions"]
    reopen = next(t for t in moves if t["to"]["name"] == "Open")
    assert client.post(f"/rest/api/2/issue/{raw['key']}/transitions", headers=org.headers,
                       json={"transition": {"id": reopen["id"]}}).status_code == 204
    assert await jql_count(database, org.key, f'key = {raw["key"]} AND status CHANGED FROM Closed TO Open') == 1
    # New issues are numbered after the imported ones.
    project = client.get("/rest/api/2/project/DAEMON", headers=org.headers).json()
    created = client.post("/rest/api/2/issue", headers=org.headers, json={"fields": {
        "project": {"id": project["id"]}, "issuetype": {"name": "Bug"}, "summary": "After the move"}})
    assert created.status_code == 201, created.text
    highest = max(int(issue["key"].split("-")[1]) for issue in daemon[:80])
    assert created.json()["key"] == f"DAEMON-{highest + 1}"
