"""Notification schemes as in Jira: per project, each event kind maps to recipient rules. A
project without a scheme of its own uses DEFAULT_SCHEME, Jira's default (reporter, assignee and
watchers for every issue event; the mentioned user for a mention). `component_lead` (the leads
of the issue's components, Jira's "Component Lead") is there to be chosen: Jira's default scheme
does not name it, so neither does ours.

A rule is data: `{"type": "reporter"}`, `{"type": "project_role", "role": "developers"}`,
`{"type": "group", "group_id": 3}`, `{"type": "user", "user_id": 7}`. A scheme names only kinds
of tessera.notifications.kinds; a kind it does not name notifies nobody."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.base import utcnow
from tessera.errors import InvalidInput
from tessera.events.types import UserMentioned
from tessera.notifications.kinds import ISSUE_KINDS
from tessera.notifications.models import NotificationScheme
from tessera.projects.models import Project
from tessera.tenancy.models import Group, User

# type -> the parameter it takes (None: none).
RULE_TYPES: dict[str, str | None] = {
    "reporter": None, "assignee": None, "watchers": None, "mentioned": None, "current_user": None,
    "project_lead": None, "component_lead": None, "parent_watchers": None,
    "project_role": "role", "group": "group_id", "user": "user_id",
}
PROJECT_ROLES = ("administrators", "developers", "users")
MAX_RULES_PER_KIND = 50

_EVERYONE_INVOLVED = ({"type": "reporter"}, {"type": "assignee"}, {"type": "watchers"})
DEFAULT_SCHEME: dict[str, list[dict[str, Any]]] = {
    kind: [dict(rule) for rule in _EVERYONE_INVOLVED] for kind in ISSUE_KINDS if kind != UserMentioned.name}
DEFAULT_SCHEME[UserMentioned.name] = [{"type": "mentioned"}]


async def scheme_view(session: AsyncSession, *, project: Project) -> dict[str, Any]:
    rules = await session.scalar(select(NotificationScheme.rules).where(
        NotificationScheme.organization_id == project.organization_id, NotificationScheme.project_id == project.id))
    return {"project_id": project.id, "default": rules is None, "events": rules if rules is not None else DEFAULT_SCHEME,
            "event_kinds": sorted(ISSUE_KINDS), "rule_types": sorted(RULE_TYPES)}


async def _check_rule(session: AsyncSession, organization_id: int, kind: str, rule: Any) -> dict[str, Any]:
    where = f"events.{kind}"
    if not isinstance(rule, dict) or rule.get("type") not in RULE_TYPES:
        raise InvalidInput(f"Each rule of '{kind}' is an object whose type is one of: {', '.join(sorted(RULE_TYPES))}.",
                           field=where)
    param = RULE_TYPES[rule["type"]]
    if param is None:
        return {"type": rule["type"]}
    value = rule.get(param)
    if param == "role":
        if value not in PROJECT_ROLES:
            raise InvalidInput(f"A project_role rule names a role: one of {', '.join(PROJECT_ROLES)}.", field=where)
        return {"type": "project_role", "role": value}
    model = Group if param == "group_id" else User
    found = None
    if isinstance(value, int) and not isinstance(value, bool):
        found = await session.scalar(select(model.id).where(model.organization_id == organization_id,
                                                            model.id == value))
    if found is None:
        # The same words for another organization's id as for a missing one.
        raise InvalidInput(f"The {param.removesuffix('_id')} {str(value)[:40]!r} does not exist.", field=where)
    return {"type": rule["type"], param: value}


async def check_set_scheme(session: AsyncSession, *, project: Project, events: Any) -> None:
    """Replace the project's scheme (`events`: {kind: [rule, ...]}), or return to the default
    (`events` None). The caller has authorized ADMINISTER_PROJECTS."""
    existing = await session.scalar(select(NotificationScheme).where(
        NotificationScheme.organization_id == project.organization_id, NotificationScheme.project_id == project.id))
    if events is None:
        if existing is not None:
            record(session, organization_id=project.organization_id, action="notification_scheme.deleted",
                   object_type="project", object_id=project.id, object_key=project.key)
            await session.delete(existing)
            await session.flush()
        return
    if not isinstance(events, dict):
        raise InvalidInput("'events' maps event kinds to lists of recipient rules.", field="events")
    rules: dict[str, list[dict[str, Any]]] = {}
    for kind, kind_rules in events.items():
        if kind not in ISSUE_KINDS:
            raise InvalidInput(f"Unknown event kind {str(kind)[:60]!r}; known: {', '.join(sorted(ISSUE_KINDS))}.",
                               field=f"events.{str(kind)[:60]}")
        if not isinstance(kind_rules, list) or len(kind_rules) > MAX_RULES_PER_KIND:
            raise InvalidInput(f"'{kind}' takes a list of at most {MAX_RULES_PER_KIND} rules.", field=f"events.{kind}")
        checked = [await _check_rule(session, project.organization_id, kind, rule) for rule in kind_rules]
        rules[kind] = [dict(each) for each in {tuple(sorted(r.items())): r for r in checked}.values()]
    if existing is None:
        session.add(NotificationScheme(organization_id=project.organization_id, project_id=project.id, rules=rules))
    else:
        existing.rules = rules
        existing.updated_at = utcnow()
    await session.flush()
