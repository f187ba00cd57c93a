"""Customer reporters, on both databases, through the running `tessera mail-in`: with the
project's policy "customer" an unknown sender's mail makes them a customer of the organization
who reports the issue and may reply to it (by thread or reply address); a customer cannot sign in
by any means, takes no seat, appears in no user list or picker, cannot be assigned or given a
project role, and exists in their organization only."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.integrations.mail_in.replies import reply_address
from tessera.notifications.email.message import thread_id
from tessera.tenancy.auth import do_create_web_session
from tessera.tenancy.models import User
from tessera.tenancy.service import issue_api_token
from tessera.webhooks.owners import owner_actor
from tests.factories.http import ok
from tests.integrations.mail_in.conftest import MailIn, mail, project_address
from tests.support import OrgHandle, UserHandle, make_user, set_limits

CARLA = "Carla Customer <carla@customer.test>"


def _customers_policy(client: TestClient, org: OrgHandle) -> None:
    policy = ok(client.put("/v2/projects/PROJ/mail-in", json={"unknown_senders": "customer"}, headers=org.headers))
    assert policy["unknown_senders"] == "customer" and policy["on_behalf_of_id"] is None


def _file(client: TestClient, mail_in: MailIn, org: OrgHandle, sender: str, subject: str) -> dict:
    answer = mail_in.send(mail(sender=sender, to=project_address(org.key, "PROJ"), subject=subject,
                               body=f"{subject}, please help.\n\n-- \nSent from my phone"))
    assert answer.code == 250 and answer.text.startswith("2.0.0 issue_created PROJ-"), answer.text
    return ok(client.get(f"/v2/issues/{answer.text.split()[-1]}", headers=org.headers))


def _thread_reply(settings: Settings, org: OrgHandle, issue: dict, sender: str, body: str):  # type: ignore[no-untyped-def]
    return mail(sender=sender, to="tessera@localhost", subject=f"Re: [{issue['key']}] {issue['summary']}", body=body,
                References=thread_id(settings, org.organization_id, issue["id"]))


def _comments(client: TestClient, org: OrgHandle, issue: dict) -> list[tuple[str, int]]:
    found = ok(client.get(f"/v2/issues/{issue['key']}/comments", headers=org.headers))["comments"]
    return [(c["body"], c["author"]["id"]) for c in found]


def test_an_unknown_sender_becomes_a_customer_who_reports_and_replies(
        client: TestClient, settings: Settings, mail_in: MailIn, org: OrgHandle, project: dict) -> None:
    _customers_policy(client, org)
    issue = _file(client, mail_in, org, CARLA, "Where is my order?")
    carla = issue["reporter"]["id"]
    assert issue["reporter"]["display_name"] == "Carla Customer"
    assert issue["description"] == "Where is my order?, please help."  # hers: no "From ... by email" byline
    assert ok(client.get(f"/v2/users/{carla}", headers=org.headers))["role"] == "customer"
    # Her next mail is hers too: one customer per address.
    assert _file(client, mail_in, org, "carla@CUSTOMER.test", "Second order")["reporter"]["id"] == carla

    by_thread = mail_in.send(_thread_reply(settings, org, issue, CARLA, "Any news?"))
    assert (by_thread.code, by_thread.text) == (250, f"2.0.0 comment_added {issue['key']}")
    to = reply_address(settings, organization_key=org.key, project_key="PROJ", organization_id=org.organization_id,
                       issue_id=issue["id"], user_id=carla)
    by_address = mail_in.send(mail(sender=CARLA, to=str(to), subject="Re: order", body="Still waiting."))
    assert (by_address.code, by_address.text) == (250, f"2.0.0 comment_added {issue['key']}")
    assert _comments(client, org, issue) == [("Any news?", carla), ("Still waiting.", carla)]

    # Another customer, and a stranger, may not reply to Carla's issue, by either way.
    _file(client, mail_in, org, "dave@customer.test", "My own issue")
    for sender in ("dave@customer.test", "eve@elsewhere.test"):
        for message in (_thread_reply(settings, org, issue, sender, "me too"),
                        mail(sender=sender, to=str(to), subject="Re: order", body="me too")):
            answer = mail_in.send(message)
            assert answer.code == 550 and "may only reply to the issues they reported" in answer.text, answer.text
    assert len(_comments(client, org, issue)) == 2

    # The policy turned back to "reject": customers' mail is refused, new and replies alike.
    ok(client.put("/v2/projects/PROJ/mail-in", json={"unknown_senders": "reject"}, headers=org.headers))
    refused = mail_in.send(_thread_reply(settings, org, issue, CARLA, "Hello?"))
    assert refused.code == 550 and "takes no mail from customers" in refused.text, refused.text
    stranger = mail_in.send(mail(sender="fay@customer.test", to=project_address(org.key, "PROJ"), subject="x",
                                 body="y"))
    assert stranger.code == 550 and "is not a user" in stranger.text


async def _credentials(settings: Settings, organization_id: int, user_id: int) -> tuple[str, str]:
    """An API token and a browser session made for the customer behind every check (neither can
    be had through the API: that needs signing in)."""
    database = Database(settings)
    try:
        async with database.unit_of_work() as session:
            user = await session.scalar(select(User).where(User.organization_id == organization_id,
                                                           User.id == user_id))
            assert user is not None
            token = await issue_api_token(session, user=user)
            actor = await owner_actor(session, organization_id, user_id)
            assert actor is not None
            cookie = await do_create_web_session(session, actor=actor, ttl=timedelta(hours=1))
        return token, cookie
    finally:
        await database.dispose()


def _basic(email: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{secret}".encode()).decode()}


def test_a_customer_cannot_sign_in_takes_no_seat_and_is_in_no_picker(
        client: TestClient, settings: Settings, database_url: str, mail_in: MailIn, org: OrgHandle,
        other_org: OrgHandle, project: dict, member: UserHandle) -> None:
    _customers_policy(client, org)
    issue = _file(client, mail_in, org, CARLA, "Broken login")
    carla = issue["reporter"]["id"]

    # Sign-in: a password an administrator set, an API token, a browser session, OAuth.
    ok(client.put(f"/v2/users/{carla}", json={"password": "customer-pass-1"}, headers=org.headers))
    assert client.get("/v2/myself", headers=_basic("carla@customer.test", "customer-pass-1")).status_code == 401
    login = client.post("/v2/session", json={"email": "carla@customer.test", "password": "customer-pass-1"})
    assert login.status_code == 401
    token, cookie = asyncio.run(_credentials(settings, org.organization_id, carla))
    refused = client.get("/v2/myself", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "Customers cannot sign in" in refused.text
    assert client.get("/v2/myself", headers=_basic("carla@customer.test", token)).status_code == 401
    assert client.get("/v2/myself", headers={"Cookie": f"tessera_session={cookie}"}).status_code == 401
    oauth = client.post("/oauth/token", json={"grant_type": "client_credentials", "client_id": "x",
                                              "client_secret": token})
    assert oauth.status_code == 401 and oauth.json()["error"] == "access_denied"

    # No user list, user search or assignable-user picker shows her; she cannot be assigned,
    # lead or hold a project role.
    listed = ok(client.get("/v2/users", params={"maxResults": 200}, headers=org.headers))
    assert carla not in [u["id"] for u in listed["users"]] and listed["total"] == len(listed["users"])
    for path, where in (("/rest/api/2/user/search", {}), ("/rest/api/2/user/assignable/search", {"project": "PROJ"})):
        found = ok(client.get(path, params={"username": "carla", **where}, headers=org.headers))
        assert found == [], (path, found)
    assigned = client.put(f"/v2/issues/{issue['key']}", json={"assignee_id": carla}, headers=org.headers)
    assert assigned.status_code == 400 and "is a customer" in assigned.text
    role = client.put("/v2/projects/PROJ/roles/users", json={"user_ids": [carla]}, headers=org.headers)
    assert role.status_code == 400 and "user_ids" in role.text
    assert client.put("/v2/projects/PROJ", json={"lead_id": carla}, headers=org.headers).status_code == 400
    # An administrator may still look her up by id (the issue names her); another organization may not.
    assert ok(client.get(f"/v2/users/{carla}", headers=org.headers))["email"] == "carla@customer.test"
    assert client.get(f"/v2/users/{carla}", headers=other_org.headers).status_code == 404

    # Seats: with the limit at the members there are now (the customer not among them), one
    # more member is refused; the customer took none.
    members = len(listed["users"])
    set_limits(database_url, org.key, max_users=members + 1)
    make_user(database_url, org)
    assert _file(client, mail_in, org, "gus@customer.test", "Customers need no seat")["reporter"]["id"] != carla
    assert client.post("/v2/users", json={"email": "one-too-many@x.test", "name": "Late"},
                       headers=org.headers).status_code == 403  # quota_exceeded
    taken = client.post("/v2/users", json={"email": "carla@customer.test", "name": "Carla"}, headers=org.headers)
    assert taken.status_code == 409 and "is a customer" in taken.text
    # Made a member, she takes a seat: refused while none is free, then she may sign in.
    promote = client.put(f"/v2/users/{carla}", json={"role": "member"}, headers=org.headers)
    assert promote.status_code == 403 and "limit" in promote.text
    set_limits(database_url, org.key, max_users=members + 2)
    assert ok(client.put(f"/v2/users/{carla}", json={"role": "member"}, headers=org.headers))["role"] == "member"
    assert ok(client.get("/v2/myself", headers=_basic("carla@customer.test", "customer-pass-1")))["id"] == carla
    # The other organization does not know her: her mail there is an unknown sender's.
    ok(client.post("/v2/projects", json={"key": "PROJ", "name": "Theirs"}, headers=other_org.headers), 201)
    elsewhere = mail_in.send(mail(sender=CARLA, to=project_address(other_org.key, "PROJ"), subject="x", body="y"))
    assert elsewhere.code == 550 and "is not a user" in elsewhere.text
