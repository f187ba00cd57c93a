"""tenancy.auth.PrincipalCache on its own: expiry, invalidation, and a read that races one."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tessera.events.types import DomainEvent, event_class
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import PrincipalCache, cached_token_actor
from tessera.tenancy.secrets import TOKEN_PREFIX, digest

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    organization_id: int
    event_type: str

    @property
    def event_class(self) -> type[DomainEvent]:
        return event_class(self.event_type)


def actor(organization_id: int = 1, user_id: int = 10) -> Actor:
    return Actor(organization_id=organization_id, user_id=user_id, email="a@b.test", display_name="A",
                 org_role="member", catalog_version=3)


def test_a_hit_is_a_copy_without_the_request_s_project_roles() -> None:
    cache = PrincipalCache(ttl=60)
    cached = actor()
    cache.put("h", cached, None, read_in=cache.generation)
    cached.project_roles[5] = frozenset({"developers"})  # filled by a request after the put
    first = cache.get("h", NOW)
    assert first is not None and first is not cached and first.project_roles == {}
    first.project_roles[7] = frozenset({"users"})
    second = cache.get("h", NOW)
    assert second is not None and second.project_roles == {} and second.catalog_version == 3


def test_entries_end_with_the_ttl_or_the_token_s_expiry_and_ttl_0_caches_nothing() -> None:
    expired = PrincipalCache(ttl=-1)
    expired.put("h", actor(), None, read_in=expired.generation)
    assert expired.get("h", NOW) is None
    cache = PrincipalCache(ttl=60)
    cache.put("h", actor(), NOW + timedelta(seconds=1), read_in=cache.generation)
    assert cache.get("h", NOW) is not None
    assert cache.get("h", NOW + timedelta(seconds=1)) is None
    off = PrincipalCache(ttl=0)
    off.put("h", actor(), None, read_in=off.generation)
    assert off.get("h", NOW) is None


def test_principal_events_drop_only_their_organization() -> None:
    cache = PrincipalCache(ttl=60)
    cache.put("one", actor(1), None, read_in=cache.generation)
    cache.put("two", actor(2), None, read_in=cache.generation)
    cache.on_commit([Event(1, "status_changed"), Event(2, "comment_added")])
    assert cache.get("one", NOW) is not None and cache.get("two", NOW) is not None
    for event_type in ("user_updated", "user_deactivated", "token_revoked", "catalog_changed"):
        cache.put("one", actor(1), None, read_in=cache.generation)
        cache.on_commit([Event(1, event_type)])
        assert cache.get("one", NOW) is None, event_type
        assert cache.get("two", NOW) is not None


def test_an_actor_read_before_an_invalidation_is_not_cached_after_it() -> None:
    cache = PrincipalCache(ttl=60)
    read_in = cache.generation  # the lookup starts ...
    cache.on_commit([Event(1, "token_revoked")])  # ... a revocation commits meanwhile ...
    cache.put("h", actor(1), None, read_in=read_in)  # ... and the lookup's (stale) row arrives
    assert cache.get("h", NOW) is None


def test_a_full_cache_makes_room() -> None:
    cache = PrincipalCache(ttl=60, max_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, actor(), None, read_in=cache.generation)
    assert cache.get("c", NOW) is not None


def test_the_edge_reads_a_cached_token_s_actor_without_a_session() -> None:
    """cached_token_actor: what lets tessera.edge skip the authentication transaction; anything
    it cannot vouch for is None, so the database (and the failure throttle) decide."""
    token = f"{TOKEN_PREFIX}secret"
    cache = PrincipalCache(ttl=60)
    cache.put(digest(token), actor(), None, read_in=cache.generation)
    basic = base64.b64encode(f"A@B.test:{token}".encode()).decode()
    wrong_email = base64.b64encode(f"other@b.test:{token}".encode()).decode()
    unknown = base64.b64encode(f"a@b.test:{TOKEN_PREFIX}other".encode()).decode()
    password = base64.b64encode(b"a@b.test:a password").decode()
    assert cached_token_actor(f"Bearer {token}", cache).user_id == 10
    assert cached_token_actor(f"Basic {basic}", cache).user_id == 10
    for header in (f"Basic {wrong_email}", f"Basic {unknown}", f"Basic {password}", "Basic %%%", f"Bearer {token}x",
                   "", f"Token {token}"):
        assert cached_token_actor(header, cache) is None, header
    assert cached_token_actor(f"Bearer {token}", None) is None
