"""The profile page in headless Chromium against a real `tessera serve`: from the avatar, create
an API token (shown once, copied with its button), use it, then revoke it, dismissing the
confirmation once (nothing happens) and accepting it; the token is refused from then on."""

from __future__ import annotations

import httpx
import pytest

from tests.web.browser import LiveServer, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_create_copy_and_revoke_a_token(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    page = signed_in_page(browser, live_server,
                          context_options={"permissions": ["clipboard-read", "clipboard-write"]})

    page.click("header .avatar")
    page.wait_for_url(f"{base}/settings/profile")
    expect(page.locator("#session-list")).to_contain_text("this browser")
    page.fill("#token-form input[name=name]", "Deploy script")
    page.select_option("#token-form select[name=expires]", "365")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#new-token")).to_contain_text("not shown again")
    secret = page.locator("#new-token-secret").inner_text()
    page.click("button[data-copy=new-token-secret]")
    expect(page.locator("button[data-copy=new-token-secret]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret

    bearer = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{base}/v2/myself", headers=bearer, timeout=10).json()["email"] == live_server.email
    page.goto(f"{base}/settings/profile")  # not a reload: that would post the form again
    row = page.locator("#token-list tr", has_text="Deploy script")
    expect(row).to_contain_text("just now")  # its last use
    assert page.locator("#new-token").count() == 0  # shown once

    page.once("dialog", lambda dialog: dialog.dismiss())
    row.locator("button:has-text('Revoke')").click()
    expect(row).to_be_visible()
    assert httpx.get(f"{base}/v2/myself", headers=bearer, timeout=10).status_code == 200

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Revoke')").click()
    expect(page.locator("[role=status]")).to_contain_text("The token is revoked")
    expect(page.locator("#tokens")).not_to_contain_text("Deploy script")
    assert httpx.get(f"{base}/v2/myself", headers=bearer, timeout=10).status_code == 401
    page.context.close()
