"""Reading answers in tests: the status is asserted first, so a failure shows the body."""

from __future__ import annotations

from typing import Any


def ok(response: Any, status: int = 200) -> dict:
    """The JSON body of an answer with `status`, or {} when it has no body (204)."""
    assert response.status_code == status, response.text
    return response.json() if response.content else {}
