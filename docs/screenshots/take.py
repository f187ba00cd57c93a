"""Screenshots of the web UI for the docs: sign-in, issue list, issue view, create form.

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


def shoot(url: str, email: str, password: str, out: Path) -> None:
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
            shoot(url, email, password, out)
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()
    for png in sorted(out.glob("*.png")):
        print(f"{png}: {png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
