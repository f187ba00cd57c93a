"""Organizations, users, groups, API tokens and browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import (
    Base,
    IdMixin,
    IdType,
    JsonType,
    TenantMixin,
    TimestampMixin,
    UTCDateTime,
)

ORG_ROLES = ("admin", "member", "viewer")
# A customer: someone outside the team whose mail filed an issue (email in's "customer" policy).
# A user row with this role, so their issues and comments have an author, but no member: they
# cannot sign in (password, session, API token), take no seat, appear in no user list or picker,
# and no permission scheme names "org:customer", so they hold no permission anywhere. Only the
# role's own values above can be given or changed to; a customer becomes a member by an
# administrator changing the role.
CUSTOMER_ROLE = "customer"
PROJECT_ROLES = ("administrators", "developers", "users")


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    key: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    tier: Mapped[str] = mapped_column(String(32), nullable=False, default="standard")
    # Per-organization overrides of the tier's limits; None means "the tier's default".
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    searches_per_hour: Mapped[int | None] = mapped_column(Integer)
    max_users: Mapped[int | None] = mapped_column(Integer)
    storage_mb: Mapped[int | None] = mapped_column(Integer)
    settings: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    # Bumped whenever issue types, priorities, statuses, fields or workflows change, so every
    # server process can cache the catalogs and still never serve a stale one.
    catalog_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")


class User(IdMixin, TenantMixin, TimestampMixin, Base):
    """An account inside one organization; the same email may exist in several organizations."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("organization_id", "email"),
        Index("ix_users_email", "email"),
    )

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="member")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    avatar_url: Mapped[str | None] = mapped_column(String(1024))


class Group(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(255), nullable=False)


class GroupMember(TenantMixin, Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(IdType, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class ApiToken(IdMixin, TenantMixin, TimestampMixin, Base):
    """Stored as a SHA-256 digest: tokens are long random strings, so a slow hash buys nothing."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_org_user", "organization_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # None: the owner's full rights. A scope (tenancy.token_scopes) narrows the token to one use.
    scope: Mapped[str | None] = mapped_column(String(16))


class WebSession(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_org_user", "organization_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Shown on the profile page's list of sessions. last_seen_at is written at most once a
    # minute (tenancy.auth.authenticate_session); the browser and address are the sign-in's.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip_address: Mapped[str | None] = mapped_column(String(64))


class ProjectRoleMember(TenantMixin, Base):
    __tablename__ = "project_role_members"
    __table_args__ = (Index("ix_project_role_members_user", "organization_id", "user_id"),)

    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class Invitation(IdMixin, TenantMixin, TimestampMixin, Base):
    """An invited user's way in (tenancy.invitations): the link's secret is stored as its
    digest, works once and until `expires_at`; the user stays inactive until it is accepted."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_org_user", "organization_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PermissionScheme(IdMixin, TenantMixin, TimestampMixin, Base):
    """A named set of grants shared by projects (Jira's permission scheme). Each organization has
    exactly one default scheme: projects without a scheme of their own use it."""

    __tablename__ = "permission_schemes"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class PermissionGrant(IdMixin, TenantMixin, Base):
    """One project permission granted to one holder (tenancy.permissions.HOLDER_TYPES). `parameter`
    is the organization role, project role or user custom field id the holder type names; groups
    and users are foreign keys, so deleting one drops its grants."""

    __tablename__ = "permission_grants"
    __table_args__ = (Index("ix_permission_grants_scheme", "organization_id", "scheme_id", "permission"),)

    scheme_id: Mapped[int] = mapped_column(IdType, ForeignKey("permission_schemes.id", ondelete="CASCADE"),
                                           nullable=False)
    permission: Mapped[str] = mapped_column(String(64), nullable=False)
    holder_type: Mapped[str] = mapped_column(String(32), nullable=False)
    parameter: Mapped[str | None] = mapped_column(String(64))
    group_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))


class GlobalPermissionGrant(IdMixin, TenantMixin, Base):
    """An organization-wide permission (tenancy.permissions.GLOBAL_PERMISSIONS) granted to an
    organization role (`parameter`) or a group."""

    __tablename__ = "global_permission_grants"
    __table_args__ = (Index("ix_global_permission_grants_org", "organization_id", "permission"),)

    permission: Mapped[str] = mapped_column(String(64), nullable=False)
    holder_type: Mapped[str] = mapped_column(String(32), nullable=False)
    parameter: Mapped[str | None] = mapped_column(String(64))
    group_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("groups.id", ondelete="CASCADE"))


class IssueSecurityScheme(IdMixin, TenantMixin, TimestampMixin, Base):
    """Jira's issue security scheme: the levels a project's issues may be set to. A project uses
    at most one (projects.issue_security_scheme_id); `default_level_id` is set on new issues."""

    __tablename__ = "issue_security_schemes"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    # No foreign key: the level and its scheme point at each other (the level's is the real one).
    default_level_id: Mapped[int | None] = mapped_column(IdType)


class IssueSecurityLevel(IdMixin, TenantMixin, Base):
    """One level of a scheme: an issue at it is visible to the level's members only
    (tenancy.issue_security)."""

    __tablename__ = "issue_security_levels"
    __table_args__ = (UniqueConstraint("organization_id", "scheme_id", "name"),)

    scheme_id: Mapped[int] = mapped_column(IdType, ForeignKey("issue_security_schemes.id", ondelete="CASCADE"),
                                           nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(String(1000), nullable=False, default="")


class IssueSecurityLevelMember(IdMixin, TenantMixin, Base):
    """A holder who may see a level's issues: the same holder types and columns as a permission
    grant (PermissionGrant), evaluated by the same engine."""

    __tablename__ = "issue_security_level_members"
    __table_args__ = (Index("ix_issue_security_level_members_level", "organization_id", "level_id"),)

    level_id: Mapped[int] = mapped_column(IdType, ForeignKey("issue_security_levels.id", ondelete="CASCADE"),
                                          nullable=False)
    holder_type: Mapped[str] = mapped_column(String(32), nullable=False)
    parameter: Mapped[str | None] = mapped_column(String(64))
    group_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
