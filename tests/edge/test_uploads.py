"""Download headers shared by /v2 and /rest/api/2 (the upload itself is tested through both APIs
in tests/collaboration/test_attachments.py and tests/api/jira)."""

from __future__ import annotations

from tessera.edge.uploads import SAFE_HEADERS, content_disposition


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    assert content_disposition("report.pdf", inline=False) == \
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    assert content_disposition('été "final"%.png', inline=True) == \
        "inline; filename=\"_t_ _final__.png\"; filename*=UTF-8''%C3%A9t%C3%A9%20%22final%22%25.png"
    assert content_disposition("", inline=False).startswith('attachment; filename="attachment"')


def test_downloads_are_never_sniffed_or_scripted() -> None:
    assert SAFE_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in SAFE_HEADERS["Content-Security-Policy"]
