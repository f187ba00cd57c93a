"""Dashboards: who may see one, creating, changing, deleting and listing them.

Sharing works exactly as for saved filters (and is checked by the same code): the owner always
sees a dashboard; a share reaches the whole organization, the browsers of a project, a project
role, a group or one user. Organization admins get no special sight, but may delete anyone's.
Only the owner changes a dashboard. Seeing a dashboard shows its layout; each gadget's data is
computed for the viewer, so sharing a dashboard never shares issues the viewer may not browse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.listing import name_contains, page_by_name
from tessera.db.scoped import save_versioned
from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tessera.jql.filters import ShareTarget, share_reaches, validate_shares
from tessera.reports.gadgets import validate_layout
from tessera.reports.models import Dashboard, DashboardShare
from tessera.reports.periods import iso
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User

MAX_SHARES = 100


def visible_dashboards_condition(actor: Actor):  # type: ignore[no-untyped-def]
    """SQL condition over Dashboard: the actor owns it or one of its shares reaches the actor
    (the rules of saved filters)."""
    org = actor.organization_id
    shared = exists().where(DashboardShare.organization_id == org, DashboardShare.dashboard_id == Dashboard.id,
                            share_reaches(actor, DashboardShare))
    return (Dashboard.organization_id == org) & or_(Dashboard.owner_id == actor.user_id, shared)


async def access_dashboard(session: AsyncSession, actor: Actor, dashboard_id: int, *,
                           to_delete: bool = False) -> Dashboard:
    """A dashboard the actor may see (organization admins may also reach others' to delete
    them); anything else is NotFound, exactly like a missing id."""
    query = select(Dashboard).where(Dashboard.id == dashboard_id)
    if to_delete and actor.is_org_admin:
        query = query.where(Dashboard.organization_id == actor.organization_id)
    else:
        query = query.where(visible_dashboards_condition(actor))
    found = await session.scalar(query)
    if found is None:
        raise NotFound("Dashboard not found.")
    return found


def _name(value: object) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("A dashboard needs a name of at most 255 characters.", field="name")
    return name


def _description(value: object) -> str:
    text = str(value or "")
    if len(text) > 32_767:
        raise InvalidInput("A description is at most 32,767 characters.", field="description")
    return text


async def _shares(session: AsyncSession, actor: Actor, specs: object) -> list[ShareTarget]:
    if not isinstance(specs, list) or len(specs) > MAX_SHARES:
        raise InvalidInput(f"shares is a list of at most {MAX_SHARES} shares.", field="shares")
    for index, spec in enumerate(specs):
        if not isinstance(spec, Mapping):
            raise InvalidInput("A share is an object with a type.", field=f"shares.{index}")
    return await validate_shares(session, actor, specs)


async def _replace_shares(session: AsyncSession, dashboard: Dashboard, shares: Sequence[ShareTarget]) -> None:
    await session.execute(delete(DashboardShare).where(DashboardShare.organization_id == dashboard.organization_id,
                                                       DashboardShare.dashboard_id == dashboard.id))
    for share in shares:
        session.add(DashboardShare(organization_id=dashboard.organization_id, dashboard_id=dashboard.id,
                                   **share.columns()))


async def check_create_dashboard(session: AsyncSession, *, actor: Actor, spec: Mapping[str, Any]) -> Dashboard:
    """`spec`: name, description, layout ({"columns", "gadgets"}), shares. Every gadget's
    configuration is checked as the creator sees things (JQL, filters and boards it names)."""
    name = _name(spec.get("name"))
    description = _description(spec.get("description"))
    layout = await validate_layout(session, actor, spec.get("layout") or {"gadgets": []})
    shares = await _shares(session, actor, spec.get("shares") or [])
    dashboard = Dashboard(organization_id=actor.organization_id, owner_id=actor.user_id, name=name,
                          description=description, layout=layout, version=1)
    session.add(dashboard)
    await session.flush()
    await _replace_shares(session, dashboard, shares)
    await session.flush()
    return dashboard


async def check_update_dashboard(session: AsyncSession, *, actor: Actor, dashboard: Dashboard,
                                 spec: Mapping[str, Any]) -> Dashboard:
    """Owner only; the keys present change. With `version`, a stale copy is refused (409)."""
    if dashboard.owner_id != actor.user_id:
        raise PermissionDenied("Only the dashboard's owner may change it.")
    version = spec.get("version")
    if version is not None and version != dashboard.version:
        raise Conflict("The dashboard was changed by someone else; reload it and try again.",
                       code="version_conflict", data={"current_version": dashboard.version})
    values: dict[str, Any] = {}
    if spec.get("name") is not None:
        values["name"] = _name(spec["name"])
    if spec.get("description") is not None:
        values["description"] = _description(spec["description"])
    if spec.get("layout") is not None:
        values["layout"] = await validate_layout(session, actor, spec["layout"])
    shares = await _shares(session, actor, spec["shares"]) if spec.get("shares") is not None else None
    await save_versioned(session, dashboard, values,
                         conflict="The dashboard was changed by someone else; reload it and try again.")
    if shares is not None:
        await _replace_shares(session, dashboard, shares)
    await session.flush()
    await session.refresh(dashboard)
    return dashboard


async def check_delete_dashboard(session: AsyncSession, *, actor: Actor, dashboard: Dashboard) -> None:
    if dashboard.owner_id != actor.user_id and not actor.is_org_admin:
        raise PermissionDenied("Only the dashboard's owner or an organization administrator may delete it.")
    record(session, organization_id=dashboard.organization_id, action="dashboard.deleted", object_type="dashboard",
           object_id=dashboard.id, changes={"name": dashboard.name, "owner_id": dashboard.owner_id})
    await session.execute(delete(DashboardShare).where(DashboardShare.organization_id == dashboard.organization_id,
                                                       DashboardShare.dashboard_id == dashboard.id))
    await session.delete(dashboard)
    await session.flush()


async def list_dashboards(session: AsyncSession, actor: Actor, *, query: str | None = None, mine: bool = False,
                          start_at: int = 0, max_results: int = 50) -> tuple[list[Dashboard], int]:
    base = select(Dashboard).where(visible_dashboards_condition(actor))
    if query:
        base = base.where(name_contains(Dashboard.name, query))
    if mine:
        base = base.where(Dashboard.owner_id == actor.user_id)
    return await page_by_name(session, base, name=Dashboard.name, row_id=Dashboard.id, start_at=start_at,
                              max_results=max_results)


@dataclass(frozen=True)
class DashboardDetails:
    dashboard: Dashboard
    owner: User | None
    shares: list[DashboardShare]


async def describe_dashboards(session: AsyncSession, actor: Actor, dashboards: Sequence[Dashboard]
                              ) -> list[DashboardDetails]:
    """Owners, and shares for the actor's own dashboards only (they name projects, groups and
    people other viewers may not know about)."""
    if not dashboards:
        return []
    org = actor.organization_id
    owners = {u.id: u for u in (await session.scalars(select(User).where(
        User.organization_id == org, User.id.in_({d.owner_id for d in dashboards})))).all()}
    own = [d.id for d in dashboards if d.owner_id == actor.user_id]
    shares: dict[int, list[DashboardShare]] = {}
    if own:
        for share in (await session.scalars(select(DashboardShare).where(
                DashboardShare.organization_id == org, DashboardShare.dashboard_id.in_(own))
                .order_by(DashboardShare.id))).all():
            shares.setdefault(share.dashboard_id, []).append(share)
    return [DashboardDetails(d, owners.get(d.owner_id), shares.get(d.id, [])) for d in dashboards]


def dashboard_view(details: DashboardDetails, actor: Actor, *, with_layout: bool = True) -> dict[str, Any]:
    dashboard = details.dashboard
    view: dict[str, Any] = {
        "id": dashboard.id, "name": dashboard.name, "description": dashboard.description,
        "owner": {"id": details.owner.id, "display_name": details.owner.display_name} if details.owner else None,
        "version": dashboard.version, "can_edit": dashboard.owner_id == actor.user_id,
        "created": iso(dashboard.created_at), "updated": iso(dashboard.updated_at)}
    if with_layout:
        view["layout"] = dashboard.layout
    if dashboard.owner_id == actor.user_id:
        view["shares"] = [share_spec(share) for share in details.shares]
    return view


def share_spec(share: DashboardShare) -> dict[str, Any]:
    """A share as the API shows it and as `validate_shares` reads it."""
    view: dict[str, Any] = {"type": share.share_type}
    if share.project_id is not None:
        view["project_id"] = share.project_id
    if share.role is not None:
        view["role"] = share.role
    if share.group_id is not None:
        view["group_id"] = share.group_id
    if share.user_id is not None:
        view["user_id"] = share.user_id
    return view

