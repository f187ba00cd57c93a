"""An HTTP client for a live Jira (Server/Data Center REST v2, Cloud REST v3) or another
Tessera's Jira-compatible API, as the importer reads it: authenticated (basic with an email or
user name and an API token or password, or a bearer personal access token), throttled to a
number of requests a second, and patient with a server that asks it to be: a 429 waits its
Retry-After, a 503 (and a dropped connection) backs off exponentially, a few times, before the
import gives up with the server's answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tessera.errors import InvalidInput

RETRIES = 6  # 429/503 answers (or dropped connections) in a row before giving up
CONNECT_RETRIES = 2
BACKOFF = 1.0  # seconds, doubled at each retry of a 503
MAX_WAIT = 120.0  # the longest a Retry-After is honoured


class JiraUnavailable(InvalidInput):
    """The server refused or failed, with what it said."""

    code = "jira_unavailable"


@dataclass(frozen=True)
class Auth:
    user: str | None = None
    token: str | None = None  # with user: basic (API token or password)
    pat: str | None = None  # bearer

    def headers(self) -> dict[str, str]:
        if self.pat:
            return {"Authorization": f"Bearer {self.pat}"}
        return {}

    def basic(self) -> tuple[str, str] | None:
        return (self.user, self.token) if self.user and self.token and not self.pat else None


@dataclass(frozen=True)
class ServerInfo:
    base_url: str
    api: int  # 2 (Server, Data Center, Tessera) or 3 (Cloud)
    deployment: str
    text_format: str  # how the source writes rich text: "wiki", "adf" or "markdown" (another Tessera)


class JiraClient:
    def __init__(self, url: str, auth: Auth, *, rate: float = 10.0, timeout: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.rate = rate
        self.sleep = sleep
        self.requests = 0  # sent, retries included: what the tests and the report count
        self.waited = 0.0  # seconds spent waiting on 429/503
        self._last = 0.0
        self._http = httpx.Client(base_url=self.url, auth=auth.basic(), headers={
            **auth.headers(), "Accept": "application/json", "User-Agent": "tessera-import"},
            timeout=timeout, follow_redirects=True, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _throttle(self) -> None:
        if self.rate <= 0:
            return
        gap = 1.0 / self.rate - (time.monotonic() - self._last)
        if gap > 0:
            self.sleep(gap)
        self._last = time.monotonic()

    def get(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> Any:
        """The JSON at `path`; None for a 404 when `missing_ok`."""
        response = self._send(path, params)
        if response.status_code == 404 and missing_ok:
            return None
        self._check(path, response)
        try:
            return response.json()
        except ValueError:
            raise JiraUnavailable(f"{self.url}{path}: the answer is not JSON; is {self.url} a Jira?",
                                  field="url") from None

    def download(self, url: str, limit: int) -> bytes | None:
        """An attachment's bytes (None when it is gone, or larger than `limit`)."""
        response = self._send(url, None)
        if response.status_code == 404:
            return None
        self._check(url, response)
        return response.content if len(response.content) <= limit else None

    def _send(self, path: str, params: dict[str, Any] | None) -> httpx.Response:
        backoff = BACKOFF
        for attempt in range(RETRIES + 1):
            self._throttle()
            self.requests += 1
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as error:
                # a refused connection is most likely a wrong address: said soon, not after a minute
                if attempt == RETRIES or (isinstance(error, httpx.ConnectError) and attempt >= CONNECT_RETRIES):
                    raise JiraUnavailable(f"{self.url}{path}: {error.__class__.__name__} ({error}).",
                                          field="url") from None
                self._wait(backoff)
                backoff *= 2
                continue
            if response.status_code in (429, 502, 503, 504) and attempt < RETRIES:
                self._wait(retry_after(response.headers.get("Retry-After"), backoff))
                backoff *= 2
                continue
            return response
        raise AssertionError("unreachable")

    def _check(self, path: str, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise JiraUnavailable(f"{self.url}{path}: {response.status_code}; check --user and --token "
                                  "(or --pat) and the account's permissions.", field="token")
        if response.status_code >= 400:
            raise JiraUnavailable(f"{self.url}{path}: {response.status_code} {_said(response)}", field="url")

    def _wait(self, seconds: float) -> None:
        self.waited += seconds
        self.sleep(seconds)

    def server_info(self, api: int | None = None) -> ServerInfo:
        """Which API to read and how bodies are written, from `/rest/api/2/serverInfo`:
        Cloud's deploymentType means v3 (ADF bodies) unless `api` says otherwise."""
        info = self.get("/rest/api/2/serverInfo", missing_ok=True)
        if not isinstance(info, dict):
            raise JiraUnavailable(f"{self.url}: no /rest/api/2/serverInfo; is this the address of a Jira?",
                                  field="url")
        deployment = str(info.get("deploymentType") or "Server")
        chosen = api or (3 if deployment.casefold() == "cloud" else 2)
        tessera = str(info.get("scmInfo") or "").startswith("tessera-") or info.get("serverTitle") == "Tessera"
        text_format = "adf" if chosen == 3 else ("markdown" if tessera else "wiki")
        return ServerInfo(base_url=self.url, api=chosen, deployment=deployment, text_format=text_format)


def retry_after(header: str | None, default: float) -> float:
    """Retry-After in seconds or as an HTTP date; the default when absent or unreadable."""
    if header:
        try:
            return min(max(float(header), 0.0), MAX_WAIT)
        except ValueError:
            try:
                return min(max(parsedate_to_datetime(header).timestamp() - time.time(), 0.0), MAX_WAIT)
            except (TypeError, ValueError):
                pass
    return min(default, MAX_WAIT)


def _said(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        messages = list(body.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        if messages:
            return "; ".join(map(str, messages))[:500]
    return str(body)[:300]
