"""A mail composed in German (the recipient's language), on both databases: the subject RFC 2047-encoded (and decoded back
by a mail parser), both parts translated, the structure a client expects."""

from __future__ import annotations

from email import message_from_bytes, policy

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.models import Channel
from tessera.notifications.email.message import compose
from tessera.notifications.preferences import check_update_preferences
from tessera.notifications.render import load_notifications
from tests.factories.notification_world import busy_issue, claimed, delivery, issue_changes, notification_payload
from tests.support import OrgHandle, UserHandle, unique_key


async def test_a_german_digest(client: TestClient, settings: Settings, org: OrgHandle, project: dict,
                               member: UserHandle) -> None:
    database = Database(settings)
    try:
        issue = busy_issue(client, org, project, member, summary="Kasse hängt")
        changes = await issue_changes(database, org.organization_id, issue["id"])
        held = await claimed(database, delivery(org.organization_id, Channel.EMAIL, member.email,
                                                notification_payload(member.user_id, changes, kind="digest"),
                                                f"test:de:{unique_key()}", target_id=member.user_id))
        async with database.unit_of_work() as session:
            await check_update_preferences(session, organization_id=org.organization_id, user_id=member.user_id,
                                           change={"language": "de"})
        async with database.unit_of_work(write=False) as session:
            [rendered] = await load_notifications(session, organization_id=org.organization_id,
                                                  payloads=[held.payload], base_url="https://t.example")
    finally:
        await database.dispose()
    raw = compose(rendered, delivery=held, settings=settings).data
    assert raw.isascii() and b"\r\n.\r\n" not in raw  # 7-bit, and no line that would end DATA early
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Subject"] == f"[Tessera] {len(changes)} Änderungen" and mail["Content-Language"] == "de"
    assert "=?utf-8?" in raw.decode().split("Subject: ", 1)[1].split("\r\n", 1)[0]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "hat den Status geändert" in text and "Status: To Do -> In Progress" in text
    assert "Kasse hängt &lt;script&gt;" in html and 'lang="de"' in html
    assert "Diese E-Mails abbestellen" in html and "Abbestellen: http://testserver/v2/notifications/" in text
    assert f"{issue['key']}: Kasse hängt <script> [In Progress]\nhttps://t.example/browse/{issue['key']}\n" in text
    assert "\n\n* Admin hat den Status geändert (" in text  # one change a paragraph
