"""tenancy.throttle on both backends (in-process and Redis): lockouts engage, refuse the right
password, end after their time; a blocked address answers its failures with 429 but never
refuses a password before it is checked; two processes sharing Redis count together."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as redis

from tessera.errors import RateLimited
from tessera.tenancy.throttle import LoginThrottle, MemoryCounters, RedisCounters, ThrottlePolicy, address_key
from tests.support import REDIS_URL

POLICY = ThrottlePolicy(account_failures=3, address_failures=8, window=30, lockout=0.6)
BACKENDS = ("memory", "redis")


@asynccontextmanager
async def throttles(backend: str, count: int = 1, policy: ThrottlePolicy = POLICY) -> AsyncIterator[list[LoginThrottle]]:
    """`count` throttles sharing one store, as `count` server processes do."""
    if backend == "memory":
        counters = MemoryCounters()
        yield [LoginThrottle(policy, counters) for _ in range(count)]
        return
    clients = [redis.from_url(REDIS_URL) for _ in range(count)]
    try:
        try:
            await clients[0].ping()
        except (OSError, redis.ConnectionError) as error:
            pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
        prefix = f"test-{uuid.uuid4().hex}:login:"
        yield [LoginThrottle(policy, RedisCounters(client, prefix)) for client in clients]
        keys = [key async for key in clients[0].scan_iter(match=f"{prefix}*")]
        if keys:
            await clients[0].delete(*keys)
    finally:
        for client in clients:
            await client.aclose()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())  # type: ignore[arg-type]


async def _fail(guard, email: str) -> None:  # type: ignore[no-untyped-def]
    """One failed password as authenticate_password reports it; RateLimited when it locks."""
    await guard.check_password(email)
    await guard.password_failed(email)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_account_locks_refuses_its_right_password_and_unlocks(backend: str,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with throttles(backend) as (throttle,):
            guard, email = throttle.guard("10.0.0.1"), f"{uuid.uuid4().hex}@x.test"
            for _ in range(POLICY.account_failures - 1):
                await _fail(guard, email)
            with caplog.at_level(logging.WARNING, logger="tessera.auth"), pytest.raises(RateLimited) as locked:
                await _fail(guard, email)  # the failure that locks says so
            assert locked.value.retry_after == 1
            assert [r.getMessage() for r in caplog.records if "sign-in lockout" in r.getMessage()] == [
                f"sign-in lockout: account '{email}' locked for 0.6 s after 3 failed attempts within 30 s "
                f"(from 10.0.0.1)"]
            # During the lockout nothing is checked: the right password is refused too, from any address.
            for address in ("10.0.0.1", "192.0.2.7"):
                with pytest.raises(RateLimited) as refused:
                    await throttle.guard(address).check_password(email.upper())
                assert refused.value.retry_after >= 1
            await throttle.guard("192.0.2.7").check_password(f"other-{email}")  # other accounts are free
            await asyncio.sleep(POLICY.lockout + 0.1)
            await guard.check_password(email)  # the lockout has ended
            await guard.password_succeeded(email)
            for _ in range(POLICY.account_failures - 1):  # success cleared the count
                await _fail(guard, email)

    run(scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_blocked_address_answers_its_failures_with_429_and_checks_every_password(backend: str) -> None:
    async def scenario() -> None:
        async with throttles(backend) as (throttle,):
            office, run_id = throttle.guard("203.0.113.9"), uuid.uuid4().hex[:8]
            # A neighbour sprays: 2 wrong passwords on each of several accounts, none of them locked.
            spray = [f"victim{index // 2}-{run_id}@x.test" for index in range(POLICY.address_failures)]
            for email in spray[:-1]:
                await _fail(office, email)
            with pytest.raises(RateLimited):
                await _fail(office, spray[-1])  # the failure that blocks the address
            colleague = f"colleague-{run_id}@x.test"
            await office.check_password(colleague)  # not locked: its password is checked as usual...
            await office.password_succeeded(colleague)  # ...and, right, accepted
            with pytest.raises(RateLimited):
                await office.password_failed(colleague)  # wrong: 429, not 401, and counted
            with pytest.raises(RateLimited):
                await office.token_failed()  # an invalid token from the blocked address: 429
            await throttle.guard("198.51.100.1").token_failed()  # elsewhere: counted, answered 401
            await throttle.guard("198.51.100.1").password_failed(f"new-{run_id}@x.test")
            # The colleague's failures count against their account as anywhere: 1 so far, 2 more lock it.
            await _fail(throttle.guard("198.51.100.1"), colleague)
            with pytest.raises(RateLimited):
                await _fail(throttle.guard("198.51.100.1"), colleague)
            with pytest.raises(RateLimited):
                await throttle.guard("198.51.100.1").check_password(colleague)
            await asyncio.sleep(POLICY.lockout + 0.1)
            await office.password_failed(f"new-{run_id}@x.test")  # unblocked: a plain 401 again

    run(scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_invalid_tokens_block_an_address(backend: str) -> None:
    async def scenario() -> None:
        async with throttles(backend) as (throttle,):
            guard = throttle.guard("2001:db8:1:2:3:4:5:6")
            for _ in range(POLICY.address_failures - 1):
                await guard.token_failed()
            with pytest.raises(RateLimited):
                await guard.token_failed()
            # The same /64 is the same subscriber.
            with pytest.raises(RateLimited):
                await throttle.guard("2001:db8:1:2:ffff::1").token_failed()
            await throttle.guard("2001:db8:1:3::1").token_failed()  # another /64: not blocked

    run(scenario)


def test_two_processes_sharing_redis_count_together() -> None:
    async def scenario() -> None:
        async with throttles("redis", count=2) as (first, second):
            email = f"{uuid.uuid4().hex}@x.test"
            await _fail(first.guard("10.1.1.1"), email)
            await _fail(second.guard("10.1.1.2"), email)
            with pytest.raises(RateLimited):
                await _fail(first.guard("10.1.1.3"), email)
            with pytest.raises(RateLimited):
                await second.guard("10.1.1.4").check_password(email)

    run(scenario)


def test_memory_counters_stay_bounded() -> None:
    async def scenario() -> None:
        counters = MemoryCounters(max_entries=50)
        throttle = LoginThrottle(POLICY, counters)
        started = time.monotonic()
        for index in range(500):
            await throttle.guard(f"10.9.{index // 256}.{index % 256}").password_failed(f"u{index}@x.test")
        assert len(counters._counts) + len(counters._until) <= 100
        assert time.monotonic() - started < 2

    run(scenario)


def test_address_keys() -> None:
    assert address_key("10.0.0.1") == "10.0.0.1"
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert address_key("2001:db8::1") == address_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_key(None) == "unknown"
    assert address_key("testclient") == "testclient"
