"""Every administration page renders for an empty organization and for one with thousands of
issues and dozens of people (loaded by tessera.demo.bulk): lists are paged, nothing loads
every issue."""

from __future__ import annotations

import asyncio
import re
import time

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.demo.bulk import bulk_load
from tests.support import OrgHandle

PAGES = ("/admin/users", "/admin/groups", "/admin/settings", "/admin/projects", "/admin/projects/new",
         "/admin/permission-schemes", "/admin/global-permissions", "/admin/issue-security",
         "/admin/workflows", "/admin/audit", "/admin/webhooks", "/admin/deliveries", "/settings/integrations/git")


async def _load(database_url: str, org_key: str, issues: int) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        await bulk_load(database, org_key=org_key, issues=issues, seed=3)
    finally:
        await database.dispose()


def _workflow_keys(page: str) -> list[str]:
    return sorted(set(re.findall(r'href="/admin/workflows/([a-z0-9_]+)"', page)))


def test_an_empty_organization(web: TestClient, csrf: str) -> None:
    for path in PAGES:
        page = web.get(path)
        assert page.status_code == 200, path
        assert '<aside class="sidenav" aria-label="Administration">' in page.text, path
    for key in _workflow_keys(web.get("/admin/workflows").text):
        assert web.get(f"/admin/workflows/{key}").status_code == 200


def test_an_organization_with_many_issues(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    asyncio.run(_load(database_url, org.key, 2_000))
    projects = re.findall(r'href="/admin/projects/([A-Z0-9]+)"', web.get("/admin/projects").text)
    assert projects
    slowest = 0.0
    for path in (*PAGES, *(f"/admin/projects/{key}" for key in projects)):
        started = time.perf_counter()
        page = web.get(path)
        slowest = max(slowest, time.perf_counter() - started)
        assert page.status_code == 200, path
    users = web.get("/admin/users").text
    assert users.count('<tr id="user-') == 25 and "Page 1 of" in users
    for key in _workflow_keys(web.get("/admin/workflows").text):
        assert web.get(f"/admin/workflows/{key}").status_code == 200
    in_use = web.post(f"/admin/projects/{projects[0]}/delete", data={"csrf_token": csrf, "confirm": projects[0]})
    assert in_use.status_code == 409
    assert slowest < 5  # generous on a loaded 2-core machine; bench/ measures the real figures
