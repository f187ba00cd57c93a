"""Sign-in, sign-out and the redirects around them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.web import sign_in
from tests.support import OrgHandle, make_org, make_user


@pytest.fixture
def org(database_url: str) -> OrgHandle:
    """With a password: these tests sign in through the form."""
    return make_org(database_url)


@pytest.fixture
def other_org(database_url: str) -> OrgHandle:
    return make_org(database_url)


def test_root_redirects_to_sign_in_when_signed_out(web: TestClient) -> None:
    response = web.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"


def test_pages_redirect_to_sign_in_and_back(web: TestClient, org: OrgHandle) -> None:
    response = web.get("/projects/ABC?q=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/projects/ABC%3Fq%3Dx"
    form = web.get(response.headers["location"])
    assert 'name="next" value="/projects/ABC?q=x"' in form.text


def test_sign_in_sets_the_session_cookie_shared_with_the_api(web: TestClient, org: OrgHandle) -> None:
    response = web.post("/signin", data={"email": org.admin_email, "password": org.admin_password,
                                         "organization": org.key.lower(), "next": "/projects"},
                        follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/projects"
    assert "tessera_session" in web.cookies
    assert web.get("/", follow_redirects=False).headers["location"] == "/projects"
    myself = web.get("/v2/myself")
    assert myself.status_code == 200
    assert myself.json()["email"] == org.admin_email


def test_wrong_password_shows_a_message(web: TestClient, org: OrgHandle) -> None:
    response = web.post("/signin", data={"email": org.admin_email, "password": "wrong"})
    assert response.status_code == 401
    assert "Email or password is incorrect." in response.text
    assert "tessera_session" not in web.cookies


def test_next_never_leaves_the_site(web: TestClient, org: OrgHandle) -> None:
    response = web.post("/signin", data={"email": org.admin_email, "password": org.admin_password,
                                         "next": "//evil.example/x"}, follow_redirects=False)
    assert response.headers["location"] == "/projects"


def test_sign_out_needs_csrf_and_ends_the_session(web: TestClient, org: OrgHandle) -> None:
    csrf = sign_in(web, org)
    refused = web.post("/signout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    response = web.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    web.cookies.clear()
    assert web.get("/projects", follow_redirects=False).status_code == 303


def test_an_ended_session_redirects_to_sign_in(web: TestClient) -> None:
    web.cookies.set("tessera_session", "not-a-session")
    response = web.get("/projects", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_an_email_in_two_organizations_needs_the_key(web: TestClient, database_url: str, org: OrgHandle,
                                                      other_org: OrgHandle) -> None:
    make_user(database_url, other_org, email=org.admin_email, password=org.admin_password)
    ambiguous = web.post("/signin", data={"email": org.admin_email, "password": org.admin_password})
    assert ambiguous.status_code == 401
    assert "enter the organization key" in ambiguous.text
    chosen = web.post("/signin", data={"email": org.admin_email, "password": org.admin_password,
                                       "organization": other_org.key}, follow_redirects=False)
    assert chosen.status_code == 303
    assert other_org.key in web.get("/projects").text


def test_htmx_requests_without_a_session_are_sent_to_sign_in(web: TestClient) -> None:
    response = web.get("/browse/ABC-1/fields/summary/edit",
                       headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/browse/ABC-1"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/signin?next=/browse/ABC-1"


def test_sign_in_from_another_site_is_refused(web: TestClient, org: OrgHandle) -> None:
    """Login CSRF: another site's page must not sign the visitor in to an account of its choosing."""
    form = {"email": org.admin_email, "password": org.admin_password}
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/login-csrf.html"},
                    {"Origin": "http://testserver.evil.example", "Referer": "http://testserver/signin"}):
        response = web.post("/signin", data=form, headers=headers, follow_redirects=False)
        assert response.status_code == 403, headers
        assert "did not come from Tessera" in response.text
        assert "tessera_session" not in response.headers.get("set-cookie", "")
        assert "tessera_session" not in web.cookies
    # Our own pages: by the configured base URL, or by the host the request was sent to.
    for headers in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/signin?next=/projects"},
                    {"Origin": "http://localhost:8000", "Host": "localhost:8000"}, {}):
        response = web.post("/signin", data=form, headers=headers, follow_redirects=False)
        assert response.status_code == 303, (headers, response.text)
        web.cookies.clear()
