"""aiosmtpd handlers for bench/notify_email.py: accept and discard every message, advertising
PIPELINING or not (aiosmtpd does not advertise it, but reads commands in order, so a pipelining
client works against it as against Postfix)."""

from __future__ import annotations

from typing import Any


class Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        return "250 2.0.0 Queued"


class PipeliningSink(Sink):
    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        responses.insert(-1, "250-PIPELINING")
        return responses
