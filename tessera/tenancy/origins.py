"""Whether a browser request comes from this site's own pages, by its Origin or Referer header.

Used where a request carries no CSRF token to check: the sign-in form (login CSRF: another
site must not sign a visitor in to an account of its choosing) and WebSocket handshakes made
with the session cookie (cross-site WebSocket hijacking)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tessera.errors import PermissionDenied


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_own_origin(url: str, *, base_url: str, host: str | None) -> bool:
    """`url`'s origin is the configured base URL's, or its host is the one the request was sent
    to (the browser sets Host; a page elsewhere cannot), so that a server reached by another
    name than TESSERA_BASE_URL (localhost, 127.0.0.1) still accepts its own pages."""
    origin = _origin(url)
    if origin == _origin(base_url):
        return True
    netloc = urlsplit(url).netloc.lower()
    return bool(host) and urlsplit(url).scheme in ("http", "https") and netloc == (host or "").lower()


def validate_own_origin(*, origin: str | None, referer: str | None, base_url: str, host: str | None) -> None:
    """Browsers send Origin with every POST and WebSocket handshake (a page that hides it sends
    "null", refused); Referer is the fallback. A request with neither comes from no browser page
    (curl, scripts) and is let through: it cannot carry a victim's cookies or forms."""
    if origin is not None:
        if not is_own_origin(origin, base_url=base_url, host=host):
            raise PermissionDenied("This request did not come from Tessera's own pages.", code="cross_origin")
        return
    if referer and not is_own_origin(referer, base_url=base_url, host=host):
        raise PermissionDenied("This request did not come from Tessera's own pages.", code="cross_origin")
