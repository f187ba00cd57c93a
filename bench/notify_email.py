"""Email notifications per worker: deliveries claimed, rendered, sent over SMTP and settled.

    .venv/bin/python bench/notify_email.py [--deliveries 5000] [--postgres] [--changes 4]

Run twice: against a server that advertises PIPELINING (as Postfix, Exim, Gmail and SES do) and
against one that does not (aiosmtpd's default), each on a fresh database.

Data: a fresh database (SQLite file, or a PostgreSQL database with --postgres) with
`tessera load --org MAIL --issues 200`; then --deliveries email deliveries, one per (recipient,
issue) pair, each an "issue" notification carrying --changes realistic changes (a status change,
a field change, a Markdown comment with a mention, ...), the way the fan-out hands them over.
The SMTP server is aiosmtpd with a discarding handler (bench/smtp_sink.py) in its own process on
127.0.0.1, so it does not share this process's interpreter lock. The timed loop is the worker's delivery runner
(`DeliveryRunner.run_once`, batches of 200) with only the email sender registered: claim,
render (two queries a batch) after the send-time permission re-check (one read transaction a batch),
SMTP over reused connections (one with PIPELINING, up to 4 side by side without), settle.

Results: bench/results/notify_email-<backend>.json and .md. The machine has 2 cores shared with
other work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import DeliveryRunner, NewDelivery, RetryPolicy, SenderRegistry, enqueue
from tessera.delivery.models import Channel, Delivery
from tessera.issues.models import Issue
from tessera.notifications.email.sender import EmailSender
from tessera.tenancy.models import Organization, User

RESULTS = Path(__file__).parent / "results"
TESSERA = Path(sys.executable).parent / "tessera"
TARGET_PER_SECOND = 500.0


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def changes_for(issue: Issue, actor_id: int, mentioned: int, count: int) -> list[dict]:
    at = datetime.now(UTC).isoformat()
    head = {"issue_id": issue.id, "issue_key": issue.key, "project_id": issue.project_id, "user_id": actor_id,
            "timestamp": at}
    kinds = [
        ("status_changed", {"field_changes": {"status": {"from": "To Do", "to": "In Progress"}}, "version": 2}),
        ("comment_added", {"comment_id": 1, "parent_id": None, "visibility": None, "version": 1,
                           "body": f"Looked into it: **the cache** is stale, see `deploy.yml`. [~accountid:{mentioned}]"
                                   " can you check?\n\n- step one\n- step two"}),
        ("issue_updated", {"field_changes": {"priority": {"from": "Medium", "to": "High"},
                                             "labels": {"from": None, "to": "checkout"}}, "version": 3}),
        ("worklog_added", {"worklog_id": 1, "time_spent_seconds": 5400}),
    ]
    return [{"event_id": n + 1, "event_type": kinds[n % len(kinds)][0], "actor_id": actor_id, "at": at,
             "payload": {**head, **kinds[n % len(kinds)][1]}} for n in range(count)]


async def prepare(database: Database, deliveries: int, changes: int) -> int:
    async with database.unit_of_work() as session:
        org = await session.scalar(select(Organization).where(Organization.key == "MAIL"))
        users = (await session.scalars(select(User).where(User.organization_id == org.id).limit(50))).all()
        issues = (await session.scalars(select(Issue).where(Issue.organization_id == org.id).limit(200))).all()
        rows = []
        for n in range(deliveries):
            user, issue = users[n % len(users)], issues[n % len(issues)]
            rows.append(NewDelivery(
                organization_id=org.id, channel=Channel.EMAIL, target=f"user{n}@bench.test", target_id=user.id,
                idempotency_key=f"bench:email:{uuid.uuid4().hex}", event_type="issue_updated",
                payload={"kind": "issue", "recipient_id": user.id, "issue_id": issue.id, "issue_key": issue.key,
                         "changes": changes_for(issue, users[0].id, user.id, changes)}))
        for start in range(0, len(rows), 1000):
            await enqueue(session, rows[start:start + 1000])
    return deliveries


async def run(url: str, deliveries: int, changes: int, port: int) -> dict:
    settings = Settings(database_url=url, smtp_url=f"smtp://127.0.0.1:{port}", base_url="https://tessera.example",
                        mail_from="Tessera <tessera@tessera.example>")
    database = Database(settings)
    try:
        await prepare(database, deliveries, changes)
        sender = EmailSender(settings, database)
        in_sender = [0.0]
        send_batch = sender.send_batch

        async def timed_send_batch(deliveries):  # type: ignore[no-untyped-def]
            began = time.perf_counter()
            try:
                return await send_batch(deliveries)
            finally:
                in_sender[0] += time.perf_counter() - began

        sender.send_batch = timed_send_batch  # type: ignore[method-assign]
        registry = SenderRegistry()
        registry.register(Channel.EMAIL, sender)
        runner = DeliveryRunner(database, registry, RetryPolicy(), batch_size=200)
        started = time.perf_counter()
        sent = 0
        while (done := await runner.run_once()):
            sent += done
        elapsed = time.perf_counter() - started
        async with database.unit_of_work(write=False) as session:
            states = dict((await session.execute(select(Delivery.state, Delivery.id.label("n"))
                                                 .order_by(Delivery.id))).all())
            delivered = sum(1 for state in (await session.scalars(select(Delivery.state))).all()
                            if state == "delivered")
        await sender.aclose()
        del states
        return {"deliveries": deliveries, "attempted": sent, "delivered": delivered, "seconds": round(elapsed, 2),
                "per_second": round(delivered / elapsed, 1), "smtp_connections": sender.connections_opened,
                "sender_seconds": round(in_sender[0], 2),
                "sender_only_per_second": round(delivered / in_sender[0], 1),
                "changes_per_mail": changes}
    finally:
        await database.dispose()


def one_run(args: argparse.Namespace, pipelining: bool) -> dict:
    name = f"tessera_bench_mail_{uuid.uuid4().hex[:8]}"
    if args.postgres:
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
        url = f"postgresql://root@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench-mail.db"
    port = free_port()
    handler = "smtp_sink.PipeliningSink" if pipelining else "smtp_sink.Sink"
    smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", handler],
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
    try:
        subprocess.run([str(TESSERA), "migrate", "--database-url", url], check=True, capture_output=True)
        subprocess.run([str(TESSERA), "load", "--org", "MAIL", "--issues", "200", "--database-url", url],
                       check=True, capture_output=True)
        time.sleep(0.5)
        result = asyncio.run(run(url, args.deliveries, args.changes, port))
    finally:
        smtp.terminate()
        smtp.wait()
        if args.postgres:
            asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return {**result, "server_pipelining": pipelining}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=4)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    runs = [one_run(args, pipelining) for pipelining in (True, False)]
    report = {"backend": backend, "machine": f"{platform.machine()}, Python {platform.python_version()}",
              "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "target_per_second": TARGET_PER_SECOND,
              "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"notify_email-{backend}.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = "".join(
        f"| {'yes' if r['server_pipelining'] else 'no'} | {r['deliveries']} | {r['changes_per_mail']} | "
        f"{r['delivered']} | {r['seconds']} | {r['per_second']} | {r['smtp_connections']} | "
        f"{'met' if r['per_second'] >= TARGET_PER_SECOND else 'NOT met'} |\n" for r in runs)
    (RESULTS / f"notify_email-{backend}.md").write_text(
        f"# Email notifications per worker ({backend})\n\n{report['at']} on {report['machine']}, 2 cores (shared). "
        f"aiosmtpd discarding every message, in its own process on 127.0.0.1; one worker's delivery runner with "
        f"the email sender only (claim, permission re-check, render, SMTP over reused connections: one with PIPELINING, up to 4 side by side without; settle), batches of 200.\n\n"
        f"| server offers PIPELINING | deliveries | changes per mail | delivered | seconds | emails/s "
        f"| SMTP connections | >= {TARGET_PER_SECOND:g}/s |\n|---|---:|---:|---:|---:|---:|---:|---|\n{rows}"
        "\nOf that time the email sender (render and SMTP) took "
        + "; ".join(f"{r['sender_seconds']} s ({r['sender_only_per_second']} emails/s) with PIPELINING "
                    f"{'offered' if r['server_pipelining'] else 'not offered'}" for r in runs)
        + "; the rest is the engine's claim and settle (one UPDATE per delivery). Load average during the "
        f"run: {os.getloadavg()[0]:.1f} on 2 cores (other work shares the machine).\n")
    print(json.dumps(report, indent=2))


async def _pg(sql: str) -> None:
    connection = await asyncpg.connect("postgresql://root@127.0.0.1:5432/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
