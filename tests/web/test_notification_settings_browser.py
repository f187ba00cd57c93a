"""/settings/notifications in headless Chromium against a real `tessera serve`: a preference
changed with the mouse is stored (read back through the REST API), and the service worker's
re-registration of a renewed push subscription reaches the server.

Chromium cannot be made to fire `pushsubscriptionchange` (it needs a real push service), so the
test runs the handler's body, sw.js's `resubscribe(old, new)`, inside the registered worker with
a stand-in new subscription: the worker must post it with the CSRF token the page sent it, remove
the old one, and, when it had no token, send it once a page gives it one."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.notifications.push.receiver import Browser
from tests.web.browser import LiveServer, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ENDPOINT = "https://push.example.net/wpush/v2/"
STORED_TOKEN = "caches.open('tessera-sw-state').then((c) => c.match('/sw-state/csrf')).then((r) => r && r.text())"


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    return live_server


def _api(server: LiveServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", headers=server.headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def _eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def test_a_preference_changed_in_the_browser_is_stored(server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = signed_in_page(browser, server)
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
    page = signed_in_page(browser, server)
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
