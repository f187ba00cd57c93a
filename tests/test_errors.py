"""The one domain error hierarchy: each error has a stable code and a suggested status, carries
its field and data, and a stale version is a 409 in a body or a 412 through If-Match."""

from __future__ import annotations

import pytest

from tessera.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
    RateLimited,
    TesseraError,
    stale_version,
)


@pytest.mark.parametrize(("error_class", "code", "status"), [
    (TesseraError, "error", 400), (InvalidInput, "invalid_input", 400), (NotAuthenticated, "not_authenticated", 401),
    (PermissionDenied, "permission_denied", 403), (NotFound, "not_found", 404), (Conflict, "conflict", 409),
    (PreconditionFailed, "precondition_failed", 412), (PayloadTooLarge, "payload_too_large", 413),
    (QuotaExceeded, "quota_exceeded", 403),
])
def test_every_error_has_a_stable_code_and_status(error_class: type[TesseraError], code: str, status: int) -> None:
    error = error_class("Something is wrong.")
    assert (error.code, error.status, error.message, str(error)) == (code, status, "Something is wrong.",
                                                                     "Something is wrong.")
    assert error.field is None and error.data == {} and isinstance(error, TesseraError)
    assert error_class("x", code="special").code == "special" and error_class.code == code


def test_invalid_input_names_every_field_it_knows() -> None:
    one = InvalidInput("Too long.", field="summary")
    assert (one.field, one.errors) == ("summary", {"summary": "Too long."})
    many = InvalidInput("Two problems.", field="summary", errors={"summary": "Required.", "priority": "Unknown."})
    assert many.errors == {"summary": "Required.", "priority": "Unknown."}
    assert InvalidInput("No field.").errors == {}


def test_rate_limited_says_when_to_come_back() -> None:
    error = RateLimited("Slow down.", retry_after=30)
    assert (error.status, error.retry_after, error.data) == (429, 30, {"retry_after": 30})


def test_a_stale_version_is_a_conflict_or_a_failed_precondition() -> None:
    in_body = stale_version("Changed meanwhile.", via_if_match=False, data={"current_version": 3})
    through_if_match = stale_version("Changed meanwhile.", via_if_match=True)
    assert type(in_body) is Conflict and (in_body.status, in_body.code) == (409, "version_conflict")
    assert in_body.data == {"current_version": 3}
    assert type(through_if_match) is PreconditionFailed and (through_if_match.status, through_if_match.code) == (
        412, "version_conflict")
