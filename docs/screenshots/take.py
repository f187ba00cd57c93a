"""Screenshots of the web UI for the docs: sign-in, issue list, issue view, create form, search
with the JQL editor's suggestions, the create dialog, a board and its backlog, a dashboard, a
project's reports and the administration pages (users, a project's settings, a workflow's
diagram, custom fields).

    .venv/bin/python docs/screenshots/take.py [--out docs/screenshots]

Starts `tessera serve` on a fresh SQLite file seeded with the demo organization (when
`tessera.demo.seed.seed_demo` exists), or else with a small organization made here through the
API, and drives headless Chromium (/usr/bin/chromium) over it."""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
TESSERA = Path(sys.executable).parent / "tessera"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1440, "height": 900}

OWN_ISSUES = (
    ("Story", "Guest checkout with saved addresses", "In Progress", "High", ["checkout"]),
    ("Bug", "Cart total ignores percentage coupons", "To Do", "Highest", ["pricing", "checkout"]),
    ("Task", "Upgrade payment SDK to v5", "Done", "Medium", ["payments"]),
    ("Bug", "Search results flicker on slow networks", "In Review", "Low", ["search"]),
    ("Story", "Wishlist shared by link", "To Do", "Medium", []),
    ("Task", "Add structured logging to order service", "In Progress", "Low", ["observability"]),
)
MOVES = {"In Progress": ["11"], "In Review": ["11", "31"], "Done": ["11", "51"], "To Do": []}


def run(*args: str) -> str:
    return subprocess.run([str(TESSERA), *args], capture_output=True, text=True, check=True, timeout=600).stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_demo(database_url: str) -> tuple[str, str] | None:
    """The demo organization's login, or None when the demo seed is not available."""
    if importlib.util.find_spec("tessera.demo.seed") is None:
        return None
    try:
        result = json.loads(run("demo", "--issues", "150", "--json", "--database-url", database_url)
                            .strip().splitlines()[-1])
    except (subprocess.CalledProcessError, ValueError, IndexError) as error:
        print(f"demo seed unavailable ({error}); making a small organization instead", file=sys.stderr)
        return None
    return result.get("email", "demo@tessera.local"), result.get("password", "tessera-demo")


def seed_own(database_url: str) -> tuple[str, str, str]:
    email, password = "alex@example.test", "screenshots-password"
    created = json.loads(run("create-org", "ACME", "--name", "Acme Commerce", "--admin-email", email,
                             "--admin-password", password, "--admin-name", "Alex Rivera", "--json",
                             "--database-url", database_url).strip().splitlines()[-1])
    return email, password, created["api_token"]


def fill_own(url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as api:
        api.post("/v2/projects", json={"key": "SHOP", "name": "Storefront Web App"}).raise_for_status()
        api.post("/v2/projects", json={"key": "OPS", "name": "Platform Operations"}).raise_for_status()
        me = api.get("/v2/myself").json()["id"]
        for issue_type, summary, status, priority, labels in OWN_ISSUES:
            issue = api.post("/v2/issues", json={
                "project_id": "SHOP", "issue_type": issue_type, "summary": summary, "priority": priority,
                "labels": labels, "assignee_id": me if status != "To Do" else None,
                "description": f"{summary}.\n\nAcceptance criteria:\n- works on mobile\n- covered by tests"})
            issue.raise_for_status()
            for transition in MOVES[status]:
                api.post(f"/v2/issues/{issue.json()['id']}/transitions/{transition}").raise_for_status()
        api.post("/v2/issues/SHOP-1/comments", json={"body": "Design is signed off; starting on the API."})
        api.post("/v2/issues/SHOP-1/comments", json={"body": "Saved addresses need the new consent text."})


def plan_agile(url: str, email: str, password: str) -> tuple[int, int, str]:
    """A scrum board with an active sprint and a team dashboard over the first project:
    (board id, dashboard id, project key)."""
    with httpx.Client(base_url=url, auth=(email, password), timeout=30) as api:
        project = api.get("/v2/projects").raise_for_status().json()["projects"][0]
        key = project["key"]
        board = api.post("/v2/boards", json={"name": f"{key} team board", "type": "scrum",
                                             "project_id": project["id"]}).raise_for_status().json()
        sprint = api.post(f"/v2/boards/{board['id']}/sprints",
                          json={"name": f"{key} Sprint 14"}).raise_for_status().json()
        found = api.post("/v2/search", json={"jql": f"project = {key} AND statusCategory != Done ORDER BY priority DESC",
                                             "fields": ["key"], "max_results": 14}).raise_for_status().json()
        api.post(f"/v2/sprints/{sprint['id']}/issues",
                 json={"issues": [issue["key"] for issue in found["issues"]]}).raise_for_status()
        api.post(f"/v2/sprints/{sprint['id']}/start", json={"goal": "Checkout that converts on mobile"}
                 ).raise_for_status()

        def gadget(kind: str, title: str, column: int, row: int, **config: object) -> dict:
            return {"type": kind, "title": title, "column": column, "row": row, "config": config}

        jql = f"project = {key}"
        dashboard = api.post("/v2/dashboards", json={"name": f"{project['name']}: the week", "layout": {
            "columns": 2, "gadgets": [
                gadget("pie_chart", "Open work by status", 0, 0, jql=f"{jql} AND statusCategory != Done",
                       field="status"),
                gadget("created_vs_resolved", "Created vs resolved", 1, 0, jql=jql),
                gadget("filter_results", "Highest priority, not done", 0, 1,
                       jql=f"{jql} AND priority in (Highest, High) AND statusCategory != Done ORDER BY updated DESC"),
                gadget("two_dimensional", "Status by priority", 1, 1, jql=jql, x_field="status",
                       y_field="priority"),
            ]}}).raise_for_status().json()
        return board["id"], dashboard["id"], key


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("tessera serve exited early")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("tessera serve did not start")


def shoot(url: str, email: str, password: str, out: Path, agile: tuple[int, int, str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}/signin")
        page.fill("input[name=email]", email)
        page.screenshot(path=str(out / "sign-in.png"))
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/projects")
        page.screenshot(path=str(out / "projects.png"))
        page.click("table.grid a.project-link >> nth=0")
        page.wait_for_selector("#issue-table")
        page.screenshot(path=str(out / "issue-list.png"))
        page.goto(page.url.split("?")[0] + "?category=in_progress")
        page.click("#issue-table td.summary a >> nth=0")
        page.wait_for_selector("#field-summary")
        if page.locator(".comments .comment").count() == 0:
            page.fill("textarea[name=body]", "Picked this up: the fix is in review by Friday.")
            page.click("button:has-text('Save comment')")
            page.wait_for_selector(".comments .comment")
        page.screenshot(path=str(out / "issue-view.png"), full_page=True)
        page.click("#field-summary")
        page.wait_for_selector("form#field-summary")
        page.screenshot(path=str(out / "inline-edit.png"))
        page.goto(f"{url}/issues/new")
        page.fill("input[name=summary]", "Checkout button hidden behind cookie banner")
        page.fill("input[name=labels]", "checkout ui")
        page.screenshot(path=str(out / "create-issue.png"))
        board_id, dashboard_id, project_key = agile
        # Search: the JQL editor with its suggestions open (static/jql.js), then the create dialog on `c`.
        page.goto(f"{url}/search?" + str(httpx.QueryParams({"jql": f"project = {project_key}"})))
        page.wait_for_selector("#jql")
        page.click("#jql")
        page.keyboard.press("End")
        page.keyboard.type(" AND sta")
        page.wait_for_selector("#jql-suggestions:not([hidden]) >> text=status", timeout=15_000)
        page.screenshot(path=str(out / "search.png"))
        page.keyboard.press("Escape")
        page.evaluate("document.activeElement.blur()")  # `c` is ignored while typing in a field
        page.keyboard.press("c")
        page.wait_for_selector("#create-dialog[open] input[name=summary]")
        page.fill("#create-dialog input[name=summary]", "Checkout button hidden behind cookie banner")
        page.screenshot(path=str(out / "create-dialog.png"))
        page.keyboard.press("Escape")
        page.goto(f"{url}/boards/{board_id}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "board.png"))
        page.goto(f"{url}/boards/{board_id}/backlog")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "backlog.png"))
        page.goto(f"{url}/dashboards/{dashboard_id}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "dashboard.png"), full_page=True)
        page.goto(f"{url}/projects/{project_key}/reports?report=cumulative-flow")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "reports.png"))
        # The administration pages (the demo login is the organization's administrator).
        for path, name in (("/admin/users", "admin-users"), (f"/admin/projects/{project_key}", "admin-project"),
                           ("/admin/workflows/default", "workflow"), ("/admin/fields", "admin-fields")):
            page.goto(f"{url}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}.png"))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/screenshots.db"
        run("migrate", "--database-url", database_url)
        demo = seed_demo(database_url)
        token = None
        if demo is None:
            email, password, token = seed_own(database_url)
        else:
            email, password = demo
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(f"{tmp}/serve.log", "w+")  # noqa: SIM115 - closed below
        server = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--database-url", database_url],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_until_up(url, server)
            except SystemExit:
                log.seek(0)
                print(log.read()[-3000:], file=sys.stderr)
                raise
            if token is not None:
                fill_own(url, token)
            shoot(url, email, password, out, plan_agile(url, email, password))
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()
    for png in sorted(out.glob("*.png")):
        print(f"{png}: {png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
