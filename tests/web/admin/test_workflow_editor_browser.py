"""Administration journeys in headless Chromium against a real `tessera serve`: an admin edits a
workflow's transition rules (a refused params document shown at the transition, then a good
one), removes a status that holds an issue and publishes with a status mapping (asked for at
the publish button, the issue then in the chosen status); creates a custom field with options
for one project, and a workflow scheme mapping an issue type; no page breaks its
Content-Security-Policy."""

from __future__ import annotations

import httpx
import pytest

from tests.web.browser import LiveServer, csp_watch, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_edit_rules_remove_a_status_and_publish_with_a_mapping(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, h = live_server.url, live_server.headers
    issue = httpx.post(f"{base}/v2/issues", headers=h, timeout=30, json={
        "project_id": "SHOP", "issue_type": "Task", "summary": "Waiting for review"}).json()
    moved = httpx.post(f"{base}/v2/issues/{issue['id']}/transitions/41", headers=h, timeout=30, json={})
    assert moved.status_code == 200, moved.text
    page = signed_in_page(browser, live_server, live_server.email, live_server.password)
    reports = csp_watch(page)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{base}/admin/workflows/default")
    page.click("#rules-31 summary")
    validators = page.locator("#rules-31 form.rule-form").nth(1)
    validators.locator("select[name=type]").select_option("field_required")
    validators.locator("input[name=params]").fill('{"fields": [comment')
    validators.locator("button[type=submit]").click()
    expect(page.locator("#rules-31 .alert-error")).to_contain_text("The params are not JSON")
    validators = page.locator("#rules-31 form.rule-form").nth(1)
    expect(validators.locator("input[name=params]")).to_have_value('{"fields": [comment')  # kept for another try
    validators.locator("input[name=params]").fill('{"fields": ["comment"]}')
    validators.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Saved in the draft")
    page.click("#rules-31 summary")
    expect(page.locator("#rules-31-validators")).to_contain_text("field_required")

    page.select_option("#remove-status-form select[name=name]", "In Review")
    page.click("#remove-status-form button[type=submit]")
    expect(page.locator("svg#workflow-diagram g.wf-status[data-status='In Review']")).to_have_count(0)
    mapping = page.locator("#publish-form select[name='map:In Review']")
    expect(page.locator("#publish-form")).to_contain_text("1 issue in In Review go to")
    page.click("#publish-form button[type=submit]")
    expect(page.locator("#publish-form .field-error")).to_contain_text("map it to one of its statuses")
    mapping = page.locator("#publish-form select[name='map:In Review']")
    mapping.select_option("In Progress")
    page.click("#publish-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("The draft is published.")
    status = httpx.get(f"{base}/v2/issues/{issue['id']}", headers=h, timeout=30).json()["status"]["name"]
    assert status == "In Progress"
    assert reports == [], reports
    page.context.close()


def test_a_custom_field_and_a_workflow_scheme(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    page = signed_in_page(browser, live_server, live_server.email, live_server.password)
    reports = csp_watch(page)
    page.goto(f"{base}/admin/users")
    page.click("aside >> text=Custom fields")
    expect(page.locator("#field-list")).to_contain_text("Story Points")
    page.fill("#field-form input[name=name]", "Customer tier")
    page.select_option("#field-form select[name=field_type]", "select")
    page.click("#field-form button[type=submit]")
    expect(page.locator("#field-form .field-error")).to_contain_text("at least one option")
    expect(page.locator("#field-form input[name=name]")).to_have_value("Customer tier")
    page.fill("#field-form textarea[name=options]", "Gold\nSilver")
    page.check("#field-form label:has-text('(SHOP)') input")
    page.click("#field-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("The custom field is created.")
    expect(page.locator("#option-list")).to_contain_text("Silver")
    page.fill("#field-options input[name=value]", "Bronze")
    page.click("#field-options button[type=submit]")
    expect(page.locator("#option-list li")).to_have_count(3)

    page.click("aside >> text=Workflow schemes")
    page.fill("#scheme-form input[name=name]", "Bugs apart")
    page.click("#scheme-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("The workflow scheme is created.")
    bug = page.locator("#scheme-mappings tr", has_text="Bug").first.locator("select")
    bug.select_option(index=2)
    page.click("#scheme-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("The workflow scheme is saved.")
    page.click("aside >> text=Workflow schemes")
    expect(page.locator("#scheme-list tr", has_text="Bugs apart")).to_contain_text("1")
    assert reports == [], reports
    page.context.close()
