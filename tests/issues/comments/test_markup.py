"""Comment bodies render as safe Markdown: the source kept as written, tables and links rendered,
and every XSS payload harmless in what a browser would build."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.comments import add_comment, assert_harmless, list_comments
from tests.support import OrgHandle

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "<javascript:alert(1)>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](data:image/png;base64,iVBORw0KGgo=)",
    '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
    "<iframe src=//evil.example></iframe><svg onload=alert(1)>",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
]


def test_markdown_renders_and_every_xss_payload_is_harmless(client: TestClient, org: OrgHandle,
                                                            issue: dict) -> None:
    rich = add_comment(client, org.headers, issue, "**Bold** and ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                                                  "[docs](https://docs.example/x) `code`")
    html = rich["rendered_body"]
    assert "<strong>Bold</strong>" in html and "<s>gone</s>" in html and "<table>" in html
    assert '<a href="https://docs.example/x" rel="nofollow noopener noreferrer">docs</a>' in html
    assert "<code>code</code>" in html
    assert rich["body"].startswith("**Bold**")  # the source is kept as written
    for payload in XSS_PAYLOADS:
        view = add_comment(client, org.headers, issue, payload)
        assert view["body"] == payload
        assert_harmless(view["rendered_body"])
    listed = list_comments(client, org.headers, issue, max_results=200)
    for comment in listed["comments"]:
        assert_harmless(comment["rendered_body"])
