"""The bell in every signed-in page's top bar, the /notifications page, and /sw.js (the Web Push
service worker) served from the root with a script type; signed out there is no bell."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_every_signed_in_page_has_the_bell(web: TestClient, csrf: str, project: dict) -> None:
    page = web.get("/projects")
    assert page.status_code == 200
    assert 'id="bell"' in page.text and f'data-csrf="{csrf}"' in page.text
    assert '<script src="/static/bell.js" defer></script>' in page.text
    assert 'href="/notifications"' in page.text and "Mark all read" in page.text


def test_the_notifications_page(web: TestClient, csrf: str) -> None:
    page = web.get("/notifications")
    assert page.status_code == 200
    assert 'id="notification-page"' in page.text and "<h1>Notifications</h1>" in page.text
    assert "bell-button active" in page.text


def test_signed_out_there_is_no_bell_and_the_page_asks_to_sign_in(web: TestClient) -> None:
    signin = web.get("/signin")
    assert 'id="bell"' not in signin.text and "bell.js" not in signin.text
    page = web.get("/notifications", follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/signin")


def test_the_service_worker_is_served_from_the_root(web: TestClient) -> None:
    worker = web.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/" and worker.headers["cache-control"] == "no-cache"
    assert 'addEventListener("push"' in worker.text and 'addEventListener("notificationclick"' in worker.text
    # A renewed subscription is registered again (tests/web/test_notification_settings_browser.py
    # runs the re-registration in Chromium, which cannot fire the event itself).
    assert 'addEventListener("pushsubscriptionchange"' in worker.text and "applicationServerKey" in worker.text
    assert '"/v2/push/subscriptions"' in worker.text and 'addEventListener("message"' in worker.text
    assert web.get("/static/bell.js").status_code == 200
