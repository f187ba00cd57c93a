"""Invitations mailed: with an SMTP server configured, inviting someone from /admin/users
enqueues the mail on the email channel; the delivery worker sends it to a real SMTP server
(aiosmtpd on 127.0.0.1) and the link in it lets the person join. A new link replaces the old
one (the old mail's link stops working), a revoked invitation is not sent and its link is dead;
members get the 403 page and another organization's people are 404."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from email.message import EmailMessage

from fastapi.testclient import TestClient
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import DeliveryRunner, SenderRegistry
from tessera.delivery.models import Channel, Delivery
from tessera.main import create_app
from tessera.notifications.email.invitation import NO_LONGER_USABLE
from tessera.notifications.email.sender import EmailSender
from tests.factories.smtp_capture import SmtpServer, smtp_server
from tests.factories.web import CSRF, open_session, sign_in_as
from tests.support import OrgHandle, make_user, unique_key

LINK = re.compile(r"http://testserver(/invite/[A-Za-z0-9_\-]+)")


def _mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return replace(settings, smtp_url=smtp.url(), mail_from="Tessera <tessera@testserver>")


def _run_worker(settings: Settings) -> None:
    """One pass of the delivery worker with the email channel only, as `tessera worker` runs it."""
    async def run() -> None:
        database = Database(settings)
        sender = EmailSender(settings, database)
        senders = SenderRegistry()
        senders.register(Channel.EMAIL, sender)
        try:
            while await DeliveryRunner(database, senders).run_once():
                pass
        finally:
            await sender.aclose()
            await database.dispose()
    asyncio.run(run())


def _mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [message for message in smtp.capture.messages if message["To"] == address]


def _link_in(message: EmailMessage) -> str:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    match = LINK.search(text)
    assert match is not None, text
    assert match.group(0) in html
    return match.group(1)


def _deliveries_to(settings: Settings, address: str) -> list[Delivery]:
    async def read() -> list[Delivery]:
        database = Database(settings)
        try:
            async with database.unit_of_work(write=False) as session:
                return list((await session.scalars(select(Delivery).where(
                    Delivery.target == address).order_by(Delivery.id))).all())
        finally:
            await database.dispose()
    return asyncio.run(read())


def test_an_invitation_is_mailed_and_its_link_lets_them_join(settings: Settings, database_url: str,
                                                            org: OrgHandle) -> None:
    email = f"mailed-{unique_key().lower()}@example.test"
    with smtp_server() as smtp, TestClient(create_app(_mail_settings(settings, smtp))) as web:
        mail_settings = _mail_settings(settings, smtp)
        csrf = open_session(web, database_url, org)
        invited = web.post("/admin/users/invite", data={"csrf_token": csrf, "email": email, "name": "Mae Mailed"})
        assert invited.status_code == 201, invited.text
        assert 'id="invitation-mailed"' in invited.text
        shown = LINK.search(invited.text)
        assert shown is not None
        # The mail waits for the worker: nothing is sent from the administrator's request.
        assert _mails_to(smtp, email) == []
        [queued] = _deliveries_to(settings, email)
        assert queued.channel == "email" and queued.state == "pending" and queued.payload["kind"] == "invitation"
        assert shown.group(1).rsplit("/", 1)[1] not in str(queued.payload)  # the secret is sealed, not stored
        _run_worker(mail_settings)
        [mail] = _mails_to(smtp, email)
        assert smtp.capture.envelopes[-1] == ("tessera@testserver", [email])
        assert "invites you to" in mail["Subject"] and mail["From"] == "Tessera <tessera@testserver>"
        assert mail["List-Unsubscribe"] is None and mail["Auto-Submitted"] == "auto-generated"
        link = _link_in(mail)
        assert link == shown.group(1)
        assert _deliveries_to(settings, email)[0].state == "delivered"

        web.cookies.clear()
        page = web.get(link)
        assert page.status_code == 200 and email in page.text
        joined = web.post(link, data={"name": "Mae Joined", "password": "long enough 1",
                                      "confirm_password": "long enough 1"},
                          headers={"Origin": "http://testserver"}, follow_redirects=False)
        assert joined.status_code == 303 and joined.headers["location"] == "/projects"
        assert web.get("/projects").status_code == 200
        web.cookies.clear()
        assert web.get(link).status_code == 404  # used once


def test_a_new_link_replaces_the_mailed_one_and_a_revoked_one_is_not_sent(
        settings: Settings, database_url: str, org: OrgHandle) -> None:
    email = f"again-{unique_key().lower()}@example.test"
    with smtp_server() as smtp, TestClient(create_app(_mail_settings(settings, smtp))) as web:
        mail_settings = _mail_settings(settings, smtp)
        csrf = open_session(web, database_url, org)
        assert web.post("/admin/users/invite", data={"csrf_token": csrf, "email": email}).status_code == 201
        _run_worker(mail_settings)
        [first] = _mails_to(smtp, email)
        first_link = _link_in(first)
        user_id = re.search(r'<tr id="user-(\d+)"', web.get(f"/admin/users?q={email}").text).group(1)  # type: ignore[union-attr]

        resent = web.post(f"/admin/users/{user_id}/invite", data={"csrf_token": csrf})
        assert resent.status_code == 200 and 'id="invitation-mailed"' in resent.text
        _run_worker(mail_settings)
        first_mail, second_mail = _mails_to(smtp, email)
        second_link = _link_in(second_mail)
        assert second_link != first_link
        assert web.get(first_link).status_code == 404  # replaced
        assert web.get(second_link).status_code == 200

        # Resent, then revoked before the worker ran: that mail never goes out.
        assert web.post(f"/admin/users/{user_id}/invite", data={"csrf_token": csrf}).status_code == 200
        revoked = web.post(f"/admin/users/{user_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
        assert revoked.status_code == 303
        listing = web.get(revoked.headers["location"])
        assert "The invitation is revoked" in listing.text
        row = listing.text.split(f'<tr id="user-{user_id}"', 1)[1].split("</tr>", 1)[0]
        assert "Not joined" in row and "Revoke" not in row and ">Invite</button>" in row
        _run_worker(mail_settings)
        assert len(_mails_to(smtp, email)) == 2
        last = _deliveries_to(settings, email)[-1]
        assert last.state == "dead" and last.last_error == NO_LONGER_USABLE
        assert web.get(second_link).status_code == 404
        again = web.post(f"/admin/users/{user_id}/revoke", data={"csrf_token": csrf})
        assert again.status_code == 400 and "has no pending invitation" in again.text

        # Invited again after the revocation: a working link, mailed.
        assert web.post(f"/admin/users/{user_id}/invite", data={"csrf_token": csrf}).status_code == 200
        _run_worker(mail_settings)
        assert web.get(_link_in(_mails_to(smtp, email)[-1])).status_code == 200
        audit = web.get(f"/v2/audit?object_type=user&object_id={user_id}", headers=org.headers)
        assert audit.status_code == 200
        actions = [entry["action"] for entry in audit.json()["records"]]
        assert actions.count("user.invited") == 4 and actions.count("user.invitation_revoked") == 1


def test_revoking_is_for_administrators_of_the_same_organization(
        web: TestClient, csrf: str, org: OrgHandle, other_org: OrgHandle, database_url: str) -> None:
    invited = web.post("/admin/users/invite", data={"csrf_token": csrf, "email": f"r-{unique_key().lower()}@x.test"})
    assert invited.status_code == 201
    assert 'id="invitation-mailed"' not in invited.text  # no SMTP server: the admin passes the link on
    user_id = re.search(r'action="/admin/users/(\d+)/revoke"', web.get("/admin/users?q=r-").text).group(1)  # type: ignore[union-attr]
    stranger = make_user(database_url, other_org, role="admin")
    sign_in_as(web, database_url, stranger)
    stranger_csrf = CSRF.search(web.get("/admin/users").text).group(1)  # type: ignore[union-attr]
    assert web.post(f"/admin/users/{user_id}/revoke", data={"csrf_token": stranger_csrf}).status_code == 404
    member = make_user(database_url, org)
    sign_in_as(web, database_url, member)
    member_csrf = CSRF.search(web.get("/projects").text).group(1)  # type: ignore[union-attr]
    refused = web.post(f"/admin/users/{user_id}/revoke", data={"csrf_token": member_csrf})
    assert refused.status_code == 403 and "Only an organization administrator" in refused.text
