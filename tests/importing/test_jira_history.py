"""The jirametrics sample (a real Jira Cloud project with changelogs) imports with its history:
cycle times read from Tessera's history equal those computed from the raw changelog, and WAS
and CHANGED answer as in Jira. A dry run writes only the mapping; an edited mapping is followed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tessera.db.engine import Database
from tessera.errors import InvalidInput
from tessera.importing.jira.pipeline import import_jira
from tessera.importing.jira.sources import file_source
from tessera.importing.jira.values import parse_time
from tessera.issues.models import ChangeItem, Issue
from tessera.projects.models import CustomFieldDefinition, Project
from tessera.workflow.models import Status, Workflow
from tests.importing.conftest import DATA, JIRAMETRICS, jql_count, need
from tests.support import make_org_async

FOLDERS = (JIRAMETRICS, DATA / "jirametrics-sample" / "testdata")


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    """The sample's issues as the importer reads them: the first copy of each."""
    issues: dict[str, dict] = {}
    for item in file_source([need(folder) for folder in FOLDERS]):
        issues.setdefault(item.issue["id"], item.issue)
    return list(issues.values())


def status_changes(issue: dict) -> list[tuple[datetime, str | None, str | None]]:
    changes = [(parse_time(history["created"]), item.get("fromString"), item.get("toString"))
               for history in issue["changelog"]["histories"] for item in history["items"]
               if item["field"] == "status"]
    return sorted(changes, key=lambda change: change[0])


def cycle_time(changes: list[tuple[datetime, str | None, str | None]], start: str, end: str) -> float | None:
    """Seconds from the first move into `start` to the first move into `end` after it."""
    began = next((at for at, _, to in changes if to == start), None)
    if began is None:
        return None
    ended = next((at for at, _, to in changes if to == end and at >= began), None)
    return None if ended is None else (ended - began).total_seconds()


async def run(database: Database, org_key: str, **options: object):  # type: ignore[no-untyped-def]
    return await import_jira(database, org_key=org_key, source=lambda: file_source(FOLDERS), **options)  # type: ignore[arg-type]


async def test_history_comes_along_and_cycle_times_match(database: Database, database_url: str,
                                                         sample: list[dict]) -> None:
    org = await make_org_async(database_url)
    report = await run(database, org.key)
    assert report.outcomes["created"] == len(sample) and report.site == "https://improvingflow.atlassian.net"
    assert report.histories == sum(len(issue["changelog"]["histories"]) for issue in sample)
    async with database.unit_of_work(write=False) as session:
        rows = (await session.execute(select(Issue.key, ChangeItem.created_at, ChangeItem.from_string,
                                             ChangeItem.to_string).join(Issue, Issue.id == ChangeItem.issue_id)
                                      .where(ChangeItem.organization_id == org.organization_id,
                                             ChangeItem.field_id == "status")
                                      .order_by(ChangeItem.created_at, ChangeItem.id))).all()
    imported: dict[str, list] = {}
    for key, at, old, new in rows:
        imported.setdefault(key, []).append((at, old, new))
    expected = {issue["key"]: cycle_time(status_changes(issue), "In Progress", "Done") for issue in sample}
    measured = {issue["key"]: cycle_time(imported.get(issue["key"], []), "In Progress", "Done") for issue in sample}
    assert measured == expected and any(value for value in expected.values())

    starts = sorted(at for issue in sample for at, _, to in status_changes(issue) if to == "In Progress")
    cut = starts[len(starts) // 2]
    day = cut.strftime("%Y-%m-%d")
    was_before = sum(1 for issue in sample if _held_before(issue, "In Progress", day))
    assert await jql_count(database, org.key, f'status WAS "In Progress" BEFORE "{day}"') == was_before > 0
    changed = sum(1 for issue in sample if any(old == "In Progress" and new == "Review"
                                               for _, old, new in status_changes(issue)))
    assert await jql_count(database, org.key, 'status CHANGED FROM "In Progress" TO "Review"') == changed > 0
    never = sum(1 for issue in sample if not status_changes(issue))
    assert await jql_count(database, org.key, "status CHANGED") == len(sample) - never

    async with database.unit_of_work(write=False) as session:
        project = await session.scalar(select(Project).where(Project.organization_id == org.organization_id,
                                                             Project.key == "SP"))
        assert project is not None
        workflow = await session.scalar(select(Workflow).where(Workflow.id == project.default_workflow_id))
        assert workflow is not None
        names = {status.id: status.name for status in (await session.scalars(select(Status).where(
            Status.organization_id == org.organization_id))).all()}
    transitions = workflow.definition["transitions"]
    # Every status reachable from any other (Jira's global transitions), and what the history showed.
    assert {names[t["to"]] for t in transitions if not t["from"]} == {names[s["id"]] for s in
                                                                      workflow.definition["statuses"]}
    assert any(names[t["to"]] == "Review" and [names[f] for f in t["from"]] == ["In Progress"] for t in transitions)


def _held_before(issue: dict, status: str, day: str) -> bool:
    """Whether the issue was in `status` at some moment before the start of `day` (UTC)."""
    limit = parse_time(f"{day}T00:00:00.000+0000")
    created = parse_time(issue["fields"]["created"])
    changes = status_changes(issue)
    value = changes[0][1] if changes else issue["fields"]["status"]["name"]
    start = created
    for at, _, to in changes:
        if value == status and start < limit:
            return True
        value, start = to, at
    return value == status and start < limit


async def test_dry_run_writes_the_mapping_and_an_edited_one_is_followed(database: Database, database_url: str,
                                                                         sample: list[dict], tmp_path: Path) -> None:
    org = await make_org_async(database_url)
    mapping_file = tmp_path / "mapping.json"
    other = await run(database, org.key, dry_run=True, project_keys=["OTHER"])
    assert other.issues_seen == 0 and other.planned["projects"] == (0, 0)  # --project keeps to those named
    report = await run(database, org.key, dry_run=True, mapping_file=str(mapping_file), project_keys=["sp"])
    assert report.dry_run and report.issues_seen == len(list(file_source(FOLDERS))) and report.planned["projects"] == (1, 0) and report.planned["statuses"][0] >= 1
    async with database.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Project).where(
            Project.organization_id == org.organization_id)) == 0
    mapping = json.loads(mapping_file.read_text())
    assert mapping["statuses"]["Review"] == {"to": "Review", "category": "in_progress"}
    flagged = next(field_id for field_id, entry in mapping["custom_fields"].items() if entry["name"] == "Flagged")
    assert mapping["custom_fields"][flagged]["options"] == ["Impediment"]
    mapping["statuses"]["Review"]["to"] = "In Review"  # a status the organization has
    mapping["custom_fields"][flagged] = {"name": "Flagged", "skip": True}
    mapping_file.write_text(json.dumps(mapping))

    await run(database, org.key, mapping_file=str(mapping_file))
    in_review = sum(1 for issue in sample if issue["fields"]["status"]["name"] == "Review")
    assert await jql_count(database, org.key, 'project = SP AND status = "In Review"') == in_review > 0
    changed = sum(1 for issue in sample if any(old == "In Progress" and new == "Review"
                                               for _, old, new in status_changes(issue)))
    assert await jql_count(database, org.key, 'status CHANGED FROM "In Progress" TO "In Review"') == changed
    async with database.unit_of_work(write=False) as session:
        statuses = set((await session.scalars(select(Status.name).where(
            Status.organization_id == org.organization_id))).all())
        fields = set((await session.scalars(select(CustomFieldDefinition.name).where(
            CustomFieldDefinition.organization_id == org.organization_id))).all())
    assert "Review" not in statuses and "Flagged" not in fields


async def test_a_mapping_with_a_mistake_is_refused_with_its_place(database: Database, database_url: str,
                                                                  tmp_path: Path) -> None:
    org = await make_org_async(database_url)
    mapping_file = tmp_path / "mapping.json"
    await run(database, org.key, dry_run=True, mapping_file=str(mapping_file))
    mapping = json.loads(mapping_file.read_text())
    mapping["statuses"]["Review"]["category"] = "waiting"
    mapping_file.write_text(json.dumps(mapping))
    with pytest.raises(InvalidInput, match=r"statuses\.Review\.category is one of todo, in_progress, done"):
        await run(database, org.key, mapping_file=str(mapping_file))
    async with database.unit_of_work(write=False) as session:  # refused before anything was written
        assert await session.scalar(select(func.count()).select_from(Project).where(
            Project.organization_id == org.organization_id)) == 0
