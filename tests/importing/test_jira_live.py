"""`tessera import jira --url`: a live Tessera serves org A (the real MOD project, with sub-tasks, imported
from its export) through its Jira-compatible API, and the import pulls it into org B of the same
database: keys, statuses, comments, the changelog (WAS and CHANGED answer the same, the sprint's
too), links, sub-tasks, boards with their swimlanes and quick filters, and the custom fields, link
types and users no issue uses come along. The pull resumes after a page limit or a SIGKILL without
fetching its pages again, a dry run's pull is not read again, a re-import reads only what changed,
it works through Cloud's v3 API (nextPageToken, ADF bodies), and waits out a 429."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tessera.agile.boards import check_create_board
from tessera.agile.models import Board, Sprint, SprintBoard
from tessera.cli.main import cli
from tessera.db.engine import Database
from tessera.importing.jira.client import Auth, JiraClient
from tessera.importing.jira.live import import_from_url, read_checkpoint
from tessera.importing.jira.pipeline import import_jira
from tessera.importing.jira.sources import file_source, project_exports
from tessera.importing.models import ImportMapping
from tessera.issues.attachments.models import Attachment
from tessera.issues.attachments.storage import LocalObjectStore
from tessera.issues.comments.models import Comment
from tessera.issues.models import ChangeGroup, Issue, IssueLink
from tessera.jql.models import SavedFilter
from tessera.projects.models import CustomFieldDefinition, CustomFieldOption, LinkType, Priority, Project, Resolution
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.service import do_bump_catalog_version
from tessera.workflow.models import Status
from tests.api.jira.conftest import jira_url  # noqa: F401  (the live server fixture)
from tests.importing.conftest import TIDEV, jql_count, need
from tests.support import OrgHandle, fetch_rows, make_org_async

MENTION = re.compile(r"\(account:\d+\)")
QUERIES = ('status WAS "Open"', 'status CHANGED', 'status CHANGED FROM "Open" TO "Resolved"',
           'resolution = Fixed', 'status WAS "Resolved" BEFORE "2020-01-01"', 'issuetype = Bug',
           'assignee WAS EMPTY', 'labels IS NOT EMPTY', 'fixVersion IS NOT EMPTY', 'component IS NOT EMPTY',
           'sprint CHANGED', 'sprint WAS NOT EMPTY', 'sprint WAS EMPTY')


@pytest.fixture(scope="module")
async def source_org(database_url: str, settings) -> OrgHandle:  # type: ignore[no-untyped-def]
    """Org A: the MOD project of the real data, as `--file` imports it."""
    files = [need(TIDEV / "MOD.issues.jsonl.gz")]
    org = await make_org_async(database_url)
    database = Database(settings)
    try:
        await import_jira(database, org_key=org.key, source=lambda: file_source(files),
                          project_documents=project_exports(files))
        async with database.unit_of_work() as session:  # a scrum board with two of the sprints
            admin = await session.get(User, org.admin_user_id)
            assert admin is not None
            project = await session.scalar(select(Project).where(Project.organization_id == org.organization_id))
            actor = Actor(organization_id=org.organization_id, user_id=admin.id, email=admin.email,
                          display_name=admin.display_name, org_role=admin.role, via="system", organization_key=org.key)
            board = await check_create_board(session, actor=actor, spec={
                "name": "Modules board", "type": "scrum", "project_id": project.id,
                "jql": f'project = "{project.key}" AND type != Epic ORDER BY Rank ASC',
                "columns": [{"name": "To do", "status_ids": ["Open", "Reopened"]},
                            {"name": "Done", "status_ids": ["Resolved", "Closed"]}],
                "swimlanes": {"type": "queries", "queries": [{"name": "Bugs", "jql": "issuetype = Bug"},
                                                             {"name": "Fixed", "jql": "resolution = Fixed"}]},
                "quick_filters": [{"name": "Mine", "jql": "assignee = currentUser()", "description": "my issues"},
                                  {"name": "Labelled", "jql": "labels IS NOT EMPTY"}]})
            sprints = (await session.scalars(select(Sprint).where(
                Sprint.organization_id == org.organization_id).order_by(Sprint.id).limit(2))).all()
            assert len(sprints) == 2
            session.add_all([SprintBoard(organization_id=org.organization_id, sprint_id=s.id, board_id=board.id)
                             for s in sprints])
    finally:
        await database.dispose()
    return org


def client_for(url: str, org: OrgHandle) -> JiraClient:
    return JiraClient(url, Auth(user=org.admin_email, token=org.token), rate=0)


async def snapshot(database: Database, org_id: int) -> dict[str, tuple]:
    """Each issue by key: status, type, parent key, comments, change groups."""
    async with database.unit_of_work(write=False) as session:
        issues = (await session.execute(select(Issue.id, Issue.key, Status.name, Issue.parent_id, Issue.summary).join(
            Status, Status.id == Issue.status_id).where(Issue.organization_id == org_id))).all()
        keys = {row.id: row.key for row in issues}
        comments = dict((await session.execute(select(Comment.issue_id, func.count()).where(
            Comment.organization_id == org_id).group_by(Comment.issue_id))).all())
        groups = dict((await session.execute(select(ChangeGroup.issue_id, func.count()).where(
            ChangeGroup.organization_id == org_id).group_by(ChangeGroup.issue_id))).all())
        links = (await session.execute(select(IssueLink.source_issue_id, IssueLink.target_issue_id).where(
            IssueLink.organization_id == org_id))).all()
    found: dict[str, tuple] = {row.key: (row.name, keys.get(row.parent_id), row.summary, comments.get(row.id, 0),
                                         groups.get(row.id, 0)) for row in issues}
    found["(links)"] = tuple(sorted((keys[a], keys[b]) for a, b in links))
    return found


async def boards(database: Database, org_id: int) -> list[tuple]:
    """Each board: name, type, filter JQL, columns by status name, swimlanes, quick filters, its
    sprints with their dates."""
    async with database.unit_of_work(write=False) as session:
        names = dict((await session.execute(select(Status.id, Status.name).where(
            Status.organization_id == org_id))).all())
        found = []
        for board in (await session.scalars(select(Board).where(Board.organization_id == org_id))).all():
            jql = await session.scalar(select(SavedFilter.jql).where(SavedFilter.organization_id == org_id,
                                                                     SavedFilter.id == board.filter_id))
            sprints = (await session.execute(select(Sprint.name, Sprint.state, Sprint.start_at, Sprint.end_at).join(
                SprintBoard, SprintBoard.sprint_id == Sprint.id).where(
                SprintBoard.organization_id == org_id, SprintBoard.board_id == board.id).order_by(Sprint.name))).all()
            found.append((board.name, board.board_type, jql, [(c["name"], sorted(names[s] for s in c["status_ids"]))
                                                             for c in board.columns], board.swimlanes,
                          [(q["name"], q["jql"], q["description"]) for q in board.quick_filters],
                          [tuple(s) for s in sprints]))
    return found


async def mentions(database: Database, org_id: int) -> tuple[set[int], set[int]]:
    async with database.unit_of_work(write=False) as session:
        texts = [*(await session.scalars(select(Comment.body).where(Comment.organization_id == org_id))).all(),
                 *(await session.scalars(select(Issue.description).where(Issue.organization_id == org_id))).all()]
        users = set((await session.scalars(select(User.id).where(User.organization_id == org_id))).all())
    return {int(found) for text in texts for found in re.findall(r"\(account:(\d+)\)", text)}, users


async def bodies(database: Database, org_id: int) -> tuple[list, list]:
    """Descriptions and comments, with mentions by name (their user ids differ between orgs)."""
    async with database.unit_of_work(write=False) as session:
        descriptions = (await session.execute(select(Issue.key, Issue.description).where(
            Issue.organization_id == org_id))).all()
        comments = (await session.execute(select(Issue.key, Comment.body, Comment.created_at).join(
            Issue, Issue.id == Comment.issue_id).where(Comment.organization_id == org_id))).all()
    return (sorted((key, MENTION.sub("", text)) for key, text in descriptions),
            sorted((key, MENTION.sub("", text), str(at)) for key, text, at in comments))


async def test_a_live_tessera_imports_into_another_org(database: Database, database_url: str, jira_url: str,  # noqa: F811
                                                      source_org: OrgHandle, tmp_path: Path) -> None:
    target = await make_org_async(database_url)
    with client_for(jira_url, source_org) as client:
        pulled, report = await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool")
    assert pulled.complete and report is not None
    assert pulled.info.api == 2 and pulled.info.text_format == "markdown"
    before, after = (await snapshot(database, source_org.organization_id),
                     await snapshot(database, target.organization_id))
    assert report.outcomes["created"] == len(before) - 1 > 300
    assert after == before  # keys, statuses, parents (sub-tasks), summaries, comments, histories, links
    assert any(parent for _, parent, *_ in (v for k, v in before.items() if k != "(links)"))
    assert before["(links)"]
    async with database.unit_of_work(write=False) as session:
        sprints = (await session.scalars(select(Sprint.name).where(
            Sprint.organization_id == source_org.organization_id).order_by(Sprint.id).limit(3))).all()
    for query in (*QUERIES, *(f'sprint WAS "{name}"' for name in sprints),
                  *(f'sprint CHANGED TO "{name}"' for name in sprints)):
        assert await jql_count(database, target.key, query) == await jql_count(database, source_org.key, query), query
    assert await jql_count(database, target.key, 'sprint CHANGED') > 0
    assert await bodies(database, target.organization_id) == await bodies(database, source_org.organization_id)
    mentioned, users = await mentions(database, target.organization_id)
    assert mentioned and mentioned <= users  # mentions name org B's users, not org A's
    assert await boards(database, target.organization_id) == await boards(database, source_org.organization_id)
    assert report.created["boards"] == 1
    assert not (tmp_path / "spool").exists()  # a complete import leaves no spool, only its checkpoint
    assert (await read_checkpoint(database, target.key, pulled.site, pulled.jql))[0] == pulled.pages

    with client_for(jira_url, source_org) as client:  # again, all of it: nothing changed, nothing written
        whole, again = await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool",
                                             full=True)
    assert whole.since is None and again is not None and again.outcomes == {"unchanged": len(before) - 1}
    assert await snapshot(database, target.organization_id) == before


async def test_the_cloud_api_pull_resumes_after_a_page_limit(database: Database, database_url: str,
                                                             jira_url: str, source_org: OrgHandle,  # noqa: F811
                                                             tmp_path: Path) -> None:
    target, spool = await make_org_async(database_url), tmp_path / "spool"
    with client_for(jira_url, source_org) as client:
        first, report = await import_from_url(database, client, org_key=target.key, api=3, spool=spool,
                                              page_size=100, max_pages=2)
        assert report is None and not first.complete and first.pages == 2 and first.issues == 200
    assert (await read_checkpoint(database, target.key, first.site, first.jql))[0] == 2
    async with database.unit_of_work(write=False) as session:  # nothing imported yet
        assert not await session.scalar(select(func.count()).select_from(Issue).where(
            Issue.organization_id == target.organization_id))
    with client_for(jira_url, source_org) as client:
        second, report = await import_from_url(database, client, org_key=target.key, api=3, spool=spool,
                                               page_size=100)
    assert second.complete and second.pages_reused == 2 and second.pages == 4
    assert second.info.text_format == "adf" and report is not None
    before, after = (await snapshot(database, source_org.organization_id),
                     await snapshot(database, target.organization_id))
    assert after.keys() == before.keys()
    assert after.pop("(links)") == before.pop("(links)")
    for key, (status, parent, _summary, comments, groups) in before.items():
        assert after[key][:2] == (status, parent) and after[key][3:] == (comments, groups), key
    async with database.unit_of_work(write=False) as session:  # ADF bodies came back as Markdown, not JSON
        bodies = (await session.scalars(select(Comment.body).where(
            Comment.organization_id == target.organization_id))).all()
    assert bodies and not [body for body in bodies if '"type": "doc"' in body or '"type":"doc"' in body]
    mentioned, users = await mentions(database, target.organization_id)  # ADF mentions: org B's users
    assert mentioned and mentioned <= users


async def test_a_reimport_reads_only_what_changed(database: Database, database_url: str, jira_url: str,  # noqa: F811
                                                  source_org: OrgHandle, tmp_path: Path) -> None:
    target = await make_org_async(database_url)
    with client_for(jira_url, source_org) as client:
        first, _ = await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool")
        first_requests = client.requests
    assert first.since is None and first.pages >= 4
    keys = sorted(key for key in await snapshot(database, source_org.organization_id) if key != "(links)")[:2]
    with httpx.Client(base_url=jira_url, auth=(source_org.admin_email, source_org.token), timeout=30) as source:
        for key in keys:  # two issues change at the source
            changed = source.put(f"/rest/api/2/issue/{key}", json={"fields": {"summary": f"{key} changed at the source"}})
            assert changed.status_code == 204, changed.text
    with client_for(jira_url, source_org) as client:
        again, report = await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool")
        again_requests = client.requests
    assert report is not None and again.since is not None and 'AND updated >= "' in again.jql
    assert again.pages == 1 and again_requests < first_requests
    assert (report.outcomes["updated"], report.outcomes["created"]) == (2, 0)
    assert again.issues == 2 + report.outcomes["unchanged"] < 10  # the two, and what the margin reads again
    assert any("only issues updated since" in note for note in report.notes)
    after = await snapshot(database, target.organization_id)
    assert after == await snapshot(database, source_org.organization_id)
    assert [after[key][2] for key in keys] == [f"{key} changed at the source" for key in keys]

    with client_for(jira_url, source_org) as client:  # nothing changed since: only the margin is read again
        quiet, report = await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool")
    assert report is not None and quiet.since is not None and quiet.since >= again.since
    assert set(report.outcomes) <= {"unchanged"} and quiet.issues == report.outcomes["unchanged"] <= 2
    assert not (tmp_path / "spool").exists()


async def test_fields_link_types_and_users_no_issue_uses_come_along(
        database: Database, database_url: str, jira_url: str, source_org: OrgHandle,  # noqa: F811
        tmp_path: Path) -> None:
    org = source_org.organization_id
    async with database.unit_of_work() as session:  # at the source: nothing of these is used by an issue
        train = CustomFieldDefinition(organization_id=org, key="release_train", name="Release train",
                                      field_type="select", description="", project_ids=[], issue_type_ids=[])
        session.add(train)
        await session.flush()
        session.add_all([CustomFieldOption(organization_id=org, field_id=train.id, value=value, position=index)
                         for index, value in enumerate(("Red", "Blue"))])
        session.add(LinkType(organization_id=org, name="Supersedes", outward="supersedes", inward="is superseded by"))
        session.add(User(organization_id=org, email="idle.ida@mod.test", display_name="Idle Ida", role="member",
                         active=True, password_hash=None))
        await do_bump_catalog_version(session, org)
    # written beside the server, not through it: it trusts the actor (and its catalog version) it read
    # for a token for TESSERA_AUTH_CACHE_SECONDS (2 s) before reading the organization again
    await asyncio.sleep(2.5)
    target = await make_org_async(database_url)
    with client_for(jira_url, source_org) as client:
        _, report = await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool")
        listed = [f["name"] for f in client.get("/rest/api/2/field") if f.get("custom")]
    assert report is not None and "Release train" in listed, listed
    assert "Release train" in {entry.get("name") for entry in report.mapping["custom_fields"].values()}, \
        report.mapping["custom_fields"]

    async def came_along() -> tuple:
        async with database.unit_of_work(write=False) as session:
            field = await session.scalar(select(CustomFieldDefinition).where(
                CustomFieldDefinition.organization_id == target.organization_id,
                CustomFieldDefinition.name == "Release train"))
            assert field is not None
            options = (await session.scalars(select(CustomFieldOption.value).where(
                CustomFieldOption.organization_id == target.organization_id,
                CustomFieldOption.field_id == field.id).order_by(CustomFieldOption.position))).all()
            link = (await session.execute(select(LinkType.outward, LinkType.inward).where(
                LinkType.organization_id == target.organization_id, LinkType.name == "Supersedes"))).one()
            ida = (await session.execute(select(User.id, User.display_name, User.active).where(
                User.organization_id == target.organization_id, User.email == "idle.ida@mod.test"))).one()
            users = await session.scalar(select(func.count()).select_from(User).where(
                User.organization_id == target.organization_id))
        return field.field_type, list(options), tuple(link), tuple(ida), users

    found = await came_along()
    assert found[:3] == ("select", ["Red", "Blue"], ("supersedes", "is superseded by"))
    assert found[3][1:] == ("Idle Ida", False)  # created inactive, as every imported user
    with client_for(jira_url, source_org) as client:  # again, all of it: the same users, no second of any
        await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool", full=True)
    assert await came_along() == found


async def test_a_pull_killed_mid_way_resumes_without_duplicates(database: Database, database_url: str,
                                                                jira_url: str, source_org: OrgHandle,  # noqa: F811
                                                                tmp_path: Path) -> None:
    target, spool = await make_org_async(database_url), tmp_path / "spool"
    command = [str(Path(sys.executable).parent / "tessera"), "import", "jira", "--org", target.key, "--url", jira_url,
               "--spool", str(spool), "--page-size", "20", "--rate", "10", "--no-attachments", "--json",
               "--database-url", database_url]
    environment = {**os.environ, "TESSERA_IMPORT_JIRA_USER": source_org.admin_email,
                   "TESSERA_IMPORT_JIRA_TOKEN": source_org.token, "TESSERA_LOG_LEVEL": "WARNING"}

    async def pages_done() -> int:
        async with database.unit_of_work(write=False) as session:
            return int(await session.scalar(select(func.max(ImportMapping.local_id)).where(
                ImportMapping.organization_id == target.organization_id, ImportMapping.kind == "checkpoint",
                ImportMapping.external_id.like("search:%"))) or 0)

    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        done = 0
        while process.poll() is None and done < 2:  # two pages pulled: kill it mid-pull
            await asyncio.sleep(0.01)
            done = await pages_done()
        process.send_signal(signal.SIGKILL)
    finally:
        _, errors = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, errors.decode()[-2000:]
    done = await pages_done()
    assert 2 <= done < 10 and len(list(spool.glob("page-*.jsonl.gz"))) >= done
    async with database.unit_of_work(write=False) as session:  # killed in the pull: nothing imported yet
        assert not await session.scalar(select(func.count()).select_from(Issue).where(
            Issue.organization_id == target.organization_id))

    with client_for(jira_url, source_org) as client:
        resumed, report = await import_from_url(database, client, org_key=target.key, spool=spool, page_size=20)
    assert resumed.complete and resumed.pages_reused >= done and report is not None
    before = await snapshot(database, source_org.organization_id)
    assert report.outcomes == {"created": len(before) - 1}
    assert await snapshot(database, target.organization_id) == before
    async with database.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(ImportMapping).where(
            ImportMapping.organization_id == target.organization_id, ImportMapping.kind == "issue")) == len(before) - 1


class _Receiver(BaseHTTPRequestHandler):
    """A minimal Jira: one project, two issues; its first search answers 429 and its second 503. Its
    directory has a user no issue names, its field list a select field no issue holds, its link
    types one no issue uses; with `hide_emails`, no email shows (as Jira Cloud's default)."""

    refusals = ["429", "503"]
    searches = 0
    hide_emails = False

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        path, query = url.path, parse_qs(url.query)
        body: object = None
        if path == "/rest/api/2/serverInfo":
            body = {"deploymentType": "Server", "version": "9.12.0", "baseUrl": ""}
        elif path == "/rest/api/2/project":
            body = [{"key": "ZAP", "name": "Zap"}]
        elif path == "/rest/api/2/project/ZAP":
            body = {"key": "ZAP", "id": "1", "name": "Zap", "lead": {"name": "ada", "displayName": "Ada"}}
        elif path.startswith("/rest/api/2/project/ZAP/"):
            body = [{"id": "7", "name": "1.0", "released": True, "releaseDate": "2024-02-01"}] \
                if path.endswith("versions") else []
        elif path == "/secure/attachment/501/shot.png":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)
            return
        elif path == "/rest/api/2/issue/ZAP-2/changelog":  # the second page of a changelog the search cut
            start = int(query["startAt"][0])
            body = {"startAt": start, "maxResults": 100, "total": 2, "isLast": True,
                    "values": [_history(n) for n in (1, 2)][start:]}
        elif path == "/rest/api/2/issue/ZAP-2/comment":
            body = {"startAt": 0, "maxResults": 100, "total": 2,
                    "comments": [_comment(2, "first"), _comment(3, "second")]}
        elif path == "/rest/api/2/priority":  # the site's order, which no issue tells
            body = [{"id": "9", "name": "Showstopper"}, {"id": "2", "name": "Someday"}]
        elif path == "/rest/api/2/resolution":
            body = [{"id": "1", "name": "Shipped", "description": "Out of the door."}]
        elif path == "/rest/api/2/status":
            body = [{"name": "Waiting", "statusCategory": {"key": "done"}}]
        elif path == "/rest/api/2/user/search":
            body = [ADA, BOB][int(query["startAt"][0]):]
        elif path == "/rest/api/2/field":
            body = [{"id": "summary", "name": "Summary", "custom": False, "schema": {"type": "string"}},
                    {"id": "customfield_10500", "name": "Release train", "custom": True,
                     "schema": {"type": "option", "customId": 10500}}]
        elif path == "/rest/api/2/issue/createmeta":
            body = {"projects": [{"key": "ZAP", "issuetypes": [{"name": "Task", "fields": {"customfield_10500": {
                "allowedValues": [{"id": "1", "value": "Red"}, {"id": "2", "value": "Blue"}]}}}]}]}
        elif path == "/rest/api/2/issueLinkType":
            body = {"issueLinkTypes": [{"id": "3", "name": "Clones", "inward": "is cloned by", "outward": "clones"}]}
        elif path == "/rest/api/2/search":
            type(self).searches += 1
            if self.refusals:
                code = self.refusals.pop(0)
                self.send_response(int(code))
                self.send_header("Retry-After", "3")
                self.end_headers()
                return
            start = int(query["startAt"][0])
            body = {"startAt": start, "maxResults": 1, "total": 2,
                    "issues": [_issue(start + 1, f"http://{self.headers['Host']}")]}
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(_without_emails(body) if self.hide_emails else body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _issue(number: int, base: str) -> dict:
    ada = {"name": "ada", "key": "ada", "displayName": "Ada", "emailAddress": "ada@zap.test"}
    files = [{"id": "501", "filename": "shot.png", "size": len(PNG), "mimeType": "image/png", "author": ada,
              "created": "2024-01-02T10:00:00.000+0000", "content": f"{base}/secure/attachment/501/shot.png"},
             {"id": "502", "filename": "huge.bin", "size": 10**9, "author": ada,
              "content": f"{base}/secure/attachment/502/huge.bin"}] if number == 1 else []
    return {"id": str(100 + number), "key": f"ZAP-{number}", "self": "http://zap.test/rest/api/2/issue/1", "fields": {
        "summary": f"Thing {number}", "issuetype": {"name": "Task"}, "status": {"name": "Waiting"},
        "project": {"key": "ZAP", "name": "Zap"}, "priority": {"id": ["9", "2"][number - 1],
                                                              "name": ["Showstopper", "Someday"][number - 1]},
        "resolution": {"id": "1", "name": "Shipped"}, "created": "2024-01-0%dT10:00:00.000+0000" % number,
        "updated": "2024-01-05T10:00:00.000+0000", "reporter": ada, "fixVersions": [{"id": "7", "name": "1.0"}],
        "description": "h2. Steps\n* one\n* two\nping [~ada]\n!shot.png!", "attachment": files,
        "comment": {"total": number, "comments": [_comment(number, "*done*")]}},
        # ZAP-2's search result holds one of its two histories and one of its two comments
        "changelog": {"total": 0, "histories": []} if number == 1 else {"total": 2, "histories": [_history(1)]}}


ADA = {"name": "ada", "key": "ada", "displayName": "Ada", "emailAddress": "ada@zap.test"}
BOB = {"name": "bob", "key": "bob", "displayName": "Bob", "emailAddress": "bob@zap.test", "active": True}


def _without_emails(body: object) -> object:
    if isinstance(body, dict):
        return {key: _without_emails(value) for key, value in body.items() if key != "emailAddress"}
    if isinstance(body, list):
        return [_without_emails(value) for value in body]
    return body


def _comment(number: int, body: str) -> dict:
    return {"id": str(number), "author": ADA, "body": body, "created": f"2024-01-0{number + 4}T10:00:00.000+0000"}


def _history(number: int) -> dict:
    return {"id": str(700 + number), "author": ADA, "created": f"2024-01-0{number + 2}T10:00:00.000+0000",
            "items": [{"field": "status", "fromString": ["Open", "Doing"][number - 1],
                       "toString": ["Doing", "Waiting"][number - 1]}]}


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.refusals, _Receiver.searches, _Receiver.hide_emails = [], 0, False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_429_and_a_503_are_waited_out(database: Database, database_url: str, receiver: str,
                                               tmp_path: Path) -> None:
    target, waits = await make_org_async(database_url), []
    _Receiver.refusals = ["429", "503"]
    client = JiraClient(receiver, Auth(pat="secret"), rate=0, sleep=waits.append)
    store = LocalObjectStore(tmp_path / "store")
    with client:
        pulled, report = await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool",
                                               page_size=1, store=store, attachment_max_bytes=1_000_000)
    assert waits == [3.0, 3.0]  # Retry-After honoured, without really sleeping in the test
    assert _Receiver.searches == 4 and pulled.pages == 2 and pulled.info.text_format == "wiki"
    assert report is not None and report.outcomes["created"] == 2
    async with database.unit_of_work(write=False) as session:
        rows = (await session.execute(select(Issue.key, Issue.description, Status.name, Status.category).join(
            Status, Status.id == Issue.status_id).where(Issue.organization_id == target.organization_id).order_by(
            Issue.key))).all()
    assert [row.key for row in rows] == ["ZAP-1", "ZAP-2"]
    assert rows[0].category == "done"  # from /status, not guessed from the name
    assert rows[0].description.startswith("## Steps") and "(account:" in rows[0].description  # a real mention
    async with database.unit_of_work(write=False) as session:
        files = (await session.scalars(select(Attachment).where(
            Attachment.organization_id == target.organization_id))).all()
    assert [(f.filename, f.size, f.content_type) for f in files] == [("shot.png", len(PNG), "image/png")]
    assert await store.get(files[0].storage_key) == PNG
    assert f"(/v2/attachments/{files[0].id}/content)" in rows[0].description  # !shot.png! shows the import
    assert report.skipped["attachment larger than the limit (1,000,000 bytes)"] == ["ZAP-1: huge.bin"]
    assert report.attachments == 1
    # what the search cut short came from the issue's own changelog and comment pages
    assert (report.comments, report.histories) == (3, 2)
    async with database.unit_of_work(write=False) as session:
        order = (await session.scalars(select(Priority.name).where(
            Priority.organization_id == target.organization_id, Priority.name.in_(("Showstopper", "Someday"))).order_by(
            Priority.sequence))).all()
        shipped = await session.scalar(select(Resolution.description).where(
            Resolution.organization_id == target.organization_id, Resolution.name == "Shipped"))
    assert order == ["Showstopper", "Someday"] and shipped == "Out of the door."  # though Jira's ids say otherwise
    assert set(report.skipped) == {"attachment larger than the limit (1,000,000 bytes)",
                                   "boards not readable (no Jira Software, or no permission)"}
    assert await jql_count(database, target.key, 'status CHANGED FROM Open TO Doing') == 1
    assert await jql_count(database, target.key, 'status WAS Doing ON "2024-01-04"') == 1


def test_the_command_dry_runs_a_live_site(database_url: str, receiver: str, tmp_path: Path) -> None:
    org = asyncio.run(make_org_async(database_url))
    env = {"TESSERA_IMPORT_JIRA_PAT": "secret", "TESSERA_ATTACHMENTS_DIR": str(tmp_path / "store")}
    command = ["import", "jira", "--org", org.key, "--url", receiver, "--json", "--spool", str(tmp_path / "spool"),
               "--database-url", database_url]

    def run(*more: str) -> dict:
        result = CliRunner().invoke(cli, [*command, *more], env=env)
        assert result.exit_code == 0, result.output[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    report = run("--dry-run", "--mapping", str(tmp_path / "map.json"))
    assert report["dry_run"] and report["planned"]["issues"] == {"create": 2, "reuse": 0}
    mapping = json.loads((tmp_path / "map.json").read_text())
    assert mapping["site"] == report["site"] == "http://zap.test" and mapping["statuses"]["Waiting"]["category"] == "done"
    assert not fetch_rows(database_url, "SELECT id FROM issues WHERE organization_id = :org",
                          {"org": org.organization_id})  # a dry run writes nothing but its pull's checkpoint
    searched = _Receiver.searches
    report = run()
    assert _Receiver.searches == searched  # the dry run's pull is not read again
    assert (report["created"], report["attachments"]) == (2, 1)
    assert report["skipped_reasons"]["attachment larger than the limit (26,214,400 bytes)"]["count"] == 1
    assert run("--page-size", "1", "--max-pages", "1")["complete"] is False  # the next pull stops after a page
    report = run()  # and goes on: what changed since (nothing), with the margin read again
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 2)
    assert any("only issues updated since 2024-01-05T09:55:00.000+00:00" in note for note in report["notes"])
    full = run("--full")
    assert full["unchanged"] == 2 and any("every issue" in note for note in full["notes"])


async def test_hidden_emails_match_by_identity_on_reimport(database: Database, database_url: str, receiver: str,
                                                           tmp_path: Path) -> None:
    target = await make_org_async(database_url)

    async def people() -> dict[str, tuple[int, str, bool]]:
        async with database.unit_of_work(write=False) as session:
            rows = (await session.execute(select(User.display_name, User.id, User.email, User.active).where(
                User.organization_id == target.organization_id, User.id != target.admin_user_id))).all()
        return {row.display_name: (row.id, row.email, row.active) for row in rows}

    _Receiver.hide_emails = True
    with JiraClient(receiver, Auth(pat="secret"), rate=0) as client:
        await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool", page_size=1)
    hidden = await people()
    assert set(hidden) == {"Ada", "Bob"}  # Bob is on no issue: the directory brought him
    assert all(email.endswith(".jira-import.invalid") and not active for _, email, active in hidden.values())
    _Receiver.hide_emails = False  # the emails show now: the same users, with their real addresses
    with JiraClient(receiver, Auth(pat="secret"), rate=0) as client:
        await import_from_url(database, client, org_key=target.key, spool=tmp_path / "spool", page_size=1, full=True)
    shown = await people()
    assert shown == {"Ada": (hidden["Ada"][0], "ada@zap.test", False), "Bob": (hidden["Bob"][0], "bob@zap.test", False)}
    async with database.unit_of_work(write=False) as session:
        options = (await session.scalars(select(CustomFieldOption.value).join(
            CustomFieldDefinition, CustomFieldDefinition.id == CustomFieldOption.field_id).where(
            CustomFieldDefinition.organization_id == target.organization_id,
            CustomFieldDefinition.name == "Release train").order_by(CustomFieldOption.position))).all()
        clones = await session.scalar(select(LinkType.inward).where(
            LinkType.organization_id == target.organization_id, LinkType.name == "Clones"))
    assert list(options) == ["Red", "Blue"] and clones == "is cloned by"


def test_the_command_says_what_a_live_import_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("USER", "TOKEN", "PAT"):
        monkeypatch.delenv(f"TESSERA_IMPORT_JIRA_{name}", raising=False)
    for arguments, said in ((["--url", "https://x.test"], "--pat"), (["--url", "x.test", "--pat", "p"], "address"),
                            (["--file", __file__, "--url", "https://x.test"], "either"),
                            (["--url", "https://x.test", "--pat", "p", "--attachments-from", "https://x.test"],
                             "goes with --file")):
        result = CliRunner().invoke(cli, ["import", "jira", "--org", "X", *arguments])
        assert result.exit_code == 2 and said in result.output, result.output
