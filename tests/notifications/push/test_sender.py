"""The push sender against a real push service on loopback (allowed as a private address): each
browser of the recipient gets the message encrypted for it alone (aes128gcm, decrypted here with
the browser's keys) and signed with the server's VAPID key (the JWT verified here); 410 removes
the subscription and is final; 503 is retried after the service's Retry-After; a recipient with
no browser left is dead at once. Other organizations' subscriptions are never used.

On a database of this module's own, on both backends: the delivery runner claims every pending
push delivery, and the shared database holds other tests' deliveries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, DeliveryRunner, NewDelivery, RetryPolicy, SenderRegistry, enqueue
from tessera.delivery.models import Channel, Delivery, DeliveryState
from tessera.issues.creation import check_create_issue
from tessera.issues.inputs import IssueCreate
from tessera.notifications.preferences import check_update_preferences
from tessera.notifications.push.directory import PushDirectory
from tessera.notifications.push.models import PushSubscription
from tessera.notifications.push.sender import PushSender
from tessera.notifications.push.subscriptions import SubscriptionInput, check_subscribe
from tessera.notifications.push.vapid import generate_vapid_keys, signer_for
from tessera.projects.service import check_create_project
from tessera.tenancy.auth import authenticate_token
from tests.conftest import BACKENDS
from tests.notifications.push.receiver import Browser, PushService, push_service, verify_vapid
from tests.support import OrgHandle, UserHandle, fresh_database, make_org_async, make_user_async

KEYS = generate_vapid_keys()


@pytest.fixture(scope="module", params=BACKENDS)
def push_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                      postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("push")), postgres_skip_reason) as url:
        yield url


@pytest.fixture
def service() -> Iterator[PushService]:
    with push_service() as running:
        yield running


@dataclass
class World:
    database: Database
    settings: Settings
    org: OrgHandle
    user: UserHandle
    other_org: OrgHandle
    issue_id: int
    issue_key: str


@pytest.fixture
async def world(push_database_url: str) -> AsyncIterator[World]:
    settings = Settings(database_url=push_database_url, base_url="https://tessera.example", outbound_allow_private=True,
                        vapid_private_key=KEYS.private_key, vapid_public_key=KEYS.public_key,
                        vapid_subject="mailto:ops@tessera.example")
    database = Database(settings)
    org = await make_org_async(push_database_url, password=None)
    user = await make_user_async(push_database_url, org)
    other_org = await make_org_async(push_database_url, password=None)
    async with database.unit_of_work() as session:
        actor = await authenticate_token(session, org.token, touch=False)
        await check_create_project(session, actor=actor, key="SHOP", name="Shop")
        issue = await check_create_issue(session, actor=actor, data=IssueCreate(
            project_id="SHOP", issue_type="Task", summary="Cart total ignores coupon"))
        issue_id, issue_key = issue.id, issue.key
    yield World(database, settings, org, user, other_org, issue_id, issue_key)
    await database.dispose()


async def subscribe(world: World, who: OrgHandle | UserHandle, browser: Browser) -> int:
    async with world.database.unit_of_work() as session:
        actor = await authenticate_token(session, who.token, touch=False)
        keys = browser.subscription["keys"]
        row = await check_subscribe(session, actor=actor, allow_http=True, data=SubscriptionInput(
            endpoint=browser.endpoint, p256dh=keys["p256dh"], auth=keys["auth"]))
        return row.id


async def send_one(world: World, recipient_id: int, *, changes: list[dict] | None = None,
                   organization_id: int | None = None) -> Delivery:
    """Enqueues one push delivery as the notification fan-out does and runs the delivery runner
    with the push sender until it has been attempted; returns the delivery as settled."""
    key = f"push-test-{utcnow().timestamp()}-{recipient_id}"
    payload = {"kind": "issue", "recipient_id": recipient_id, "issue_id": world.issue_id,
               "issue_key": world.issue_key, "changes": changes or [
                   {"event_id": 1, "event_type": "status_changed", "actor_id": world.org.admin_user_id,
                    "at": utcnow().isoformat(), "payload": {"field_changes": {
                        "status": {"from": "To Do", "to": "In Progress"}}}}]}
    async with world.database.unit_of_work() as session:
        await enqueue(session, [NewDelivery(organization_id=organization_id or world.org.organization_id,
                                            channel=Channel.PUSH, target=f"user {recipient_id}",
                                            target_id=recipient_id, idempotency_key=key, payload=payload,
                                            event_type="status_changed")])
    senders = SenderRegistry()
    signer = signer_for(world.settings)
    assert signer is not None
    sender = PushSender(world.database, world.settings, signer)
    senders.register(Channel.PUSH, sender)
    try:
        await DeliveryRunner(world.database, senders, RetryPolicy(max_attempts=3)).run_once()
    finally:
        await sender.aclose()
    async with world.database.unit_of_work(write=False) as session:
        return await session.scalar(select(Delivery).where(Delivery.idempotency_key == key))


async def subscription_ids(world: World) -> set[int]:
    async with world.database.unit_of_work(write=False) as session:
        return set(await session.scalars(select(PushSubscription.id)))


async def test_each_browser_gets_the_message_encrypted_for_it_and_signed_by_the_server(
        world: World, service: PushService) -> None:
    laptop, phone = Browser(service.to("ok/laptop")), Browser(service.to("ok/phone"))
    for browser in (laptop, phone):
        await subscribe(world, world.user, browser)
    delivery = await send_one(world, world.user.user_id)
    assert delivery.state == DeliveryState.DELIVERED and delivery.last_status == 201
    assert sorted(r.path for r in service.received) == ["/ok/laptop", "/ok/phone"]
    for browser in (laptop, phone):
        [request] = [r for r in service.received if browser.endpoint.endswith(r.path)]
        assert request.headers["content-encoding"] == "aes128gcm"
        assert int(request.headers["ttl"]) > 0 and len(request.headers["topic"]) <= 32
        claims = verify_vapid(request.headers["authorization"], public_key=KEYS.public_key)
        assert claims["aud"] == service.url and claims["sub"] == "mailto:ops@tessera.example"
        assert claims["exp"] - utcnow().timestamp() <= 24 * 3600
        message = browser.decrypt(request.body)
        assert message["title"] == "SHOP-1 Cart total ignores coupon"
        assert message["body"].endswith("moved it from To Do to In Progress")
        assert message["url"] == "https://tessera.example/browse/SHOP-1" and message["tag"] == "SHOP-1"
    with pytest.raises(Exception):  # noqa: B017,PT011 - the laptop's keys cannot read the phone's message
        laptop.decrypt([r for r in service.received if r.path == "/ok/phone"][0].body)
    async with world.database.unit_of_work(write=False) as session:
        stamped = (await session.scalars(select(PushSubscription.last_success_at).where(
            PushSubscription.user_id == world.user.user_id))).all()
    assert len(stamped) == 2 and all(stamped)


async def test_a_german_recipient_is_pushed_german_words(world: World, service: PushService) -> None:
    browser = Browser(service.to("ok/de"))
    await subscribe(world, world.user, browser)
    async with world.database.unit_of_work() as session:
        await check_update_preferences(session, organization_id=world.org.organization_id,
                                       user_id=world.user.user_id, change={"language": "de"})
    assert (await send_one(world, world.user.user_id)).state == DeliveryState.DELIVERED
    [request] = [r for r in service.received if r.path == "/ok/de"]
    assert browser.decrypt(request.body)["body"].endswith("hat ihn von To Do nach In Progress verschoben")


async def test_a_gone_subscription_is_removed_and_the_delivery_is_final(world: World, service: PushService) -> None:
    gone = await subscribe(world, world.user, Browser(service.to("gone/old-browser")))
    delivery = await send_one(world, world.user.user_id)
    assert delivery.state == DeliveryState.DEAD and delivery.last_status == 410 and delivery.attempts == 1
    assert gone not in await subscription_ids(world)
    again = await send_one(world, world.user.user_id)  # nothing left to send to
    assert again.state == DeliveryState.DEAD and "no push subscription" in (again.last_error or "")
    assert len(service.received) == 1


async def test_one_browser_gone_and_another_reached_is_delivered(world: World, service: PushService) -> None:
    gone = await subscribe(world, world.user, Browser(service.to("gone/a")))
    kept = await subscribe(world, world.user, Browser(service.to("ok/b")))
    delivery = await send_one(world, world.user.user_id)
    assert delivery.state == DeliveryState.DELIVERED
    remaining = await subscription_ids(world)
    assert gone not in remaining and kept in remaining


async def test_a_busy_push_service_is_retried_after_its_retry_after(world: World, service: PushService) -> None:
    await subscribe(world, world.user, Browser(service.to("busy/x")))
    before = utcnow()
    delivery = await send_one(world, world.user.user_id)
    assert delivery.state == DeliveryState.FAILED and delivery.last_status == 503
    assert delivery.next_attempt_at >= before + timedelta(seconds=29)
    async with world.database.unit_of_work() as session:  # done with it: keep it out of the next tests' runs
        await session.execute(update(Delivery).where(Delivery.id == delivery.id).values(state="dead"))


async def test_other_organizations_browsers_are_never_used(world: World, service: PushService) -> None:
    await subscribe(world, world.other_org, Browser(service.to("ok/other-org-admin")))
    # A delivery of org A naming org B's admin as its recipient reaches no browser of B.
    delivery = await send_one(world, world.other_org.admin_user_id)
    assert delivery.state == DeliveryState.DEAD and service.received == []
    async with world.database.unit_of_work(write=False) as session:
        directory = PushDirectory()
        assert await directory.reachable(session, world.org.organization_id, [world.other_org.admin_user_id]) == {}
        assert await directory.reachable(session, world.other_org.organization_id,
                                         [world.other_org.admin_user_id, world.user.user_id]) == {
            world.other_org.admin_user_id: "push: 1 browser"}


async def test_a_refused_address_is_final(world: World, service: PushService) -> None:
    strict = replace(world.settings, outbound_allow_private=False)
    await subscribe(world, world.user, Browser(service.to("ok/loopback")))
    signer = signer_for(strict)
    assert signer is not None
    sender = PushSender(world.database, strict, signer)
    try:
        async with world.database.unit_of_work(write=False) as session:
            rows = (await session.scalars(select(PushSubscription))).all()
        assert rows
        [outcome] = await sender.send_batch([ClaimedDelivery(
            id=0, organization_id=world.org.organization_id, channel="push", event_id=None, event_type="x",
            target_id=world.user.user_id, target="", idempotency_key="k", attempts=1, created_at=utcnow(),
            payload={"kind": "issue", "recipient_id": world.user.user_id, "issue_id": world.issue_id,
                     "issue_key": world.issue_key, "changes": []})])
    finally:
        await sender.aclose()
    assert not outcome.ok and not outcome.retry and service.received == []


async def test_a_deactivated_users_browsers_receive_nothing(world: World, service: PushService) -> None:
    from tessera.tenancy.models import User

    await subscribe(world, world.user, Browser(service.to("ok/deactivated")))
    async with world.database.unit_of_work() as session:
        await session.execute(update(User).where(User.id == world.user.user_id).values(active=False))
        assert await PushDirectory().reachable(session, world.org.organization_id, [world.user.user_id]) == {}
    delivery = await send_one(world, world.user.user_id)
    assert delivery.state == DeliveryState.DEAD and service.received == []
