"""A lean HTTP client for the load generators.

httpx spends about 1.5 ms of CPU per request; on a 2-core machine shared with the server that
steals a large share of the CPU the benchmark means to measure. aiohttp needs a tenth of it.
The interface is the slice of httpx.AsyncClient the benchmarks use."""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any

import aiohttp

ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError)


class Response:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.content = body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class FastClient:
    def __init__(self, base_url: str, *, headers: dict[str, str], max_connections: int, timeout: float = 30) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = headers
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FastClient:
        connector = aiohttp.TCPConnector(limit=self._max_connections)
        self._session = aiohttp.ClientSession(self._base_url, headers=self._headers, connector=connector,
                                              timeout=self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._session is not None
        await self._session.close()

    async def request(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None
                      ) -> Response:
        assert self._session is not None
        query = {k: str(v) for k, v in (params or {}).items()}
        async with self._session.request(method, path, json=json, params=query or None) as response:
            return Response(response.status, await response.read())

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Response:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None) -> Response:
        return await self.request("POST", path, json)

    async def put(self, path: str, json: Any = None) -> Response:
        return await self.request("PUT", path, json)
