"""An upload's content type is sniffed from its bytes, never taken from the client, and served with
safe headers."""

from __future__ import annotations

from tests.factories.attachments import PNG, Server, upload
from tests.support import (
    OrgHandle,
)


def test_content_type_is_sniffed_never_trusted(server: Server, a: OrgHandle, issue: dict) -> None:
    html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    created = upload(server.client, a.headers, issue["id"], ("pixel.txt", PNG, "text/html"),
                     ("page.png", html, "image/png"), ("logo.svg", svg, "image/svg+xml"),
                     ("blob", bytes(range(256)) * 4, "text/plain")).json()
    types = {c["filename"]: (c["content_type"], c["declared_content_type"]) for c in created}
    assert types == {"pixel.txt": ("image/png", "text/html"), "page.png": ("text/html", "image/png"),
                     "logo.svg": ("image/svg+xml", "image/svg+xml"),
                     "blob": ("application/octet-stream", "text/plain")}
    for attachment in created:
        response = server.client.get(f"/v2/attachments/{attachment['id']}/content", headers=a.headers)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert response.headers["cache-control"] == "private"
        assert response.headers["content-type"].split(";")[0] == attachment["content_type"]
        disposition = response.headers["content-disposition"]
        # Only the plain image may render in the browser; HTML and SVG always download.
        assert disposition.startswith("inline;" if attachment["filename"] == "pixel.txt" else "attachment;")
