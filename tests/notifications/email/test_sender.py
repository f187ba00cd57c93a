"""The email channel against a real SMTP server (aiosmtpd on 127.0.0.1), on both databases:
deliveries enqueued with the engine, rendered from real issues' outbox events, sent by the
sender as a worker would: the message (text and HTML, subject, threading, one-click
unsubscribe), one SMTP session for a batch, refusals and an unreachable server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.crypto.signed import verify
from tessera.db.engine import Database
from tessera.delivery.models import Channel
from tessera.notifications.email.sender import LOCKSTEP_CONNECTIONS, EmailSender
from tests.factories.http import ok
from tests.factories.notification_world import busy_issue, claimed, delivery, issue_changes, notification_payload
from tests.factories.ports import free_port
from tests.factories.smtp_capture import Capture, smtp_server
from tests.support import OrgHandle, UserHandle, unique_key


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


@pytest.fixture(params=[False, True], ids=["lockstep", "pipelined"])
def pipelining(request: pytest.FixtureRequest) -> bool:
    """Whether the server advertises PIPELINING (the sender then uses it)."""
    return bool(request.param)


def mail_settings(settings: Settings, smtp_url: str) -> Settings:
    return replace(settings, smtp_url=smtp_url, mail_from="Tessera <tessera@testserver>")


async def mails(database: Database, org: OrgHandle, member: UserHandle, issue: dict, count: int, *,
                to: list[str] | None = None, kind: str = "issue", changes: list[dict] | None = None):
    changes = changes if changes is not None else await issue_changes(database, org.organization_id, issue["id"])
    return [await claimed(database, delivery(
        org.organization_id, Channel.EMAIL, (to or [member.email] * count)[n],
        notification_payload(member.user_id, changes, kind=kind, issue=issue if kind == "issue" else None),
        f"test:email:{unique_key()}", target_id=member.user_id)) for n in range(count)]


async def test_an_issue_mail_reads_well_threads_and_unsubscribes(
        client: TestClient, pipelining: bool, settings: Settings, database: Database, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    with smtp_server(pipelining=pipelining) as smtp:
        sender = EmailSender(mail_settings(settings, smtp.url()), database)
        outcomes = await sender.send_batch(await mails(database, org, member, issue, 2))
        await sender.aclose()
    assert [o.ok for o in outcomes] == [True, True] and outcomes[0].status_code == 250
    first, second = smtp.capture.messages
    assert smtp.capture.envelopes[0] == ("tessera@testserver", [member.email])
    assert first["Subject"] == f"[{issue['key']}] Checkout fails on Safari <script>"
    assert first["To"] == member.email and first["From"] == "Tessera <tessera@testserver>"
    thread = f"<issue-{org.organization_id}-{issue['id']}@testserver>"
    assert first["In-Reply-To"] == second["In-Reply-To"] == thread
    assert first["References"] == second["References"] == thread
    assert first["Message-ID"] != second["Message-ID"] and first["Message-ID"].endswith("@testserver>")
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = first["List-Unsubscribe"].strip().strip("<>")  # a long header may be folded
    assert link.startswith("http://testserver/v2/notifications/unsubscribe?token=")
    token = link.split("token=", 1)[1]
    assert verify(settings.secret_key, "unsubscribe", token) == {"o": org.organization_id, "u": member.user_id,
                                                                  "c": "email"}
    assert first.get_content_type() == "multipart/alternative"
    text = first.get_body(("plain",)).get_content()
    html = first.get_body(("html",)).get_content()
    url = f"http://testserver/browse/{issue['key']}"
    for body in (text, html):
        assert url in body and token in body
    assert "Status: To Do -> In Progress" in text
    assert "Found it: **the cart**" in text
    assert "<script>" not in html and "Checkout fails on Safari &lt;script&gt;" in html
    assert "<strong>the cart</strong>" in html and "&lt;b&gt;now&lt;/b&gt;" in html
    assert 'style="' in html and "<style" not in html  # inline styles only


async def test_kept_connections_carry_a_batch_and_the_next(
        client: TestClient, pipelining: bool, settings: Settings, database: Database, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    with smtp_server(pipelining=pipelining) as smtp:
        sender = EmailSender(mail_settings(settings, smtp.url()), database)
        first = await sender.send_batch(await mails(database, org, member, issue, 30))
        second = await sender.send_batch(await mails(database, org, member, issue, 5))
        assert sender.pipelined is pipelining
        await sender.aclose()
    assert all(o.ok for o in first + second)
    assert len(smtp.capture.messages) == 35
    # One pipelined connection; without PIPELINING, four side by side. Either way kept for the next batch.
    opened = 1 if pipelining else LOCKSTEP_CONNECTIONS
    assert smtp.capture.session_count == opened and sender.connections_opened == opened


async def test_a_refused_recipient_is_permanent_a_deferred_one_retries_and_the_rest_go(
        client: TestClient, pipelining: bool, settings: Settings, database: Database, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    capture = Capture(refuse={"gone@example.test"}, defer={"later@example.test"})
    with smtp_server(capture, pipelining=pipelining) as smtp:
        sender = EmailSender(mail_settings(settings, smtp.url()), database)
        outcomes = await sender.send_batch(await mails(
            database, org, member, issue, 4,
            to=["gone@example.test", "later@example.test", member.email, member.email]))
        await sender.aclose()
    refused, deferred, *sent = outcomes
    assert (refused.ok, refused.retry, refused.status_code) == (False, False, 550)
    assert "No such user" in refused.error
    assert (deferred.ok, deferred.retry, deferred.status_code) == (False, True, 451)
    assert all(o.ok for o in sent)
    assert [envelope[1] for envelope in capture.envelopes] == [[member.email], [member.email]]
    assert sender.connections_opened == (1 if pipelining else 4)  # a refusal does not cost its connection


async def test_an_unreachable_server_fails_the_batch_for_a_retry(
        client: TestClient, settings: Settings, database: Database, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    sender = EmailSender(mail_settings(settings, f"smtp://127.0.0.1:{free_port()}"), database, timeout=5)
    outcomes = await sender.send_batch(await mails(database, org, member, issue, 3))
    assert [(o.ok, o.retry) for o in outcomes] == [(False, True)] * 3
    assert "unreachable" in outcomes[0].error and sender.connections_opened == 0


async def test_a_connection_the_server_dropped_is_opened_again(
        client: TestClient, pipelining: bool, settings: Settings, database: Database, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    port = free_port()
    capture = Capture()
    with smtp_server(capture, port=port, pipelining=pipelining) as smtp:
        sender = EmailSender(mail_settings(settings, smtp.url()), database)
        assert all(o.ok for o in await sender.send_batch(await mails(database, org, member, issue, 2)))
    with smtp_server(capture, port=port, pipelining=pipelining):  # a restarted server: the kept connection is dead
        outcomes = await sender.send_batch(await mails(database, org, member, issue, 2))
        await sender.aclose()
    assert all(o.ok for o in outcomes) and len(capture.messages) == 4
    # Two messages: one connection, or two side by side without PIPELINING; each opened again once
    # (the second of two may find the first has sent both: its session then carries none).
    assert sender.connections_opened == (2 if pipelining else 4)
    assert capture.session_count == 2 if pipelining else 2 <= capture.session_count <= 4


async def test_starttls_and_authentication(client: TestClient, pipelining: bool, settings: Settings, database: Database,
                                           org: OrgHandle, project: dict, member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    capture = Capture(credentials=("mailer", "p@ss:word/1"))
    with smtp_server(capture, tls=True, pipelining=pipelining) as smtp:
        good = EmailSender(mail_settings(settings, smtp.url(user="mailer", password="p%40ss%3Aword%2F1",
                                                            starttls=True)), database, tls_context=smtp.client_tls)
        delivered = await good.send_batch(await mails(database, org, member, issue, 2))
        assert good.pipelined is pipelining  # PIPELINING over the STARTTLS-upgraded connection
        await good.aclose()
        plain = EmailSender(mail_settings(settings, smtp.url()), database)
        refused = await plain.send_batch(await mails(database, org, member, issue, 1))
        await plain.aclose()
    assert all(o.ok for o in delivered) and len(capture.messages) == 2
    # The server insists on STARTTLS: a configuration to fix, so the mail waits for a retry.
    assert not refused[0].ok and refused[0].retry and "530" in refused[0].error


async def test_digest_and_overflow_mails_have_their_own_templates(
        client: TestClient, pipelining: bool, settings: Settings, database: Database, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    first = busy_issue(client, org, project, member, summary="First issue")
    second = busy_issue(client, org, project, member, summary="Second issue")
    changes = [*await issue_changes(database, org.organization_id, first["id"]),
               *await issue_changes(database, org.organization_id, second["id"])]
    with smtp_server(pipelining=pipelining) as smtp:
        sender = EmailSender(mail_settings(settings, smtp.url()), database)
        digest = await mails(database, org, member, first, 1, kind="digest", changes=changes)
        overflow = await mails(database, org, member, first, 1, kind="overflow", changes=changes)
        assert all(o.ok for o in await sender.send_batch(digest + overflow))
        await sender.aclose()
    # Without PIPELINING the two go over two connections at once: their order of arrival is free.
    digest_mail, overflow_mail = sorted(smtp.capture.messages, key=lambda m: "more updates held back" in m["Subject"])
    assert digest_mail["Subject"] == f"[Tessera] {len(changes)} updates"
    assert digest_mail["In-Reply-To"] is None and digest_mail["List-Unsubscribe"]
    digest_text = digest_mail.get_body(("plain",)).get_content()
    assert f"{first['key']}: First issue" in digest_text and f"{second['key']}: Second issue" in digest_text
    assert "Status: To Do -> In Progress" in digest_text
    assert overflow_mail["Subject"] == f"[Tessera] {len(changes)} more updates held back"
    overflow_html = overflow_mail.get_body(("html",)).get_content()
    assert "hourly notification limit" in overflow_html
    overflow_text = overflow_mail.get_body(("plain",)).get_content()
    assert f"\n* {first['key']} First issue <script> (5 updates)\n  http://testserver/browse/{first['key']}\n" in overflow_text
    assert f"http://testserver/browse/{second['key']}" in overflow_html
    assert "Found it" not in overflow_html  # a summary, not the changes themselves


async def test_each_recipient_of_a_batch_reads_their_own_language(
        client: TestClient, settings: Settings, database: Database, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member, summary="Kasse")
    assert ok(client.put("/v2/notifications/preferences", json={"language": "de"},
                         headers=member.headers))["language"] == "de"
    changes = await issue_changes(database, org.organization_id, issue["id"])
    batch = [await claimed(database, delivery(
        org.organization_id, Channel.EMAIL, address, notification_payload(user_id, changes, kind="digest"),
        f"test:lang:{unique_key()}", target_id=user_id))
        for address, user_id in ((member.email, member.user_id), (org.admin_email, org.admin_user_id))]
    with smtp_server() as smtp:
        sender = EmailSender(mail_settings(settings, smtp.url()), database)
        assert all(o.ok for o in await sender.send_batch(batch))
        await sender.aclose()
    german, english = smtp.capture.messages
    assert german["To"] == member.email and english["To"] == org.admin_email
    assert german["Subject"] == f"[Tessera] {len(changes)} Änderungen" and german["Content-Language"] == "de"
    assert english["Subject"] == f"[Tessera] {len(changes)} updates" and english["Content-Language"] == "en"
    german_text, english_text = (mail.get_body(("plain",)).get_content() for mail in (german, english))
    german_html, english_html = (mail.get_body(("html",)).get_content() for mail in (german, english))
    assert "hat den Status geändert" in german_text and "changed the status" not in german_text
    assert "changed the status" in english_text and "geändert" not in english_text
    assert 'lang="de"' in german_html and "Diese E-Mails abbestellen" in german_html
    assert 'lang="en"' in english_html and "Abbestellen" not in english_html
