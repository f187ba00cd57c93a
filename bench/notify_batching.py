"""How many deliveries notification batching saves on a realistic burst, and how fast the
fan-out runs, on a fresh database.

    .venv/bin/python bench/notify_batching.py --backend sqlite
    .venv/bin/python bench/notify_batching.py --backend postgres

The burst: --events edits spread over --issues issues with a skewed (Zipf-like) choice, so a few
hot issues take most of them, as in a sprint's last day; each issue has its reporter, assignee
and --watchers watchers (15 people in all); each edit is made by one of them. Every event is fanned
out twice on the same data: with batching off (TESSERA_NOTIFY_BATCH_SECONDS=0, one delivery per
change, recipient and channel) and with the default 120-second window. Two channels: the inbox
and an email directory that reaches everyone. Results go to bench/results/notify_batching-<backend>.*
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from sqlalchemy import delete, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tessera.config import Settings  # noqa: E402
from tessera.db.base import utcnow  # noqa: E402
from tessera.db.engine import Database  # noqa: E402
from tessera.delivery.engine import SenderRegistry  # noqa: E402
from tessera.delivery.models import Channel, Delivery  # noqa: E402
from tessera.events.models import OutboxEvent  # noqa: E402
from tessera.events.outbox import emit  # noqa: E402
from tessera.events.types import IssueUpdated  # noqa: E402
from tessera.migrate import upgrade_database  # noqa: E402
from tessera.notifications.batching import BatchPolicy  # noqa: E402
from tessera.notifications.models import NotifiedEvent  # noqa: E402
from tessera.workers.registry import build_registry, register_notifications  # noqa: E402

PG = os.environ.get("TESSERA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class EveryoneByEmail:
    channel = Channel.EMAIL

    async def reachable(self, session, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:  # type: ignore[no-untyped-def]
        return {u: f"user{u}@bench.test" for u in user_ids}


async def _organization(settings: Settings) -> tuple[int, str, list[int]]:
    from tessera.onboarding.organizations import check_create_organization
    from tessera.tenancy.service import check_create_user, load_organization_by_key

    database = Database(settings)
    key = f"B{uuid.uuid4().hex[:6].upper()}"
    async with database.unit_of_work() as session:
        new = await check_create_organization(session, key=key, name="Bench", admin_email=f"admin@{key}.test",
                                              admin_password=None)
        organization = await load_organization_by_key(session, key)
        users = [(await check_create_user(session, organization=organization, email=f"u{n}@{key}.test",
                                          display_name=f"User {n}", password=None, role="member")).user.id
                 for n in range(15)]
    await database.dispose()
    return new.organization.id, new.api_token, users


def _setup(settings: Settings, issues: int, watchers: int) -> tuple[int, list[tuple[int, str, int]], list[int]]:
    """An organization with 15 members, a project and `issues` issues with their watchers."""
    from fastapi.testclient import TestClient

    from tessera.main import create_app

    org_id, token, users = asyncio.run(_organization(settings))
    headers = {"Authorization": f"Bearer {token}"}
    made: list[tuple[int, str, int]] = []
    rng = random.Random(7)
    with TestClient(create_app(settings)) as api:
        project = api.post("/v2/projects", json={"key": "BEN", "name": "Bench"}, headers=headers).json()
        for n in range(issues):
            reporter, assignee = rng.sample(users, 2)
            issue = api.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                 "summary": f"Issue {n}", "reporter_id": reporter,
                                                 "assignee_id": assignee}, headers=headers).json()
            for watcher in rng.sample(users, watchers):
                api.put(f"/v2/issues/{issue['id']}/watch", json={"user_id": watcher}, headers=headers)
            made.append((issue["id"], issue["key"], project["id"]))
    return org_id, made, users


async def _emit_burst(settings: Settings, org_id: int, issues: list[tuple[int, str, int]], users: list[int],
                      events: int) -> None:
    rng = random.Random(11)
    weights = [1 / (rank + 1) for rank in range(len(issues))]  # Zipf: the hottest issue ~1/H(n) of edits
    database = Database(settings)
    async with database.unit_of_work() as session:
        for number in range(events):
            issue_id, key, project_id = rng.choices(issues, weights)[0]
            actor = rng.choice(users)
            await emit(session, IssueUpdated(issue_id=issue_id, issue_key=key, project_id=project_id,
                                             field_changes={"summary": {"from": f"s{number}", "to": f"s{number + 1}"}},
                                             user_id=actor, timestamp=utcnow().isoformat(), issue_version=number + 2),
                       organization_id=org_id, aggregate_id=issue_id, actor_id=actor)
    await database.dispose()


async def _fan_out(settings: Settings, org_id: int, window: float) -> dict[str, float]:
    """Fan the burst out (only: no sender runs) and count what it made; then undo it all, so the
    other mode starts from the same events."""
    database = Database(settings)
    handlers, senders = build_registry(settings), SenderRegistry()
    register_notifications(handlers, senders, settings, database, directories=[EveryoneByEmail()],
                           policy=BatchPolicy(window_seconds=window, cap_per_hour=10**6))
    from tessera.workers.runner import run_once

    started = time.perf_counter()
    handled = 0
    while (done := await run_once(database, handlers)):
        handled += done
    elapsed = time.perf_counter() - started
    async with database.unit_of_work() as session:
        made = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.organization_id == org_id))
        changes = 0
        for payload in (await session.scalars(select(Delivery.payload).where(Delivery.organization_id == org_id))).all():
            changes += len(payload["changes"]) + int(payload.get("omitted", 0))
        await session.execute(delete(Delivery).where(Delivery.organization_id == org_id))
        await session.execute(delete(NotifiedEvent).where(NotifiedEvent.organization_id == org_id))
        from sqlalchemy import update
        await session.execute(update(OutboxEvent).where(OutboxEvent.organization_id == org_id,
                                                        OutboxEvent.event_type == "issue_updated")
                              .values(processed_at=None, claimed_until=None, attempts=0))
    await database.dispose()
    return {"events": handled, "seconds": round(elapsed, 2), "events_per_second": round(handled / elapsed, 1),
            "deliveries": int(made or 0), "changes_listed_or_counted": changes}


async def _settle_setup(settings: Settings, org_id: int) -> None:
    await _fan_out(settings, org_id, 0)  # the setup's own events (creations, watches), out of the way
    database = Database(settings)
    async with database.unit_of_work() as session:
        await session.execute(delete(Delivery))
        from sqlalchemy import update
        await session.execute(update(OutboxEvent).values(processed_at=utcnow()))
    await database.dispose()


async def _create_pg(name: str) -> None:
    admin = await asyncpg.connect(PG)
    await admin.execute(name)
    await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--issues", type=int, default=20)
    parser.add_argument("--watchers", type=int, default=4)
    args = parser.parse_args()
    name = f"tessera_bench_{uuid.uuid4().hex[:8]}"
    if args.backend == "postgres":
        asyncio.run(_create_pg(f'CREATE DATABASE "{name}"'))
        url = f"{PG.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    try:
        upgrade_database(url)
        settings = Settings(database_url=url, base_url="http://bench", attachments_dir=tempfile.mkdtemp(),
                            login_address_failures=10**6)
        org_id, issues, users = _setup(settings, args.issues, args.watchers)
        asyncio.run(_settle_setup(settings, org_id))
        asyncio.run(_emit_burst(settings, org_id, issues, users, args.events))
        unbatched = asyncio.run(_fan_out(settings, org_id, 0))
        batched = asyncio.run(_fan_out(settings, org_id, 120))
    finally:
        if args.backend == "postgres":
            asyncio.run(_create_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    result = {"backend": args.backend, "events": args.events, "issues": args.issues, "channels": 2,
              "machine": f"{platform.machine()} {os.cpu_count()} cores", "load_average": os.getloadavg()[0],
              "unbatched": unbatched, "batched_120s": batched,
              "deliveries_per_event_unbatched": round(unbatched["deliveries"] / args.events, 2),
              "deliveries_per_event_batched": round(batched["deliveries"] / args.events, 3),
              "saved_per_event": round((unbatched["deliveries"] - batched["deliveries"]) / args.events, 2),
              "reduction": f"{100 * (1 - batched['deliveries'] / max(1, unbatched['deliveries'])):.1f}%"}
    out = Path(__file__).resolve().parent / "results" / f"notify_batching-{args.backend}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(
        f"# Notification batching, {args.backend}\n\n"
        f"A burst of {args.events} edits over {args.issues} issues (Zipf-skewed), reporter + assignee + "
        f"{args.watchers} watchers each, 2 channels (inbox, email); load average {result['load_average']:.1f} "
        f"on {result['machine']} (other jobs running).\n\n"
        "| mode | deliveries | per event | fan-out events/s |\n|---|---|---|---|\n"
        f"| no batching | {unbatched['deliveries']} | {result['deliveries_per_event_unbatched']} | "
        f"{unbatched['events_per_second']} |\n"
        f"| 120 s window | {batched['deliveries']} | {result['deliveries_per_event_batched']} | "
        f"{batched['events_per_second']} |\n\n"
        f"Batching saves {result['saved_per_event']} deliveries per event ({result['reduction']} fewer), "
        "while every change is still listed (or counted past 50 per message).\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
