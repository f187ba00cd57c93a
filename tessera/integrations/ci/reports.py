"""What a CI server reports, checked: one build or one deployment, whichever form it came in
(Jira's bulk bodies, tessera.integrations.ci.jira_bodies, or the plain /v2 form).

A report that fails a check raises ItemInvalid naming the field; the bulk APIs turn that into
the item's entry of `rejectedBuilds`/`rejectedDeployments` and go on with the others."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BUILD_STATES = ("pending", "in_progress", "successful", "failed", "cancelled", "unknown")
DEPLOYMENT_STATES = ("unknown", "pending", "in_progress", "cancelled", "failed", "rolled_back", "successful")
ENVIRONMENT_TYPES = ("unmapped", "development", "testing", "staging", "production")
INT64 = (-(2**63), 2**63 - 1)
# Jira's documented pattern for an associated issue key.
ISSUE_KEY_SHAPE = re.compile(r"^\w{1,255}-\d{1,255}$")
MAX_ISSUE_KEYS = 100
MAX_ASSOCIATION_VALUES = 500


class ItemInvalid(Exception):
    """One item's value is wrong; `message` names the field as the client wrote it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BuildReport:
    pipeline_id: str
    build_number: int
    update_sequence_number: int
    display_name: str
    url: str
    state: str
    last_updated: datetime
    issue_keys: tuple[str, ...]
    description: str | None = None
    label: str | None = None
    test_info: dict[str, int] | None = None
    references: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class DeploymentReport:
    pipeline_id: str
    pipeline_name: str
    pipeline_url: str
    environment_id: str
    environment_name: str
    environment_type: str
    deployment_sequence_number: int
    update_sequence_number: int
    display_name: str
    description: str
    url: str
    state: str
    last_updated: datetime
    # Issue keys and numeric issue ids, as sent; `associations` keeps every association as sent.
    issue_refs: tuple[str, ...]
    associations: list[dict[str, Any]] = field(default_factory=list)
    # Associations Tessera cannot link to an issue (services, commits): reported back as unknown.
    other_associations: list[dict[str, Any]] = field(default_factory=list)
    label: str | None = None
    duration: int | None = None
    commands: list[dict[str, Any]] | None = None


class FieldReader:
    """Reads one JSON object's fields, naming `where` (e.g. "builds[2].") in every complaint.
    CI plugins send numbers as strings (GitHub Actions inputs are strings), so an int64 may be
    a JSON number or a decimal string, as Jira's own parser accepts."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise ItemInvalid(f"'{where.rstrip('.') or 'body'}' must be a JSON object.")
        self.values: dict[str, Any] = value
        self.where = where

    def name(self, key: str) -> str:
        return f"'{self.where}{key}'"

    def text(self, key: str, *, limit: int, required: bool = True, empty: bool = False) -> str | None:
        """`empty`: a required field that may be "" (Jira's deployment `description`)."""
        value = self.values.get(key)
        if value is None:
            if required:
                raise ItemInvalid(f"{self.name(key)} is required.")
            return None
        if not isinstance(value, str):
            raise ItemInvalid(f"{self.name(key)} must be a string.")
        if len(value) > limit:
            raise ItemInvalid(f"{self.name(key)} has at most {limit} characters.")
        if required and not empty and not value.strip():
            raise ItemInvalid(f"{self.name(key)} must not be empty.")
        if "\x00" in value:
            raise ItemInvalid(f"{self.name(key)} must not contain NUL characters.")
        return value

    def int64(self, key: str, *, required: bool = True, minimum: int = INT64[0]) -> int | None:
        value = self.values.get(key)
        if value is None and not required:
            return None
        number = _int64(value)
        if number is None or number < minimum:
            raise ItemInvalid(f"{self.name(key)} must be an integer"
                              f"{' of at least ' + str(minimum) if minimum > INT64[0] else ''} (64-bit).")
        return number

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.values.get(key)
        if value not in choices:
            raise ItemInvalid(f"{self.name(key)} is not valid: it is one of {', '.join(choices)}.")
        return str(value)

    def moment(self, key: str) -> datetime:
        value = self.text(key, limit=64)
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ItemInvalid(f"{self.name(key)} must be an ISO 8601 date-time, such as 2025-01-01T00:00:00Z.") \
                from None
        return as_utc(moment)

    def issue_keys(self, key: str, values: object) -> tuple[str, ...]:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ItemInvalid(f"{self.name(key)} must be an array of issue keys.")
        if len(values) > MAX_ISSUE_KEYS:
            raise ItemInvalid(f"{self.name(key)} holds at most {MAX_ISSUE_KEYS} issue keys.")
        for value in values:
            if not ISSUE_KEY_SHAPE.fullmatch(value.strip()):
                raise ItemInvalid(f"{self.name(key)} holds '{value[:100]}', which is not an issue key "
                                  "(such as PROJ-12).")
        return tuple(dict.fromkeys(value.strip() for value in values))


def _int64(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if INT64[0] <= number <= INT64[1] else None


def sequence_now(moment: datetime) -> int:
    """The updateSequenceNumber a report without one gets: epoch milliseconds, as CI plugins use."""
    return int(moment.timestamp() * 1000)


def as_utc(moment: datetime) -> datetime:
    """A time without a zone is taken as UTC, as Jira reads `lastUpdated`."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
