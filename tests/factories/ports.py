"""Ports for the real servers some tests start (uvicorn, moto's S3, `tessera serve`)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now; the OS may hand it out again, so bind it soon."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
