"""The deliveries admin pages: the filtered, paged list, one delivery with its attempts and its
Retry button; organization admins only; another organization's delivery is a 404 page and never
listed; a bad filter is a 400 page naming it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.factories.deliveries import Planned, plant
from tests.factories.http import ok
from tests.factories.web import open_session, sign_in_as
from tests.support import OrgHandle, make_user

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
ROW = re.compile(r'<a href="/admin/deliveries/(\d+)">')


def _listed(web: TestClient, **params: str) -> list[int]:
    page = web.get("/admin/deliveries", params=params)
    assert page.status_code == 200, page.text
    return [int(found) for found in ROW.findall(page.text)]


def test_the_list_filters_and_shows_each_rows_facts(web: TestClient, csrf: str, database_url: str,
                                                   org: OrgHandle) -> None:
    hook, mail, dead = plant(database_url, org.organization_id,
                             Planned(state="delivered", target="https://one.example.test/in", target_id=41,
                                     created_at=T0),
                             Planned(state="failed", channel="email", target="bo@example.test", target_id=5,
                                     event_type="comment_created", created_at=T0 + timedelta(hours=1)),
                             Planned(state="dead", target="https://two.example.test/in", target_id=42,
                                     created_at=T0 + timedelta(hours=2)))
    ours = {hook, mail, dead}
    assert [d for d in _listed(web) if d in ours] == [dead, mail, hook]
    assert _listed(web, state="dead") == [dead]
    assert _listed(web, channel="email") == [mail]
    assert _listed(web, target="ONE.example") == [hook]
    assert _listed(web, event="comment_created") == [mail]
    assert _listed(web, state="dead", channel="email") == []

    page = web.get("/admin/deliveries", params={"channel": "email"})
    assert "bo@example.test" in page.text and "comment_created" in page.text
    assert "HTTP 503 from the receiver" in page.text  # the last error
    assert 'href="/admin/deliveries" class="active"' in page.text
    assert '<option value="email" selected>' in page.text  # the filter is shown as chosen
    # A failed delivery waits for its next attempt, which the row shows; a dead one has none.
    assert re.search(r"\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC", page.text)
    hooks = web.get("/admin/deliveries", params={"state": "dead"}).text
    assert 'href="/admin/webhooks/42"' in hooks and "https://two.example.test/in" in hooks


def test_a_notifications_recipient_is_named_only_from_the_organization(web: TestClient, csrf: str,
                                                                       database_url: str, org: OrgHandle,
                                                                       other_org: OrgHandle) -> None:
    person = make_user(database_url, org, email=f"zed-{org.key.lower()}@example.test")
    stranger = make_user(database_url, other_org, email=f"yves-{other_org.key.lower()}@example.test")
    ours, odd = plant(database_url, org.organization_id,
                      Planned(channel="slack", target="slack", target_id=person.user_id),
                      Planned(channel="push", target="push", target_id=stranger.user_id))
    listing = web.get("/admin/deliveries", params={"channel": "slack"}).text
    name = person.email.split("@")[0].title()
    assert _listed(web, channel="slack") == [ours] and name in listing
    assert name in web.get(f"/admin/deliveries/{ours}").text
    # A target id naming another organization's user (which Tessera never writes) names nobody.
    assert stranger.email.split("@")[0].title() not in web.get(f"/admin/deliveries/{odd}").text


def test_pages_by_cursor(web: TestClient, csrf: str, database_url: str, org: OrgHandle) -> None:
    planted = plant(database_url, org.organization_id,
                    *[Planned(target="https://paged.example.test/x", created_at=T0 + timedelta(minutes=n))
                      for n in range(53)])
    first = web.get("/admin/deliveries", params={"target": "paged.example"})
    assert first.status_code == 200
    assert [int(d) for d in ROW.findall(first.text)] == planted[::-1][:50]
    older = re.search(r'rel="next" href="\?([^"]+)"', first.text)
    assert older is not None and "target=paged.example" in older.group(1)
    second = web.get("/admin/deliveries?" + older.group(1).replace("&amp;", "&"))
    assert [int(d) for d in ROW.findall(second.text)] == planted[::-1][50:]
    assert 'rel="next"' not in second.text and ">Newest</a>" in second.text


def test_a_bad_filter_is_a_400_page_naming_it(web: TestClient, csrf: str) -> None:
    page = web.get("/admin/deliveries", params={"state": "lost"})
    assert page.status_code == 400
    assert "&#39;state&#39; must be one of pending, sending, delivered, failed, dead" in page.text
    assert web.get("/admin/deliveries", params={"cursor": "not-a-cursor!"}).status_code == 400
    assert web.get("/admin/deliveries/abc").status_code == 404


def test_one_delivery_with_its_attempts_and_retry(web: TestClient, csrf: str, database_url: str,
                                                  org: OrgHandle) -> None:
    dead, delivered = plant(database_url, org.organization_id, Planned(state="dead", attempts=2, target_id=9),
                            Planned(state="delivered"))
    page = web.get(f"/admin/deliveries/{dead}")
    assert page.status_code == 200
    assert "try later" in page.text and "gone" in page.text and "HTTP 410 from the receiver" in page.text
    assert page.text.count("<tr><td>") == 2  # two attempts, oldest first
    assert page.text.index("try later") < page.text.index("gone")
    assert f'action="/admin/deliveries/{dead}/retry"' in page.text and ">Retry</button>" in page.text

    assert web.post(f"/admin/deliveries/{dead}/retry", data={}).status_code == 403  # no CSRF token
    retried = web.post(f"/admin/deliveries/{dead}/retry", data={"csrf_token": csrf}, follow_redirects=False)
    assert retried.status_code == 303 and retried.headers["location"] == f"/admin/deliveries/{dead}"
    assert ok(web.get(f"/v2/deliveries/{dead}", headers={"X-CSRF-Token": csrf}))["state"] == "pending"

    refused = web.post(f"/admin/deliveries/{delivered}/retry", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "retry it with force" in refused.text
    assert ">Send again</button>" in web.get(f"/admin/deliveries/{delivered}").text
    forced = web.post(f"/admin/deliveries/{delivered}/retry", data={"csrf_token": csrf, "force": "1"},
                      follow_redirects=False)
    assert forced.status_code == 303
    assert ok(web.get(f"/v2/deliveries/{delivered}"))["state"] == "pending"


def test_members_and_other_organizations_are_kept_out(web: TestClient, database_url: str, org: OrgHandle,
                                                      other_org: OrgHandle) -> None:
    [ours] = plant(database_url, org.organization_id, Planned(state="dead", target="https://ours.example.test/in"))
    csrf = open_session(web, database_url, other_org)
    assert web.get(f"/admin/deliveries/{ours}").status_code == 404
    assert web.post(f"/admin/deliveries/{ours}/retry", data={"csrf_token": csrf}).status_code == 404
    listing = web.get("/admin/deliveries")
    assert listing.status_code == 200 and "ours.example.test" not in listing.text and ours not in _listed(web)
    sign_in_as(web, database_url, make_user(database_url, org, role="member"))
    assert web.get("/admin/deliveries").status_code == 403
    assert web.get(f"/admin/deliveries/{ours}").status_code == 403
    assert 'href="/admin/deliveries"' not in web.get("/projects").text
