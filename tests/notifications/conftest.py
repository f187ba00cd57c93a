"""The notifications' tests run the real worker (outbox handlers and delivery runner) on a real
database of each module's own, on SQLite and PostgreSQL: the worker drains every organization's
events, so a database shared with the rest of the suite would hand it other tests' events."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.main import create_app
from tessera.notifications.batching import BatchPolicy
from tessera.notifications.channels import ChannelDirectory
from tessera.workers.pipeline import Pipeline
from tessera.workers.registry import build_registry, register_notifications
from tests.conftest import BACKENDS
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, fetch_rows, fresh_database, make_org, make_user


@pytest.fixture(scope="module", params=BACKENDS)
def notify_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("notify")), postgres_skip_reason) as url:
        yield url


@pytest.fixture(scope="module")
def notify_settings(notify_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(database_url=notify_url, base_url="http://testserver", notify_batch_seconds=0,
                    attachments_dir=str(tmp_path_factory.mktemp("attachments")), login_address_failures=1_000_000)


@pytest.fixture(scope="module")
def api(notify_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(notify_settings)) as test_client:
        yield test_client


class EmailBook:
    """A stand-in for the email helper's directory: everyone has an address except `unreachable`.
    No email sender is registered, so its deliveries stay where the fan-out put them."""

    channel = Channel.EMAIL

    def __init__(self, unreachable: Sequence[int] = ()) -> None:
        self.unreachable = set(unreachable)

    async def reachable(self, session, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:  # type: ignore[no-untyped-def]
        return {u: f"user{u}@mail.test" for u in user_ids if u not in self.unreachable}


async def drain_async(settings: Settings, *, window: float = 0, cap: int = 30,
                      directories: Sequence[ChannelDirectory] = ()) -> None:
    database = Database(settings)
    try:
        handlers, senders = build_registry(settings), SenderRegistry()
        register_notifications(handlers, senders, settings, database, directories=directories,
                               policy=BatchPolicy(window_seconds=window, cap_per_hour=cap))
        await Pipeline(database, handlers, senders, RetryPolicy()).drain()
    finally:
        await database.dispose()


def drain(settings: Settings, **kwargs: object) -> None:
    """Run the worker until nothing is due (fan-out, then the inbox sender)."""
    asyncio.run(drain_async(settings, **kwargs))  # type: ignore[arg-type]


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def deliveries(url: str, user_ids: Sequence[int], channel: str | None = None) -> list[dict]:
    """The notification deliveries to these users, oldest first, payloads as dicts."""
    rows = fetch_rows(url, "SELECT id, channel, target_id, target, state, batch_key, payload, next_attempt_at, "
                           "created_at, idempotency_key FROM deliveries WHERE channel != 'webhook' ORDER BY id")
    wanted = set(user_ids)
    out = [dict(row, payload=_json(row["payload"])) for row in rows if row["target_id"] in wanted]
    return [row for row in out if channel is None or row["channel"] == channel]


def inbox_rows(url: str, user_id: int) -> list[dict]:
    rows = fetch_rows(url, "SELECT * FROM notifications WHERE user_id = :u ORDER BY id", {"u": user_id})
    return [dict(row, changes=_json(row["changes"]), event_kinds=_json(row["event_kinds"])) for row in rows]


@dataclass
class Team:
    """An organization with a project, an issue and people around it: `reporter` reported it,
    `assignee` has it, `watcher` watches it, `bystander` is a member doing nothing."""

    org: OrgHandle
    project: dict
    issue: dict
    reporter: UserHandle
    assignee: UserHandle
    watcher: UserHandle
    bystander: UserHandle
    extra: dict = field(default_factory=dict)

    @property
    def people(self) -> list[int]:
        return [u.user_id for u in (self.reporter, self.assignee, self.watcher, self.bystander)]

    def all_ids(self) -> list[int]:
        return [self.org.admin_user_id, *self.people]


def make_team(api: TestClient, url: str, *, access: str = "open") -> Team:
    org = make_org(url)
    users = [make_user(url, org) for _ in range(4)]
    reporter, assignee, watcher, bystander = users
    key = f"P{org.key[-5:]}"[:10].upper()
    project = ok(api.post("/v2/projects", json={"key": key, "name": "Notified", "access": access},
                          headers=org.headers), 201)
    if access == "private":
        ok(api.put(f"/v2/projects/{project['id']}/roles/developers",
                   json={"user_ids": [u.user_id for u in users]}, headers=org.headers))
    issue = ok(api.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Hello",
                                            "reporter_id": reporter.user_id, "assignee_id": assignee.user_id},
                        headers=org.headers), 201)
    ok(api.put(f"/v2/issues/{issue['id']}/watch", json={"user_id": watcher.user_id}, headers=org.headers))
    return Team(org, project, issue, reporter, assignee, watcher, bystander)


_edits = itertools.count(1)


def edit(api: TestClient, team: Team, who: UserHandle | OrgHandle, **fields: object) -> dict:
    """An edit of the team's issue (a new summary each time unless `fields` say otherwise)."""
    body = fields or {"summary": f"Edited {next(_edits)}"}
    return ok(api.put(f"/v2/issues/{team.issue['id']}", json=body, headers=who.headers))
