"""Comments made and read through /v2 for the comment tests, and what a browser would build
from their rendered HTML."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle


def add_comment(client: TestClient, headers: dict, issue: dict, body: str, **extra: object) -> dict:
    return ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": body, **extra}, headers=headers), 201)


def list_comments(client: TestClient, headers: dict, issue: dict, **params: object) -> dict:
    return ok(client.get(f"/v2/issues/{issue['id']}/comments", params=params, headers=headers))


def set_role(client: TestClient, org: OrgHandle, project: dict, role: str, user_ids: list[int]) -> None:
    ok(client.put(f"/v2/projects/{project['id']}/roles/{role}", json={"user_ids": user_ids}, headers=org.headers))


SAFE_TAGS = {"p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h1",
             "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img", "span"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_harmless(html: str) -> None:
    """What a browser would build from the HTML: allowed tags only, no event handlers, no
    script-capable URLs; anything else must have arrived as escaped text."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag in SAFE_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on") and name not in ("style", "srcdoc", "formaction"), (name, html)
            if name in ("href", "src"):
                scheme = (value or "").strip().lower().split(":", 1)[0] if ":" in (value or "") else ""
                assert scheme in ("", "http", "https", "mailto"), (value, html)
