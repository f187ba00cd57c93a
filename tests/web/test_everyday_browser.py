"""Everyday work in headless Chromium against a real `tessera serve`: the JQL editor's
autocomplete (an ARIA combobox driven by the keyboard) and its errors marked in place; the
create dialog `c` opens anywhere (focus in, refusal in place with the input kept, Esc restores
focus, success opens the issue); j/k/o through an issue list, `/` and `?`; @mentions in a comment;
files dropped and pasted onto an issue; an avatar uploaded and shown in the header. No journey
trips the Content-Security-Policy or throws a script error."""

from __future__ import annotations

import re
import struct
import zlib

import httpx
import pytest

from tests.web.browser import LiveServer, csp_watch, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _issue(server: LiveServer, summary: str, **extra: object) -> dict:
    response = httpx.post(f"{server.url}/v2/issues", headers=server.headers, timeout=30,
                          json={"project_id": "SHOP", "issue_type": "Task", "summary": summary, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x00\x80\xff" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_the_jql_editor_suggests_by_keyboard_and_marks_errors(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    _issue(live_server, "Checkout is slow", priority="High")
    page = signed_in_page(browser, live_server)
    reports = csp_watch(page)
    page.goto(f"{live_server.url}/search?jql=")
    editor = page.locator("#jql")
    listbox = page.locator("#jql-suggestions")
    editor.click()
    editor.press_sequentially("proj")
    expect(editor).to_have_attribute("aria-expanded", "true")
    expect(listbox.locator("[role=option]").first).to_contain_text("project")
    first_id = listbox.locator("[role=option]").first.get_attribute("id")
    expect(editor).to_have_attribute("aria-activedescendant", first_id or "")
    editor.press("Enter")  # accepts the field
    expect(editor).to_have_value("project ")
    expect(listbox.locator("[role=option]").first).to_have_text(re.compile("^=\\s*operator"))
    editor.press("ArrowDown")  # the second operator: !=
    expect(listbox.locator("[aria-selected=true]")).to_contain_text("!=")
    editor.press("ArrowUp")
    editor.press("Tab")  # Tab accepts too
    expect(editor).to_have_value("project = ")
    editor.press_sequentially("SH")  # values come from the API: the project by its key
    expect(listbox.locator("[role=option]").first).to_contain_text("Storefront (SHOP)")
    editor.press("Enter")
    expect(editor).to_have_value("project = SHOP ")
    expect(listbox.locator("[role=option]").first).to_have_text(re.compile("^AND"))
    editor.press("Escape")
    expect(editor).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    editor.press("Enter")  # nothing offered: Enter searches
    page.wait_for_url(re.compile(r"/search\?jql=project"))
    expect(page.locator("#search-results")).to_contain_text("Checkout is slow")

    # A header sorts; a second click on it reverses the order.
    page.click("th.col-priority a.sort-link")
    expect(page.locator("th.col-priority")).to_have_attribute("aria-sort", "ascending")
    page.click("th.col-priority a.sort-link")
    expect(page.locator("th.col-priority")).to_have_attribute("aria-sort", "descending")
    assert "ORDER BY priority DESC" in page.locator("#jql").input_value()

    # A broken query: the message under the editor, the editor marked, the cursor at the error.
    editor = page.locator("#jql")
    editor.fill("project = SHOP AND status = ")
    editor.press("Escape")
    editor.press("Enter")
    # The refused search is a whole page load: seconds on a loaded machine (5 s once ran out).
    expect(page.locator("#jql-error")).to_contain_text("Expecting a value", timeout=20_000)
    expect(page.locator("#jql")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#jql")).to_be_focused()
    offset = int(page.locator("#jql").get_attribute("data-error-offset") or "-1")
    cursor = page.evaluate("document.getElementById('jql').selectionStart")
    assert cursor == offset == len("project = SHOP AND status = ")
    page.context.close()
    assert reports == [], reports


def test_the_create_dialog_opens_with_c_keeps_input_and_restores_focus(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = signed_in_page(browser, live_server)
    reports = csp_watch(page)
    page.goto(f"{live_server.url}/projects/SHOP")
    dialog = page.locator("#create-dialog")
    search = page.locator("main input[type=search]")
    search.click()
    page.keyboard.type("c")  # typing in a field is typing, not a shortcut
    expect(search).to_have_value("c")
    expect(dialog).not_to_have_attribute("open", "")
    search.fill("")
    page.locator("h1").click()
    page.keyboard.press("c")
    expect(dialog).to_have_attribute("open", "")
    expect(dialog.locator("select[name=project]")).to_be_focused()  # focus moves into the dialog
    expect(dialog.locator("select[name=project]")).to_have_value("SHOP")  # this page's project
    page.keyboard.press("Escape")
    expect(dialog).not_to_have_attribute("open", "")
    expect(dialog.locator("form")).to_have_count(0)

    opener = page.locator("header a[data-create]")
    opener.click()
    expect(dialog).to_have_attribute("open", "")
    dialog.locator("select[name=issue_type]").select_option("Bug")
    dialog.locator("textarea[name=description]").fill("Steps: open the cart")
    dialog.locator("input[name=summary]").fill("   ")
    dialog.locator("button[type=submit]").click()  # a blank summary: refused by the server, in place
    summary = dialog.locator("input[name=summary]")
    expect(summary).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("#create-error-summary")).to_contain_text("summary is required")
    expect(summary).to_be_focused()
    expect(dialog.locator("textarea[name=description]")).to_have_value("Steps: open the cart")
    expect(dialog.locator("select[name=issue_type]")).to_have_value("Bug")
    page.keyboard.press("Escape")
    expect(opener).to_be_focused()  # focus goes back where it was

    page.keyboard.press("c")
    dialog.locator("input[name=summary]").fill("Cart total rounds wrongly")
    dialog.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/browse/SHOP-\d+$"))
    expect(page.locator("#field-summary")).to_have_text("Cart total rounds wrongly")
    page.context.close()
    assert reports == [], reports


def test_keyboard_moves_through_lists_and_opens_help(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    for n in range(3):
        _issue(live_server, f"Keyboard walk {n}")
    page = signed_in_page(browser, live_server)
    reports = csp_watch(page)
    page.goto(f"{live_server.url}/projects/SHOP")
    rows = page.locator("table[data-keyboard-list] tbody tr")
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile("kbd-selected"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(re.compile("kbd-selected"))
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    assert page.locator(".kbd-selected").count() == 1
    key = rows.nth(1).locator("a.issue-key").inner_text()
    expect(rows.nth(1).locator("a.issue-key")).to_be_focused()
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server.url}/browse/{key}")

    page.keyboard.press("?")
    help_dialog = page.locator("#shortcuts-dialog")
    expect(help_dialog).to_have_attribute("open", "")
    for shortcut in ("c", "j", "k", "o", "/", "?"):
        expect(help_dialog.locator("kbd", has_text=re.compile(f"^{re.escape(shortcut)}$")).first).to_be_visible()
    expect(help_dialog.locator("[data-close]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(help_dialog).not_to_have_attribute("open", "")

    page.goto(f"{live_server.url}/search?jql=project%20%3D%20SHOP")
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(page.locator("#jql")).to_be_focused()
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("Enter")  # Enter on the selected row opens it as well
    page.wait_for_url(re.compile(r"/browse/SHOP-\d+$"))
    page.context.close()
    assert reports == [], reports


def test_mention_autocomplete_inserts_a_mention(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    issue = _issue(live_server, "Who can look at this")
    me = httpx.get(f"{live_server.url}/v2/myself", headers=live_server.headers, timeout=10).json()
    page = signed_in_page(browser, live_server)
    reports = csp_watch(page)
    page.goto(f"{live_server.url}/browse/{issue['key']}")
    box = page.locator("textarea[name=body]")
    box.click()
    box.press_sequentially("Please check, @Ad")
    options = page.locator("#mention-suggestions [role=option]")
    expect(options.first).to_contain_text("Ada Admin")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-activedescendant", "mention-option-0")
    box.press("Enter")
    expect(box).to_have_value(f"Please check, @[Ada Admin](account:{me['id']}) ")
    expect(page.locator("#mention-suggestions")).to_be_hidden()
    page.click("form.comment-form button[type=submit]")
    expect(page.locator("ol.comments .markdown .mention").first).to_have_text("@Ada Admin")
    page.context.close()
    assert reports == [], reports


def test_files_are_attached_by_drop_and_by_paste(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    issue = _issue(live_server, "Needs screenshots")
    page = signed_in_page(browser, live_server)
    reports = csp_watch(page)
    page.goto(f"{live_server.url}/browse/{issue['key']}")
    expect(page.locator("#attachments .attachment-form")).to_be_attached()
    dropped = page.evaluate_handle(
        "() => { const data = new DataTransfer();"
        " data.items.add(new File(['first line\\n'], 'notes.txt', {type: 'text/plain'})); return data; }")
    page.dispatch_event("#attachments", "dragenter", {"dataTransfer": dropped})
    expect(page.locator("#attachments")).to_have_class(re.compile("drop-target"))
    page.dispatch_event("#attachments", "drop", {"dataTransfer": dropped})
    expect(page.locator("#attachments .attachment-list")).to_contain_text("notes.txt")
    expect(page.locator("#upload-status")).to_contain_text("Attached notes.txt")
    expect(page.locator("#attachments")).not_to_have_class(re.compile("drop-target"))
    page.evaluate(
        "(bytes) => { const data = new DataTransfer();"
        " data.items.add(new File([new Uint8Array(bytes)], 'screenshot.png', {type: 'image/png'}));"
        " document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true})); }", list(_png()))
    expect(page.locator("#attachments .attachment-list")).to_contain_text("screenshot.png")
    # Refused: the panel's form answers for an issue that is gone; the reason shows, nothing breaks.
    page.evaluate("() => document.querySelector('#attachments .attachment-form')"
                  ".setAttribute('action', '/browse/SHOP-99999/attachments')")
    page.dispatch_event("#attachments", "drop", {"dataTransfer": dropped})
    expect(page.locator("#upload-status[role=alert]")).to_contain_text(re.compile("not found", re.IGNORECASE))
    page.context.close()
    assert reports == [], reports


def test_an_avatar_uploaded_on_the_profile_shows_in_the_header(live_server: LiveServer, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    picture = tmp_path / "me.png"
    picture.write_bytes(_png())
    page = signed_in_page(browser, live_server)
    reports = csp_watch(page)
    page.goto(f"{live_server.url}/settings/profile")
    page.set_input_files("#avatar-form input[type=file]", str(picture))
    page.click("#avatar-form button[type=submit]")
    expect(page.locator("[role=status]")).to_contain_text("Your avatar is saved")
    header = page.locator("header .avatar-link img")
    expect(header).to_be_visible()
    page.wait_for_function("() => document.querySelector('header .avatar-link img').naturalWidth === 4")
    not_image = tmp_path / "fake.png"
    not_image.write_text("definitely not a picture")
    page.set_input_files("#avatar-form input[type=file]", str(not_image))
    page.click("#avatar-form button[type=submit]")
    expect(page.locator("#avatar-error")).to_contain_text("PNG, JPEG, WebP or GIF")
    expect(page.locator("#avatar-form input[type=file]")).to_have_attribute("aria-invalid", "true")
    page.context.close()
    assert reports == [], reports
