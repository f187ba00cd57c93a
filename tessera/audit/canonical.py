"""The canonical form of a record, its hash, and the redaction of secrets: one home for what
the writer and the verifier must compute alike."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"
# Field names whose values are never recorded: passwords and their hashes, secrets, tokens and
# credentials. Ids of such things (token_id) are facts, not secrets, and stay.
_SECRET_NAME = re.compile(r"password|secret|credential|private|api_?key|(^|_)token($|_(?!id$))|_hash$|^hash$",
                          re.IGNORECASE)

# The fields of a record that its hash covers, in the order of the canonical form.
HASHED_FIELDS = ("organization_id", "sequence", "at", "actor_user_id", "actor_token_id", "ip", "user_agent",
                 "request_id", "action", "object_type", "object_id", "object_key", "changes")


def is_secret_name(name: str) -> bool:
    """Whether a field or column of this name holds a secret (never recorded nor exported)."""
    return _SECRET_NAME.search(name) is not None


def redact(value: Any) -> Any:
    """`value` with the values of secret-named keys replaced, at any depth."""
    if isinstance(value, Mapping):
        return {key: REDACTED if is_secret_name(str(key)) else redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes whichever database stored the JSON (JSONB
    reorders keys)."""
    body = {name: fields[name] for name in HASHED_FIELDS}
    body["at"] = timestamp(body["at"]) if isinstance(body["at"], datetime) else body["at"]
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def record_hash(fields: Mapping[str, Any], previous_hash: str) -> str:
    """SHA-256 over the previous record's hash and this record's canonical form."""
    return hashlib.sha256(previous_hash.encode() + b"\n" + canonical(fields)).hexdigest()
