"""Erasing a user: their personal data anonymised everywhere in their organization, while what
they did stays (issues, comments, worklogs, history and the audit chain keep pointing at the same
user id, now "Former user N").

In one transaction:
1. the user's row: name "Former user N" (N their id), email `erased-user-N@erased.invalid`, no
   avatar (an uploaded picture deleted from the object store), no password, time zone UTC,
   deactivated, and their identities on imported sites (import mappings of kind "user") deleted;
2. their credentials and devices: API tokens revoked (and renamed, a token's name may be
   personal), browser sessions ended, push subscriptions, live tickets and their own Slack
   target deleted;
3. every text and JSON column of every other table of the organization (tessera.gdpr.columns):
   their email (any case) and name (as a whole word) replaced by the placeholders, which covers
   snapshots holding them: history's from/to strings, outbox and delivery payloads, inbox
   entries, mail-in senders, import mappings, comment and description text mentioning them;
4. the audit log: their records redacted under a chained redaction record
   (tessera.audit.redaction), so `tessera audit verify` still holds;
5. a `user.erased` audit record (with counts, nothing of the erased data) and a user_deactivated
   event, which drops cached principals in every process and closes live subscriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.audit.redaction import redact_person
from tessera.db.contains import mentions_any
from tessera.errors import InvalidInput
from tessera.events.outbox import emit
from tessera.events.types import UserDeactivated
from tessera.gdpr.columns import IMPORT_MAPPINGS, OWN_RULES, TenantTable, tenant_tables
from tessera.gdpr.scrub import Scrub
from tessera.schema import metadata
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import do_end_user_sessions
from tessera.tenancy.avatars import AvatarStore, stored_avatar
from tessera.tenancy.models import ApiToken, User

# A user's devices and channels: nothing of them is worth keeping once the user is gone.
DEVICE_TABLES = ("push_subscriptions", "live_tickets", "slack_targets")
ERASED_DOMAIN = "erased.invalid"
# Columns holding identifiers (issue and project keys, external ids, digests): only an email is
# replaced in them, never a name (tessera.gdpr.scrub.Scrub.identifier).
IDENTIFIER = re.compile(r"(^|_)(key|id|hash|sha256|fingerprint)$")  # .invalid: never a real address (RFC 2606)


def placeholder_name(user_id: int) -> str:
    return f"Former user {user_id}"


def placeholder_email(user_id: int) -> str:
    return f"erased-user-{user_id}@{ERASED_DOMAIN}"


@dataclass
class ErasureReport:
    user_id: int
    display_name: str
    email: str
    tokens_revoked: int = 0
    sessions_ended: int = 0
    devices_deleted: int = 0
    rows_rewritten: dict[str, int] = field(default_factory=dict)
    audit_records_redacted: int = 0
    avatar_deleted: bool = False
    imported_identities_deleted: int = 0

    def view(self) -> dict:
        return {"user_id": self.user_id, "display_name": self.display_name, "email": self.email,
                "tokens_revoked": self.tokens_revoked, "sessions_ended": self.sessions_ended,
                "devices_deleted": self.devices_deleted, "rows_rewritten": self.rows_rewritten,
                "audit_records_redacted": self.audit_records_redacted, "avatar_deleted": self.avatar_deleted,
                "imported_identities_deleted": self.imported_identities_deleted}


def check_erasure_confirmed(user: User, confirm: str | None, actor: Actor | None = None) -> None:
    """The request must name the user's email in `confirm`: an erasure cannot be undone. An
    administrator does not erase themselves (the organization could be left without one)."""
    if actor is not None and actor.user_id == user.id:
        raise InvalidInput("An administrator cannot erase their own account; another administrator can.",
                           field="user_id")
    if not confirm or confirm.strip().lower() != user.email.lower():
        raise InvalidInput("Erasing a user cannot be undone: set 'confirm' to the user's email.", field="confirm")


async def _rewrite_table(session: AsyncSession, table: TenantTable, organization_id: int, scrub: Scrub) -> int:
    columns = table.text_columns
    if not columns:
        return 0
    keys = list(table.table.primary_key.columns)
    condition = None
    for column, in_json in columns:
        found = mentions_any(column, scrub.terms, in_json=in_json)
        condition = found if condition is None else condition | found
    rows = (await session.execute(select(*keys, *(column for column, _ in columns))
                                  .where(table.of_organization(organization_id), condition))).all()
    connection = await session.connection()
    rewritten = 0
    for row in rows:
        values = row._mapping
        rewritten_values = {column.name: (scrub.identifier if IDENTIFIER.search(column.name) else scrub)(values[column])
                            for column, _ in columns if values[column] is not None}
        changed = {name: value for name, value in rewritten_values.items() if value != values[table.table.c[name]]}
        if changed:
            await connection.execute(update(table.table).where(*(key == values[key] for key in keys))
                                     .values(**changed))
            rewritten += 1
    return rewritten


async def do_erase_user(session: AsyncSession, *, user: User, actor_user_id: int | None, via: str,
                        store: AvatarStore) -> ErasureReport:
    """`user` is the organization's (access_user or the CLI's lookup); the caller checked the
    confirmation. Runs in the caller's writing transaction. An uploaded avatar is deleted from
    `store` (the object store): a picture is personal data too."""
    organization_id = user.organization_id
    others = (await session.scalars(select(User.display_name).where(
        User.organization_id == organization_id, User.id != user.id,
        User.display_name.contains(user.display_name, autoescape=True)))).all()
    scrub = Scrub(email=user.email, name=user.display_name, new_email=placeholder_email(user.id),
                  new_name=placeholder_name(user.id),
                  keep=tuple(sorted((name for name in others if name != user.display_name), key=len, reverse=True)))
    user.display_name, user.email = scrub.new_name, scrub.new_email
    uploaded = stored_avatar(user)
    user.avatar_url, user.password_hash, user.time_zone, user.active = None, None, "UTC", False
    await session.flush()
    report = ErasureReport(user_id=user.id, display_name=user.display_name, email=user.email)
    if uploaded is not None:
        await store.delete(uploaded[0])
        report.avatar_deleted = True
    revoked = await session.execute(update(ApiToken).where(
        ApiToken.organization_id == organization_id, ApiToken.user_id == user.id).values(revoked=True, name="erased"))
    report.tokens_revoked = int(revoked.rowcount or 0)
    report.sessions_ended = await do_end_user_sessions(session, organization_id=organization_id, user_id=user.id)
    # The user's identity on the trackers their data was imported from (a Jira accountId or key)
    # names them too; a later import of the same site then makes a new, inactive user.
    mappings = metadata.tables[IMPORT_MAPPINGS]
    forgotten = await session.execute(delete(mappings).where(
        mappings.c.organization_id == organization_id, mappings.c.kind == "user", mappings.c.local_id == user.id))
    report.imported_identities_deleted = int(forgotten.rowcount or 0)
    for name in DEVICE_TABLES:
        table = metadata.tables[name]
        deleted = await session.execute(delete(table).where(table.c.organization_id == organization_id,
                                                            table.c.user_id == user.id))
        report.devices_deleted += int(deleted.rowcount or 0)
    for table in tenant_tables():
        if table.name not in OWN_RULES and (count := await _rewrite_table(session, table, organization_id, scrub)):
            report.rows_rewritten[table.name] = count
    report.audit_records_redacted = await redact_person(session, organization_id=organization_id, user_id=user.id,
                                                        terms=scrub.terms, scrub=scrub,
                                                        scrub_identifier=scrub.identifier)
    await emit(session, UserDeactivated(user_id=user.id, role=user.role, active=False),
               organization_id=organization_id, aggregate_id=user.id, actor_id=actor_user_id)
    record(session, organization_id=organization_id, action="user.erased", object_type="user", object_id=user.id,
           object_key=user.email, changes={"via": via, **{k: v for k, v in report.view().items()
                                                          if k not in ("email", "display_name")}},
           actor_user_id=actor_user_id)
    return report
