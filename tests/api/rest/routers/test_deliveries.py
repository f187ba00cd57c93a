"""/v2/deliveries over HTTP: filters as query parameters, pages by cursor, one delivery with its
attempts, retry with its state rules, administrators only, another organization's deliveries
invisible (404 by id, absent from lists), and bad parameters answered 4xx naming the parameter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.factories.deliveries import Planned, plant, states_async
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _ids(client: TestClient, org: OrgHandle, **params: object) -> list[int]:
    return [d["id"] for d in ok(client.get("/v2/deliveries", params=params, headers=org.headers))["deliveries"]]


def test_filters_are_query_parameters(client: TestClient, database_url: str, org: OrgHandle) -> None:
    hook, mail, dead = plant(database_url, org.organization_id,
                             Planned(state="delivered", target="https://one.example.test/in", target_id=41,
                                     created_at=T0),
                             Planned(state="failed", channel="email", target="bo@example.test", target_id=5,
                                     event_type="comment_created", created_at=T0 + timedelta(hours=1)),
                             Planned(state="dead", target="https://two.example.test/in", target_id=42,
                                     created_at=T0 + timedelta(hours=2)))
    assert _ids(client, org) == [dead, mail, hook]
    assert _ids(client, org, state="dead") == [dead]
    assert _ids(client, org, state=["dead", "delivered"]) == [dead, hook]
    assert _ids(client, org, state="dead,failed") == [dead, mail]
    assert _ids(client, org, channel="email") == [mail]
    assert _ids(client, org, target_id=42) == [dead]
    assert _ids(client, org, target="ONE.example") == [hook]
    assert _ids(client, org, event="comment_created") == [mail]
    assert _ids(client, org, since="2026-05-04T09:00:00Z") == [dead, mail]
    assert _ids(client, org, until="2026-05-04T09:00:00+00:00") == [mail, hook]
    assert _ids(client, org, since="2026-05-04T10:30:00+02:00", until="2026-05-04T09:59:59Z") == [mail]


def test_pages_by_cursor(client: TestClient, database_url: str, org: OrgHandle) -> None:
    planted = plant(database_url, org.organization_id, *[Planned(created_at=T0 + timedelta(minutes=n)) for n in range(5)])
    first = ok(client.get("/v2/deliveries", params={"limit": 2}, headers=org.headers))
    assert [d["id"] for d in first["deliveries"]] == planted[::-1][:2] and first["limit"] == 2
    second = ok(client.get("/v2/deliveries", params={"limit": 2, "cursor": first["next_cursor"]}, headers=org.headers))
    third = ok(client.get("/v2/deliveries", params={"limit": 2, "cursor": second["next_cursor"]}, headers=org.headers))
    assert [d["id"] for d in second["deliveries"] + third["deliveries"]] == planted[::-1][2:]
    assert third["next_cursor"] is None


def test_one_delivery_with_its_attempts(client: TestClient, database_url: str, org: OrgHandle) -> None:
    [dead] = plant(database_url, org.organization_id, Planned(state="dead", attempts=2, target_id=9))
    detail = ok(client.get(f"/v2/deliveries/{dead}", headers=org.headers))
    assert detail["id"] == dead and detail["state"] == "dead" and detail["attempt_count"] == 2
    assert detail["payload"] == {"planned": 0, "event": "issue_created"} and detail["target_id"] == 9
    assert detail["last_status"] == 410 and detail["next_attempt_at"] is None and detail["delivered"] is None
    assert [(a["number"], a["ok"], a["status_code"], a["response_snippet"]) for a in detail["attempts"]] == [
        (1, False, 503, "try later"), (2, False, 410, "gone")]
    for attempt in detail["attempts"]:
        assert attempt["duration_ms"] >= 0 and attempt["started"].endswith("Z") and "HTTP" in attempt["error"]


def test_retry_follows_the_state_rules(client: TestClient, database_url: str, org: OrgHandle) -> None:
    dead, delivered, sending = plant(database_url, org.organization_id, Planned(state="dead"),
                                     Planned(state="delivered"), Planned(state="sending"))
    retried = ok(client.post(f"/v2/deliveries/{dead}/retry", headers=org.headers))
    assert retried["state"] == "pending" and retried["attempt_count"] == 1 and retried["next_attempt_at"]
    refused = client.post(f"/v2/deliveries/{delivered}/retry", headers=org.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_delivered"
    busy = client.post(f"/v2/deliveries/{sending}/retry", params={"force": "true"}, headers=org.headers)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "delivery_in_flight"
    forced = ok(client.post(f"/v2/deliveries/{delivered}/retry", params={"force": "true"}, headers=org.headers))
    assert forced["state"] == "pending"


def test_members_and_viewers_are_refused(client: TestClient, database_url: str, org: OrgHandle, member: UserHandle,
                                         viewer: UserHandle) -> None:
    [dead] = plant(database_url, org.organization_id, Planned(state="dead"))
    for user in (member, viewer):
        for method, url in (("GET", "/v2/deliveries"), ("GET", f"/v2/deliveries/{dead}"),
                            ("POST", f"/v2/deliveries/{dead}/retry")):
            response = client.request(method, url, headers=user.headers)
            assert response.status_code == 403, (method, url, response.text)
            assert response.json()["error"]["code"] == "permission_denied"
    assert client.get("/v2/deliveries").status_code == 401
    assert asyncio.run(states_async(database_url, [dead])) == {dead: "dead"}


def test_another_organizations_deliveries_are_missing(client: TestClient, database_url: str, org: OrgHandle,
                                                      other_org: OrgHandle) -> None:
    mine = plant(database_url, org.organization_id, Planned(state="dead", target="https://secret-okapi.test/x"),
                 Planned(state="delivered"))
    assert not set(mine) & set(_ids(client, other_org, limit=500))
    assert "okapi" not in client.get("/v2/deliveries", params={"target": "okapi"}, headers=other_org.headers).text
    for delivery_id in mine:
        for method, url in (("GET", f"/v2/deliveries/{delivery_id}"), ("POST", f"/v2/deliveries/{delivery_id}/retry")):
            foreign = client.request(method, url, headers=other_org.headers)
            missing = client.request(method, url.replace(str(delivery_id), "987654321987"), headers=other_org.headers)
            assert foreign.status_code == missing.status_code == 404
            assert foreign.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
            assert "okapi" not in foreign.text


def test_bad_parameters_are_refused_naming_them(client: TestClient, org: OrgHandle) -> None:
    cases = [({"state": "lost"}, 400, "state"), ({"channel": "pigeon"}, 400, "channel"),
             ({"since": "yesterday"}, 422, "since"), ({"until": "2026-13-01"}, 422, "until"),
             ({"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"}, 400, "since"),
             ({"limit": "0"}, 422, "limit"), ({"limit": "501"}, 422, "limit"), ({"limit": "ten"}, 422, "limit"),
             ({"target_id": "-3"}, 422, "target_id"), ({"target_id": "1e3"}, 422, "target_id"),
             ({"cursor": "garbage!"}, 400, "cursor"), ({"event": "e" * 65}, 422, "event"),
             ({"target": "t" * 501}, 422, "target")]
    for params, status, name in cases:
        response = client.get("/v2/deliveries", params=params, headers=org.headers)
        assert response.status_code == status, (params, response.text)
        assert name in response.json()["error"]["field"], (params, response.text)
    for bad_id in ("abc", "0", "99999999999999999999"):
        assert client.get(f"/v2/deliveries/{bad_id}", headers=org.headers).status_code == 404
    assert client.post("/v2/deliveries/1/retry", params={"force": "maybe"}, headers=org.headers).status_code == 422
