"""Audit records as /v2/audit answers them (api/rest/routers/audit.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out


class AuditActorOut(Out):
    user_id: int | None
    token_id: int | None = Field(description="The API token used, when one was.")
    ip: str | None
    user_agent: str | None


class AuditObjectOut(Out):
    type: str | None
    id: int | None
    key: str | None


class AuditRecordOut(Out):
    sequence: int = Field(description="The record's place in the organization's chain.")
    at: str
    action: str = Field(description="A dotted name: issue.updated, auth.signin_failed, webhook.created ...")
    actor: AuditActorOut
    request_id: str | None
    object: AuditObjectOut
    changes: dict[str, Any] = Field(description="What changed (secrets redacted).")
    previous_hash: str
    hash: str


class AuditPageOut(Out):
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null on the last.")
    records: list[AuditRecordOut]


class AuditRetentionOut(Out):
    retention_days: int | None = Field(description="Records older than this are purged; null: kept for ever.")
    checkpoint_sequence: int = Field(description="The last purged record's sequence (0: none purged).")
    head_sequence: int = Field(description="The newest record's sequence.")
