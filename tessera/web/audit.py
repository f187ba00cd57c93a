"""The audit log in the browser, for organization administrators (the same check as /v2/audit):
the organization's records filtered by action, actor, object and dates, newest first a page at
a time (the queries' sequence cursor)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.audit.queries import AuditFilter, list_records, record_view
from tessera.audit.retention import chain_of
from tessera.errors import InvalidInput
from tessera.tenancy.permissions import require_org_admin
from tessera.tenancy.service import users_by_id
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
REFUSAL = "Only an organization administrator may read its audit log."
FILTERS = ("action", "actor", "object_type", "object_key", "since", "until")


def _number(text: str, name: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or len(text.strip()) > 18:
        raise InvalidInput(f"'{name}' is a user id (a number).", field=name)
    return int(text)


def _day(text: str, name: str, *, end: bool = False) -> datetime | None:
    """A date (YYYY-MM-DD, UTC); `end`: the end of that day."""
    if not text.strip():
        return None
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"'{name}' is a date like 2026-01-31.", field=name) from None
    return day.replace(hour=23, minute=59, second=59, microsecond=999999) if end else day


@router.get("/admin/audit")
async def audit_page(web: Web, action: str = "", actor: str = "", object_type: str = "", object_key: str = "",
                     since: str = "", until: str = "", cursor: str = "") -> Response:
    """A filter the queries refuse shows the page again with the message, status 400."""
    shown = {"action": action, "actor": actor, "object_type": object_type, "object_key": object_key,
             "since": since, "until": until}
    async with web.transaction(write=False) as (session, who):
        require_org_admin(who, REFUSAL)
        chain = await chain_of(session, who.organization_id)
        try:
            where = AuditFilter(action=action.strip()[:96] or None, actor_user_id=_number(actor, "actor"),
                                object_type=object_type.strip()[:32] or None,
                                object_key=object_key.strip()[:255] or None,
                                since=_day(since, "since"), until=_day(until, "until", end=True))
            page = await list_records(session, organization_id=who.organization_id, where=where, limit=PAGE_SIZE,
                                      cursor=cursor or None)
            people = await users_by_id(session, who.organization_id,
                                       {r.actor_user_id for r in page.records if r.actor_user_id is not None})
        except InvalidInput as error:
            return web.render("audit.html", status_code=error.status, records=[], next_cursor=None, people={},
                              filters=shown, error=error.message, chain=chain, nav="audit")
    return web.render("audit.html", records=[record_view(r) for r in page.records], people=people,
                      next_cursor=page.next_cursor, filters=shown, paged=bool(cursor), error=None, chain=chain,
                      nav="audit")
