"""The edge's credential rules that need no server: which changes a browser session may make."""

from __future__ import annotations

from tessera.edge.authentication import csrf_matches
from tessera.tenancy.actor import Actor


def actor(via: str, csrf_token: str | None = None) -> Actor:
    return Actor(organization_id=1, user_id=1, email="a@b.test", display_name="A", org_role="member", via=via,
                 csrf_token=csrf_token)


def test_tokens_and_passwords_need_no_csrf_token() -> None:
    assert csrf_matches(actor("token"), None)
    assert csrf_matches(actor("password"), "anything")


def test_a_session_must_send_its_own_token() -> None:
    session = actor("session", "s3cret")
    assert csrf_matches(session, "s3cret")
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, "")
    assert not csrf_matches(session, "s3cre")


def test_a_session_without_a_token_accepts_nothing() -> None:
    assert not csrf_matches(actor("session", None), "")
    assert not csrf_matches(actor("session", ""), "")
