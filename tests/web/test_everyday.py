"""Everyday work, server side (the browser journeys are in test_everyday_browser.py): the search
page's errors marked where they are, sorting by header, chosen columns, CSV export, saving as a
shared filter; the create form's dialog variant and custom fields; the mention autocomplete
respecting USER_PICKER; the inbox page (paging, unread, mark read); avatar upload validated by
decoding the image, served with its type and cache headers, and only within the organization."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import struct
import zlib

from fastapi.testclient import TestClient

from tessera.tenancy.avatars import AVATAR_MAX_BYTES, image_format
from tessera.web.search import current_sort, sorted_by
from tests.factories.http import ok
from tests.factories.notifications import add_inbox_entry
from tests.factories.web import CSRF, HTMX, sign_in_as
from tests.support import OrgHandle, fetch_rows, make_user


def png(width: int = 2, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _thead(page: str) -> str:
    return page.split("<thead>")[1].split("</thead>")[0]


def test_sorting_rewrites_only_the_order_by_clause() -> None:
    assert sorted_by("project = A", "priority") == "project = A ORDER BY priority ASC"
    assert sorted_by("project = A ORDER BY priority ASC", "priority") == "project = A ORDER BY priority DESC"
    assert sorted_by("project = A order by priority desc, key", "priority") == "project = A ORDER BY priority ASC"
    assert sorted_by('summary ~ "order by x" ORDER BY key', "updated") == 'summary ~ "order by x" ORDER BY updated ASC'
    assert current_sort('summary ~ "order by x"') is None
    assert current_sort("ORDER BY Created DESC") == ("created", "desc")
    assert sorted_by("", "key") == "ORDER BY key ASC"


def test_search_errors_are_marked_where_they_are(web: TestClient, csrf: str, project: dict) -> None:
    broken = web.get("/search", params={"jql": "project = PROJ AND\nstatus = "})
    assert broken.status_code == 400
    assert 'aria-invalid="true" aria-describedby="jql-error"' in broken.text
    assert 'data-error-offset="' in broken.text and 'role="combobox"' in broken.text
    marker = re.search(r'<pre class="jql-error-at" aria-hidden="true">([^<]*)</pre>', broken.text)
    assert marker is not None and marker.group(1).split("\n")[0] == "status = "  # the second line, with a caret
    unknown = web.get("/search", params={"jql": "nosuchfield = 1"})
    assert unknown.status_code == 400 and 'data-error-offset="0"' in unknown.text
    fine = web.get("/search", params={"jql": "project = PROJ"})
    assert fine.status_code == 200 and "aria-invalid" not in fine.text.split('id="jql"')[1].split(">")[0]


def test_search_columns_sorting_and_live_refresh(web: TestClient, csrf: str, org: OrgHandle, project: dict) -> None:
    for summary, priority in (("Alpha", "Low"), ("Beta", "Highest")):
        ok(web.post("/v2/issues", headers=org.headers, json={"project_id": "PROJ", "issue_type": "Task",
                                                            "summary": summary, "priority": priority}), 201)
    page = web.get("/search", params={"jql": "project = PROJ ORDER BY priority ASC"})
    assert page.status_code == 200
    assert 'aria-sort="ascending"' in page.text and "Reporter" not in _thead(page.text)
    flipped = re.search(r'<a href="([^"]+)" class="sort-link" title="Sort by priority">', page.text)
    assert flipped is not None and "priority+DESC" in flipped.group(1).replace("&amp;", "&")
    wide = web.get("/search", params={"jql": "project = PROJ", "column": ["key", "reporter", "due"]})
    head = _thead(wide.text)
    assert "Reporter" in head and "Due" in head and "Priority" not in head and "Summary" not in head
    assert 'name="columns" value="key,reporter,due"' in wide.text  # kept when the query changes
    body = wide.text.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count('<span class="user">') == 2  # each row's reporter
    refreshed = web.get("/search", params={"jql": "project = PROJ", "columns": "key,reporter"},
                        headers={**HTMX, "HX-Target": "search-results"})
    assert refreshed.status_code == 200
    assert '<div id="search-results"' in refreshed.text and "<html" not in refreshed.text
    assert 'hx-trigger="every 30s"' in refreshed.text


def test_search_exports_csv_of_its_own_organization_and_records_it(web: TestClient, csrf: str, org: OrgHandle,
                                                                   other_org: OrgHandle, client: TestClient,
                                                                   project: dict, database_url: str) -> None:
    ok(web.post("/v2/issues", headers=org.headers, json={"project_id": "PROJ", "issue_type": "Task",
                                                        "summary": "=HYPERLINK(\"x\")"}), 201)
    ok(client.post("/v2/projects", json={"key": "THEIRS", "name": "Theirs"}, headers=other_org.headers), 201)
    ok(client.post("/v2/issues", json={"project_id": "THEIRS", "issue_type": "Task", "summary": "Hidden"},
                   headers=other_org.headers), 201)
    export = web.get("/search/export.csv", params={"jql": "ORDER BY key", "columns": "key,summary,status"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(export.text)))
    assert lines == [["Key", "Summary", "Status"], ["PROJ-1", "'=HYPERLINK(\"x\")", "To Do"]]  # no formula runs
    assert "THEIRS" not in export.text
    rows = fetch_rows(database_url, "SELECT action FROM audit_records WHERE organization_id = :o AND action = :a",
                      {"o": org.organization_id, "a": "issues.exported"})
    assert len(rows) == 1
    bad = web.get("/search/export.csv", params={"jql": "project = "})
    assert bad.status_code == 400 and "Expecting" in bad.text


def test_save_as_filter_shared_with_the_organization(web: TestClient, csrf: str, org: OrgHandle, project: dict,
                                                     database_url: str) -> None:
    refused = web.post("/search/filters", data={"csrf_token": csrf, "jql": "project = PROJ", "name": "  "},
                       headers=HTMX)
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text and "<html" not in refused.text
    assert 'value="project = PROJ"' in refused.text  # the query is kept
    saved = web.post("/search/filters", headers=HTMX, data={"csrf_token": csrf, "jql": "project = PROJ",
                                                          "name": "Team work", "share": "organization"})
    assert saved.status_code == 204 and saved.headers["HX-Redirect"].startswith("/search?jql=project")
    assert "Team work" in web.get("/search").text  # a favourite now
    member = make_user(database_url, org)
    shared = ok(web.get("/v2/filters", headers=member.headers))
    assert "Team work" in {f["name"] for f in shared["filters"]}
    forged = web.post("/search/filters", data={"jql": "x", "name": "no token"})
    assert forged.status_code == 403


def test_create_dialog_form_and_custom_fields(web: TestClient, csrf: str, org: OrgHandle, project: dict) -> None:
    ok(web.post("/v2/fields", headers=org.headers, json={"name": "Browsers", "field_type": "multi_select",
                                                        "options": ["Chrome", "Firefox", "Safari"]}), 201)
    dialog = web.get("/issues/new", params={"dialog": "1", "project": "PROJ"})
    assert dialog.status_code == 200 and "<html" not in dialog.text and 'id="create-form"' in dialog.text
    assert 'hx-post="/issues/new"' in dialog.text and 'name="dialog" value="1"' in dialog.text
    assert 'name="cf.story_points"' in dialog.text and 'name="cf.browsers[]" value="Safari"' in dialog.text
    refused = web.post("/issues/new", headers=HTMX, data={
        "csrf_token": csrf, "dialog": "1", "project": "PROJ", "issue_type": "Bug", "summary": "Layout",
        "description": "kept", "cf.story_points": "lots", "cf.browsers[]": ["Chrome", "Safari"]})
    assert refused.status_code == 400 and "<html" not in refused.text
    assert "Story Points must be a number" in refused.text and "kept" in refused.text
    assert 'aria-invalid="true" aria-describedby="create-error-custom_fields-story_points"' in refused.text
    assert 'value="Safari" checked' in refused.text and 'value="Firefox" checked' not in refused.text
    made = web.post("/issues/new", headers=HTMX, data={
        "csrf_token": csrf, "dialog": "1", "project": "PROJ", "issue_type": "Bug", "summary": "Layout",
        "cf.story_points": "5", "cf.browsers[]": ["Chrome", "Safari"]})
    assert made.status_code == 204
    key = made.headers["HX-Redirect"].rsplit("/", 1)[1]
    issue = ok(web.get(f"/v2/issues/{key}", headers=org.headers))
    assert issue["custom_fields"]["story_points"] == 5
    assert sorted(option["value"] for option in issue["custom_fields"]["browsers"]) == ["Chrome", "Safari"]


def test_mentions_offer_no_one_without_the_user_picker_permission(web: TestClient, org: OrgHandle, project: dict,
                                                                  database_url: str) -> None:
    member = make_user(database_url, org)
    issue = ok(web.post("/v2/issues", headers=org.headers, json={"project_id": "PROJ", "issue_type": "Task",
                                                                "summary": "Mention me"}), 201)
    url = f"/v2/issues/{issue['key']}/mentionable"
    assert ok(web.get(url, headers=member.headers))["users"]
    grants = ok(web.get("/v2/global-permissions", headers=org.headers))["grants"]
    for grant in grants:
        if grant["permission"] == "USER_PICKER":
            assert web.delete(f"/v2/global-permissions/{grant['id']}", headers=org.headers).status_code == 204
    assert ok(web.get(url, headers=member.headers))["users"] == []
    assert ok(web.get(url, headers=org.headers))["users"]  # administrators keep it


def test_the_inbox_pages_filters_and_marks_read(web: TestClient, csrf: str, org: OrgHandle, other_org: OrgHandle,
                                                database_url: str) -> None:
    ids = [add_inbox_entry(database_url, org.organization_id, org.admin_user_id) for _ in range(27)]
    theirs = add_inbox_entry(database_url, other_org.organization_id, other_org.admin_user_id)
    first = web.get("/notifications")
    assert first.status_code == 200 and "1–25 of 27" in first.text and "Page 1 of 2" in first.text
    assert first.text.count('class="notification unread"') == 25
    second = web.get("/notifications", params={"page": "2"})
    assert "26–27 of 27" in second.text and f'id="notification-{ids[0]}"' in second.text
    marked = web.post(f"/notifications/{ids[0]}/read", data={"csrf_token": csrf, "back": "/notifications?page=2"},
                      follow_redirects=False)
    assert marked.status_code == 303 and marked.headers["location"] == "/notifications?page=2"
    unread = web.get("/notifications", params={"show": "unread"})
    assert "1–25 of 26" in unread.text and 'aria-current="page">Unread' in unread.text
    assert web.post(f"/notifications/{theirs}/read", data={"csrf_token": csrf}).status_code == 404
    escaped = web.post("/notifications/read-all", data={"csrf_token": csrf, "back": "//evil.test/x"},
                       follow_redirects=False)
    assert escaped.status_code == 303 and escaped.headers["location"] == "/notifications"
    done = web.get("/notifications", params={"show": "unread"})
    assert "No unread notifications" in done.text and "0 notifications" in done.text
    assert ok(web.get("/v2/notifications", headers=other_org.headers))["unread"] == 1  # theirs untouched


def test_avatar_formats_are_recognised_by_their_header() -> None:
    assert image_format(png()) == "png"
    assert image_format(b"GIF89a" + struct.pack("<HH", 16, 16) + b"\x00" * 20) == "gif"
    jpeg = b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9 + \
        b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 32, 64) + b"\x00" * 12
    assert image_format(jpeg) == "jpg"
    webp = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8X" + b"\x00" * 8 + (99).to_bytes(3, "little") * 2
    assert image_format(webp) == "webp"
    for bad in (b"", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"\x89PNG\r\n\x1a\n", png(0, 5), png(5000, 1)):
        try:
            image_format(bad)
        except Exception as error:  # noqa: BLE001 (the domain's InvalidInput, checked by its field)
            assert getattr(error, "field", None) == "avatar"
        else:
            raise AssertionError(f"accepted {bad[:20]!r}")


def test_avatar_upload_is_served_within_the_organization(web: TestClient, csrf: str, org: OrgHandle,
                                                         other_org: OrgHandle, database_url: str) -> None:
    before = web.get(f"/users/{org.admin_user_id}/avatar")
    assert before.status_code == 200 and before.headers["content-type"].startswith("image/svg+xml")
    picture = png()
    named_oddly = web.post("/settings/profile/avatar", data={"csrf_token": csrf},
                           files={"avatar": ("holiday.txt", picture, "text/plain")}, follow_redirects=False)
    assert named_oddly.status_code == 303  # the header decides, not the name or the claimed type
    found = re.search(r'src="(/users/\d+/avatar/[0-9a-f]{16}\.png)"', web.get("/settings/profile").text)
    assert found is not None
    url = found.group(1)
    served = web.get(url)
    assert served.status_code == 200 and served.content == picture
    assert served.headers["content-type"] == "image/png" and "immutable" in served.headers["cache-control"]
    current = web.get(f"/users/{org.admin_user_id}/avatar")
    assert current.content == picture and current.headers["cache-control"] == "private, no-cache"
    again = web.get(f"/users/{org.admin_user_id}/avatar", headers={"If-None-Match": current.headers["etag"]})
    assert again.status_code == 304
    page = web.get("/projects")
    assert f'<img src="/users/{org.admin_user_id}/avatar"' in page.text  # the header
    fake = web.post("/settings/profile/avatar", data={"csrf_token": csrf},
                    files={"avatar": ("me.png", b"<script>alert(1)</script>", "image/png")})
    assert fake.status_code == 400 and "must be a PNG, JPEG, WebP or GIF" in fake.text
    assert 'aria-invalid="true" aria-describedby="avatar-error"' in fake.text
    huge = web.post("/settings/profile/avatar", data={"csrf_token": csrf},
                    files={"avatar": ("big.png", picture + b"\x00" * AVATAR_MAX_BYTES, "image/png")})
    assert huge.status_code == 400 and "at most" in huge.text
    assert web.get(url).content == picture  # refused uploads changed nothing
    # Another organization cannot see it, not even by guessing the URL.
    sign_in_as(web, database_url, make_user(database_url, other_org))
    assert web.get(url).status_code == 404
    assert web.get(f"/users/{org.admin_user_id}/avatar").status_code == 404


def test_removing_the_avatar_brings_back_the_initials(web: TestClient, csrf: str, org: OrgHandle) -> None:
    assert web.post("/settings/profile/avatar", data={"csrf_token": csrf},
                    files={"avatar": ("a.png", png(), "image/png")}, follow_redirects=False).status_code == 303
    assert web.get(f"/users/{org.admin_user_id}/avatar").headers["content-type"] == "image/png"
    removed = web.post("/settings/profile/avatar/remove", data={"csrf_token": csrf}, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"].endswith("done=avatar-removed")
    assert web.get(f"/users/{org.admin_user_id}/avatar").headers["content-type"].startswith("image/svg+xml")


def test_erasing_a_user_deletes_their_uploaded_avatar(web: TestClient, org: OrgHandle, database_url: str) -> None:
    """A picture is personal data: GDPR erasure removes it from the object store, not only its URL."""
    person = make_user(database_url, org)
    sign_in_as(web, database_url, person)
    token = CSRF.search(web.get("/settings/profile").text)
    assert token is not None
    assert web.post("/settings/profile/avatar", data={"csrf_token": token.group(1)},
                    files={"avatar": ("me.png", png(), "image/png")}, follow_redirects=False).status_code == 303
    found = re.search(r'src="(/users/\d+/avatar/[0-9a-f]{16}\.png)"', web.get("/settings/profile").text)
    assert found is not None
    web.cookies.clear()
    report = ok(web.post(f"/v2/users/{person.user_id}/erase", json={"confirm": person.email}, headers=org.headers))
    assert report["avatar_deleted"] is True
    store = web.app.state.object_store  # type: ignore[attr-defined]
    key = f"org/{org.organization_id}/avatars/{person.user_id}-{found.group(1).rsplit('/', 1)[1]}"
    assert asyncio.run(store.exists(key)) is False
    assert fetch_rows(database_url, "SELECT avatar_url FROM users WHERE id = :u",
                      {"u": person.user_id}) == [{"avatar_url": None}]
