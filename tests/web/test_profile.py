"""/settings/profile: name and time zone saved as PUT /v2/users/{id} would (and dates then shown
in that zone), the password changed only with the current one (throttled as sign-in is; other
browsers signed out, this one kept), API tokens created with an expiry, shown once, working,
and dead once revoked, sessions listed and signed out one by one or all but this one. Every form
refuses a post without the session's CSRF token; nothing of another user or organization can be
seen or ended."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import text

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.tenancy.models import User
from tessera.tenancy.service import issue_api_token
from tests.factories.http import ok
from tests.factories.web import CSRF, sign_in_as, web_session_cookie
from tests.support import OrgHandle, UserHandle, fetch_rows, make_user

PAGE = "/settings/profile"
PASSWORD = "first-password-1"
SECRET = re.compile(r'<code id="new-token-secret">([^<]+)</code>')


def _csrf(web: TestClient) -> str:
    match = CSRF.search(web.get(PAGE).text)
    assert match is not None
    return match.group(1)


def _member(database_url: str, org: OrgHandle) -> UserHandle:
    return make_user(database_url, org, password=PASSWORD)


def _cookie(database_url: str, user: UserHandle) -> str:
    return asyncio.run(web_session_cookie(database_url, user.token))


def _as_cookie(web: TestClient, cookie: str) -> None:
    web.cookies.clear()
    web.cookies.set("tessera_session", cookie)


async def _execute(database_url: str, sql: str, params: dict) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            await session.execute(text(sql), params)
    finally:
        await database.dispose()


def test_name_and_time_zone_are_saved_and_dates_follow_the_zone(web: TestClient, database_url: str,
                                                                 org: OrgHandle) -> None:
    user = _member(database_url, org)
    sign_in_as(web, database_url, user)
    page = web.get(PAGE)
    assert page.status_code == 200
    assert 'href="/settings/profile"' in page.text  # the header's avatar leads here
    assert '<option value="UTC" selected>' in page.text and '<option value="Europe/Berlin">' in page.text
    csrf = _csrf(web)

    # Refused in place: the message at its field, the posted values kept, nothing saved.
    bad = web.post(PAGE, data={"csrf_token": csrf, "name": "Renamed", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert 'aria-invalid="true" aria-describedby="time_zone-error"' in bad.text
    assert "&#39;Mars/Olympus&#39; is not a time zone" in bad.text and 'value="Renamed"' in bad.text
    empty = web.post(PAGE, data={"csrf_token": csrf, "name": "  ", "time_zone": "UTC"})
    assert empty.status_code == 400 and 'id="name-error"' in empty.text
    assert ok(web.get(f"/v2/users/{user.user_id}", headers=user.headers))["time_zone"] == "UTC"

    forged = web.post(PAGE, data={"name": "Forged", "time_zone": "Asia/Tokyo"}, follow_redirects=False)
    assert forged.status_code == 403

    saved = web.post(PAGE, data={"csrf_token": csrf, "name": "Grace Hopper", "time_zone": "Europe/Berlin"},
                     follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == PAGE + "?done=profile"
    me = ok(web.get("/v2/myself", headers=user.headers))
    assert (me["display_name"], me["time_zone"]) == ("Grace Hopper", "Europe/Berlin")
    page = web.get(saved.headers["location"]).text
    assert "Your profile is saved." in page and '<option value="Europe/Berlin" selected>' in page
    assert ">GH</span>" in page  # the initials avatar follows the name
    # The shared date filter now writes Berlin time: the sessions' "signed in" titles say CET or CEST.
    assert re.search(r'title="\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d CES?T"', page)
    assert not re.search(r'title="[^"]* UTC"', page)


def test_the_password_changes_only_with_the_current_one(web: TestClient, database_url: str,
                                                        org: OrgHandle) -> None:
    user = _member(database_url, org)
    elsewhere = _cookie(database_url, user)
    here = _cookie(database_url, user)
    _as_cookie(web, here)
    csrf = _csrf(web)
    form = {"csrf_token": csrf, "current_password": PASSWORD, "new_password": "second-password-2",
            "confirm_password": "second-password-2"}

    wrong = web.post(PAGE + "/password", data={**form, "current_password": "not-it-at-all"})
    assert wrong.status_code == 400 and "The current password is not correct." in wrong.text
    assert 'aria-describedby="current_password-error"' in wrong.text
    assert "not-it-at-all" not in wrong.text and "second-password-2" not in wrong.text  # never echoed
    short = web.post(PAGE + "/password", data={**form, "new_password": "short", "confirm_password": "short"})
    assert short.status_code == 400 and "A password has 8 to 1024 characters." in short.text
    differ = web.post(PAGE + "/password", data={**form, "confirm_password": "something-else"})
    assert differ.status_code == 400 and "The two new passwords differ." in differ.text
    assert web.post(PAGE + "/password", data={**form, "csrf_token": "forged"}).status_code == 403

    changed = web.post(PAGE + "/password", data=form, follow_redirects=False)
    assert changed.status_code == 303 and changed.headers["location"] == PAGE + "?done=password"
    assert web.get(PAGE).status_code == 200  # this browser stays signed in
    _as_cookie(web, elsewhere)
    gone = web.get(PAGE, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")
    web.cookies.clear()
    basic = httpx.BasicAuth(user.email, "second-password-2")
    assert web.get("/v2/myself", auth=basic).status_code == 200
    assert web.get("/v2/myself", auth=httpx.BasicAuth(user.email, PASSWORD)).status_code == 401
    assert web.get("/v2/myself", headers=user.headers).status_code == 200  # API tokens stay


def test_wrong_current_passwords_lock_the_account_as_sign_in_does(web: TestClient, database_url: str,
                                                                  org: OrgHandle) -> None:
    user = _member(database_url, org)
    sign_in_as(web, database_url, user)
    csrf = _csrf(web)
    form = {"csrf_token": csrf, "current_password": "guess", "new_password": "new-password-9",
            "confirm_password": "new-password-9"}
    statuses = [web.post(PAGE + "/password", data=form).status_code for _ in range(10)]
    assert statuses == [400] * 9 + [429]
    locked = web.post(PAGE + "/password", data={**form, "current_password": PASSWORD})  # even the right one now
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert 'id="password-form"' in locked.text  # shown in place
    web.cookies.clear()
    assert web.post("/signin", data={"email": user.email, "password": PASSWORD}).status_code == 429


def test_tokens_are_created_shown_once_used_and_revoked(web: TestClient, database_url: str, org: OrgHandle,
                                                        other_org: OrgHandle) -> None:
    user = _member(database_url, org)
    sign_in_as(web, database_url, user)
    csrf = _csrf(web)

    for bad, field in (({"name": "", "expires": "30"}, "name"), ({"name": "x", "expires": "7"}, "expires")):
        refused = web.post(PAGE + "/tokens", data={"csrf_token": csrf, **bad})
        assert refused.status_code == 400 and f'id="{field}-error"' in refused.text
    assert web.post(PAGE + "/tokens", data={"name": "forged", "expires": "30"}).status_code == 403

    created = web.post(PAGE + "/tokens", data={"csrf_token": csrf, "name": "Laptop scripts", "expires": "30"})
    assert created.status_code == 201
    secret = SECRET.search(created.text).group(1)  # type: ignore[union-attr]
    assert 'data-copy="new-token-secret"' in created.text
    assert secret not in web.get(PAGE).text  # shown once

    bearer = {"Authorization": f"Bearer {secret}"}
    web.cookies.clear()
    assert ok(web.get("/v2/myself", headers=bearer))["id"] == user.user_id  # a GET records its use
    listed = {t["name"]: t for t in ok(web.get("/v2/myself/tokens", headers=bearer))["tokens"]}
    token = listed["Laptop scripts"]
    expires = datetime.fromisoformat(token["expires"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    assert token["last_used"] is not None and token["scope"] is None

    sign_in_as(web, database_url, user)
    csrf = _csrf(web)
    page = web.get(PAGE).text
    row = page[page.index("Laptop scripts"):]
    row = row[:row.index("</tr>")]
    assert "just now" in row and "never" not in row and "full" in row  # used, expires, full rights
    # Another organization's user, and another user here, cannot revoke it: it is not theirs.
    stranger = make_user(database_url, other_org)
    sign_in_as(web, database_url, stranger)
    assert web.post(f"{PAGE}/tokens/{token['id']}/revoke", data={"csrf_token": _csrf(web)}).status_code == 404
    sign_in_as(web, database_url, make_user(database_url, org))
    assert web.post(f"{PAGE}/tokens/{token['id']}/revoke", data={"csrf_token": _csrf(web)}).status_code == 404
    web.cookies.clear()
    assert web.get("/v2/myself", headers=bearer).status_code == 200

    sign_in_as(web, database_url, user)
    csrf = _csrf(web)
    assert web.post(f"{PAGE}/tokens/{token['id']}/revoke", data={}).status_code == 403
    for bad_id in ("abc", "0", "99999999999999999999"):
        assert web.post(f"{PAGE}/tokens/{bad_id}/revoke", data={"csrf_token": csrf}).status_code == 404
        assert web.post(f"{PAGE}/sessions/{bad_id}/end", data={"csrf_token": csrf}).status_code == 404
    revoked = web.post(f"{PAGE}/tokens/{token['id']}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == PAGE + "?done=revoked"
    assert "<td>Laptop scripts</td>" not in web.get(PAGE).text
    web.cookies.clear()
    assert web.get("/v2/myself", headers=bearer).status_code == 401


def test_a_token_that_never_expires_and_one_past_its_expiry(web: TestClient, database_url: str,
                                                            org: OrgHandle) -> None:
    user = _member(database_url, org)
    sign_in_as(web, database_url, user)
    created = web.post(PAGE + "/tokens", data={"csrf_token": _csrf(web), "name": "Forever", "expires": "never"})
    secret = SECRET.search(created.text).group(1)  # type: ignore[union-attr]
    listed = ok(web.get("/v2/myself/tokens", headers={"Authorization": f"Bearer {secret}"}))["tokens"]
    assert [t["expires"] for t in listed if t["name"] == "Forever"] == [None]
    expired = asyncio.run(_issue_expired(database_url, user))
    web.cookies.clear()
    assert web.get("/v2/myself", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    sign_in_as(web, database_url, user)
    page = web.get(PAGE).text
    row = page[page.index("<td>Lapsed</td>"):]
    assert '<span class="lozenge lozenge-todo">expired</span>' in row[:row.index("</tr>")]


async def _issue_expired(database_url: str, user: UserHandle) -> str:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            owner = await session.get(User, user.user_id)
            assert owner is not None
            return await issue_api_token(session, user=owner, name="Lapsed",
                                         expires_at=datetime.now(UTC) - timedelta(days=1))
    finally:
        await database.dispose()


def test_sessions_are_listed_and_signed_out(web: TestClient, database_url: str, org: OrgHandle) -> None:
    user = _member(database_url, org)
    web.cookies.clear()
    signed_in = web.post("/v2/session", json={"email": user.email, "password": PASSWORD},
                         headers={"User-Agent": "Firefox/128 on the laptop"})
    assert signed_in.status_code == 200
    laptop = web.cookies.get("tessera_session")
    assert laptop
    phone = _cookie(database_url, user)
    here = _cookie(database_url, user)
    someone_else = make_user(database_url, org)
    theirs = _cookie(database_url, someone_else)

    _as_cookie(web, here)
    page = web.get(PAGE).text
    listing = page[page.index('id="session-list"'):]
    assert listing.count("<tr>") == 4  # the header and three sessions, none of someone else's
    assert "Firefox/128 on the laptop" in listing and "testclient" in listing
    assert listing.count("this browser") == 1
    ids = [int(i) for i in re.findall(r'/settings/profile/sessions/(\d+)/end', listing)]
    assert len(ids) == 2  # the current one is not offered: the header's Sign out ends it
    [laptop_row] = fetch_rows(database_url, "SELECT id FROM web_sessions WHERE user_agent = :ua",
                              {"ua": "Firefox/128 on the laptop"})
    [their_row] = fetch_rows(database_url, "SELECT id FROM web_sessions WHERE user_id = :u",
                             {"u": someone_else.user_id})
    csrf = _csrf(web)

    assert web.post(f"{PAGE}/sessions/{laptop_row['id']}/end", data={}).status_code == 403
    assert web.post(f"{PAGE}/sessions/{their_row['id']}/end", data={"csrf_token": csrf}).status_code == 404
    ended = web.post(f"{PAGE}/sessions/{laptop_row['id']}/end", data={"csrf_token": csrf}, follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"] == PAGE + "?done=ended"
    _as_cookie(web, laptop)
    assert web.get("/v2/myself").status_code == 401  # the cookie is dead for the API too
    _as_cookie(web, phone)
    assert web.get(PAGE).status_code == 200

    _as_cookie(web, here)
    assert web.post(f"{PAGE}/sessions/end-others", data={"csrf_token": "forged"}).status_code == 403
    others = web.post(f"{PAGE}/sessions/end-others", data={"csrf_token": csrf}, follow_redirects=False)
    assert others.status_code == 303
    assert "Every other browser is signed out." in web.get(others.headers["location"]).text
    _as_cookie(web, phone)
    assert web.get(PAGE, follow_redirects=False).headers["location"].startswith("/signin")
    _as_cookie(web, theirs)
    assert web.get(PAGE).status_code == 200  # another user's session is untouched
    _as_cookie(web, here)
    assert web.get(PAGE).text.count("/end\"") == 0  # only this browser is left


def test_a_session_records_when_it_was_last_seen_at_most_once_a_minute(web: TestClient, database_url: str,
                                                                       org: OrgHandle) -> None:
    user = _member(database_url, org)
    sign_in_as(web, database_url, user)
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    asyncio.run(_execute(database_url, "UPDATE web_sessions SET last_seen_at = :t WHERE user_id = :u",
                         {"t": long_ago, "u": user.user_id}))
    assert web.get(PAGE).status_code == 200  # a read: the sighting is written all the same
    [row] = fetch_rows(database_url, "SELECT last_seen_at FROM web_sessions WHERE user_id = :u",
                       {"u": user.user_id})
    seen = row["last_seen_at"]
    seen = datetime.fromisoformat(seen) if isinstance(seen, str) else seen
    seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
    assert datetime.now(UTC) - seen < timedelta(minutes=1)
    assert web.get(PAGE).status_code == 200
    [again] = fetch_rows(database_url, "SELECT last_seen_at FROM web_sessions WHERE user_id = :u",
                         {"u": user.user_id})
    assert again["last_seen_at"] == row["last_seen_at"]  # not rewritten within the minute


def test_download_my_data_gives_the_signed_in_user_their_archive(web: TestClient, database_url: str,
                                                                  org: OrgHandle) -> None:
    import io
    import json
    import zipfile

    member = make_user(database_url, org)
    sign_in_as(web, database_url, member)
    page = web.get(PAGE)
    link = f'href="/v2/users/{member.user_id}/export" download>Download my data</a>'
    assert page.status_code == 200 and link in page.text
    archive = web.get(f"/v2/users/{member.user_id}/export")  # with the page's session cookie
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        assert json.loads(files.read("profile.json"))["email"] == member.email
    assert web.get(f"/v2/users/{org.admin_user_id}/export").status_code == 403
