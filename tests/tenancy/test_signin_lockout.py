"""Brute force against every way a password is sent (/v2/session, the sign-in page, Basic on
/v2, /rest and /graphql), on SQLite and PostgreSQL: the lockout engages, refuses the right
password with 429 and Retry-After in each edge's own shape, and ends; a blocked address answers
its failures with 429 but accepts valid credentials (passwords of accounts that are not
locked, tokens). Argon2's cost is test_password_timing.py's."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tessera.config import Settings
from tessera.main import create_app
from tests.support import OrgHandle, make_org, make_user

# The lockout outlasts the checks that follow the lock on a loaded machine (2 s once did not).
ACCOUNT_FAILURES, ADDRESS_FAILURES, LOCKOUT = 3, 6, 6.0


@dataclass
class Locking:
    client: TestClient
    database_url: str

    def at(self, address: str, headers: dict[str, str] | None = None) -> dict[str, str]:
        """Headers of a request from `address` (the proxy header uvicorn trusts in production)."""
        return {"X-Forwarded-For": address, **(headers or {})}


@pytest.fixture(scope="module")
def locking(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Locking]:
    settings = Settings(database_url=database_url, base_url="http://testserver",
                        attachments_dir=str(tmp_path_factory.mktemp("attachments")),
                        login_account_failures=ACCOUNT_FAILURES, login_address_failures=ADDRESS_FAILURES,
                        login_failure_window_seconds=60, login_lockout_seconds=LOCKOUT)
    app = create_app(settings)
    with TestClient(ProxyHeadersMiddleware(app, trusted_hosts="*")) as client:  # type: ignore[arg-type]
        yield Locking(client, database_url)


def basic(email: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{secret}".encode()).decode()}


def session_login(locking: Locking, address: str, email: str, password: str):  # type: ignore[no-untyped-def]
    response = locking.client.post("/v2/session", json={"email": email, "password": password},
                                   headers=locking.at(address))
    locking.client.cookies.clear()
    return response


def assert_locked_v2(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= LOCKOUT + 1
    assert response.json()["error"]["code"] == "rate_limited"


def lock_account(locking: Locking, address: str, email: str) -> None:
    for _ in range(ACCOUNT_FAILURES - 1):
        assert session_login(locking, address, email, "wrong password").status_code == 401
    assert_locked_v2(session_login(locking, address, email, "wrong password"))  # the failure that locks


def test_brute_force_locks_the_account_everywhere_then_the_lockout_ends(locking: Locking) -> None:
    org = make_org(locking.database_url)
    client, email, password = locking.client, org.admin_email, org.admin_password
    lock_account(locking, "10.1.0.1", email)
    # The right password is refused now, from any address, on every edge, each in its own shape.
    for address in ("10.1.0.1", "10.1.0.2"):
        assert_locked_v2(session_login(locking, address, email, password))
    assert_locked_v2(client.get("/v2/myself", headers=locking.at("10.1.0.3", basic(email, password))))
    jira = client.get("/rest/api/2/myself", headers=locking.at("10.1.0.3", basic(email, password)))
    assert jira.status_code == 429 and "Retry-After" in jira.headers
    assert jira.json()["errorMessages"][0].startswith("Too many failed sign-in attempts")
    graphql = client.post("/graphql", json={"query": "{ viewer { id } }"},
                          headers=locking.at("10.1.0.3", basic(email, password)))
    assert graphql.status_code == 429 and "Retry-After" in graphql.headers
    assert graphql.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    page = client.post("/signin", data={"email": email, "password": password}, headers=locking.at("10.1.0.4"),
                       follow_redirects=False)
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "Too many failed sign-in attempts" in page.text and "tessera_session" not in page.headers.get(
        "set-cookie", "")
    # API tokens are not passwords: the locked account's token keeps working.
    assert client.get("/v2/myself", headers=locking.at("10.1.0.1", org.headers)).status_code == 200
    time.sleep(LOCKOUT + 0.2)
    assert session_login(locking, "10.1.0.1", email, password).status_code == 200


def test_unknown_emails_lock_like_real_ones(locking: Locking) -> None:
    """Otherwise a lockout would tell which emails exist."""
    lock_account(locking, "10.2.0.1", "nobody-here@nowhere.test")
    assert_locked_v2(session_login(locking, "10.2.0.2", "nobody-here@nowhere.test", "whatever password"))


def test_a_blocked_address_still_accepts_valid_credentials(locking: Locking) -> None:
    """Many users share an office's address: its block answers failures with 429, never a
    valid password (of an account that is not locked) or a valid token."""
    org = make_org(locking.database_url)
    newcomer = make_user(locking.database_url, org, password="newcomer password")
    office = "10.3.0.1"
    # Someone at the office sprays: 2 wrong passwords on each of 3 emails (none locked).
    spray = [f"victim{index // 2}@{org.key.lower()}.test" for index in range(ADDRESS_FAILURES)]
    for email in spray[:-1]:
        assert session_login(locking, office, email, "guess").status_code == 401
    assert_locked_v2(session_login(locking, office, spray[-1], "guess"))
    assert_locked_v2(session_login(locking, office, newcomer.email, "mistyped"))  # a failure: 429 now
    assert_locked_v2(locking.client.get("/v2/myself", headers=locking.at(office, {"Authorization": "Bearer tsr_x"})))
    # Valid credentials from the office: a password never used there, Basic, a token.
    assert session_login(locking, office, newcomer.email, "newcomer password").status_code == 200
    assert session_login(locking, office, org.admin_email, org.admin_password).status_code == 200
    assert locking.client.get("/v2/myself", headers=locking.at(office, newcomer.headers)).status_code == 200
    assert locking.client.get("/v2/myself", headers=locking.at(office, basic(org.admin_email, org.admin_password))
                              ).status_code == 200
    # Elsewhere a failure is a plain 401; after the block the office's is too.
    assert session_login(locking, "10.3.0.2", f"fresh@{org.key.lower()}.test", "guess").status_code == 401
    time.sleep(LOCKOUT + 0.2)
    assert session_login(locking, office, f"other@{org.key.lower()}.test", "guess").status_code == 401


def test_invalid_tokens_are_throttled_per_address(locking: Locking) -> None:
    org = make_org(locking.database_url, password=None)
    bad = {"Authorization": "Bearer tsr_not-a-token"}
    for _ in range(ADDRESS_FAILURES - 1):
        assert locking.client.get("/v2/myself", headers=locking.at("10.4.0.1", bad)).status_code == 401
    assert_locked_v2(locking.client.get("/v2/myself", headers=locking.at("10.4.0.1", bad)))
    jira = locking.client.get("/rest/api/2/myself", headers=locking.at("10.4.0.1", bad))
    assert jira.status_code == 429 and int(jira.headers["Retry-After"]) >= 1
    assert locking.client.get("/v2/myself", headers=locking.at("10.4.0.1", org.headers)).status_code == 200
    assert locking.client.get("/v2/myself", headers=locking.at("10.4.0.2", bad)).status_code == 401


def test_a_valid_token_never_touches_the_throttle(locking: Locking) -> None:
    """The success path of a token costs no round trip to the throttle's store (Redis)."""
    org = make_org(locking.database_url, password=None)
    state = locking.client.app.app.state  # type: ignore[attr-defined]
    throttle = state.login_throttle

    class Untouchable:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"the throttle's store was used ({name}) for a valid token")

    state.login_throttle = type(throttle)(throttle.policy, Untouchable())  # type: ignore[arg-type]
    try:
        for _ in range(3):
            assert locking.client.get("/v2/myself", headers=locking.at("10.5.0.1", org.headers)).status_code == 200
            assert locking.client.get("/rest/api/2/myself", headers=org.headers).status_code == 200
    finally:
        state.login_throttle = throttle


def test_the_organization_of_a_locked_email_does_not_matter(locking: Locking) -> None:
    """The account is the email, whatever organization is named: naming another does not reset it."""
    org: OrgHandle = make_org(locking.database_url)
    lock_account(locking, "10.6.0.1", org.admin_email)
    response = locking.client.post("/v2/session", json={"email": org.admin_email, "password": org.admin_password,
                                                        "organization": org.key}, headers=locking.at("10.6.0.2"))
    locking.client.cookies.clear()
    assert_locked_v2(response)


def test_locked_out_sign_ins_are_recorded_in_the_accounts_organization(locking: Locking) -> None:
    from tests.support import fetch_rows

    org = make_org(locking.database_url)
    lock_account(locking, "10.9.0.1", org.admin_email)
    assert_locked_v2(session_login(locking, "10.9.0.2", org.admin_email, org.admin_password))
    assert_locked_v2(locking.client.get("/v2/myself", headers=locking.at(
        "10.9.0.3", basic(org.admin_email, org.admin_password))))
    rows = fetch_rows(locking.database_url, "SELECT action, object_id, ip, changes FROM audit_records "
                                            "WHERE organization_id = :o AND action LIKE 'auth.signin%' ORDER BY sequence",
                      {"o": org.organization_id})
    actions = [row["action"] for row in rows]
    assert actions == ["auth.signin_failed"] * (ACCOUNT_FAILURES - 1) + ["auth.signin_locked"] * 3, actions
    assert {row["object_id"] for row in rows} == {org.admin_user_id}
    assert [row["ip"] for row in rows[-3:]] == ["10.9.0.1", "10.9.0.2", "10.9.0.3"]
