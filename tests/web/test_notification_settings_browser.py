"""/settings/notifications in headless Chromium against a real `tessera serve`: a preference
changed with the mouse is stored (read back through the REST API), and the service worker's
re-registration of a renewed push subscription reaches the server.

Chromium cannot be made to fire `pushsubscriptionchange` (it needs a real push service), so the
test runs the handler's body, sw.js's `resubscribe(old, new)`, inside the registered worker with
a stand-in new subscription: the worker must post it with the CSRF token the page sent it, remove
the old one, and, when it had no token, send it once a page gives it one."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.factories.ports import free_port
from tests.notifications.push.receiver import Browser
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, TESSERA, LiveServer, wait_until_up

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ENDPOINT = "https://push.example.net/wpush/v2/"
STORED_TOKEN = "caches.open('tessera-sw-state').then((c) => c.match('/sw-state/csrf')).then((r) => r && r.text())"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    database_url = f"sqlite:///{tmp_path_factory.mktemp('settings')}/x.db"
    key, password = f"SET{uuid.uuid4().hex[:6].upper()}", "settings-test-password"
    email = f"admin@{key.lower()}.test"
    created = subprocess.run([str(TESSERA), "create-org", key, "--name", "Settings Org", "--admin-email", email,
                              "--admin-password", password, "--admin-name", "Ada Admin", "--json",
                              "--database-url", database_url], capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr[-2000:]
    token = json.loads(created.stdout.strip().splitlines()[-1])["api_token"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--database-url", database_url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(url, process)
        yield LiveServer(url, email, password, token)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(server: LiveServer) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _signed_in(server: LiveServer, browser) -> object:  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.url}/signin")
    page.fill("input[name=email]", server.email)
    page.fill("input[name=password]", server.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/projects")
    return page


def _api(server: LiveServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", headers=server.headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def _eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def test_a_preference_changed_in_the_browser_is_stored(server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = _signed_in(server, browser)
    page.click("a.avatar")  # the user menu leads to the profile, which links to the notification settings
    page.wait_for_url(f"{server.url}/settings/profile")
    page.click("main a[href='/settings/notifications']")
    page.wait_for_url(f"{server.url}/settings/notifications")
    page.uncheck("input[name='channel.email']")
    page.check("input[name='own_changes']")
    page.uncheck("input[name='event.comment_added.inbox']")
    page.select_option("select[name='digest.slack']", "daily")
    page.click("#notification-preferences button[type=submit]")
    page.wait_for_url(f"{server.url}/settings/notifications?saved=1")
    expect(page.locator(".alert-success")).to_contain_text("saved")
    expect(page.locator("input[name='channel.email']")).not_to_be_checked()
    expect(page.locator("input[name='event.issue_created.email']")).not_to_be_checked()  # follows its channel

    stored = _api(server, "GET", "/v2/notifications/preferences").json()
    assert stored["channels"]["email"] is False and stored["own_changes"] is True
    assert stored["digest"] == {"email": "off", "slack": "daily", "push": "off"}
    assert {kind: switches for kind, switches in stored["events"].items() if switches} == {
        "comment_added": {"inbox": False}}
    page.context.close()


def test_the_service_worker_registers_a_renewed_subscription(server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = _signed_in(server, browser)
    context = page.context
    old = Browser(ENDPOINT + "old").subscription
    assert _api(server, "POST", "/v2/push/subscriptions", json=old).status_code == 201
    page.evaluate("navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)")
    page.goto(f"{server.url}/settings/notifications")  # the page's bell.js hands the worker its token
    csrf = page.locator("#bell").get_attribute("data-csrf")
    _eventually(lambda: page.evaluate(STORED_TOKEN) == csrf)
    [worker] = context.service_workers

    renewed = Browser(ENDPOINT + "renewed").subscription
    sent = worker.evaluate("(sub) => resubscribe({endpoint: sub.old}, {toJSON: () => sub.renewed})",
                           {"old": old["endpoint"], "renewed": renewed})
    assert sent is True
    endpoints = lambda: [s["endpoint"] for s in _api(server, "GET", "/v2/push/subscriptions").json()[  # noqa: E731
        "subscriptions"]]
    assert endpoints() == [renewed["endpoint"]]  # the new one registered, the old one removed

    # Without a token (say the worker started after the session changed) the server refuses it;
    # the worker keeps it and sends it with the token of the next page.
    worker.evaluate("remember(CSRF_KEY, null)")
    again = Browser(ENDPOINT + "again").subscription
    sent = worker.evaluate("(sub) => resubscribe({endpoint: sub.old}, {toJSON: () => sub.again})",
                           {"old": renewed["endpoint"], "again": again})
    assert sent is False and endpoints() == [renewed["endpoint"]]
    page.reload()
    _eventually(lambda: endpoints() == [again["endpoint"]])
    assert worker.evaluate("recall(UNSENT_KEY)") is None
    context.close()
