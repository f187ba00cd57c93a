"""The issue page's collaboration parts over HTTP: Markdown comments in threads, reply, edit and
delete forms, watch and vote buttons; every change carries the page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.web import HTMX
from tests.support import OrgHandle, make_user


def _comment_ids(client: TestClient, org: OrgHandle, key: str) -> list[int]:
    return [c["id"] for c in client.get(f"/v2/issues/{key}/comments", headers=org.headers).json()["comments"]]


def test_comment_reply_edit_and_delete_through_the_page(web: TestClient, csrf: str, org: OrgHandle,
                                                        issue: dict) -> None:
    key = issue["key"]
    posted = web.post(f"/browse/{key}/comments", data={"csrf_token": csrf, "body": "**Bold** <script>x()</script>"},
                      headers=HTMX)
    assert posted.status_code == 200 and posted.text.startswith('<section id="activity"')
    assert "<strong>Bold</strong>" in posted.text
    assert "<script>x()" not in posted.text and "&lt;script&gt;x()" in posted.text
    [root] = _comment_ids(web, org, key)
    replied = web.post(f"/browse/{key}/comments", data={"csrf_token": csrf, "body": "A reply", "parent_id": root},
                       headers=HTMX)
    assert replied.status_code == 200
    assert re.search(r'id="comment-\d+" style="margin-left: 28px"', replied.text)  # indented under its parent
    reply = _comment_ids(web, org, key)[1]
    reply_form = web.get(f"/browse/{key}/comments/{root}/form", params={"mode": "reply"}, headers=HTMX)
    assert f'name="parent_id" value="{root}"' in reply_form.text
    edit_form = web.get(f"/browse/{key}/comments/{reply}/form", params={"mode": "edit"}, headers=HTMX)
    assert 'name="version" value="1"' in edit_form.text and ">A reply</textarea>" in edit_form.text
    assert web.get(f"/browse/{key}/comments/987654321/form", headers=HTMX).status_code == 404
    edited = web.post(f"/browse/{key}/comments/{reply}/edit",
                      data={"csrf_token": csrf, "body": "A _better_ reply", "version": "1"}, headers=HTMX)
    assert edited.status_code == 200 and "<em>better</em>" in edited.text and "(edited)" in edited.text
    stale = web.post(f"/browse/{key}/comments/{reply}/edit",
                     data={"csrf_token": csrf, "body": "Lost", "version": "1"}, headers=HTMX)
    assert stale.status_code == 409 and stale.headers["HX-Retarget"] == "#flash"
    deleted = web.post(f"/browse/{key}/comments/{root}/delete", data={"csrf_token": csrf}, headers=HTMX)
    assert deleted.status_code == 200 and "This comment was deleted." in deleted.text
    assert "A <em>better</em> reply" in deleted.text
    plain = web.post(f"/browse/{key}/comments/{reply}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert plain.status_code == 303
    assert _comment_ids(web, org, key) == []
    for url in (f"/browse/{key}/comments", f"/browse/{key}/comments/{root}/delete", f"/browse/{key}/watch",
                f"/browse/{key}/vote"):
        assert web.post(url, data={"body": "forged"}, follow_redirects=False).status_code == 403, url


def test_watch_and_vote_buttons(web: TestClient, csrf: str, database_url: str, org: OrgHandle,
                                issue: dict) -> None:
    key = issue["key"]
    page = web.get(f"/browse/{key}").text
    assert 'id="watch-vote"' in page and "Stop watching" in page  # the reporter watches already
    assert re.search(r'Vote <span class="count vote-count">0</span></button>', page)
    assert re.search(r"you cannot vote on an issue you reported", page, re.IGNORECASE)
    unwatched = web.post(f"/browse/{key}/watch", data={"csrf_token": csrf, "action": "unwatch"}, headers=HTMX)
    assert unwatched.status_code == 200 and unwatched.text.startswith('<div id="watch-vote"')
    assert '>Watch <span class="count watch-count">0</span>' in unwatched.text
    assert web.get(f"/v2/issues/{key}/watchers", headers=org.headers).json()["watch_count"] == 0
    watched = web.post(f"/browse/{key}/watch", data={"csrf_token": csrf, "action": "watch"}, follow_redirects=False)
    assert watched.status_code == 303
    assert web.get(f"/v2/issues/{key}/watchers", headers=org.headers).json()["is_watching"] is True
    refused = web.post(f"/browse/{key}/vote", data={"csrf_token": csrf, "action": "vote"}, headers=HTMX)
    assert refused.status_code == 400 and "reported" in refused.text
    # Someone else's issue: the admin may vote.
    other = make_user(database_url, org)
    theirs = web.post("/v2/issues", headers=other.headers, json={
        "project_id": issue["project"]["id"], "issue_type": "Task", "summary": "Not mine"}).json()
    voted = web.post(f"/browse/{theirs['key']}/vote", data={"csrf_token": csrf, "action": "vote"}, headers=HTMX)
    assert voted.status_code == 200 and '>Remove vote <span class="count vote-count">1</span>' in voted.text


def test_members_and_viewers_see_the_issue_page_with_its_live_bar(web: TestClient, database_url: str,
                                                                  org: OrgHandle, issue: dict) -> None:
    """Not only admins: the page (comment roles, live bar) renders for every role that may browse."""
    for role in ("member", "viewer"):
        user = make_user(database_url, org, role=role, password="a-password-of-" + role)
        web.cookies.clear()
        signed_in = web.post("/signin", data={"email": user.email, "password": "a-password-of-" + role},
                             follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        page = web.get(f"/browse/{issue['key']}")
        assert page.status_code == 200, page.text
        assert f'data-issue-id="{issue["id"]}"' in page.text and f'data-user-id="{user.user_id}"' in page.text
