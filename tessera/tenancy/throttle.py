"""Failed sign-ins: counted per account and per client address, with a temporary lockout.

The rules (README, "Sign-in throttling", says the same):
- A failed password (wrong password, unknown email, deactivated user: all alike, so a lockout
  tells nothing about which emails exist) counts once against the account (the email, in any
  organization) and once against the client address. An invalid API token counts against the
  address only: tokens are long random secrets, no account is guessed through them.
- An account with `account_failures` failures within `window` seconds is locked for `lockout`
  seconds: every password for it is refused (429, Retry-After) without being checked, the right
  one too, from every address. Its API tokens keep working: they are not passwords.
- An address with `address_failures` failures within the window is blocked as long: its
  password attempts are refused without being checked, except for accounts that signed in
  successfully from that address before (many users share an office's address, and a colleague
  mistyping, or an attacker next door, must not lock them out); its invalid tokens answer 429
  instead of 401; valid tokens keep working.
- A success clears the account's failures and remembers the (address, account) pair for
  `known_seconds`.

Nothing here runs for a request whose API token is valid: the success path of a token costs no
round trip. The counters live in Redis when it is configured (shared by every process), else in
this process (`MemoryCounters`); both backends answer the same three questions."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
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
    known_seconds: float = 30 * 24 * 3600


@dataclass(frozen=True)
class Counter:
    """One failure count: `key` counts within the window; past `limit`, `lock` is set for the lockout."""

    key: str
    lock: str
    limit: int
    subject: str  # for the log line: "account a@b.c" or "address 10.0.0.1"


class CounterBackend(Protocol):
    async def locks(self, locks: list[str], known: str | None) -> tuple[list[float], bool]:
        """Seconds left of each lock (0 when not locked), and whether `known` is remembered."""

    async def fail(self, counters: list[Counter], window: float, lockout: float) -> list[tuple[float, bool]]:
        """Counts one failure on each counter; per counter: seconds left of its lock, and
        whether this failure set it."""

    async def succeed(self, clear: str, remember: str, ttl: float) -> None:
        """Forgets the failures counted under `clear`; remembers `remember` for `ttl` seconds."""


class MemoryCounters:
    """One process's counters: expiring entries, pruned when they grow past `max_entries`."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (window ends, failures)
        self._until: dict[str, float] = {}  # lock or known pair -> when it ends

    def _left(self, key: str, now: float) -> float:
        until = self._until.get(key)
        if until is None:
            return 0.0
        if until <= now:
            del self._until[key]
            return 0.0
        return until - now

    async def locks(self, locks: list[str], known: str | None) -> tuple[list[float], bool]:
        now = time.monotonic()
        return [self._left(lock, now) for lock in locks], known is not None and self._left(known, now) > 0

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

    async def succeed(self, clear: str, remember: str, ttl: float) -> None:
        self._counts.pop(clear, None)
        self._until[remember] = time.monotonic() + ttl

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

    async def locks(self, locks: list[str], known: str | None) -> tuple[list[float], bool]:
        pipe = self._redis.pipeline()  # type: ignore[attr-defined]
        for lock in locks:
            pipe.pttl(self._prefix + lock)
        if known is not None:
            pipe.exists(self._prefix + known)
        results = await pipe.execute()
        left = [max(0, ms) / 1000 for ms in results[:len(locks)]]
        return left, known is not None and bool(results[-1])

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

    async def succeed(self, clear: str, remember: str, ttl: float) -> None:
        pipe = self._redis.pipeline()  # type: ignore[attr-defined]
        pipe.delete(self._prefix + clear)
        pipe.set(self._prefix + remember, 1, px=int(ttl * 1000))
        await pipe.execute()


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

    def guard(self, address: str | None) -> AttemptGuard:
        return AttemptGuard(self, address_key(address))


@dataclass(frozen=True)
class AttemptGuard:
    """The throttle for one request, bound to its client's address."""

    throttle: LoginThrottle
    address: str

    def _keys(self, email: str) -> tuple[str, str, str]:
        account = _account_key(email)
        return f"lock:acct:{account}", f"lock:addr:{self.address}", f"known:{self.address}:{account}"

    async def check_password(self, email: str) -> None:
        """Before checking a password: raises RateLimited while the account is locked, or the
        address is blocked and the account has not signed in from it before."""
        account_lock, address_lock, known = self._keys(email)
        (account_left, address_left), is_known = await self.throttle.backend.locks(
            [account_lock, address_lock], known)
        if account_left > 0:
            raise _refusal(account_left)
        if address_left > 0 and not is_known:
            raise _refusal(address_left)

    async def password_failed(self, email: str) -> None:
        """Counts the failure; raises RateLimited when it locks the account or the address."""
        policy, account = self.throttle.policy, _account_key(email)
        counters = [Counter(f"fail:acct:{account}", f"lock:acct:{account}", policy.account_failures,
                            f"account {email.strip().lower()[:320]}"),
                    Counter(f"fail:addr:{self.address}", f"lock:addr:{self.address}", policy.address_failures,
                            f"address {self.address}")]
        await self._fail(counters)

    async def token_failed(self) -> None:
        """Counts an invalid API token against the address; raises RateLimited while it is blocked."""
        policy = self.throttle.policy
        (left, _), = await self._fail([Counter(f"fail:addr:{self.address}", f"lock:addr:{self.address}",
                                               policy.address_failures, f"address {self.address}")])
        if left > 0:
            raise _refusal(left)

    async def password_succeeded(self, email: str) -> None:
        account = _account_key(email)
        await self.throttle.backend.succeed(f"fail:acct:{account}", f"known:{self.address}:{account}",
                                            self.throttle.policy.known_seconds)

    async def _fail(self, counters: list[Counter]) -> list[tuple[float, bool]]:
        policy = self.throttle.policy
        results = await self.throttle.backend.fail(counters, policy.window, policy.lockout)
        locked = [(counter, left) for counter, (left, newly) in zip(counters, results, strict=True) if newly]
        for counter, _ in locked:
            log.warning("sign-in lockout: %s locked for %g s after %d failed attempts within %g s (from %s)",
                        counter.subject, policy.lockout, counter.limit, policy.window, self.address)
        if locked:
            raise _refusal(max(left for _, left in locked))
        return results
