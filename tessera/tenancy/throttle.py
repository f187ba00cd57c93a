"""Failed sign-ins: counted per account and per client address, with a temporary lockout.

The rules (README, "Sign-in throttling and sessions", says the same):
- A failed password (wrong password, unknown email, deactivated user: all alike, so a lockout
  tells nothing about which emails exist) counts once against the account (the email, in any
  organization) and once against the client address. An invalid API token counts against the
  address only: tokens are long random secrets, no account is guessed through them.
- An account with `account_failures` failures within `window` seconds is locked for `lockout`
  seconds: every password for it is refused (429, Retry-After) without being checked, the right
  one too, from every address. Its API tokens keep working: they are not passwords. This is
  what bounds guessing: at most `account_failures` guesses per account per lockout period.
- An address with `address_failures` failures within the window is blocked as long: its
  failures answer 429 (Retry-After) instead of 401, telling the client to back off, and still
  count. Valid credentials from it are still accepted (a password of an account that is not
  locked, any valid token): many users share an office's address, and one of them, or a
  neighbour guessing, must not lock the others out.
- A successful password clears the account's failures.

Nothing here runs for a request whose API token is valid: the success path of a token costs no
round trip. The counters live in Redis when it is configured (shared by every process), else in
this process (`MemoryCounters`); both backends answer the same three calls."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from tessera.config import Settings
from tessera.errors import RateLimited

log = logging.getLogger("tessera.auth")


@dataclass(frozen=True)
class ThrottlePolicy:
    account_failures: int = 10
    address_failures: int = 100
    window: float = 15 * 60
    lockout: float = 15 * 60


@dataclass(frozen=True)
class Counter:
    """One failure count: `key` counts within the window; at `limit`, `lock` is set for the lockout."""

    key: str
    lock: str
    limit: int
    subject: str  # for the log line: "account 'a@b.c'" or "address 10.0.0.1"


class CounterBackend(Protocol):
    async def lock_left(self, lock: str) -> float:
        """Seconds left of the lock (0 when not locked)."""

    async def fail(self, counters: list[Counter], window: float, lockout: float) -> list[tuple[float, bool]]:
        """Counts one failure on each counter; per counter: seconds left of its lock, and
        whether this failure set it."""

    async def succeed(self, clear: str) -> None:
        """Forgets the failures counted under `clear`."""


class MemoryCounters:
    """One process's counters: expiring entries, pruned when they grow past `max_entries`."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (window ends, failures)
        self._until: dict[str, float] = {}  # lock -> when it ends

    def _left(self, key: str, now: float) -> float:
        until = self._until.get(key)
        if until is None:
            return 0.0
        if until <= now:
            del self._until[key]
            return 0.0
        return until - now

    async def lock_left(self, lock: str) -> float:
        return self._left(lock, time.monotonic())

    async def fail(self, counters: list[Counter], window: float, lockout: float) -> list[tuple[float, bool]]:
        now = time.monotonic()
        if len(self._counts) + len(self._until) >= self.max_entries:
            self._prune(now)
        results = []
        for counter in counters:
            ends, count = self._counts.get(counter.key, (now + window, 0))
            if ends <= now:
                ends, count = now + window, 0
            count += 1
            left = self._left(counter.lock, now)
            if count >= counter.limit and left <= 0:
                self._counts.pop(counter.key, None)
                self._until[counter.lock] = now + lockout
                results.append((lockout, True))
                continue
            self._counts[counter.key] = (ends, count)
            results.append((left, False))
        return results

    async def succeed(self, clear: str) -> None:
        self._counts.pop(clear, None)

    def _prune(self, now: float) -> None:
        self._counts = {key: entry for key, entry in self._counts.items() if entry[0] > now}
        self._until = {key: until for key, until in self._until.items() if until > now}
        if len(self._counts) + len(self._until) >= self.max_entries:
            self._counts.clear()  # under a flood of distinct keys: forget counts, keep the locks


class RedisCounters:
    """Shared by every process: a counter is a key created with the window as its expiry
    (SET NX EX, then INCR), a lock a key that expires with the lockout (SET NX PX: of two
    processes counting the last failure at once, one sets it and logs)."""

    def __init__(self, redis: object, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def lock_left(self, lock: str) -> float:
        return max(0, await self._redis.pttl(self._prefix + lock)) / 1000  # type: ignore[attr-defined]

    async def fail(self, counters: list[Counter], window: float, lockout: float) -> list[tuple[float, bool]]:
        pipe = self._redis.pipeline()  # type: ignore[attr-defined]
        for counter in counters:
            pipe.set(self._prefix + counter.key, 0, px=int(window * 1000), nx=True)
            pipe.incr(self._prefix + counter.key)
            pipe.pttl(self._prefix + counter.lock)
        results = await pipe.execute()
        outcome: list[tuple[float, bool]] = []
        for index, counter in enumerate(counters):
            count, lock_ms = results[3 * index + 1], results[3 * index + 2]
            if count >= counter.limit and lock_ms <= 0:
                pipe = self._redis.pipeline()  # type: ignore[attr-defined]
                pipe.set(self._prefix + counter.lock, 1, px=int(lockout * 1000), nx=True)
                pipe.delete(self._prefix + counter.key)
                newly, _ = await pipe.execute()
                outcome.append((lockout, bool(newly)))
            else:
                outcome.append((max(0, lock_ms) / 1000, False))
        return outcome

    async def succeed(self, clear: str) -> None:
        await self._redis.delete(self._prefix + clear)  # type: ignore[attr-defined]


def address_key(address: str | None) -> str:
    """IPv6 clients by their /64 (one subscriber's share), IPv4 as is."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address) + "/64"
    return str(parsed)


def _account_key(email: str) -> str:
    """Emails are hashed in the keys: a shared Redis need not hold who tried to sign in."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:32]


def _refusal(seconds: float) -> RateLimited:
    retry_after = max(1, math.ceil(seconds))
    unit = "second" if retry_after == 1 else "seconds"
    return RateLimited(f"Too many failed sign-in attempts: try again in {retry_after} {unit}.",
                       retry_after=retry_after)


class LoginThrottle:
    def __init__(self, policy: ThrottlePolicy, backend: CounterBackend) -> None:
        self.policy = policy
        self.backend = backend

    @classmethod
    def for_settings(cls, settings: Settings, redis: object | None = None) -> LoginThrottle:
        policy = ThrottlePolicy(account_failures=settings.login_account_failures,
                                address_failures=settings.login_address_failures,
                                window=settings.login_failure_window_seconds, lockout=settings.login_lockout_seconds)
        if redis is None:
            return cls(policy, MemoryCounters())
        return cls(policy, RedisCounters(redis, f"{settings.live_channel_prefix}:login:"))

    def guard(self, client_address: str | None) -> AttemptGuard:
        return AttemptGuard(self, client_address)


@dataclass(frozen=True)
class AttemptGuard:
    """The throttle for one request, bound to its client's address. Every request that sends
    credentials gets one: it costs nothing until a failure or a password uses it."""

    throttle: LoginThrottle
    client_address: str | None

    @cached_property
    def address(self) -> str:
        return address_key(self.client_address)

    def _counters(self, email: str | None) -> list[Counter]:
        policy, counters = self.throttle.policy, []
        if email is not None:
            account = _account_key(email)
            counters.append(Counter(f"fail:acct:{account}", f"lock:acct:{account}", policy.account_failures,
                                    f"account {email.strip().lower()[:320]!r}"))  # repr: no forged log lines
        counters.append(Counter(f"fail:addr:{self.address}", f"lock:addr:{self.address}", policy.address_failures,
                                f"address {self.address}"))
        return counters

    async def check_password(self, email: str) -> None:
        """Before checking a password: raises RateLimited while the account is locked."""
        left = await self.throttle.backend.lock_left(f"lock:acct:{_account_key(email)}")
        if left > 0:
            raise _refusal(left)

    async def password_failed(self, email: str) -> None:
        """Counts the failure; raises RateLimited when it locks the account, or while the
        address is blocked (else the caller answers 401)."""
        await self._failed(self._counters(email))

    async def token_failed(self) -> None:
        """Counts an invalid API token against the address; raises RateLimited while it is blocked."""
        await self._failed(self._counters(None))

    async def password_succeeded(self, email: str) -> None:
        await self.throttle.backend.succeed(f"fail:acct:{_account_key(email)}")

    async def _failed(self, counters: list[Counter]) -> None:
        """The address's counter comes last."""
        policy = self.throttle.policy
        results = await self.throttle.backend.fail(counters, policy.window, policy.lockout)
        locked = [(counter, left) for counter, (left, newly) in zip(counters, results, strict=True) if newly]
        for counter, _ in locked:
            log.warning("sign-in lockout: %s locked for %g s after %d failed attempts within %g s (from %s)",
                        counter.subject, policy.lockout, counter.limit, policy.window, self.address)
        if locked:
            raise _refusal(max(left for _, left in locked))
        address_left, _ = results[-1]
        if address_left > 0:
            raise _refusal(address_left)
