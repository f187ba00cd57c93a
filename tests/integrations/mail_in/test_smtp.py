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


def _new_issue(client: TestClient, org: OrgHandle, summary: str = "Existing issue") -> dict:
    return ok(client.post("/v2/issues", json={"project_id": "PROJ", "issue_type": "Task", "summary": summary},
                          headers=org.headers))


def _reply(settings: Settings, *, org: OrgHandle, issue: dict, sender: str, body: str, to: str = "tessera@localhost"
           ) -> object:
    """A reply as mail clients write it to a notification: In-Reply-To the notification's Message-ID,
    References its References (the issue's thread id) then its Message-ID."""
    thread = thread_id(settings, org.organization_id, issue["id"])
    return mail(sender=sender, to=to, subject=f"Re: [{issue['key']}] {issue['summary']}", body=body,
                In_Reply_To="<0123abcd.1@testserver>", References=f"{thread} <0123abcd.1@testserver>")


def test_a_reply_to_a_notification_comments_as_the_sender(client: TestClient, settings: Settings, mail_in: MailIn,
                                                         org: OrgHandle, project: dict, member: UserHandle) -> None:
    issue = _new_issue(client, org)
    reply = _reply(settings, org=org, issue=issue, sender=member.email,
                   body="Confirmed on my machine too.\n\nOn Tue, 7 Jan 2025, Tessera <tessera@localhost> wrote:\n"
                        "> [PROJ-1] Existing issue\n> Admin created this issue\n")
    answer = mail_in.send(reply)  # type: ignore[arg-type]
    assert (answer.code, answer.text) == (250, f"2.0.0 comment_added {issue['key']}")
    comments = ok(client.get(f"/v2/issues/{issue['key']}/comments", headers=org.headers))["comments"]
    assert [(c["body"], c["author"]["id"]) for c in comments] == [("Confirmed on my machine too.", member.user_id)]
    again = mail_in.send(reply)  # type: ignore[arg-type]  # the same Message-ID: an SMTP retry
    assert (again.code, again.text.split()[1]) == (250, "duplicate")
    assert len(ok(client.get(f"/v2/issues/{issue['key']}/comments", headers=org.headers))["comments"]) == 1


def test_html_only_mail_becomes_text(client: TestClient, mail_in: MailIn, org: OrgHandle, project: dict) -> None:
    message = mail(sender=org.admin_email, to=project_address(org.key, "PROJ"), subject="Invoice PDF is empty",
                   body="unused")
    message.set_content("<html><body><p>The <b>invoice</b> PDF has no pages.</p><ul><li>Chrome</li><li>Edge</li>"
                        "</ul><div>Best regards,</div><div>Ann</div><blockquote>older mail</blockquote></body></html>",
                        subtype="html")
    answer = mail_in.send(message)
    assert answer.code == 250, answer.text
    issue = ok(client.get(f"/v2/issues/{answer.text.split()[-1]}", headers=org.headers))
    assert issue["description"].startswith("The invoice PDF has no pages.\n\n- Chrome\n- Edge")
    assert "older mail" not in issue["description"] and "<" not in issue["description"]


def test_unknown_senders_follow_the_projects_policy(client: TestClient, settings: Settings, mail_in: MailIn,
                                                    org: OrgHandle, project: dict, member: UserHandle) -> None:
    stranger = "Carla Customer <carla@customer.test>"
    first = mail(sender=stranger, to=project_address(org.key, "PROJ"), subject="Where is my order?",
                 body="Order 1234 has not arrived.")
    refused = mail_in.send(first)
    assert refused.code == 550 and "carla@customer.test is not a user" in refused.text
    assert issue_count(client, org, "PROJ") == 0

    # Only project admins set the policy; "create" needs the account that files such mail.
    assert client.put("/v2/projects/PROJ/mail-in", json={"unknown_senders": "create"},
                      headers=member.headers).status_code == 403
    missing = client.put("/v2/projects/PROJ/mail-in", json={"unknown_senders": "create"}, headers=org.headers)
    assert missing.status_code == 400 and "on_behalf_of_id" in missing.text
    policy = ok(client.put("/v2/projects/PROJ/mail-in", json={"unknown_senders": "create",
                                                              "on_behalf_of_id": member.user_id}, headers=org.headers))
    assert policy["unknown_senders"] == "create" and policy["on_behalf_of_id"] == member.user_id

    created = mail_in.send(first)
    assert created.code == 250, created.text
    key = created.text.split()[-1]
    issue = ok(client.get(f"/v2/issues/{key}", headers=org.headers))
    assert issue["reporter"]["id"] == member.user_id
    assert issue["description"] == "From Carla Customer <carla@customer.test> by email:\n\nOrder 1234 has not arrived."
    # The customer may follow up on their own issue; another stranger may not.
    follow_up = _reply(settings, org=org, issue=issue, sender=stranger, body="Any news?")
    assert mail_in.send(follow_up).code == 250  # type: ignore[arg-type]
    comments = ok(client.get(f"/v2/issues/{key}/comments", headers=org.headers))["comments"]
    assert [c["body"] for c in comments] == ["From Carla Customer <carla@customer.test> by email:\n\nAny news?"]
    intruder = _reply(settings, org=org, issue=issue, sender="eve@elsewhere.test", body="Let me in")
    answer = mail_in.send(intruder)  # type: ignore[arg-type]
    assert answer.code == 550 and "only reply to the issues their own mail created" in answer.text

    ok(client.put("/v2/projects/PROJ/mail-in", json={"enabled": False}, headers=org.headers))
    off = mail_in.send(mail(sender=org.admin_email, to=project_address(org.key, "PROJ"), subject="x", body="y"))
    assert off.code == 550 and "does not take mail" in off.text


def test_automatic_mail_never_creates_issues(client: TestClient, mail_in: MailIn, org: OrgHandle,
                                             project: dict) -> None:
    to = project_address(org.key, "PROJ")
    vacation = mail(sender=org.admin_email, to=to, subject="Out of office", body="Back Monday.",
                    Auto_Submitted="auto-replied")
    bulk = mail(sender=org.admin_email, to=to, subject="Newsletter", body="News.", Precedence="bulk")
    autoreply = mail(sender=org.admin_email, to=to, subject="Auto: thanks", body="Thanks.", X_Autoreply="yes")
    # Tessera's own notification, mailed back to it: Auto-Submitted: auto-generated.
    own = mail(sender="tessera@localhost", to=to, subject="[PROJ-1] x", body="x", Auto_Submitted="auto-generated")
    for message in (vacation, bulk, autoreply, own):
        answer = mail_in.send(message)
        assert (answer.code, answer.text.split()[1]) == (250, "ignored"), answer.text
    bounce = (f"From: Mail Delivery System <MAILER-DAEMON@mx.test>\r\nTo: {to}\r\nSubject: Undelivered Mail\r\n"
              "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
              "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--b\r\n"
              "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\n"
              "Final-Recipient: rfc822; x@y.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n").encode()
    answer = mail_in.send(bounce, mail_from="", to=[to])  # the null sender <>
    assert (answer.code, answer.text.split()[1]) == (250, "ignored"), answer.text
    assert issue_count(client, org, "PROJ") == 0


def test_unknown_recipients_and_oversized_mail_are_refused(mail_in: MailIn, org: OrgHandle, project: dict) -> None:
    nowhere = mail_in.send(mail(sender=org.admin_email, to=f"nobody@{DOMAIN}", subject="x", body="y"))
    assert nowhere.code == 550 and "no Tessera project takes mail" in nowhere.text
    elsewhere = mail_in.send(mail(sender=org.admin_email, to=f"{org.key.lower()}-proj@example.com", subject="x",
                                  body="y"))
    assert elsewhere.code == 550
    big = mail(sender=org.admin_email, to=project_address(org.key, "PROJ"), subject="big",
               body=("x" * 70 + "\n") * (MAX_BYTES // 70 + 10))
    answer = mail_in.send(big)
    assert answer.code == 552, answer.text
    missing_project = mail_in.send(mail(sender=org.admin_email, to=project_address(org.key, "NOPE"), subject="x",
                                        body="y"))
    assert missing_project.code == 550


def test_mail_never_crosses_organizations(client: TestClient, settings: Settings, mail_in: MailIn, org: OrgHandle,
                                          other_org: OrgHandle, project: dict) -> None:
    ok(client.post("/v2/projects", json={"key": "PROJ", "name": "Theirs"}, headers=other_org.headers))
    theirs = ok(client.post("/v2/issues", json={"project_id": "PROJ", "issue_type": "Task", "summary": "Theirs"},
                            headers=other_org.headers))
    # A's admin names B's issue's thread: as a reply to the notification address, refused (no user of B)...
    answer = mail_in.send(_reply(settings, org=other_org, issue=theirs, sender=org.admin_email,  # type: ignore[arg-type]
                                 body="hijack"))
    assert answer.code == 550 and "is not a user" in answer.text
    # ...and sent to A's project address, the foreign thread is ignored: a new issue in A.
    to_a = _reply(settings, org=other_org, issue=theirs, sender=org.admin_email, body="mine",
                  to=project_address(org.key, "PROJ"))
    answer = mail_in.send(to_a)  # type: ignore[arg-type]
    assert answer.code == 250 and answer.text.startswith("2.0.0 issue_created PROJ-"), answer.text
    assert ok(client.get(f"/v2/issues/{theirs['key']}/comments", headers=other_org.headers))["comments"] == []
    assert issue_count(client, other_org, "PROJ") == 1 and issue_count(client, org, "PROJ") == 1
    # B's project address does not take A's users' mail.
    answer = mail_in.send(mail(sender=org.admin_email, to=project_address(other_org.key, "PROJ"), subject="x",
                               body="y"))
    assert answer.code == 550
    assert issue_count(client, other_org, "PROJ") == 1


def test_the_mail_to_issue_path_is_fast_enough_to_feel_immediate(client: TestClient, mail_in: MailIn,
                                                                  org: OrgHandle, project: dict) -> None:
    started = time.monotonic()
    answer = mail_in.send(mail(sender=org.admin_email, to=project_address(org.key, "PROJ"), subject="Quick",
                               body="Fast?"))
    assert answer.code == 250 and time.monotonic() - started < 5
