"""Refused API tokens are recorded in their organization's audit log (revoked, expired, a
deactivated user's, another email's); a string that is no token of any organization is recorded
nowhere. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.tenancy.models import ApiToken
from tests.factories.http import ok
from tests.support import OrgHandle, fetch_rows, make_user


def refusals(database_url: str, org: OrgHandle) -> list[dict]:
    return fetch_rows(database_url, "SELECT object_id, actor_user_id, changes FROM audit_records "
                                    "WHERE organization_id = :o AND action = 'auth.token_refused' ORDER BY sequence",
                      {"o": org.organization_id})


def expire(database_url: str, token_id: int) -> None:
    async def run() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                await session.execute(update(ApiToken).where(ApiToken.id == token_id)
                                      .values(expires_at=utcnow() - timedelta(days=1)))
        finally:
            await database.dispose()
    asyncio.run(run())


def _changes(row: dict) -> dict:
    import json

    return json.loads(row["changes"]) if isinstance(row["changes"], str) else row["changes"]


def test_refused_tokens_are_recorded_where_they_belong(client: TestClient, database_url: str, org: OrgHandle,
                                                       other_org: OrgHandle) -> None:
    revoked, expired, deactivated = (make_user(database_url, org) for _ in range(3))
    token_of = {}
    for user in (revoked, expired, deactivated):
        token_of[user.user_id] = ok(client.get(f"/v2/users/{user.user_id}/tokens", headers=org.headers))
    ids = {user.user_id: token_of[user.user_id]["tokens"][0]["id"] for user in (revoked, expired, deactivated)}
    assert client.delete(f"/v2/users/{revoked.user_id}/tokens/{ids[revoked.user_id]}",
                         headers=org.headers).status_code == 204
    expire(database_url, ids[expired.user_id])
    ok(client.put(f"/v2/users/{deactivated.user_id}", json={"active": False}, headers=org.headers))
    for user in (revoked, expired, deactivated):
        assert client.get("/v2/myself", headers=user.headers).status_code == 401
    other = make_user(database_url, org)
    basic = base64.b64encode(f"{other.email}:{revoked.token}".encode()).decode()
    assert client.get("/v2/myself", headers={"Authorization": f"Basic {basic}"}).status_code == 401
    assert client.post("/graphql", json={"query": "{ viewer { id } }"},
                       headers=expired.headers).status_code == 401
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
            "/v2/issues/1/live", headers=revoked.headers) as socket:  # a live stream's handshake
        socket.receive_json()
    before_elsewhere = refusals(database_url, other_org)
    assert client.get("/v2/myself", headers={"Authorization": "Bearer tsr_nobodys_token"}).status_code == 401

    rows = refusals(database_url, org)
    assert [(row["object_id"], _changes(row)["reason"]) for row in rows] == [
        (ids[revoked.user_id], "revoked"), (ids[expired.user_id], "expired"), (ids[deactivated.user_id], "deactivated"),
        (ids[revoked.user_id], "revoked"), (ids[expired.user_id], "expired"), (ids[revoked.user_id], "revoked")]
    assert all(row["actor_user_id"] is None for row in rows)
    assert _changes(rows[0])["user_id"] == revoked.user_id
    assert refusals(database_url, other_org) == before_elsewhere == []
