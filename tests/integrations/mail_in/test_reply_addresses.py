"""Signed plus-address replies, on both databases: notification mails carry
`Reply-To: <org>-<project>+<token>@<domain>` while the project takes mail; a reply to it through
the running `tessera mail-in` comments on the issue the token names as the reply's sender (with
the sender's permissions: the token grants nothing), even without `References`; altered tokens,
another organization's tokens and deleted issues are refused, saying why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.models import Channel
from tessera.integrations.mail_in.replies import ReplyAddressBook, reply_address
from tessera.notifications.email.sender import EmailSender
from tests.factories.http import ok
from tests.factories.notification_world import claimed, delivery, issue_changes, notification_payload
from tests.factories.smtp_capture import smtp_server
from tests.integrations.mail_in.conftest import DOMAIN, MailIn, mail, project_address
from tests.support import OrgHandle, UserHandle, unique_key


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


def _issue(client: TestClient, org: OrgHandle, summary: str = "Printer on fire") -> dict:
    return ok(client.post("/v2/issues", json={"project_id": "PROJ", "issue_type": "Task", "summary": summary},
                          headers=org.headers), 201)


def _address(settings: Settings, org: OrgHandle, issue: dict, user_id: int) -> str:
    address = reply_address(settings, organization_key=org.key, project_key=issue["key"].partition("-")[0],
                            organization_id=org.organization_id, issue_id=issue["id"], user_id=user_id)
    assert address is not None
    return address


def _comments(client: TestClient, org: OrgHandle, issue: dict) -> list[tuple[str, int]]:
    found = ok(client.get(f"/v2/issues/{issue['key']}/comments", headers=org.headers))["comments"]
    return [(c["body"], c["author"]["id"]) for c in found]


async def test_notification_mails_carry_the_reply_address_and_a_reply_to_it_comments(
        client: TestClient, settings: Settings, database: Database, mail_in: MailIn, org: OrgHandle, project: dict,
        member: UserHandle) -> None:
    issue = _issue(client, org)
    changes = await issue_changes(database, org.organization_id, issue["id"])
    mail_settings = replace(settings, mail_in_domain=DOMAIN, mail_from="Tessera <tessera@testserver>")

    async def send_one() -> str | None:
        with smtp_server() as smtp:
            sender = EmailSender(replace(mail_settings, smtp_url=smtp.url()), database,
                                 reply_addresses=ReplyAddressBook(mail_settings))
            [outcome] = await sender.send_batch([await claimed(database, delivery(
                org.organization_id, Channel.EMAIL, member.email,
                notification_payload(member.user_id, changes, issue=issue), f"test:reply:{unique_key()}",
                target_id=member.user_id))])
            await sender.aclose()
        assert outcome.ok, outcome
        [message] = smtp.capture.messages
        return message["Reply-To"]

    reply_to = await send_one()
    assert reply_to == _address(settings, org, issue, member.user_id)
    assert reply_to.startswith(f"{org.key.lower()}-proj+") and len(reply_to.partition("@")[0]) <= 64
    # A help-desk relay dropped References and In-Reply-To: the address alone finds the issue.
    answer = mail_in.send(mail(sender=f"Mia <{member.email}>", to=reply_to, subject="Re: something else",
                               body="Unplugged it.\n\nOn Mon, Tessera wrote:\n> Printer on fire\n"))
    assert (answer.code, answer.text) == (250, f"2.0.0 comment_added {issue['key']}")
    assert _comments(client, org, issue) == [("Unplugged it.", member.user_id)]

    # A project that takes no mail gets no reply address in its notifications.
    ok(client.put("/v2/projects/PROJ/mail-in", json={"enabled": False}, headers=org.headers))
    assert await send_one() is None
    # Without TESSERA_MAIL_IN_DOMAIN the book gives none either (the worker does not even wire it).
    assert await ReplyAddressBook(settings).reply_addresses(None, org.organization_id,  # type: ignore[arg-type]
                                                            {(issue["id"], member.user_id)}) == {}


def test_the_senders_permission_counts_not_the_tokens(client: TestClient, settings: Settings, mail_in: MailIn,
                                                      org: OrgHandle, project: dict, member: UserHandle,
                                                      viewer: UserHandle) -> None:
    issue = _issue(client, org)
    to = _address(settings, org, issue, member.user_id)  # made for the member
    # Another user who may comment replies with the member's address (a forwarded mail): allowed,
    # as them. A relay that folds the address to capitals changes nothing.
    answer = mail_in.send(mail(sender=org.admin_email, to=to.upper(), subject="Re: x", body="On it."))
    assert (answer.code, answer.text) == (250, f"2.0.0 comment_added {issue['key']}")
    # A viewer may browse but not comment: refused, with the reason.
    refused = mail_in.send(mail(sender=viewer.email, to=to, subject="Re: x", body="Me too"))
    assert refused.code == 550 and "ADD_COMMENTS permission" in refused.text, refused.text
    # A stranger holding the address is no user of the organization.
    stranger = mail_in.send(mail(sender="eve@elsewhere.test", to=to, subject="Re: x", body="Hi"))
    assert stranger.code == 550 and "eve@elsewhere.test is not a user" in stranger.text
    assert _comments(client, org, issue) == [("On it.", org.admin_user_id)]
    # An ordinary +tag is no token: the mail files a new issue, as before.
    tagged = mail_in.send(mail(sender=member.email, to=f"{org.key.lower()}-proj+urgent@{DOMAIN}",
                               subject="New thing", body="Please look."))
    assert tagged.code == 250 and tagged.text.startswith("2.0.0 issue_created PROJ-"), tagged.text


def test_forged_foreign_and_stale_tokens_are_refused(client: TestClient, settings: Settings, mail_in: MailIn,
                                                     org: OrgHandle, other_org: OrgHandle, project: dict,
                                                     member: UserHandle) -> None:
    issue = _issue(client, org)
    good = _address(settings, org, issue, member.user_id)
    local, _, domain = good.partition("@")
    prefix, _, token = local.partition("+")
    # One character of the token changed: another issue, say, with the old signature.
    altered = f"{prefix}+{token[:3]}{'b' if token[3] != 'b' else 'c'}{token[4:]}@{domain}"
    # Organization B's genuine token for B's issue, behind A's address: bound to B, it fails here.
    ok(client.post("/v2/projects", json={"key": "PROJ", "name": "Theirs"}, headers=other_org.headers), 201)
    theirs = _issue(client, other_org, "Their secret")
    their_token = _address(settings, other_org, theirs, other_org.admin_user_id).partition("+")[2]
    for to in (altered, f"{prefix}+{their_token}"):
        answer = mail_in.send(mail(sender=member.email, to=to, subject="Re: x", body="hijack"))
        assert answer.code == 550 and "reply address is not valid" in answer.text, (to, answer.text)
    # B's own address, from a user of A only: no user of B.
    answer = mail_in.send(mail(sender=member.email, to=_address(settings, other_org, theirs, other_org.admin_user_id),
                               subject="Re: x", body="hijack"))
    assert answer.code == 550 and "is not a user" in answer.text
    assert _comments(client, other_org, theirs) == [] and _comments(client, org, issue) == []
    # The issue deleted since: the address names nothing any more.
    ok(client.delete(f"/v2/issues/{issue['id']}", headers=org.headers), 204)
    gone = mail_in.send(mail(sender=member.email, to=good, subject="Re: x", body="still there?"))
    assert gone.code == 550 and "no longer exists" in gone.text, gone.text
    assert project_address(org.key, "PROJ") == f"{prefix}@{domain}"
