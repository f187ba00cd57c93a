"""Issues as rows of the columns a gadget asks for (filter results, assigned to me)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.models import Issue
from tessera.issues.references import catalog_for
from tessera.issues.views import UserBrief, render_issues
from tessera.tenancy.actor import Actor


def _name(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("display_name") or value.get("name") or value.get("value") or value.get("key")
    if isinstance(value, list):
        return [_name(item) for item in value]
    return value


def _cell(view: dict, column: str) -> Any:
    if column == "status":
        return view["status"]["name"]
    if column in ("priority", "resolution", "assignee", "reporter"):
        return _name(view[column])
    if column == "issuetype":
        return view["issue_type"]["name"]
    if column == "due":
        return view["due_date"]
    if column in ("components", "fix_versions"):
        return [part["name"] for part in view[column]]
    if column == "project":
        return view["project"]["key"]
    if column in view:
        return view[column]
    return _name(view["custom_fields"].get(column))


async def issue_rows(session: AsyncSession, *, actor: Actor, issues: Sequence[Issue], columns: Sequence[str]
                     ) -> list[dict[str, Any]]:
    views = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=issues,
                                catalog=await catalog_for(session, actor),
                                known_users=[UserBrief(actor.user_id, actor.display_name, actor.email)])
    return [{"id": view["id"], "key": view["key"], **{column: _cell(view, column) for column in columns}}
            for view in views]
