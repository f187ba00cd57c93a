"""Shapes shared by several /v2 responses, the error body, and `ok()` to name a model in a route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Out(BaseModel):
    """A response body: clients must ignore keys they do not know (new ones may appear)."""


class PersonRef(Out):
    id: int
    display_name: str | None


class UserRef(Out):
    id: int
    display_name: str
    email: str
    active: bool


class NamedRef(Out):
    id: int
    name: str


class StatusRef(NamedRef):
    category: str
    category_name: str


class ProjectRef(Out):
    id: int
    key: str
    name: str


class Page(Out):
    start_at: int
    max_results: int
    total: int


class HealthOut(Out):
    status: str
    version: str
    database: str = Field(description="sqlite or postgresql")


class ErrorDetail(Out):
    code: str = Field(description="Stable, machine-readable: not_found, validation_failed, conflict, ...")
    message: str
    field: str | None = Field(default=None, description="Where the fault is: a body key, a parameter or a header.")
    errors: dict[str, str] | None = Field(default=None, description="{location: message} for each fault.")
    details: list[dict[str, Any]] | None = None


class ErrorOut(Out):
    """Every /v2 error: `{"error": {"code", "message", "field", "errors", "details", ...data}}`."""

    error: ErrorDetail


def ok(model: type[BaseModel] | Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose handler returns a plain dict shaped like `model`."""
    return {status: {"model": model}}
