"""Response bodies of /v2/webhooks (for OpenAPI)."""

from __future__ import annotations

from tessera.api.rest.responses.common import Out


class WebhookOut(Out):
    id: int
    name: str
    url: str
    events: list[str]
    jql: str
    enabled: bool
    exclude_body: bool
    # The plaintext secret: only in the answer to the create (shown once).
    secret: str | None = None
    signing_key_set: bool
    owner_id: int | None
    consecutive_failures: int
    disabled_reason: str | None
    disabled_at: str | None
    version: int
    created: str
    updated: str


class WebhookListOut(Out):
    webhooks: list[WebhookOut]


class AttemptOut(Out):
    number: int
    started: str
    duration_ms: int
    ok: bool
    status_code: int | None
    error: str | None
    response_snippet: str | None


class WebhookDeliveryOut(Out):
    id: int
    idempotency_key: str
    event_type: str
    event_id: int | None
    webhook_event: str | None
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    last_duration_ms: int | None
    created: str
    delivered: str | None
    history: list[AttemptOut]


class WebhookDeliveriesOut(Out):
    start_at: int
    max_results: int
    deliveries: list[WebhookDeliveryOut]
