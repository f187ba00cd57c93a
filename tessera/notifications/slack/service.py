"""Setting and removing Slack webhooks: a user's own (`/v2/users/me/slack`) and a project's
(`/v2/projects/{id}/slack`, project administrators only), and reading them back for sending.

URL policy: Slack's incoming webhooks live on https://hooks.slack.com (and hooks.slack-gov.com
for GovSlack), so only those are accepted, which also keeps the setting from being a way to make
Tessera call arbitrary hosts. When the operator allows private receivers
(TESSERA_OUTBOUND_ALLOW_PRIVATE=true: a Slack-compatible server on the local network such as
Mattermost, or tests) any http(s) URL is accepted; the outbound client still checks every
address it connects to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.config import Settings
from tessera.crypto.secret_box import SecretBox
from tessera.errors import InvalidInput
from tessera.issues.views import iso
from tessera.notifications.slack.models import SlackTarget
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

SLACK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
URL_MAX = 2000


def check_webhook_url(settings: Settings, url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("A Slack incoming webhook URL is required.", field="url")
    url = url.strip()
    if len(url) > URL_MAX:
        raise InvalidInput(f"The URL is longer than {URL_MAX} characters.", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise InvalidInput("The URL is not valid.", field="url") from error
    if parts.username or parts.password or any(c.isspace() for c in url):
        raise InvalidInput("The URL is not valid.", field="url")
    if settings.outbound_allow_private:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput("The URL must be an http or https URL.", field="url")
        return url
    if parts.scheme != "https" or (parts.hostname or "").lower() not in SLACK_HOSTS:
        raise InvalidInput("The URL must be a Slack incoming webhook (https://hooks.slack.com/services/...).",
                           field="url")
    if len(parts.path.strip("/")) < 8:
        raise InvalidInput("The URL lacks the webhook's path (https://hooks.slack.com/services/...).", field="url")
    return url


def url_hint(url: str) -> str:
    """Enough to recognize a webhook, too little to use it: the path is the secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…{parts.path[-4:]}"


def slack_view(target: SlackTarget | None) -> dict:
    if target is None:
        return {"configured": False, "url_hint": None, "updated": None}
    return {"configured": True, "url_hint": target.url_hint, "updated": iso(target.updated_at)}


async def get_user_slack(session: AsyncSession, actor: Actor) -> SlackTarget | None:
    return await session.scalar(select(SlackTarget).where(
        SlackTarget.organization_id == actor.organization_id, SlackTarget.user_id == actor.user_id))


async def get_project_slack(session: AsyncSession, actor: Actor, project: Project) -> SlackTarget | None:
    """The project must come from `access_project` (any member who may browse it may see whether
    a channel is set; only the hint is shown)."""
    return await session.scalar(select(SlackTarget).where(
        SlackTarget.organization_id == actor.organization_id, SlackTarget.project_id == project.id))


async def check_set_user_slack(session: AsyncSession, *, actor: Actor, settings: Settings, url: object
                               ) -> SlackTarget:
    checked = check_webhook_url(settings, url)
    return await _do_store(session, actor, settings, checked, await get_user_slack(session, actor),
                           user_id=actor.user_id)


async def check_set_project_slack(session: AsyncSession, *, actor: Actor, settings: Settings, project: Project,
                                  url: object) -> SlackTarget:
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    checked = check_webhook_url(settings, url)
    return await _do_store(session, actor, settings, checked, await get_project_slack(session, actor, project),
                           project_id=project.id)


async def do_delete_user_slack(session: AsyncSession, *, actor: Actor) -> None:
    removed = await session.execute(delete(SlackTarget).where(
        SlackTarget.organization_id == actor.organization_id, SlackTarget.user_id == actor.user_id))
    if removed.rowcount:
        record(session, organization_id=actor.organization_id, action="slack.deleted", object_type="user",
               object_id=actor.user_id)


async def check_delete_project_slack(session: AsyncSession, *, actor: Actor, project: Project) -> None:
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    removed = await session.execute(delete(SlackTarget).where(
        SlackTarget.organization_id == actor.organization_id, SlackTarget.project_id == project.id))
    if removed.rowcount:
        record(session, organization_id=actor.organization_id, action="slack.deleted", object_type="project",
               object_id=project.id, object_key=project.key)


async def _do_store(session: AsyncSession, actor: Actor, settings: Settings, url: str, existing: SlackTarget | None,
                    *, user_id: int | None = None, project_id: int | None = None) -> SlackTarget:
    if existing is None:
        existing = SlackTarget(organization_id=actor.organization_id, user_id=user_id, project_id=project_id,
                               created_by_id=actor.user_id, url_encrypted="", url_hint="")
        session.add(existing)
    existing.url_encrypted = SecretBox.from_settings(settings).encrypt(url)
    existing.url_hint = url_hint(url)
    await session.flush()
    await session.refresh(existing)
    return existing


@dataclass(frozen=True, slots=True)
class WebhookUrls:
    by_user: dict[int, str]
    by_project: dict[int, str]


async def load_webhook_urls(session: AsyncSession, settings: Settings, organization_id: int, *,
                            user_ids: Iterable[int] = (), project_ids: Iterable[int] = ()) -> WebhookUrls:
    """The decrypted URLs of these users and projects, in one query; a URL the current key cannot
    decrypt (rotated without re-encryption) is left out, so its deliveries fail permanently."""
    users, projects = sorted(set(user_ids)), sorted(set(project_ids))
    found = WebhookUrls({}, {})
    if not users and not projects:
        return found
    matches = ([SlackTarget.user_id.in_(users)] if users else []) + (
        [SlackTarget.project_id.in_(projects)] if projects else [])
    rows = (await session.scalars(select(SlackTarget).where(
        SlackTarget.organization_id == organization_id, or_(*matches)))).all()
    for row in rows:
        try:
            url = SecretBox.from_settings(settings).decrypt(row.url_encrypted)
        except ValueError:
            continue
        if row.user_id is not None:
            found.by_user[row.user_id] = url
        elif row.project_id is not None:
            found.by_project[row.project_id] = url
    return found
