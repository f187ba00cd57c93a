"""A customer hears of their issue by email, and answers by replying: the whole loop on a
database of this module's own (the worker drains every organization's events), on SQLite and
PostgreSQL. A customer's mail files an issue (`tessera mail-in`); the team's comments reach the
customer's address (as the reporter, by the default notification scheme) through the real worker
and a real SMTP server, never a restricted comment and never a web inbox; the mail's `Reply-To`
is the issue's signed reply address, and the customer's reply to it, with no `References`,
comments as the customer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.main import create_app
from tessera.workers.registry import build_pipeline
from tests.conftest import BACKENDS
from tests.factories.http import ok
from tests.factories.smtp_capture import smtp_server
from tests.integrations.mail_in.conftest import DOMAIN, MailIn, mail, project_address, running_mail_in
from tests.support import fetch_rows, fresh_database, make_org


@pytest.fixture(scope="module", params=BACKENDS)
def own_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("customers")), postgres_skip_reason) as url:
        yield url


@pytest.fixture(scope="module")
def own_settings(own_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(database_url=own_url, base_url="http://testserver", notify_batch_seconds=0,
                    attachments_dir=str(tmp_path_factory.mktemp("attachments")), login_address_failures=1_000_000,
                    mail_in_domain=DOMAIN, mail_from="Tessera <tessera@testserver>")


@pytest.fixture(scope="module")
def api(own_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(own_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def own_mail_in(own_url: str, own_settings: Settings) -> Iterator[MailIn]:
    with running_mail_in(own_url, own_settings) as running:
        yield running


def _mails_after(settings: Settings, act) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
    """What the worker (as `tessera worker` builds it: email with reply addresses) mails after `act`."""
    with smtp_server() as smtp:
        act()

        async def drain() -> None:
            database = Database(settings)
            try:
                await build_pipeline(replace(settings, smtp_url=smtp.url()), database).drain()
            finally:
                await database.dispose()

        asyncio.run(drain())
    return list(smtp.capture.messages)


def test_a_customer_is_mailed_the_teams_comments_and_replies_by_mail(
        api: TestClient, own_url: str, own_settings: Settings, own_mail_in: MailIn) -> None:
    org = make_org(own_url)
    ok(api.post("/v2/projects", json={"key": "HELP", "name": "Help desk"}, headers=org.headers), 201)
    ok(api.put("/v2/projects/HELP/mail-in", json={"unknown_senders": "customer"}, headers=org.headers))

    def file_issue() -> None:
        answer = own_mail_in.send(mail(sender="Carla Customer <carla@customer.test>",
                                       to=project_address(org.key, "HELP"), subject="Invoice is wrong",
                                       body="The total is off by 10."))
        assert answer.code == 250, answer.text

    # Her own mail tells her nothing (her own change); the admin, not involved, hears nothing either.
    assert _mails_after(own_settings, file_issue) == []
    [issue] = ok(api.get("/v2/search", params={"jql": "project = HELP"}, headers=org.headers))["issues"]
    carla = issue["fields"]["reporter"]["id"] if "fields" in issue else issue["reporter"]["id"]
    key = issue["key"]

    def team_comments() -> None:
        ok(api.post(f"/v2/issues/{key}/comments", json={"body": "Internal: refund approved by finance",
                                                        "visibility": {"type": "role", "value": "developers"}},
                    headers=org.headers), 201)
        ok(api.post(f"/v2/issues/{key}/comments", json={"body": "We corrected the invoice."},
                    headers=org.headers), 201)

    [message] = _mails_after(own_settings, team_comments)
    assert message["To"] == "carla@customer.test" and message["Subject"].startswith(f"[{key}]")
    text = message.get_body(("plain",)).get_content()
    assert "We corrected the invoice." in text and "refund approved" not in text
    reply_to = message["Reply-To"]
    assert reply_to.startswith(f"{org.key.lower()}-help+") and reply_to.endswith(f"@{DOMAIN}")
    # No web inbox: she cannot sign in to read one.
    assert fetch_rows(own_url, "SELECT id FROM notifications WHERE user_id = :u", {"u": carla}) == []

    # Her reply goes to the Reply-To; her mail client kept no References.
    answer = own_mail_in.send(mail(sender="carla@customer.test", to=reply_to, subject="Re: Invoice",
                                   body="Thanks, that fixed it.\n\nOn Tue, Tessera wrote:\n> We corrected the invoice."))
    assert (answer.code, answer.text) == (250, f"2.0.0 comment_added {key}")
    comments = ok(api.get(f"/v2/issues/{key}/comments", headers=org.headers))["comments"]
    assert [(c["body"], c["author"]["id"]) for c in comments][-1] == ("Thanks, that fixed it.", carla)
