"""A server with a small attachment size limit and its object directory, and the projects, issues,
uploads, storage usage and events the attachment tests read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories.outbox import events
from tests.support import (
    OrgHandle,
    fetch_rows,
    unique_key,
)

LIMIT = 700_000  # bytes per file in these tests (the default is 25 MiB)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      + b"\x00" * 64




@dataclass
class Server:
    client: TestClient
    root: Path
    database_url: str

    def objects(self, org: OrgHandle) -> list[Path]:
        folder = self.root / "org" / str(org.organization_id) / "att"
        return sorted(p for p in folder.iterdir() if p.is_file()) if folder.exists() else []


def create_project(client: TestClient, org: OrgHandle, **extra: object) -> dict:
    response = client.post("/v2/projects", json={"key": unique_key("P")[:10], "name": "Attachments", **extra},
                           headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def create_issue(client: TestClient, org: OrgHandle, project: dict, **extra: object) -> dict:
    response = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Has files", **extra}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def upload(client: TestClient, headers: dict, issue_id: object, *files: tuple[str, bytes, str]) -> object:
    return client.post(f"/v2/issues/{issue_id}/attachments", headers=headers,
                       files=[("file", file) for file in files])


def used_bytes(database_url: str, org: OrgHandle) -> int:
    rows = fetch_rows(database_url, "SELECT used_bytes FROM organization_storage WHERE organization_id = :org",
                      {"org": org.organization_id})
    return rows[0]["used_bytes"] if rows else 0


def event_payloads(database_url: str, org: OrgHandle, kind: str) -> list[dict]:
    return [row["payload"] for row in events(database_url, org, kind)]
