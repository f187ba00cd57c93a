"""The board and the backlog in headless Chromium against a real `tessera serve` (one server for
the module): drag a card to another column (the transition runs), a refusal puts it back with
the reason, the transition's screen as a dialog (Esc cancels, focus returns to the card), rank
within a column, keyboard-only moves, two people seeing each other's moves live; on the backlog
page, drag an issue into a sprint, then start and complete the sprint."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.agile.test_card_moves import REVIEWED
from tests.web.browser import LiveServer, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def api(server: LiveServer, method: str, path: str, **kwargs: object) -> dict:
    response = httpx.request(method, f"{server.url}{path}", headers=server.headers, timeout=10, **kwargs)  # type: ignore[arg-type]
    assert response.status_code < 300, response.text
    return response.json() if response.content else {}


def _box(locator) -> dict:  # type: ignore[no-untyped-def]
    """Where the element is on screen. The board re-renders its columns when a move's event
    arrives (live), and an element caught between the old columns and the new has no box yet."""
    deadline = time.monotonic() + 10
    while True:
        locator.wait_for(state="visible")
        box = locator.bounding_box()
        if box is not None:
            return box
        assert time.monotonic() < deadline, f"{locator} has no box on screen"
        time.sleep(0.05)


def drag(page, source, target, *, top: bool = False) -> None:  # type: ignore[no-untyped-def]
    """A mouse drag as a person makes it (SortableJS follows mouse moves), dropped on the lower
    part of `target` (the end of a column) or, with `top`, on its upper part (above a card)."""
    start, end = _box(source), _box(target)
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    x, y = end["x"] + end["width"] / 2, end["y"] + (6 if top else end["height"] - 6)
    for step in range(1, 11):
        page.mouse.move(start["x"] + start["width"] / 2 + (x - start["x"] - start["width"] / 2) * step / 10,
                        start["y"] + 12 + (y - start["y"] - 12) * step / 10)
    page.mouse.up()


def status_of(server: LiveServer, key: str) -> str:
    return api(server, "GET", f"/v2/issues/{key}")["status"]["name"]


@pytest.fixture(scope="module")
def board(live_server: LiveServer) -> dict:
    """A Kanban board over the reviewed workflow (no conditions): Send to check has a screen."""
    api(live_server, "POST", "/v2/workflows", json={**REVIEWED, "transitions": [
        {**t, "conditions": []} for t in REVIEWED["transitions"]]})
    return api(live_server, "POST", "/v2/boards", json={
        "name": "Flow", "type": "kanban", "project_id": "SHOP", "columns": [
            {"name": "Todo", "status_ids": ["Open"]}, {"name": "Doing", "status_ids": ["Active"], "max": 1},
            {"name": "Checking", "status_ids": ["Checking"]}, {"name": "Elsewhere", "status_ids": ["Won't Do"]}]})


def test_cards_move_by_mouse_and_keyboard(live_server: LiveServer, browser, board: dict) -> None:
    from playwright.sync_api import expect

    a, b, c = (api(live_server, "POST", "/v2/issues", json={
        "project_id": "SHOP", "issue_type": "Task", "summary": name, "workflow_id": "reviewed"})["key"]
        for name in ("Alpha", "Bravo", "Charlie"))
    page = signed_in_page(browser, live_server, live_server.email, live_server.password)
    page.goto(f"{live_server.url}/boards/{board['id']}")
    column = {name: page.locator(f"[data-column-name='{name}']") for name in ("Todo", "Doing", "Checking", "Elsewhere")}
    expect(page.locator("#board-body[data-live=connected]")).to_be_attached()

    drag(page, page.locator(f"#card-{a}"), column["Doing"])
    expect(column["Doing"].locator(f"#card-{a}")).to_be_attached()
    expect(page.locator("#board-announce")).to_have_text(f"{a} moved to Doing, position 1.")
    assert status_of(live_server, a) == "Active"
    expect(page.locator("[data-column-name='Doing'][data-wip='']")).to_be_attached()  # at the limit, not over

    # Refused (no transition leads there): the card goes back and the reason shows.
    drag(page, page.locator(f"#card-{b}"), column["Elsewhere"])
    expect(page.locator("#flash .alert-error")).to_contain_text("No transition")
    expect(column["Todo"].locator(f"#card-{b}")).to_be_attached()
    assert status_of(live_server, b) == "Open"

    # Rank within a column: Charlie dropped above Bravo.
    drag(page, page.locator(f"#card-{c}"), page.locator(f"#card-{b}"), top=True)
    expect(page.locator("#board-announce")).to_contain_text(f"{c} moved to Todo")
    todo = [card["key"] for card in api(live_server, "GET", f"/v2/boards/{board['id']}/issues")["columns"][0]["issues"]]
    assert todo == [key for key in page.locator("[data-column-name='Todo'] .board-card").evaluate_all(
        "cards => cards.map(card => card.dataset.key)")]
    assert todo.index(c) < todo.index(b)

    # Keyboard only: focus, Shift+Right moves to the next column (over the WIP limit now).
    page.locator(f"#card-{b}").focus()
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#board-announce")).to_have_text(f"{b} moved to Doing.")
    assert status_of(live_server, b) == "Active"
    expect(page.locator("[data-column-name='Doing'][data-wip='max']")).to_be_attached()  # refreshed live
    expect(page.locator(f"#card-{b}")).to_be_focused()
    page.keyboard.press("Shift+ArrowUp")  # rank above Alpha
    expect(page.locator("#board-announce")).to_have_text(f"{b} moved to Doing, position 1.")

    # The screen of Send to check: Esc cancels (the card returns, focus too); then filled in.
    page.locator(f"#card-{b}").focus()
    page.keyboard.press("Shift+ArrowRight")
    dialog = page.locator("dialog.move-screen")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[name='field.due_date']")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(column["Doing"].locator(f"#card-{b}")).to_be_attached()
    expect(page.locator(f"#card-{b}")).to_be_focused()
    page.keyboard.press("Shift+ArrowRight")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".screen-error")).to_contain_text("due_date")  # the validator, in the dialog
    dialog.locator("input[name='field.due_date']").fill("2030-01-31")
    dialog.locator("input[name='field.labels']").fill("ready")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#board-announce")).to_have_text(f"{b} moved to Checking.")
    assert status_of(live_server, b) == "Checking"
    page.context.close()


def test_two_people_see_each_others_moves_live(live_server: LiveServer, browser, board: dict) -> None:
    from playwright.sync_api import expect

    email, password = f"cy-{uuid.uuid4().hex[:6]}@example.test", "cy-password-123"
    api(live_server, "POST", "/v2/users", json={"email": email, "name": "Cy Colleague", "password": password})
    key = api(live_server, "POST", "/v2/issues", json={
        "project_id": "SHOP", "issue_type": "Task", "summary": "Shared", "workflow_id": "reviewed"})["key"]
    ada = signed_in_page(browser, live_server, live_server.email, live_server.password)
    cy = signed_in_page(browser, live_server, email, password)
    for page in (ada, cy):
        page.goto(f"{live_server.url}/boards/{board['id']}")
        expect(page.locator("#board-body[data-live=connected]")).to_be_attached()
    cy.locator(f"#card-{key}").focus()
    cy.keyboard.press("Shift+ArrowRight")
    expect(ada.locator(f"[data-column-name='Doing'] #card-{key}")).to_be_attached()
    first = ada.locator("[data-column-name='Doing'] .board-card").first
    assert first.get_attribute("data-key") != key
    drag(ada, ada.locator(f"#card-{key}"), first, top=True)  # ranked first: Cy sees the new order
    expect(cy.locator("[data-column-name='Doing'] .board-card").first).to_have_attribute("data-key", key)
    api(live_server, "PUT", f"/v2/issues/{key}", json={"summary": "Shared and renamed"})  # an edit shows too
    expect(cy.locator(f"#card-{key}")).to_contain_text("Shared and renamed")
    ada.context.close()
    cy.context.close()


def test_backlog_planning_and_the_sprint_lifecycle(live_server: LiveServer, browser) -> None:
    from playwright.sync_api import expect

    scrum = api(live_server, "POST", "/v2/boards", json={"name": "Team", "type": "scrum", "project_id": "SHOP"})
    sprint = api(live_server, "POST", f"/v2/boards/{scrum['id']}/sprints", json={"name": "Sprint A"})
    keys = [api(live_server, "POST", "/v2/issues", json={
        "project_id": "SHOP", "issue_type": "Story", "summary": f"Plan {n}",
        "custom_fields": {"story_points": 3}})["key"] for n in range(2)]
    page = signed_in_page(browser, live_server, live_server.email, live_server.password)
    page.goto(f"{live_server.url}/boards/{scrum['id']}/backlog")
    sprint_list = page.locator(f"[data-list='{sprint['id']}']")
    expect(page.locator(f"[data-totals='{sprint['id']}']")).to_have_text("0 issues · 0 points")

    drag(page, page.locator(f"#plan-{keys[0]}"), sprint_list)
    expect(sprint_list.locator(f"#plan-{keys[0]}")).to_be_attached()
    expect(page.locator(f"[data-totals='{sprint['id']}']")).to_have_text("1 issue · 3 points")
    found = api(live_server, "GET", f"/v2/sprints/{sprint['id']}/issues")
    assert [i["key"] for i in found["issues"]] == [keys[0]]
    page.locator(f"#plan-{keys[1]}").focus()  # the keyboard: Shift+PageUp into the list above
    page.keyboard.press("Shift+PageUp")
    expect(page.locator("#backlog-announce")).to_have_text(f"{keys[1]} moved to Sprint A, position 1.")
    expect(page.locator(f"[data-totals='{sprint['id']}']")).to_have_text("2 issues · 6 points")

    opener = page.locator(f"[data-dialog='sprint-{sprint['id']}-start']")
    opener.click()
    start = page.locator(f"#sprint-{sprint['id']}-start")
    expect(start).to_be_visible()
    page.keyboard.press("Escape")  # closes, focus back on the button
    expect(start).to_be_hidden()
    expect(opener).to_be_focused()
    opener.click()
    start.locator("textarea[name=goal]").fill("Ship the cart")
    start.locator("button[type=submit]").click()
    expect(page.locator(f"#sprint-{sprint['id']} .lozenge")).to_have_text("Active")
    assert api(live_server, "GET", f"/v2/sprints/{sprint['id']}")["goal"] == "Ship the cart"

    page.locator(f"[data-dialog='sprint-{sprint['id']}-complete']").click()
    complete = page.locator(f"#sprint-{sprint['id']}-complete")
    complete.locator("select[name=move_open_issues_to]").select_option("backlog")
    complete.locator("button[type=submit]").click()
    expect(page.locator(f"#sprint-{sprint['id']}")).to_have_count(0)
    expect(page.locator(f"[data-list='backlog'] #plan-{keys[0]}")).to_be_attached()
    assert api(live_server, "GET", f"/v2/sprints/{sprint['id']}")["state"] == "closed"
    page.context.close()
