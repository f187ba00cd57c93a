"""The Git connections page in headless Chromium against a real `tessera serve`: an admin connects
a GitLab repository (the secret shown once, copied with its button), sets a pull request rule,
rotates the secret and deletes the connection, confirming each dialog; each step is read back
through the REST API, and the events URL accepts what is signed with the secret shown."""

from __future__ import annotations

import httpx
import pytest

from tests.integrations.git import hosts
from tests.web.browser import LiveServer, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _api(server: LiveServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", headers=server.headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def _push(server: LiveServer, connection_id: int, secret: str) -> int:
    body, headers = hosts.signed("gitlab", secret, "Push Hook", hosts.gitlab_push("no key here"))
    return httpx.post(f"{server.url}/v2/integrations/git/{connection_id}/events", content=body, headers=headers,
                      timeout=10).status_code


def test_create_edit_rotate_delete(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    page = signed_in_page(browser, live_server,
                          context_options={"permissions": ["clipboard-read", "clipboard-write"]})

    page.click("header >> text=Administration")
    page.click("aside.sidenav >> text=Git & CI")
    page.wait_for_url(f"{base}/settings/integrations/git")
    page.select_option("select[name=provider]", "gitlab")
    page.fill("#new-git-connection input[name=name]", "Shop on GitLab")
    page.fill("#new-git-connection input[name=repository]", "acme/web")
    page.click("#new-git-connection button[type=submit]")
    expect(page.locator("#secret-shown")).to_contain_text("not shown again")
    expect(page.locator("#git-setup")).to_contain_text("Secret token")
    secret = page.locator("#git-secret").inner_text()
    page.click("button[data-copy=git-secret]")
    expect(page.locator("button[data-copy=git-secret]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    [connection] = _api(live_server, "GET", "/v2/integrations/git").json()["connections"]
    assert (connection["provider"], connection["name"], connection["repository"]) == ("gitlab", "Shop on GitLab",
                                                                                      "acme/web")
    assert page.locator("#git-url").inner_text() == connection["webhook_url"]
    assert _push(live_server, connection["id"], secret) == 200

    page.fill("input[name='rule.SHOP.merged']", "Done")
    page.click("#git-connection-form button[type=submit]")
    page.wait_for_url(f"{base}/settings/integrations/git/{connection['id']}?saved=1")
    expect(page.locator(".alert-success")).to_contain_text("saved")
    assert _api(live_server, "GET", f"/v2/integrations/git/{connection['id']}").json()["rules"] == [
        {"project": "SHOP", "on": "merged", "transition": "Done"}]

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Rotate secret')")
    expect(page.locator("#secret-shown")).to_contain_text("rotated")
    rotated = page.locator("#git-secret").inner_text()
    assert rotated != secret
    assert _push(live_server, connection["id"], secret) == 401 and _push(live_server, connection["id"], rotated) == 200

    page.goto(f"{base}/settings/integrations/git")
    expect(page.locator("table.git-connections")).to_contain_text("just now")  # the last event received
    page.click("text=Shop on GitLab")
    page.once("dialog", lambda dialog: dialog.dismiss())  # a dismissed confirmation deletes nothing
    page.click("button:has-text('Delete connection')")
    assert len(_api(live_server, "GET", "/v2/integrations/git").json()["connections"]) == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Delete connection')")
    page.wait_for_url(f"{base}/settings/integrations/git?deleted=1")
    expect(page.locator(".alert-success")).to_contain_text("deleted")
    assert _api(live_server, "GET", "/v2/integrations/git").json()["connections"] == []
    page.context.close()
