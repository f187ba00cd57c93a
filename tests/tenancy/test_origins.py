"""tenancy.origins: which Origin and Referer values count as this site's own pages."""

from __future__ import annotations

import pytest

from tessera.errors import PermissionDenied
from tessera.tenancy.origins import is_own_origin, validate_own_origin

BASE = "https://tessera.example.com"


@pytest.mark.parametrize(("url", "host", "own"), [
    ("https://tessera.example.com", None, True),
    ("HTTPS://Tessera.Example.com/signin?next=/x", None, True),
    ("http://tessera.example.com", None, False),  # another scheme is another origin
    ("https://tessera.example.com.evil.test", None, False),
    ("https://evil.test", "tessera.example.com", False),
    ("http://localhost:8000", "localhost:8000", True),  # the host the browser sent the request to
    ("http://localhost:8000", "localhost:8001", False),
    ("null", "null", False),
    ("javascript://localhost:8000", "localhost:8000", False),
])
def test_is_own_origin(url: str, host: str | None, own: bool) -> None:
    assert is_own_origin(url, base_url=BASE, host=host) is own


def test_check_own_origin_prefers_origin_then_referer() -> None:
    validate_own_origin(origin=None, referer=None, base_url=BASE, host=None)  # no browser page: scripts
    validate_own_origin(origin=BASE, referer="https://evil.test/", base_url=BASE, host=None)
    validate_own_origin(origin=None, referer=f"{BASE}/signin", base_url=BASE, host=None)
    for origin, referer in (("null", None), ("https://evil.test", f"{BASE}/signin"), (None, "https://evil.test/")):
        with pytest.raises(PermissionDenied) as refused:
            validate_own_origin(origin=origin, referer=referer, base_url=BASE, host="tessera.example.com")
        assert refused.value.code == "cross_origin"
