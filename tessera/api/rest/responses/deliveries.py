"""Deliveries as /v2/deliveries answers them (api/rest/routers/deliveries.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.api.rest.responses.common import Out


class DeliveryOut(Out):
    id: int
    state: str = Field(description="pending, sending, delivered, failed (to be retried) or dead.")
    channel: str = Field(description="webhook, email, slack, push or inbox.")
    event_type: str
    event_id: int | None
    target_id: int | None = Field(description="The webhook's id, or the recipient user's id.")
    target: str = Field(description="A webhook's URL, an email address, a user.")
    idempotency_key: str
    attempt_count: int
    next_attempt_at: str | None = Field(description="When a pending or failed delivery is due.")
    last_status: int | None
    last_error: str | None
    last_duration_ms: int | None
    created: str
    updated: str
    delivered: str | None


class AttemptOut(Out):
    number: int
    started: str
    duration_ms: int
    ok: bool
    status_code: int | None
    error: str | None
    response_snippet: str | None


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]
    attempts: list[AttemptOut] = Field(description="Oldest first.")


class DeliveryPageOut(Out):
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null on the last.")
    deliveries: list[DeliveryOut]
