"""tessera.notifications.render on both backends: each kind of change as people read it, built
from the outbox events real API calls wrote; a batch of payloads loaded with two queries;
times in the recipient's zone; and nothing of another organization ever named."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.notifications.render import load_notifications
from tessera.tenancy.models import User
from tests.factories.http import ok
from tests.factories.notification_world import busy_issue, issue_changes, notification_payload
from tests.support import OrgHandle, UserHandle


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


async def render(database: Database, organization_id: int, *payloads: dict, base_url: str = "https://t.example"):
    async with database.unit_of_work(write=False) as session:
        return await load_notifications(session, organization_id=organization_id, payloads=list(payloads),
                                        base_url=base_url)


async def test_each_change_of_a_real_issue_reads_as_people_say_it(client: TestClient, org: OrgHandle, project: dict,
                                                                   member: UserHandle, database: Database) -> None:
    issue = busy_issue(client, org, project, member)
    admin = ok(client.get("/v2/myself", headers=org.headers))["display_name"]
    assignee = ok(client.get("/v2/myself", headers=member.headers))["display_name"]
    changes = await issue_changes(database, org.organization_id, issue["id"])
    [rendered] = await render(database, org.organization_id, notification_payload(member.user_id, changes,
                                                                                  issue=issue))
    [section] = rendered.sections
    assert section.issue.key == issue["key"] and section.issue.exists
    assert section.issue.summary == "Checkout fails on Safari <script>"
    assert section.issue.status == "In Progress"
    assert section.issue.url == f"https://t.example/browse/{issue['key']}"
    by_type = {change.event_type: change for change in section.changes}
    assert by_type["issue_created"].headline == f"{admin} created {issue['key']}"
    updated = by_type["issue_updated"]
    assert updated.headline == f"{admin} changed 2 fields"
    assert {(line.name, line.before, line.after) for line in updated.fields} == {
        ("Assignee", "(none)", assignee),
        ("Summary", "Checkout fails on Safari", "Checkout fails on Safari <script>")}
    moved = by_type["status_changed"]
    assert moved.headline == f"{admin} changed the status"
    assert [(line.name, line.before, line.after) for line in moved.fields] == [("Status", "To Do", "In Progress")]
    comment = by_type["comment_added"]
    assert comment.headline == f"{admin} commented"
    assert "<strong>the cart</strong>" in comment.comment_html and "<code>cookie</code>" in comment.comment_html
    assert f'data-user-id="{member.user_id}">@{assignee}</span>' in comment.comment_html
    assert "<b>" not in comment.comment_html and "&lt;b&gt;now&lt;/b&gt;" in comment.comment_html
    assert comment.comment_text == f"Found it: **the cart** & `cookie`, see @{assignee} <b>now</b>"
    assert all(change.actor == admin and change.at.endswith("UTC") for change in section.changes)


async def test_other_kinds_of_change_and_custom_field_names(client: TestClient, org: OrgHandle, project: dict,
                                                             member: UserHandle, database: Database) -> None:
    issue = busy_issue(client, org, project, member)
    field = ok(client.post("/v2/fields", json={"name": f"Customer impact {project['key']}{org.key}", "field_type": "text"}, headers=org.headers), 201)
    custom_id = field["id"]  # "customfield_10007"
    base = {"issue_id": issue["id"], "issue_key": issue["key"], "project_id": project["id"],
            "user_id": org.admin_user_id, "timestamp": "2026-12-07T09:15:00+00:00"}

    def change(event_type: str, **payload: object) -> dict:
        return {"event_id": 1, "event_type": event_type, "actor_id": org.admin_user_id,
                "at": "2026-12-07T09:15:00+00:00", "payload": {**base, **payload}}

    [rendered] = await render(database, org.organization_id, notification_payload(member.user_id, [
        change("attachment_added", attachment_id=3, filename="trace.har", size=10, content_type="text/plain"),
        change("worklog_added", worklog_id=4, time_spent_seconds=9000),
        change("issue_updated", field_changes={custom_id: {"from": None, "to": "High"},
                                               "timeoriginalestimate": {"from": "3600", "to": "7200"}}),
        change("remote_link_created", remote_link_id=5, url="https://ci.example/build/9"),
        change("sprint_thing_fired"),
    ], issue=issue))
    headlines = [c.headline for c in rendered.sections[0].changes]
    admin = rendered.sections[0].changes[0].actor
    assert headlines == [f"{admin} attached a file", f"{admin} logged 2h 30m", f"{admin} changed 2 fields",
                         f"{admin} added a web link", f"{admin}: sprint thing fired"]
    assert rendered.sections[0].changes[0].note == "trace.har"
    assert rendered.sections[0].changes[3].note == "https://ci.example/build/9"
    assert [(f.name, f.before, f.after) for f in rendered.sections[0].changes[2].fields] == [
        (field["name"], "(none)", "High"), ("Original estimate", "1h", "2h")]


async def test_a_digest_groups_issues_and_two_queries_load_a_whole_batch(
        client: TestClient, org: OrgHandle, project: dict, member: UserHandle, database: Database) -> None:
    first = busy_issue(client, org, project, member, summary="First")
    second = busy_issue(client, org, project, member, summary="Second")
    changes = [*await issue_changes(database, org.organization_id, first["id"]),
               *await issue_changes(database, org.organization_id, second["id"])]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(database.read_engine.sync_engine, "before_cursor_execute", count)
    try:
        rendered = await render(database, org.organization_id,
                                *(notification_payload(member.user_id, changes, kind="digest") for _ in range(20)))
    finally:
        event.remove(database.read_engine.sync_engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert len(rendered) == 20
    assert [s.issue.summary for s in rendered[0].sections] == ["First <script>", "Second <script>"]
    assert rendered[0].change_count == len(changes) and rendered[0].issue is None


async def test_times_are_shown_in_the_recipients_zone(client: TestClient, org: OrgHandle, project: dict,
                                                      member: UserHandle, database: Database) -> None:
    issue = busy_issue(client, org, project, member)
    async with database.unit_of_work() as session:
        await session.execute(update(User).where(User.id == member.user_id).values(time_zone="Europe/Berlin"))
    change = {"event_id": 1, "event_type": "comment_deleted", "actor_id": None, "at": "2026-12-07T09:15:00+00:00",
              "payload": {"issue_id": issue["id"], "issue_key": issue["key"], "project_id": project["id"]}}
    [rendered] = await render(database, org.organization_id, notification_payload(member.user_id, [change],
                                                                                  issue=issue))
    [shown] = rendered.sections[0].changes
    assert shown.at == "2026-12-07 10:15 CET" and shown.actor == "Tessera"


async def test_another_organizations_issue_and_people_are_never_named(
        client: TestClient, org: OrgHandle, other_org: OrgHandle, project: dict, member: UserHandle,
        database: Database) -> None:
    issue = busy_issue(client, org, project, member, summary="Secret merger plans")
    changes = await issue_changes(database, org.organization_id, issue["id"])
    # The same ids, asked for as if they were the other organization's.
    [rendered] = await render(database, other_org.organization_id,
                              notification_payload(other_org.admin_user_id, changes, issue=issue))
    [section] = rendered.sections
    assert not section.issue.exists and "Secret" not in section.issue.summary
    assert all(change.actor == "A former user" for change in section.changes)
    comment = next(c for c in section.changes if c.event_type == "comment_added")
    assert 'data-user-id' not in comment.comment_html  # the mention stays text: not a user of this org
    # What the rows hold (not the event's own text, which the fan-out chose to send) stays unread:
    # the actor's name, the issue's current status.
    admin = ok(client.get("/v2/myself", headers=org.headers))["display_name"]
    shown = repr(rendered)
    assert admin not in shown and "In Progress" not in section.issue.status
