"""POST /rest/api/2/issue/{issue}/notify: Jira's body (`subject`, `textBody`, `htmlBody`, `to`
with `reporter`, `assignee`, `watchers`, `voters`, `users`, `groups`, and `restrict` with
`groups` and `permissions`) read into tessera.issues.notify's audience. 204, as in Jira."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import as_bool, as_text, json_object, ref_of
from tessera.api.jira.people import find_user
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.notify import Audience, check_notify
from tessera.issues.service import access_issue
from tessera.tenancy.actor import Actor
from tessera.tenancy.groups import find_group
from tessera.tenancy.models import Group
from tessera.tenancy.permissions import Permission

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
MAX_NAMED = 100
# Jira's permission keys and ids in `restrict.permissions` (BROWSE is 10), and Tessera's own names.
JIRA_PERMISSIONS = {"BROWSE": Permission.BROWSE_PROJECTS, "10": Permission.BROWSE_PROJECTS,
                    **{p.value: p for p in Permission}}


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_NAMED:
        raise InvalidInput(f"'{field}' is a list of at most {MAX_NAMED} entries.", field=field)
    return value


async def _groups(session: AsyncSession, actor: Actor, value: Any, field: str) -> list[Group]:
    found = []
    for item in _list(value, field):
        name = ref_of(item, "name", "groupId")
        if not isinstance(name, str):
            raise InvalidInput(f"Each of '{field}' names a group: {{\"name\": \"developers\"}}.", field=field)
        try:
            found.append(await find_group(session, actor, name))
        except NotFound:
            raise InvalidInput(f"The group '{name[:100]}' does not exist.", field=field) from None
    return found


async def _users(session: AsyncSession, actor: Actor, value: Any) -> list[int]:
    ids = []
    for item in _list(value, "to.users"):
        user = await find_user(session, actor, item)
        if user is None:
            raise InvalidInput("A user of 'to.users' does not exist.", field="to.users")
        ids.append(user.id)
    return ids


def _permissions(value: Any) -> list[Permission]:
    found = []
    for item in _list(value, "restrict.permissions"):
        ref = ref_of(item, "key", "id")
        if str(ref).upper() not in JIRA_PERMISSIONS:
            raise InvalidInput(f"Unknown permission '{str(ref)[:50]}' in restrict.permissions.",
                               field="restrict.permissions")
        found.append(JIRA_PERMISSIONS[str(ref).upper()])
    return found


@router.post("/issue/{issue_ref}/notify", status_code=204)
async def notify(issue_ref: str, request: Request, ctx: Ctx) -> Response:
    body = await json_object(request)
    to, restrict = body.get("to") or {}, body.get("restrict") or {}
    if not isinstance(to, dict) or not isinstance(restrict, dict):
        raise InvalidInput("'to' and 'restrict' are JSON objects.", field="to")
    subject = as_text(body, "subject") or ""
    text = as_text(body, "textBody") or as_text(body, "htmlBody") or ""
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        audience = Audience(
            **{role: as_bool(to.get(role), field=f"to.{role}") is True
               for role in ("reporter", "assignee", "watchers", "voters")},
            user_ids=await _users(session, actor, to.get("users")),
            groups=await _groups(session, actor, to.get("groups"), "to.groups"),
            only_groups=await _groups(session, actor, restrict.get("groups"), "restrict.groups"),
            only_permissions=_permissions(restrict.get("permissions")))
        await check_notify(session, actor=actor, issue=issue, project=project, subject=subject, text_body=text,
                           audience=audience)
    return Response(status_code=204)
