"""A delivery and its attempts as plain JSON-ready dicts: the one shape that /v2/deliveries
answers and `tessera deliveries ... --json` prints."""

from __future__ import annotations

from typing import Any

from tessera.delivery.models import Delivery, DeliveryAttempt, DeliveryState
from tessera.issues.views import iso

_WAITING = (DeliveryState.PENDING.value, DeliveryState.FAILED.value)


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "state": delivery.state, "channel": delivery.channel,
            "event_type": delivery.event_type, "event_id": delivery.event_id, "target_id": delivery.target_id,
            "target": delivery.target, "idempotency_key": delivery.idempotency_key,
            "attempt_count": delivery.attempts,
            # Only a waiting delivery is due at a time; a sending one's is its lease's end.
            "next_attempt_at": iso(delivery.next_attempt_at) if delivery.state in _WAITING else None,
            "last_status": delivery.last_status, "last_error": delivery.last_error,
            "last_duration_ms": delivery.last_duration_ms, "created": iso(delivery.created_at),
            "updated": iso(delivery.updated_at), "delivered": iso(delivery.delivered_at)}


def attempt_view(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {"number": attempt.number, "started": iso(attempt.started_at), "duration_ms": attempt.duration_ms,
            "ok": attempt.ok, "status_code": attempt.status_code, "error": attempt.error,
            "response_snippet": attempt.response_snippet}


def detail_view(delivery: Delivery, attempts: list[DeliveryAttempt]) -> dict[str, Any]:
    return {**delivery_view(delivery), "payload": delivery.payload, "attempts": [attempt_view(a) for a in attempts]}
