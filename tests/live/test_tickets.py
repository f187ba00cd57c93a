"""Live tickets are single use, short lived and bound to the user they were issued to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.live import execute, receive, refused, stream
from tests.support import OrgHandle, UserHandle


def test_tickets_are_single_use_short_lived_and_bound_to_their_user(
        client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle, issue: dict,
        member: UserHandle) -> None:
    assert client.post("/v2/live/tickets").status_code == 401
    issued = ok(client.post("/v2/live/tickets", headers=member.headers), 201)
    assert issued["expires_in"] == 60 and issued["ticket"].startswith(f"{org.organization_id}.")
    url = f"/v2/issues/{issue['id']}/live"
    with stream(client, f"{url}?ticket={issued['ticket']}") as ws:
        presence = receive(ws)
        assert presence["type"] == "presence" and presence["data"]["viewers"][0]["user_id"] == member.user_id
    assert refused(client, f"{url}?ticket={issued['ticket']}").code == 4401  # used
    expired = ok(client.post("/v2/live/tickets", headers=member.headers), 201)["ticket"]
    execute(database_url, "UPDATE live_tickets SET expires_at = :past WHERE organization_id = :org",
            {"past": datetime.now(UTC) - timedelta(seconds=1), "org": org.organization_id})
    assert refused(client, f"{url}?ticket={expired}").code == 4401
    stolen = ok(client.post("/v2/live/tickets", headers=member.headers), 201)["ticket"]
    secret = stolen.split(".", 1)[1]
    assert refused(client, f"{url}?ticket={other_org.organization_id}.{secret}").code == 4401  # other org's
    for garbage in ("", "x", "1.", ".abc", "99999999999999999999.abc", "1.%00"):
        assert refused(client, f"{url}?ticket={garbage}").code == 4401
    b_ticket = ok(client.post("/v2/live/tickets", headers=other_org.headers), 201)["ticket"]
    assert refused(client, f"{url}?ticket={b_ticket}").code == 4404  # B's user on A's issue
    with stream(client, f"{url}?ticket={stolen}"):  # the untampered ticket still works, once
        pass
