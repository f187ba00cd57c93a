"""The administration journey in headless Chromium against a real `tessera serve`: from the
top bar's Administration entry an admin creates a project (a refused key first, shown at its
field), adds a component, invites a user who joins through the link in a second browser,
views the project's workflow diagram and adds a status to it (a draft, then published); no
page breaks its Content-Security-Policy."""

from __future__ import annotations

import pytest

# The same server and browser fixtures as the main journey's (each module gets its own server).
from tests.web.browser import LiveServer, csp_watch, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_create_a_project_invite_someone_and_see_the_workflow(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    page = signed_in_page(browser, live_server, live_server.email, live_server.password)
    reports = csp_watch(page)

    page.click("header >> text=Administration")
    expect(page).to_have_url(f"{base}/admin/users")
    page.click("aside >> text=Projects")
    page.click("main >> text=Create project")
    page.fill("#project-form input[name=name]", "Mobile app")
    page.fill("#project-form input[name=key]", "9MOB")
    page.select_option("#project-form select[name=project_type]", "software")
    page.click("#project-form button[type=submit]")
    expect(page.locator("#create-key-error")).to_contain_text("A project key is 2-10")
    expect(page.locator("#project-form input[name=name]")).to_have_value("Mobile app")  # nothing lost
    page.fill("#project-form input[name=key]", "MOB")
    page.click("#project-form button[type=submit]")
    expect(page).to_have_url(f"{base}/admin/projects/MOB?done=created")
    expect(page.locator("h1")).to_contain_text("Mobile app")
    page.fill("#component-form input[name=name]", "iOS")
    page.click("#component-form button[type=submit]")
    expect(page.locator("#components table")).to_be_visible()
    expect(page.locator("#components input[name=name]").first).to_have_value("iOS")

    page.click("aside >> text=Users")
    page.fill("#invite-form input[name=email]", "ines@example.test")
    page.fill("#invite-form input[name=name]", "Ines")
    page.click("#invite-form button[type=submit]")
    expect(page.locator("#invitation")).to_contain_text("ines@example.test is invited")
    link = page.locator("#invitation-link").inner_text()
    expect(page.locator("#user-list")).to_contain_text("Invited")

    guest = browser.new_context().new_page()
    guest.set_default_timeout(10_000)
    guest_reports = csp_watch(guest)
    guest.goto(link)
    expect(guest.locator("h1")).to_contain_text("Join")
    guest.fill("input[name=name]", "Ines Invited")
    guest.fill("input[name=password]", "a good long password")
    guest.fill("input[name=confirm_password]", "a good long password")
    guest.click("button[type=submit]")
    expect(guest).to_have_url(f"{base}/projects")
    expect(guest.locator("table.grid")).to_contain_text("Mobile app")
    expect(guest.locator("header")).not_to_contain_text("Administration")  # a member
    guest.context.close()

    page.reload()
    expect(page.locator("#user-list")).to_contain_text("Ines Invited")
    page.click("aside >> text=Workflows")
    row = page.locator("#project-workflows tr", has_text="Mobile app")
    row.locator("td a").nth(1).click()
    diagram = page.locator("svg#workflow-diagram")
    expect(diagram).to_be_visible()
    assert diagram.locator("g.wf-status").count() >= 3
    assert diagram.locator("g.wf-edge").count() >= 1
    box = diagram.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 100
    # An edit goes into a draft, shown with the new status, then published.
    page.fill("#status-form input[name=name]", "Awaiting QA")
    page.select_option("#status-form select[name=category]", "in_progress")
    page.click("#status-form button[type=submit]")
    expect(page.locator("svg#workflow-diagram g.wf-status[data-status='Awaiting QA']")).to_be_visible()
    page.click("#draft-bar button:has-text('Publish the draft')")
    expect(page.locator(".alert-success")).to_contain_text("The draft is published.")
    expect(page.locator("svg#workflow-diagram g.wf-status[data-status='Awaiting QA']")).to_be_visible()
    assert reports == [] and guest_reports == [], (reports, guest_reports)
    page.context.close()
