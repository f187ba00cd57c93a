"""Mail sent with smtplib to a running `tessera mail-in`, on both databases: a new issue from a
project's address (quotes, signature and HTML stripped, attachments attached, reporter the
sender), a comment from a reply to a notification, unknown senders by the project's policy,
automatic mail dropped, the size limit, duplicates, and tenancy."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.notifications.email.message import thread_id
from tests.integrations.mail_in.conftest import DOMAIN, MAX_BYTES, MailIn, mail, project_address
from tests.support import OrgHandle, UserHandle


def ok(response):  # type: ignore[no-untyped-def]
    assert response.status_code < 300, response.text
    return response.json()


def issue_count(client: TestClient, org: OrgHandle, project_key: str) -> int:
    return ok(client.get("/v2/search", params={"jql": f"project = {project_key}", "maxResults": 0},
                         headers=org.headers))["total"]


def test_mail_to_a_projects_address_creates_an_issue(client: TestClient, mail_in: MailIn, org: OrgHandle,
                                                      project: dict, member: UserHandle) -> None:
    assert ok(client.get("/v2/projects/PROJ/mail-in", headers=org.headers))["address"] == project_address(org.key, "PROJ")
    message = mail(sender=f"Mia Member <{member.email}>", to=project_address(org.key, "PROJ"),
                   subject="Re: Login page crashes on Safari",
                   body="The login page shows a blank screen on Safari 17.\n\nSteps: open /login.\n\n-- \n"
                        "Mia Member\nACME Corp, 1 Main Street\n\nOn Mon, Jan 6, 2025 at 10:00 AM Bob <bob@x.test> wrote:\n"
                        "> earlier text\n> more\n")
    message.add_attachment(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, maintype="image", subtype="png", filename="screen.png")
    answer = mail_in.send(message)
    assert answer.code == 250, answer.text
    assert answer.text.startswith("2.0.0 issue_created PROJ-"), answer.text
    key = answer.text.split()[-1]
    issue = ok(client.get(f"/v2/issues/{key}", headers=org.headers))
    assert issue["summary"] == "Login page crashes on Safari"
    assert issue["description"] == "The login page shows a blank screen on Safari 17.\n\nSteps: open /login."
    assert issue["reporter"]["id"] == member.user_id
    attachments = ok(client.get(f"/v2/issues/{key}/attachments", headers=org.headers))
    names = [a["filename"] for a in (attachments["attachments"] if isinstance(attachments, dict) else attachments)]
    assert names == ["screen.png"]
