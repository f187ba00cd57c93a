"""Everything stored about one user, as a zip of JSON files (the format is in the README,
"Data rights").

- `manifest.json`: the format and its version, the organization, the user, when, and how many
  rows each file holds;
- `profile.json`: the user's own row (no password hash);
- `<table>.json`: for every table of the organization with a column naming a user (reporter,
  assignee, author, watcher, voter, owner ...), the rows naming this user there, every column
  but secrets: `issues.json` (reported, assigned or created), `comments.json`,
  `worklogs.json`, `issue_watchers.json`, `issue_votes.json`, `notification_preferences.json`,
  `api_tokens.json` (metadata: name, prefix, scope, dates; never the token), `web_sessions.json`
  (browser, address, dates; never the cookie) ...;
- `audit.json`: the audit records of the user's own actions and of actions on their account.

Only the organization's rows are read: the same email in another organization is another user."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.audit.models import AuditRecord
from tessera.audit.queries import record_view
from tessera.db.base import utcnow
from tessera.gdpr.columns import IMPORT_MAPPINGS, OWN_RULES, USERS, tenant_tables
from tessera.schema import metadata
from tessera.tenancy.models import Organization, User

FORMAT = "tessera-user-export"
VERSION = 1


@dataclass
class UserArchive:
    """{file name: JSON document}; `to_zip` writes them in name order, manifest first."""

    files: dict[str, Any] = field(default_factory=dict)

    def to_zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(self.files, key=lambda name: (name != "manifest.json", name)):
                archive.writestr(name, json.dumps(self.files[name], indent=2, ensure_ascii=False,
                                                  default=_json_value))
        return buffer.getvalue()

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(doc) if isinstance(doc, list) else 1 for name, doc in self.files.items()
                if name != "manifest.json"}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


async def build_user_archive(session: AsyncSession, *, organization: Organization, user: User) -> UserArchive:
    """Reads only; see do_export_user for the recorded export."""
    archive = UserArchive()
    users = next(table for table in tenant_tables() if table.name == USERS)
    profile = (await session.execute(select(*users.exportable_columns).where(
        users.table.c.id == user.id, users.table.c.organization_id == organization.id))).mappings().one()
    archive.files["profile.json"] = dict(profile)
    for table in tenant_tables():
        if table.name in OWN_RULES or not table.user_columns:
            continue
        columns = table.exportable_columns
        key = [column for column in table.table.primary_key.columns if column in columns] or columns[:1]
        rows = (await session.execute(
            select(*columns).where(table.of_organization(organization.id),
                                   or_(*(column == user.id for column in table.user_columns)))
            .order_by(*key))).mappings().all()
        if rows:
            archive.files[f"{table.name}.json"] = [dict(row) for row in rows]
    audit = (await session.scalars(select(AuditRecord).where(
        AuditRecord.organization_id == organization.id,
        or_(AuditRecord.actor_user_id == user.id,
            and_(AuditRecord.object_type == "user", AuditRecord.object_id == user.id)))
        .order_by(AuditRecord.sequence))).all()
    archive.files["audit.json"] = [record_view(row) for row in audit]
    mappings = metadata.tables[IMPORT_MAPPINGS].c
    identities = (await session.execute(select(mappings.site, mappings.external_id).where(
        mappings.organization_id == organization.id, mappings.kind == "user",
        mappings.local_id == user.id).order_by(mappings.id))).mappings().all()
    if identities:  # who the user was on the trackers their data came from (tessera import jira)
        archive.files["imported_identities.json"] = [dict(row) for row in identities]
    archive.files["manifest.json"] = {
        "format": FORMAT, "version": VERSION, "exported_at": utcnow(),
        "organization": {"id": organization.id, "key": organization.key},
        "user": {"id": user.id, "email": user.email}, "files": archive.counts}
    return archive


async def do_export_user(session: AsyncSession, *, organization: Organization, user: User, via: str,
                         actor_user_id: int | None = None) -> UserArchive:
    """Builds the archive and records the export, in the caller's writing transaction."""
    archive = await build_user_archive(session, organization=organization, user=user)
    record(session, organization_id=organization.id, action="user.exported", object_type="user", object_id=user.id,
           object_key=user.email, changes={"via": via, "files": archive.counts}, actor_user_id=actor_user_id)
    return archive
