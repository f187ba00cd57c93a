"""Running several server processes on one port.

uvicorn's own multi-worker mode shares one listening socket, and the kernel then tends to hand
every keep-alive connection to whichever process accepts first: one core busy, the others idle.
Here each process binds its own socket with SO_REUSEPORT, so the kernel spreads connections
across processes. Falls back to uvicorn's mode where SO_REUSEPORT is missing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
from types import FrameType

import uvicorn

from tessera.cli.slow_clients import PROTOCOL

APP = "tessera.main:app_factory"


def _config(host: str, port: int) -> uvicorn.Config:
    """`http`: uvicorn's httptools protocol with read timeouts for slow clients (cli.slow_clients)."""
    return uvicorn.Config(APP, factory=True, host=host, port=port, access_log=False, http=PROTOCOL,
                          log_level=os.environ.get("TESSERA_LOG_LEVEL", "info").lower())


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _serve_one(host: str, port: int) -> None:
    sock = _bind(host, port)
    uvicorn.Server(_config(host, port)).run(sockets=[sock])


def serve(host: str, port: int, workers: int) -> None:
    if workers == 1:
        uvicorn.Server(_config(host, port)).run()
        return
    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, access_log=False, http=PROTOCOL)
        return
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_serve_one, args=(host, port), daemon=False) for _ in range(workers)]
    for process in processes:
        process.start()

    def stop(signum: int, frame: FrameType | None) -> None:
        for process in processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
