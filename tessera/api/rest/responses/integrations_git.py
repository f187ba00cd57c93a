"""Response bodies of /v2/integrations/git and the development panel (for OpenAPI)."""

from __future__ import annotations

from typing import Any

from tessera.api.rest.responses.common import Out


class GitConnectionOut(Out):
    id: int
    provider: str
    name: str
    repository: str | None
    webhook_url: str
    rules: list[dict[str, str]]
    owner_id: int | None
    # The plaintext secret: only in the answer to the create or to a PATCH that rotated it (shown once).
    secret: str | None = None
    created: str


class GitConnectionListOut(Out):
    connections: list[GitConnectionOut]


class GitEventOut(Out):
    events: int
    linked: dict[str, int]
    ignored: str | None = None


class DevelopmentOut(Out):
    branches: list[dict[str, Any]]
    commits: list[dict[str, Any]]
    pull_requests: list[dict[str, Any]]
    builds: list[dict[str, Any]]
    deployments: list[dict[str, Any]]
