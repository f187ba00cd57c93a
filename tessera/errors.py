"""The one domain error hierarchy. Each error carries a stable code, data and a suggested status;
each transport renders it in its own shape."""

from __future__ import annotations

from typing import Any


class TesseraError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.data = data or {}


class InvalidInput(TesseraError):
    """The request is well-formed but its values are wrong (unknown project, bad type, ...)."""

    code = "invalid_input"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, str] | None = None,
                 code: str | None = None, data: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, field=field, data=data)
        self.errors = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = message


class NotAuthenticated(TesseraError):
    code = "not_authenticated"
    status = 401


class PermissionDenied(TesseraError):
    code = "permission_denied"
    status = 403


class NotFound(TesseraError):
    """Also raised for another organization's resources: they must be indistinguishable."""

    code = "not_found"
    status = 404


class Conflict(TesseraError):
    """A lost-update or uniqueness conflict; `data` carries the current state when useful."""

    code = "conflict"
    status = 409


class PreconditionFailed(Conflict):
    code = "precondition_failed"
    status = 412


def stale_version(message: str, *, via_if_match: bool, data: dict[str, Any] | None = None) -> Conflict:
    """The one answer to a version the client read that is no longer current, wherever it is
    found (the pre-check or the guarded UPDATE a concurrent writer won): a stale `If-Match` is a
    failed precondition (412, RFC 9110 section 13.1.1), a stale `version` in the body a conflict
    (409). Services pass down how the version came, so a race lost inside the UPDATE answers
    the same as one seen before it."""
    error_class = PreconditionFailed if via_if_match else Conflict
    return error_class(message, code="version_conflict", data=data)


class PayloadTooLarge(TesseraError):
    code = "payload_too_large"
    status = 413


class RateLimited(TesseraError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, data={"retry_after": retry_after})
        self.retry_after = retry_after


class QuotaExceeded(TesseraError):
    code = "quota_exceeded"
    status = 403
