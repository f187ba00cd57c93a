"""Each user's notification preferences, and mutes. Preferences filter what the scheme chose;
they never add a recipient.

The document (what GET answers and PUT takes; PUT may send any part of it):
    {"channels": {"inbox": true, "email": true, "slack": true, "push": true},
     "events": {"issue_updated": {"email": false}, ...},   # per kind, per channel; true/false: all channels
     "own_changes": false,                                # "notify me of my own changes"
     "digest": {"email": "off" | "hourly" | "daily", "slack": ..., "push": ...},
     "language": "en" | "de"}                             # what every channel writes in
The language is read when a message is sent, not when the event fans out: a change of language
applies to what is still waiting in a batch.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.delivery.models import Channel
from tessera.errors import InvalidInput
from tessera.issues.models import Issue
from tessera.issues.security import issue_visible_condition
from tessera.notifications.kinds import KINDS, named_for
from tessera.notifications.locale import DEFAULT_LANGUAGE, LANGUAGES
from tessera.notifications.models import IssueMute, NotificationPreference
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor

CHANNELS: tuple[str, ...] = (Channel.INBOX, Channel.EMAIL, Channel.SLACK, Channel.PUSH)
DIGEST_CHANNELS: tuple[str, ...] = (Channel.EMAIL, Channel.SLACK, Channel.PUSH)
DIGEST_MODES = ("off", "hourly", "daily")
DEFAULTS: dict[str, Any] = {"channels": {channel: True for channel in CHANNELS}, "events": {},
                            "own_changes": False, "digest": {channel: "off" for channel in DIGEST_CHANNELS},
                            "language": DEFAULT_LANGUAGE}


MAX_MUTED_SHOWN = 500


@dataclass(frozen=True, slots=True)
class MutedIssue:
    issue_id: int
    key: str
    summary: str


@dataclass(frozen=True, slots=True)
class Preferences:
    """One user's document, with the questions the fan-out asks of it."""

    document: dict[str, Any]

    @property
    def own_changes(self) -> bool:
        return bool(self.document["own_changes"])

    def wants(self, channel: str, kind: str) -> bool:
        override = (named_for(kind, self.document["events"]) or {}).get(channel)
        return bool(self.document["channels"].get(channel, False)) if override is None else bool(override)

    def digest(self, channel: str) -> str:
        return self.document["digest"].get(channel, "off")

    @property
    def language(self) -> str:
        """A catalog withdrawn since the user chose it reads as English."""
        chosen = self.document["language"]
        return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def _merged(stored: dict[str, Any] | None) -> dict[str, Any]:
    document = copy.deepcopy(DEFAULTS)
    for key, value in (stored or {}).items():
        if isinstance(document.get(key), dict) and isinstance(value, dict):
            document[key].update(value)
        elif key in document:
            document[key] = value
    return document


def preferences_from(stored: dict[str, Any] | None) -> Preferences:
    """A stored document (None: no row) with the defaults under it."""
    return Preferences(_merged(stored))


async def preferences_of(session: AsyncSession, *, organization_id: int,
                         user_ids: Sequence[int]) -> dict[int, Preferences]:
    """Everyone's preferences in one query; users with no row get the defaults."""
    rows = dict((await session.execute(select(NotificationPreference.user_id, NotificationPreference.settings).where(
        NotificationPreference.organization_id == organization_id,
        NotificationPreference.user_id.in_(list(user_ids))))).all()) if user_ids else {}
    return {user_id: Preferences(_merged(rows.get(user_id))) for user_id in user_ids}


async def languages_of(session: AsyncSession, *, organization_id: int, user_ids: Sequence[int]) -> dict[int, str]:
    """Each user's notification language, in one query (the senders ask for a batch's recipients)."""
    found = await preferences_of(session, organization_id=organization_id, user_ids=sorted(set(user_ids)))
    return {user_id: preferences.language for user_id, preferences in found.items()}


async def preferences_view(session: AsyncSession, *, organization_id: int, user_id: int) -> dict[str, Any]:
    return (await preferences_of(session, organization_id=organization_id, user_ids=[user_id]))[user_id].document


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"'{field}' is true or false.", field=field)
    return value


def _validated(change: Any) -> dict[str, Any]:
    """The parts of a PUT body, checked and normalized."""
    if not isinstance(change, dict):
        raise InvalidInput("The body is an object with channels, events, own_changes, digest and language.",
                           field="body")
    unknown = set(change) - set(DEFAULTS)
    if unknown:
        raise InvalidInput(f"Unknown preference {sorted(unknown)[0][:40]!r}.", field=sorted(unknown)[0][:40])
    out: dict[str, Any] = {}
    if "channels" in change:
        channels = change["channels"]
        if not isinstance(channels, dict) or set(channels) - set(CHANNELS):
            raise InvalidInput(f"'channels' maps channels ({', '.join(CHANNELS)}) to true or false.", field="channels")
        out["channels"] = {channel: _bool(on, f"channels.{channel}") for channel, on in channels.items()}
    if "events" in change:
        events = change["events"]
        if not isinstance(events, dict):
            raise InvalidInput("'events' maps event kinds to per-channel switches.", field="events")
        out["events"] = {}
        for kind, switches in events.items():
            if kind not in KINDS:
                raise InvalidInput(f"Unknown event kind {str(kind)[:60]!r}.", field=f"events.{str(kind)[:60]}")
            if isinstance(switches, bool):
                switches = {channel: switches for channel in CHANNELS}
            if not isinstance(switches, dict) or set(switches) - set(CHANNELS):
                raise InvalidInput(f"'events.{kind}' is true, false or {{channel: true|false}}.", field=f"events.{kind}")
            out["events"][kind] = {channel: _bool(on, f"events.{kind}.{channel}") for channel, on in switches.items()}
    if "own_changes" in change:
        out["own_changes"] = _bool(change["own_changes"], "own_changes")
    if "digest" in change:
        digest = change["digest"]
        if not isinstance(digest, dict) or set(digest) - set(DIGEST_CHANNELS) or any(
                mode not in DIGEST_MODES for mode in digest.values()):
            raise InvalidInput(f"'digest' maps channels ({', '.join(DIGEST_CHANNELS)}) to one of "
                               f"{', '.join(DIGEST_MODES)}.", field="digest")
        out["digest"] = dict(digest)
    if "language" in change:
        if change["language"] not in LANGUAGES:
            raise InvalidInput(f"Unknown language {str(change['language'])[:40]!r}; notifications are written in: "
                               f"{', '.join(LANGUAGES)}.", field="language")
        out["language"] = change["language"]
    return out


async def check_update_preferences(session: AsyncSession, *, organization_id: int, user_id: int,
                                   change: Any) -> dict[str, Any]:
    """Merge `change` into the user's preferences (a kind's switches replace that kind's);
    answers the whole document."""
    return await do_update_preferences(session, organization_id=organization_id, user_id=user_id,
                                       change=_validated(change))


async def do_update_preferences(session: AsyncSession, *, organization_id: int, user_id: int,
                                change: dict[str, Any]) -> dict[str, Any]:
    row = await session.get(NotificationPreference, (organization_id, user_id))
    stored = copy.deepcopy(row.settings) if row is not None else {}
    for key, value in change.items():
        if key == "events":
            stored.setdefault("events", {}).update(value)
        elif isinstance(value, dict):
            stored.setdefault(key, {}).update(value)
        else:
            stored[key] = value
    if row is None:
        session.add(NotificationPreference(organization_id=organization_id, user_id=user_id, settings=stored))
    else:
        row.settings = stored
        row.updated_at = utcnow()
    await session.flush()
    return _merged(stored)


async def do_mute(session: AsyncSession, *, organization_id: int, issue_id: int, user_id: int, muted: bool) -> None:
    """Mute or unmute; the caller has loaded the issue with access_issue (it may browse it)."""
    if muted:
        connection = await session.connection()
        await connection.execute(insert_ignoring(connection.dialect.name, IssueMute.__table__).values(
            organization_id=organization_id, issue_id=issue_id, user_id=user_id, created_at=utcnow()))
    else:
        await session.execute(delete(IssueMute).where(IssueMute.organization_id == organization_id,
                                                      IssueMute.issue_id == issue_id, IssueMute.user_id == user_id))


async def is_muted(session: AsyncSession, *, organization_id: int, issue_id: int, user_id: int) -> bool:
    return await session.scalar(select(IssueMute.user_id).where(
        IssueMute.organization_id == organization_id, IssueMute.issue_id == issue_id,
        IssueMute.user_id == user_id)) is not None


async def muted_issues(session: AsyncSession, *, actor: Actor, limit: int = MAX_MUTED_SHOWN) -> list[MutedIssue]:
    """The issues `actor` muted, most recently muted first; only those it may still browse (a
    mute of an issue in a project it has since left stays, unseen, until the issue goes)."""
    rows = await session.execute(
        select(Issue.id, Issue.key, Issue.summary)
        .join(IssueMute, (IssueMute.issue_id == Issue.id) & (IssueMute.organization_id == Issue.organization_id))
        .join(Project, (Project.id == Issue.project_id) & (Project.organization_id == Issue.organization_id))
        .where(IssueMute.organization_id == actor.organization_id, IssueMute.user_id == actor.user_id,
               browsable_projects_condition(actor), issue_visible_condition(actor))
        .order_by(IssueMute.created_at.desc(), Issue.id.desc()).limit(limit))
    return [MutedIssue(issue_id, key, summary) for issue_id, key, summary in rows.all()]
