"""Where a user's data can sit, read from the schema: the organization's tables, their text and
JSON columns, and the columns that name a user by id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import JSON, Column, ColumnElement, LargeBinary, String, Table

from tessera.audit.canonical import is_secret_name
from tessera.schema import metadata

USERS = "users"
ORGANIZATIONS = "organizations"
# Who a user was on the trackers their data was imported from (tessera import jira: kind "user").
IMPORT_MAPPINGS = "import_mappings"
# The audit log is rewritten only by its own rules (tessera.audit.redaction); the user's own row
# is rewritten field by field (tessera.gdpr.erase).
OWN_RULES = frozenset({USERS, "audit_records", "audit_chains"})
# Secrets whose names do not say so: a push subscription's encryption keys, and the answers kept
# for repeated requests (the answer to a token's creation holds the token).
UNNAMED_SECRETS = frozenset({("push_subscriptions", "p256dh"), ("push_subscriptions", "auth"),
                             ("idempotency_keys", "response_body"), ("idempotency_keys", "response_headers")})


@dataclass(frozen=True, slots=True)
class TenantTable:
    table: Table

    @property
    def name(self) -> str:
        return self.table.name

    def of_organization(self, organization_id: int) -> ColumnElement[bool]:
        if self.table.name == ORGANIZATIONS:
            return self.table.c.id == organization_id
        return self.table.c.organization_id == organization_id

    @property
    def text_columns(self) -> list[tuple[Column, bool]]:
        """(column, holds JSON) for each column that can hold a name or an email."""
        return [(column, isinstance(column.type, JSON)) for column in self.table.columns
                if isinstance(column.type, String | JSON)]

    @property
    def user_columns(self) -> list[Column]:
        """The columns that name a user by id (foreign keys to users)."""
        return [column for column in self.table.columns
                if any(key.column.table.name == USERS for key in column.foreign_keys)]

    @property
    def exportable_columns(self) -> list[Column]:
        """Every column but secrets (hashes of tokens and passwords, CSRF tokens, encrypted
        credentials, push encryption keys) and binary content."""
        return [column for column in self.table.columns
                if not is_secret_name(column.name) and not column.name.endswith("_encrypted")
                and (self.table.name, column.name) not in UNNAMED_SECRETS and not isinstance(column.type, LargeBinary)]


def tenant_tables() -> Iterator[TenantTable]:
    """Every table of an organization's data (its own row included), by name."""
    for table in sorted(metadata.tables.values(), key=lambda table: table.name):
        if "organization_id" in table.c or table.name == ORGANIZATIONS:
            yield TenantTable(table)
