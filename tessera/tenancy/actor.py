"""Who is acting, in which organization: the context every domain call receives."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Actor:
    organization_id: int
    user_id: int
    email: str
    display_name: str
    org_role: str  # admin | member | viewer | customer (acting only by mail)
    via: str = "token"  # token | password | session | system
    # Filled lazily by the permission engine: project id -> project roles of this user.
    project_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    # The rest of what the permission engine learnt during this request (its groups, the
    # organization's schemes): tenancy.permissions.RequestPermissions.
    permission_cache: object = None
    csrf_token: str | None = None
    organization_key: str = ""
    requests_per_minute: int = 60_000
    searches_per_hour: int = 100_000
    catalog_version: int | None = None
    # The API token's scope (tenancy.token_scopes); None for full rights and for sessions.
    token_scope: str | None = None
    # The user's IANA time zone, for the pages' dates (sessions only; tokens carry UTC).
    time_zone: str = "UTC"
    # The API token the actor signed in with (None for sessions and passwords): for the audit log.
    token_id: int | None = None
    # ADMINISTER held through a global permission grant (to the user's organization role or one
    # of their groups) rather than the admin role; None until the permission engine decided it
    # (tenancy.permissions.administers, which authentication calls for every signed-in actor).
    administers: bool | None = None

    @property
    def is_org_admin(self) -> bool:
        """An organization administrator: the admin role (which can never lock itself out), or
        ADMINISTER granted by global permission. Synchronous, for pages and services that have
        no session at hand: it reads what tenancy.permissions.administers decided."""
        return self.org_role == "admin" or self.administers is True
