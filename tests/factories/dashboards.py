"""Dashboards made and read through /v2 for the dashboard and gadget tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.boards import ok


def gadget(kind: str, **config: Any) -> dict:
    return {"type": kind, "config": config}


def new_dashboard(client: TestClient, headers: dict, *gadgets: dict, **extra: Any) -> dict:
    body = {"name": "Team dashboard", "layout": {"columns": 2, "gadgets": list(gadgets)}, **extra}
    return ok(client.post("/v2/dashboards", json=body, headers=headers), 201)


def data(client: TestClient, headers: dict, dashboard: dict, **params: Any) -> dict[str, dict]:
    found = ok(client.get(f"/v2/dashboards/{dashboard['id']}/data", params=params, headers=headers))
    return {entry["id"]: entry for entry in found["gadgets"]}
