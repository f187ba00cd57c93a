"""axe-core (npm axe-core 4.14.1, vendored in tests/web/vendor/axe-core with its licenses) in headless
Chromium on every main page, signed in as the organization's administrator: no "serious" or
"critical" violation. Also: the tools at /docs and /graphql run from their vendored assets
under the pages' Content-Security-Policy (no CDN)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.web.browser import LiveServer, csp_watch, signed_in_page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Rules left out on a page, each with the reason; keep empty unless a fix is too big for now.
EXCLUDED: dict[str, set[str]] = {}


@pytest.fixture(scope="module")
def pages(live_server: LiveServer) -> list[str]:
    base, h = live_server.url, live_server.headers
    issue = httpx.post(f"{base}/v2/issues", headers=h, timeout=30, json={
        "project_id": "SHOP", "issue_type": "Story", "summary": "Checkout fails on Safari",
        "description": "Steps:\n1. open checkout", "labels": ["web"], "priority": "High"})
    assert issue.status_code == 201, issue.text
    key = issue.json()["key"]
    httpx.post(f"{base}/v2/issues/{issue.json()['id']}/comments", headers=h, timeout=30, json={"body": "Seen on iOS"})
    board = httpx.post(f"{base}/v2/boards", headers=h, timeout=30,
                       json={"name": "Shop board", "type": "scrum", "project_id": "SHOP"})
    assert board.status_code == 201, board.text
    board_id = board.json()["id"]
    dashboard = httpx.post(f"{base}/v2/dashboards", headers=h, timeout=30, json={"name": "Shop", "layout": {
        "columns": 1, "gadgets": [{"type": "pie_chart", "title": "By status", "column": 0, "row": 0,
                                   "config": {"jql": "project = SHOP", "field": "status"}}]}})
    assert dashboard.status_code == 201, dashboard.text
    dashboard_id = dashboard.json()["id"]
    workflow_scheme = httpx.get(f"{base}/v2/workflow-schemes", headers=h, timeout=30).json()["workflow_schemes"][0]
    field = next(f for f in httpx.get(f"{base}/v2/fields", headers=h, timeout=30).json()["fields"] if f["custom"])
    return ["/projects", "/projects/SHOP", f"/browse/{key}", "/issues/new?project=SHOP",
            "/search?jql=project%20%3D%20SHOP", "/boards", f"/boards/{board_id}", f"/boards/{board_id}/backlog",
            "/dashboards", f"/dashboards/{dashboard_id}", f"/dashboards/{dashboard_id}/edit",
            "/projects/SHOP/reports", "/notifications", "/settings/profile", "/settings/notifications",
            "/settings/integrations/git", "/admin", "/admin/users", "/admin/groups",
            "/admin/settings", "/admin/projects", "/admin/projects/new", "/admin/projects/SHOP",
            "/admin/workflows", "/admin/audit", "/admin/webhooks", "/admin/deliveries", "/admin/workflow-schemes",
            f"/admin/workflow-schemes/{workflow_scheme['id']}", "/admin/fields", f"/admin/fields/{field['numeric_id']}"]


def _violations(page, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    excluded = EXCLUDED.get(path, set())
    return [f"{path}: {v['id']} ({v['impact']}) {v['help']}: "
            + json.dumps([[node["target"], (node["any"] or [{}])[0].get("data")] for node in v["nodes"]][:5])
            for v in result["violations"] if v["impact"] in BLOCKING and v["id"] not in excluded]


def test_no_serious_or_critical_violation_on_any_main_page(live_server: LiveServer, browser,  # type: ignore[no-untyped-def]
                                                          pages: list[str]) -> None:
    # axe is injected as an inline script, which the pages' policy refuses: these contexts ignore it.
    signed_out = browser.new_context(bypass_csp=True).new_page()
    signed_out.goto(f"{live_server.url}/signin")
    found = _violations(signed_out, "/signin")
    signed_out.context.close()
    page = signed_in_page(browser, live_server, context_options={"bypass_csp": True})
    page.goto(f"{live_server.url}/admin/workflows")
    workflow = page.locator("a[href^='/admin/workflows/']").first.get_attribute("href")
    assert workflow
    for path in (*pages, workflow):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        found += _violations(page, path)
    page.context.close()
    assert found == [], "\n".join(found)


def test_no_serious_or_critical_violation_in_the_everyday_dialogs(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    """The create dialog (`c`), the shortcuts dialog (`?`), the JQL editor with its suggestions
    open, the column chooser and the save-as-filter dialog, and the inbox's unread view."""
    page = signed_in_page(browser, live_server, context_options={"bypass_csp": True})
    page.goto(f"{live_server.url}/projects")
    page.keyboard.press("c")
    page.locator("#create-dialog[open] #create-form").wait_for()
    found = _violations(page, "/projects (create dialog)")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    page.locator("#shortcuts-dialog[open]").wait_for()
    found += _violations(page, "/projects (shortcuts dialog)")
    page.goto(f"{live_server.url}/search?jql=")
    page.locator("#jql").click()
    page.locator("#jql").press_sequentially("pri")
    page.locator("#jql-suggestions [role=option]").first.wait_for()
    found += _violations(page, "/search (suggestions open)")
    page.keyboard.press("Escape")
    page.click("summary:has-text('Columns')")
    page.click("button[data-dialog=save-filter-dialog]")
    page.locator("#save-filter-dialog[open]").wait_for()
    found += _violations(page, "/search (columns and save-as-filter dialog open)")
    page.goto(f"{live_server.url}/notifications?show=unread")
    found += _violations(page, "/notifications?show=unread")
    page.context.close()
    assert found == [], "\n".join(found)


def test_docs_and_graphiql_run_from_vendored_assets(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = signed_in_page(browser, live_server)
    reports = csp_watch(page)
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:")) else None)
    # The first /v2/openapi.json is built on demand (seconds of CPU on a loaded machine).
    page.goto(f"{live_server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tessera", timeout=30_000)
    page.goto(f"{live_server.url}/graphql")
    expect(page.locator(".graphiql-container .graphiql-editors")).to_be_visible(timeout=30_000)
    assert "X-CSRF-Token" in page.content()  # a signed-in browser's mutations are accepted
    page.wait_for_load_state("networkidle")
    page.context.close()
    assert reports == [] and outside == [], (reports, outside)
