"""The one HTTP client for traffic Tessera sends out (webhooks, Slack, Web Push).

A receiver's URL comes from a user, so the client must not become a way into the server's own
network (SSRF): every connection, including each hop of a redirect, resolves the host name and
refuses loopback, private, link-local, shared (CGNAT), multicast, reserved and unspecified
addresses, unless the operator allows them (`TESSERA_OUTBOUND_ALLOW_PRIVATE=true`, for
receivers on the same network). The check runs where the socket is opened and the socket is
opened to the address that was checked, so a name that resolves differently the second time
(DNS rebinding) cannot slip through. TLS still verifies the certificate against the host name.

Timeouts are short, connections are reused, no proxy is read from the environment, and a
response body is read up to a cap (`read_capped`): a receiver cannot stall or flood a worker."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from tessera.errors import TesseraError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[Address], bool]

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RESPONSE_CAP = 64 * 1024
MAX_REDIRECTS = 5
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not global, yet not is_private


class OutboundRefused(TesseraError):
    """A receiver's address is one Tessera does not send to."""

    code = "outbound_refused"
    status = 400


def public_only(address: Address) -> bool:
    """True for an address on the public internet; the default policy."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified or address in _SHARED
                or not address.is_global)


def any_address(address: Address) -> bool:
    return True


def address_policy(*, allow_private: bool) -> AddressPolicy:
    return any_address if allow_private else public_only


class GuardedNetwork(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the policy allows, after resolving the name."""

    def __init__(self, policy: AddressPolicy, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        refused = [str(a) for a in addresses if not self.policy(a)]
        if refused or not addresses:
            raise httpcore.ConnectError(
                f"refused to connect to {host}: {', '.join(refused) or 'no address'} is not a public address")
        return await self.backend.connect_tcp(str(addresses[0]), port, timeout=timeout,
                                              local_address=local_address, socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("outgoing traffic does not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


async def resolve(host: str, port: int) -> list[Address]:
    """Every address the name resolves to (all must pass: a name that also points inward is refused)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:  # socket.gaierror: a name that does not resolve is a failed connect
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool rebuilt on GuardedNetwork: httpx exposes no
    public setting for the network backend, and keeping its transport keeps its error mapping."""

    def __init__(self, policy: AddressPolicy, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=GuardedNetwork(policy))


def outbound_client(*, allow_private: bool = False, policy: AddressPolicy | None = None,
                    max_connections: int = 100) -> httpx.AsyncClient:
    """One client per worker process; close it with the process (`await client.aclose()`).
    `policy` replaces the public-only rule (tests use it to tell two loopback addresses apart)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    transport = GuardedTransport(policy or address_policy(allow_private=allow_private), limits=limits)
    return httpx.AsyncClient(transport=transport, timeout=TIMEOUT, follow_redirects=True,
                             max_redirects=MAX_REDIRECTS, trust_env=False,
                             headers={"User-Agent": "Tessera"})


async def read_capped(response: httpx.Response, limit: int = RESPONSE_CAP) -> bytes:
    """At most `limit` bytes of a streamed response's body (the rest is not read)."""
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk[:limit - len(body)]
        if len(body) >= limit:
            break
    return bytes(body)
