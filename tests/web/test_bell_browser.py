"""The bell in headless Chromium against a real `tessera serve`: the unread count goes up live
when an entry reaches the signed-in user's inbox, not when one reaches someone else's, and the
service worker registers at the root scope.

The entry is added as the notification fan-out adds it, from another process (a `tessera worker`):
in one unit of work with its NotificationAdded event, published through Redis to the server
(tests/factories/notifications.py, the one place to swap for the inbox's own service)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
import redis

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.live.publisher import LivePublisher
from tests.factories.notifications import add_notification_async
from tests.factories.servers import serve
from tests.support import REDIS_URL, fresh_sqlite_database, make_org
from tests.web.browser import require_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass(frozen=True)
class BellServer:
    url: str
    settings: Settings  # the worker's view: the same database, Redis and channel prefix
    organization_id: int
    admin_user_id: int
    email: str
    password: str
    token: str


@pytest.fixture(scope="module")
def bell_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BellServer]:
    require_browser()
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    with fresh_sqlite_database(str(tmp_path_factory.mktemp("bell"))) as database_url:
        password = "bell-test-password"
        org = make_org(database_url, password=password, admin_name="Ada Admin")
        prefix = f"bell-{uuid.uuid4().hex[:8]}"
        with serve(database_url, tmp_path_factory.mktemp("bell-serve"), extra_args=["--redis-url", REDIS_URL],
                   env={"TESSERA_LIVE_CHANNEL_PREFIX": prefix}) as url:
            yield BellServer(url, Settings(database_url=database_url, redis_url=REDIS_URL, live_channel_prefix=prefix),
                             org.organization_id, org.admin_user_id, org.admin_email, password, org.token)


def add_entry(server: BellServer, *, user_id: int, notification_id: int, unread: int,
              organization_id: int | None = None) -> None:
    """An inbox entry committed by "the worker": its own database connection and publisher."""
    async def run() -> None:
        database = Database(server.settings)
        publisher = LivePublisher.attach(server.settings, database)
        assert publisher is not None
        await publisher.start()
        try:
            await add_notification_async(database, organization_id=organization_id or server.organization_id,
                                         user_id=user_id, notification_id=notification_id, unread=unread)
        finally:
            await publisher.stop()
            await database.dispose()

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, run()).result(timeout=30)


def test_the_bell_counts_up_live_for_the_signed_in_user_only(bell_server: BellServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = bell_server.url
    other = httpx.post(f"{base}/v2/users", headers={"Authorization": f"Bearer {bell_server.token}"},
                       json={"email": f"bea-{uuid.uuid4().hex[:6]}@example.test", "name": "Bea", "password": "x" * 12})
    assert other.status_code == 201, other.text
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/signin")
    page.fill("input[name=email]", bell_server.email)
    page.fill("input[name=password]", bell_server.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/projects")
    count = page.locator("#bell .bell-count")
    expect(count).to_be_hidden()
    expect(page.locator("#bell.connected")).to_be_attached()  # the user stream is open and subscribed

    add_entry(bell_server, user_id=bell_server.admin_user_id, notification_id=1, unread=1)
    expect(count).to_be_visible()
    expect(count).to_have_text("1")
    add_entry(bell_server, user_id=other.json()["id"], notification_id=2, unread=7)  # Bea's, not mine
    add_entry(bell_server, user_id=bell_server.admin_user_id, notification_id=3, unread=2)
    expect(count).to_have_text("2")  # had Bea's reached me it would have shown 7 first (commit order)
    assert page.locator("#bell").get_attribute("data-unread") == "2"

    page.click("#bell .bell-button")
    expect(page.locator("#bell .bell-panel")).to_be_visible()
    expect(page.locator("#bell .bell-panel")).to_contain_text("Mark all read")
    page.keyboard.press("Escape")
    expect(page.locator("#bell .bell-panel")).to_be_hidden()

    # The count survives navigation: the next page's bell starts from the inbox and listens again.
    page.goto(f"{base}/notifications")
    expect(page.locator("#bell.connected")).to_be_attached()
    add_entry(bell_server, user_id=bell_server.admin_user_id, notification_id=4, unread=3)
    expect(count).to_have_text("3")

    scope = page.evaluate("navigator.serviceWorker.register('/sw.js').then((registration) => registration.scope)")
    assert scope == f"{base}/"
    page.close()


def test_the_dropdown_lists_the_inbox_marks_all_read_and_polls_without_a_socket(
        bell_server: BellServer, browser) -> None:  # type: ignore[no-untyped-def]
    """The inbox API (GET /v2/notifications, POST /v2/notifications/read-all) is served here by a
    stand-in answering its documented shape, until the inbox lands; the socket is refused so the
    bell must poll."""
    from playwright.sync_api import expect

    base = bell_server.url
    inbox = {"unread": 1, "notifications": [
        {"id": 11, "read": False, "issue": {"key": "SHOP-1", "summary": "Cart total ignores coupon"},
         "event": "status_changed", "actor": {"display_name": "Bea"}, "created": "2026-01-01T11:55:00Z"},
        {"id": 10, "read": True, "issue": {"key": "SHOP-2", "summary": "Typo on checkout"},
         "event": "comment_added", "created": "2026-01-01T09:00:00Z"}]}
    read_all_headers: list[dict] = []

    def serve_inbox(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.method == "POST" and route.request.url.endswith("/read-all"):
            read_all_headers.append(route.request.headers)
            inbox["unread"] = 0
            for entry in inbox["notifications"]:
                entry["read"] = True
            route.fulfill(status=204)
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(inbox))

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.clock.install(time="2026-01-01T12:00:00Z")
    page.route(f"{base}/v2/notifications?**", serve_inbox)
    page.route(f"{base}/v2/notifications/read-all", serve_inbox)
    page.route_web_socket(f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/v2/notifications/live**",
                          lambda socket: socket.close(code=1011, reason="down"))
    page.goto(f"{base}/signin")
    page.fill("input[name=email]", bell_server.email)
    page.fill("input[name=password]", bell_server.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/projects")
    count = page.locator("#bell .bell-count")
    expect(count).to_have_text("1")

    page.click("#bell .bell-button")
    entries = page.locator("#bell .notification")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("SHOP-1 Cart total ignores coupon")
    expect(entries.nth(0)).to_contain_text("Bea changed the status")
    expect(entries.nth(0)).to_contain_text("5 minutes ago")
    expect(entries.nth(1)).to_contain_text("Commented")
    assert entries.nth(0).locator("a").get_attribute("href") == "/browse/SHOP-1"
    expect(page.locator("#bell .notification.unread")).to_have_count(1)
    page.click("#bell .read-all")
    expect(count).to_be_hidden()
    expect(page.locator("#bell .notification.unread")).to_have_count(0)
    assert read_all_headers and read_all_headers[0].get("x-csrf-token")

    # No socket: the bell polls the inbox instead.
    inbox["unread"] = 4
    page.clock.run_for(31_000)
    expect(count).to_have_text("4")
    expect(page.locator("#bell.connected")).to_have_count(0)
    context.close()
