"""Browser sessions end when the password changes, when the user is deactivated and on
POST /v2/session/revoke-all; API tokens are listed and revoked by their owner and by
administrators, and a revoked token is refused at once (the principal cache forgets it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.support import OrgHandle, UserHandle, make_org, make_user


@dataclass(frozen=True)
class Browser:
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"tessera_session={self.cookie}", "X-CSRF-Token": self.csrf}


@pytest.fixture
def jarless(client: TestClient) -> Iterator[TestClient]:
    """The shared client with an empty cookie jar: each browser here sends its own cookie."""
    client.cookies.clear()
    yield client
    client.cookies.clear()


@pytest.fixture
def person(database_url: str, org: OrgHandle) -> UserHandle:
    return make_user(database_url, org, password="first password")


def sign_in(client: TestClient, email: str, password: str) -> Browser:
    response = client.post("/v2/session", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    cookie = response.cookies["tessera_session"]
    client.cookies.clear()
    return Browser(cookie, response.json()["csrf_token"])


def signed_in(client: TestClient, browser: Browser) -> bool:
    status = client.get("/v2/myself", headers=browser.headers).status_code
    assert status in (200, 401)
    page = client.get("/projects", headers=browser.headers, follow_redirects=False)
    assert (page.status_code == 200) == (status == 200), page.status_code  # the pages share the session
    return status == 200


def test_a_password_change_ends_every_browser_session(jarless: TestClient, org: OrgHandle,
                                                      person: UserHandle) -> None:
    laptop, phone = (sign_in(jarless, person.email, "first password") for _ in range(2))
    other = sign_in(jarless, org.admin_email, org.admin_password)
    assert signed_in(jarless, laptop) and signed_in(jarless, phone)
    changed = jarless.put(f"/v2/users/{person.user_id}", json={"password": "second password"}, headers=laptop.headers)
    assert changed.status_code == 200, changed.text
    assert not signed_in(jarless, laptop) and not signed_in(jarless, phone)
    assert signed_in(jarless, other)  # another user's session is untouched
    assert jarless.get("/v2/myself", headers=person.headers).status_code == 200  # tokens are not sessions
    assert signed_in(jarless, sign_in(jarless, person.email, "second password"))


def test_deactivation_ends_sessions_and_tokens(jarless: TestClient, org: OrgHandle, person: UserHandle) -> None:
    browser = sign_in(jarless, person.email, "first password")
    assert jarless.get("/v2/myself", headers=person.headers).status_code == 200  # its actor is cached now
    assert jarless.put(f"/v2/users/{person.user_id}", json={"active": False}, headers=org.headers).status_code == 200
    assert not signed_in(jarless, browser)
    assert jarless.get("/v2/myself", headers=person.headers).status_code == 401
    # Reactivated, the old session stays ended; signing in again works.
    assert jarless.put(f"/v2/users/{person.user_id}", json={"active": True}, headers=org.headers).status_code == 200
    assert not signed_in(jarless, browser)
    assert signed_in(jarless, sign_in(jarless, person.email, "first password"))


def test_revoke_all_signs_out_every_browser_of_the_user(jarless: TestClient, org: OrgHandle,
                                                        person: UserHandle) -> None:
    laptop, phone = (sign_in(jarless, person.email, "first password") for _ in range(2))
    other = sign_in(jarless, org.admin_email, org.admin_password)
    refused = jarless.post("/v2/session/revoke-all", headers={"Cookie": f"tessera_session={laptop.cookie}"})
    assert refused.status_code == 403  # a cookie must send its CSRF token with a change
    assert signed_in(jarless, laptop)
    response = jarless.post("/v2/session/revoke-all", headers=laptop.headers)
    assert response.status_code == 204
    assert 'tessera_session=""' in response.headers["set-cookie"]
    jarless.cookies.clear()
    assert not signed_in(jarless, laptop) and not signed_in(jarless, phone)
    assert signed_in(jarless, other)
    assert jarless.get("/v2/myself", headers=person.headers).status_code == 200
    # With a token: the same, for the token's user.
    browser = sign_in(jarless, person.email, "first password")
    assert jarless.post("/v2/session/revoke-all", headers=person.headers).status_code == 204
    assert not signed_in(jarless, browser)


def test_tokens_are_listed_and_revoked_by_their_owner_and_admins(jarless: TestClient, database_url: str,
                                                                 org: OrgHandle, person: UserHandle) -> None:
    colleague = make_user(database_url, org, role="member")
    outsider = make_org(database_url, password=None)
    url = f"/v2/users/{person.user_id}/tokens"
    made = jarless.post("/v2/myself/tokens", json={"name": "ci"}, headers=person.headers)
    assert made.status_code == 201
    ci_token = made.json()["api_token"]
    for headers in (person.headers, org.headers):  # the owner and an administrator
        listed = jarless.get(url, headers=headers)
        assert listed.status_code == 200, listed.text
        names = {t["name"]: t for t in listed.json()["tokens"]}
        assert set(names) == {"default", "ci"}
        assert not any(ci_token in str(t.values()) for t in names.values())  # never the secret itself
        assert names["ci"]["prefix"] == ci_token[:12] and names["ci"]["revoked"] is False
    assert jarless.get(url, headers=colleague.headers).status_code == 403
    assert jarless.get(url, headers=outsider.headers).status_code == 404
    ci_id = next(t["id"] for t in jarless.get(url, headers=org.headers).json()["tokens"] if t["name"] == "ci")
    assert jarless.delete(f"{url}/{ci_id}", headers=colleague.headers).status_code == 403
    assert jarless.delete(f"{url}/{ci_id}", headers=outsider.headers).status_code == 404
    # Used (so cached by the principal cache), then revoked by an administrator: refused at once.
    ci = {"Authorization": f"Bearer {ci_token}"}
    assert jarless.get("/v2/myself", headers=ci).status_code == 200
    assert jarless.delete(f"{url}/{ci_id}", headers=org.headers).status_code == 204
    assert jarless.get("/v2/myself", headers=ci).status_code == 401
    assert jarless.get("/rest/api/2/myself", headers=ci).status_code == 401
    assert jarless.delete(f"{url}/{ci_id}", headers=org.headers).status_code == 204  # already revoked: still there
    listed = {t["name"]: t for t in jarless.get("/v2/myself/tokens", headers=person.headers).json()["tokens"]}
    assert listed["ci"]["revoked"] is True
    # The owner revokes their own, cached, token under /v2/users/{id}/tokens as well.
    default_id = listed["default"]["id"]
    assert jarless.get("/v2/myself", headers=person.headers).status_code == 200
    assert jarless.delete(f"{url}/{default_id}", headers=person.headers).status_code == 204
    assert jarless.get("/v2/myself", headers=person.headers).status_code == 401
    assert jarless.delete(f"{url}/999999999", headers=org.headers).status_code == 404
