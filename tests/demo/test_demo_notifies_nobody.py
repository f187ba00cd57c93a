"""`tessera demo` mails nobody: on a database of its own (the worker drains every organization's
events), both backends, the command as a user runs it, then the worker as `tessera worker`
wires it with a real SMTP server (aiosmtpd): its history sends nothing, while a change made
afterwards reaches the people on the issue by mail and inbox."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.models import Delivery
from tessera.issues.models import Issue
from tessera.main import create_app
from tessera.notifications.models import Notification
from tessera.tenancy.models import User
from tessera.workers.registry import build_pipeline
from tests.conftest import BACKENDS
from tests.factories.http import ok
from tests.factories.smtp_capture import smtp_server
from tests.support import fresh_database

TESSERA = Path(sys.executable).parent / "tessera"
pytestmark = pytest.mark.slow


@pytest.fixture(params=BACKENDS)
def own_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("demo-quiet")), postgres_skip_reason) as url:
        yield url


async def _drain(settings: Settings) -> tuple[int, int]:
    """One worker pass until nothing is due; then (deliveries in all, inbox entries in all)."""
    database = Database(settings)
    try:
        pipeline = build_pipeline(settings, database)
        await pipeline.drain()
        await pipeline.aclose()
        async with database.unit_of_work(write=False) as session:
            return (int(await session.scalar(select(func.count()).select_from(Delivery)) or 0),
                    int(await session.scalar(select(func.count()).select_from(Notification)) or 0))
    finally:
        await database.dispose()


async def _issue_of_someone_else(settings: Settings, admin_email: str) -> tuple[int, set[str]]:
    """An issue reported by one of the admin's colleagues, and the addresses of its reporter and assignee."""
    database = Database(settings)
    try:
        async with database.unit_of_work(write=False) as session:
            admin_id = await session.scalar(select(User.id).where(User.email == admin_email))
            issue = await session.scalar(select(Issue).where(Issue.reporter_id != admin_id).order_by(Issue.id))
            assert issue is not None
            people = {issue.reporter_id, issue.assignee_id} - {None, admin_id}
            emails = set((await session.scalars(select(User.email).where(User.id.in_(people)))).all())
        return issue.id, emails
    finally:
        await database.dispose()


def test_the_demo_history_notifies_nobody_and_a_later_change_does(own_url: str, tmp_path: Path) -> None:
    done = subprocess.run([str(TESSERA), "demo", "--json", "--issues", "30", "--database-url", own_url],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TESSERA_LOG_LEVEL": "WARNING"})
    assert done.returncode == 0, done.stderr
    demo = json.loads(done.stdout.strip().splitlines()[-1])
    with smtp_server() as smtp:
        settings = Settings(database_url=own_url, smtp_url=smtp.url(), base_url="http://testserver",
                            attachments_dir=str(tmp_path / "files"), notify_batch_seconds=0)
        assert asyncio.run(_drain(settings)) == (0, 0)
        assert smtp.capture.messages == []

        issue_id, emails = asyncio.run(_issue_of_someone_else(settings, demo["email"]))
        assert emails  # somebody other than the admin is on the issue
        with TestClient(create_app(settings)) as client:
            ok(client.put(f"/v2/issues/{issue_id}", json={"summary": "Changed after the demo was seeded"},
                          headers={"Authorization": f"Bearer {demo['api_token']}"}))
        deliveries, inbox = asyncio.run(_drain(settings))
    assert deliveries >= 2 * len(emails) and inbox >= len(emails)
    assert emails <= {rcpt for _, rcpts in smtp.capture.envelopes for rcpt in rcpts}
    assert all("Changed after the demo was seeded" in message["Subject"] for message in smtp.capture.messages)
