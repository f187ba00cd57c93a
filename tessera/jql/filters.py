"""Saved filters: who may see one, and resolving `filter = "name"` / `filter = 10001` in JQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.listing import name_contains, page_by_name
from tessera.db.refs import parse_id
from tessera.db.scoped import save_versioned
from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tessera.jql import ast
from tessera.jql.models import SHARE_TYPES, FilterFavourite, FilterShare, SavedFilter
from tessera.jql.parser import parse
from tessera.jql.search import plan_query
from tessera.projects.models import Project
from tessera.projects.service import access_project, browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import (
    PROJECT_ROLES,
    Group,
    GroupMember,
    ProjectRoleMember,
    User,
)
from tessera.tenancy.permissions import Permission, authorize


def share_reaches(actor: Actor, share):  # type: ignore[no-untyped-def]
    """SQL condition over a share row (FilterShare, DashboardShare: share_type, user_id, group_id,
    project_id, role): it reaches the actor (the organization, the actor by name, a group the
    actor is in, a project the actor may browse, a project role the actor holds)."""
    org = actor.organization_id
    browsable = select(Project.id).where(browsable_projects_condition(actor))
    in_group = select(GroupMember.group_id).where(GroupMember.organization_id == org,
                                                  GroupMember.user_id == actor.user_id)
    holds_role = exists().where(ProjectRoleMember.organization_id == org,
                                ProjectRoleMember.user_id == actor.user_id,
                                ProjectRoleMember.project_id == share.project_id,
                                ProjectRoleMember.role == share.role)
    return or_(
        share.share_type == "organization",
        and_(share.share_type == "user", share.user_id == actor.user_id),
        and_(share.share_type == "group", share.group_id.in_(in_group)),
        and_(share.share_type == "project", share.project_id.in_(browsable)),
        and_(share.share_type == "project_role", holds_role),
    )


def visible_filters_condition(actor: Actor):  # type: ignore[no-untyped-def]
    """SQL condition over SavedFilter: the actor owns it, or one of its shares reaches the actor.
    Organization admins get no special sight here, as in Jira."""
    org = actor.organization_id
    shared = exists().where(FilterShare.organization_id == org, FilterShare.filter_id == SavedFilter.id,
                            share_reaches(actor, FilterShare))
    return (SavedFilter.organization_id == org) & or_(SavedFilter.owner_id == actor.user_id, shared)


async def get_visible_filter(session: AsyncSession, actor: Actor, ref: object) -> SavedFilter | None:
    """By numeric id, else by name (case-insensitive): the actor's own first, then the oldest."""
    query = select(SavedFilter).where(visible_filters_condition(actor))
    filter_id = parse_id(ref)
    if filter_id is not None:
        found = await session.scalar(query.where(SavedFilter.id == filter_id))
        if found is not None or not isinstance(ref, str):
            return found
    if not isinstance(ref, str) or not ref.strip():
        return None
    mine_first = case((SavedFilter.owner_id == actor.user_id, 0), else_=1)
    return await session.scalar(query.where(func.lower(SavedFilter.name) == ref.strip().lower())
                                .order_by(mine_first, SavedFilter.created_at, SavedFilter.id).limit(1))


async def find_filter_jql(session: AsyncSession, actor: Actor, ref: str) -> str:
    """The JQL of a filter the actor may see; an invisible filter reads exactly like a missing one."""
    found = await get_visible_filter(session, actor, ref)
    if found is None:
        raise InvalidInput(f"The value '{ref}' does not exist for the field 'filter'.", field="jql")
    return found.jql


# --- Saved filter CRUD ---------------------------------------------------------------------------

FILTER_FIELD_NAMES = frozenset({"filter", "request", "savedfilter", "searchrequest"})


@dataclass(frozen=True)
class ShareTarget:
    """One validated share: `share_type` plus the row it names (project, group or user)."""

    share_type: str
    project: Project | None = None
    role: str | None = None
    group: Group | None = None
    user: User | None = None

    def columns(self) -> dict[str, Any]:
        """The share's columns as filter and dashboard share rows store them."""
        return {"share_type": self.share_type, "project_id": self.project.id if self.project else None,
                "role": self.role, "group_id": self.group.id if self.group else None,
                "user_id": self.user.id if self.user else None}


@dataclass(frozen=True)
class FilterDetails:
    """A filter with what a response shows about it, all loaded in a few queries."""

    saved: SavedFilter
    owner: User | None
    shares: list[ShareTarget]
    favourite: bool
    favourite_count: int


async def access_filter(session: AsyncSession, actor: Actor, filter_id: int, *, to_delete: bool = False) -> SavedFilter:
    """A filter the actor may see (organization admins may also reach others' filters to delete
    them); anything else answers NotFound exactly as a missing id does."""
    query = select(SavedFilter).where(SavedFilter.id == filter_id)
    if to_delete and actor.is_org_admin:
        query = query.where(SavedFilter.organization_id == actor.organization_id)
    else:
        query = query.where(visible_filters_condition(actor))
    found = await session.scalar(query)
    if found is None:
        raise NotFound("Filter not found.")
    return found


def _missing(what: str, ref: object, field: str) -> InvalidInput:
    return InvalidInput(f"The {what} '{ref}' does not exist.", field=field)


async def _check_share(session: AsyncSession, actor: Actor, spec: Mapping[str, Any], index: int) -> ShareTarget:
    where = f"shares.{index}"
    share_type = spec.get("type")
    if share_type not in SHARE_TYPES:
        raise InvalidInput(f"A share's type must be one of {', '.join(SHARE_TYPES)}.", field=f"{where}.type")
    if share_type == "organization":
        return ShareTarget("organization")
    if share_type in ("project", "project_role"):
        ref = spec.get("project_id")
        if ref is None:
            raise InvalidInput("A project share needs project_id.", field=f"{where}.project_id")
        try:
            project = await access_project(session, actor, ref)
        except NotFound:
            raise _missing("project", ref, f"{where}.project_id") from None
        if share_type == "project":
            return ShareTarget("project", project=project)
        role = spec.get("role")
        if role not in PROJECT_ROLES:
            raise InvalidInput(f"The project role must be one of {', '.join(PROJECT_ROLES)}.", field=f"{where}.role")
        return ShareTarget("project_role", project=project, role=role)
    if share_type == "group":
        ref = spec.get("group_id", spec.get("group"))
        group_id = parse_id(ref) if spec.get("group_id") is not None else None
        condition = Group.id == group_id if group_id is not None else \
            func.lower(Group.name) == str(ref or "").strip().lower()
        group = await session.scalar(select(Group).where(Group.organization_id == actor.organization_id, condition))
        if group is None:
            field = f"{where}.group_id" if spec.get("group_id") is not None else f"{where}.group"
            raise _missing("group", ref, field)
        return ShareTarget("group", group=group)
    ref = spec.get("user_id")
    user_id = parse_id(ref)
    user = None if user_id is None else await session.scalar(select(User).where(
        User.organization_id == actor.organization_id, User.id == user_id, User.active.is_(True)))
    if user is None:
        raise _missing("user", ref, f"{where}.user_id")
    return ShareTarget("user", user=user)


async def validate_shares(session: AsyncSession, actor: Actor, specs: Sequence[Mapping[str, Any]]) -> list[ShareTarget]:
    """Every target must exist in the actor's organization (and a project be browsable by the
    actor); another organization's target is refused exactly like a missing one."""
    if len(specs) > 100:
        raise InvalidInput("A filter may have at most 100 shares.", field="shares")
    if specs:
        await authorize(session, actor, Permission.CREATE_SHARED_OBJECTS)
    return [await _check_share(session, actor, spec, index) for index, spec in enumerate(specs)]


def _filter_refs(node: object) -> Iterator[str]:
    if isinstance(node, ast.Query):
        yield from _filter_refs(node.where)
    elif isinstance(node, ast.And | ast.Or):
        for item in node.items:
            yield from _filter_refs(item)
    elif isinstance(node, ast.Not):
        yield from _filter_refs(node.item)
    elif isinstance(node, ast.Compare | ast.InList) and node.field.name.lower() in FILTER_FIELD_NAMES:
        operands = node.operand.items if isinstance(node.operand, ast.ValueList) else (node.operand,)
        yield from (operand.text for operand in operands if isinstance(operand, ast.Literal))


async def validate_filter_jql(session: AsyncSession, actor: Actor, jql: str, *, saved: SavedFilter | None = None) -> None:
    """Parse the query and run the search engine's checks (unknown fields, values, functions,
    filters named inside) without searching; a filter may not name itself."""
    query = parse(jql)
    if saved is not None:
        names = {str(saved.id), saved.name.strip().lower()}
        if any(ref.strip().lower() in names for ref in _filter_refs(query)):
            raise InvalidInput("A filter cannot refer to itself.", field="jql")
    await plan_query(session, actor=actor, jql=jql)


async def _check_name(session: AsyncSession, actor: Actor, owner_id: int, name: str,
                      exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("A filter needs a name.", field="name")
    query = select(SavedFilter.id).where(SavedFilter.organization_id == actor.organization_id,
                                         SavedFilter.owner_id == owner_id,
                                         func.lower(SavedFilter.name) == name.lower())
    if exclude_id is not None:
        query = query.where(SavedFilter.id != exclude_id)
    if await session.scalar(query) is not None:
        raise Conflict(f"You already have a filter named '{name}'.", code="filter_name_taken", field="name")
    return name


async def _replace_shares(session: AsyncSession, saved: SavedFilter, shares: Sequence[ShareTarget]) -> None:
    await session.execute(delete(FilterShare).where(FilterShare.organization_id == saved.organization_id,
                                                    FilterShare.filter_id == saved.id))
    for share in shares:
        session.add(FilterShare(organization_id=saved.organization_id, filter_id=saved.id, **share.columns()))


async def check_create_filter(session: AsyncSession, *, actor: Actor, name: str, jql: str, description: str = "",
                              shares: Sequence[Mapping[str, Any]] = (), favourite: bool = False) -> SavedFilter:
    name = await _check_name(session, actor, actor.user_id, name)
    targets = await validate_shares(session, actor, shares)
    await validate_filter_jql(session, actor, jql)
    saved = SavedFilter(organization_id=actor.organization_id, owner_id=actor.user_id, name=name,
                        description=description, jql=jql, version=1)
    session.add(saved)
    await session.flush()
    await _replace_shares(session, saved, targets)
    if favourite:
        await do_set_favourite(session, actor=actor, saved=saved, favourite=True)
    await session.flush()
    return saved


async def check_update_filter(session: AsyncSession, *, actor: Actor, saved: SavedFilter, name: str | None = None,
                              jql: str | None = None, description: str | None = None,
                              shares: Sequence[Mapping[str, Any]] | None = None,
                              version: int | None = None) -> SavedFilter:
    """Owner only. With `version`, a stale copy is refused (409) instead of overwriting a newer one."""
    if saved.owner_id != actor.user_id:
        raise PermissionDenied("Only the filter's owner may change it.")
    if version is not None and version != saved.version:
        raise Conflict("The filter was changed by someone else; reload it and try again.",
                       code="version_conflict", data={"current_version": saved.version})
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = await _check_name(session, actor, saved.owner_id, name, exclude_id=saved.id)
    targets = await validate_shares(session, actor, shares) if shares is not None else None
    if jql is not None:
        await validate_filter_jql(session, actor, jql, saved=saved)
        values["jql"] = jql
    if description is not None:
        values["description"] = description
    await save_versioned(session, saved, values,
                         conflict="The filter was changed by someone else; reload it and try again.")
    if targets is not None:
        await _replace_shares(session, saved, targets)
    await session.flush()
    await session.refresh(saved)
    return saved


async def check_delete_filter(session: AsyncSession, *, actor: Actor, saved: SavedFilter) -> None:
    if saved.owner_id != actor.user_id and not actor.is_org_admin:
        raise PermissionDenied("Only the filter's owner or an organization administrator may delete it.")
    record(session, organization_id=saved.organization_id, action="filter.deleted", object_type="filter",
           object_id=saved.id, changes={"name": saved.name, "jql": saved.jql, "owner_id": saved.owner_id})
    for table in (FilterShare, FilterFavourite):
        await session.execute(delete(table).where(table.organization_id == saved.organization_id,
                                                  table.filter_id == saved.id))
    await session.delete(saved)
    await session.flush()


async def do_set_favourite(session: AsyncSession, *, actor: Actor, saved: SavedFilter, favourite: bool) -> None:
    """Idempotent both ways."""
    key = {"filter_id": saved.id, "user_id": actor.user_id}
    existing = await session.get(FilterFavourite, key)
    if favourite and existing is None:
        session.add(FilterFavourite(organization_id=actor.organization_id, **key))
    elif not favourite and existing is not None:
        await session.delete(existing)
    await session.flush()


async def list_filters(session: AsyncSession, actor: Actor, *, query: str | None = None, mine: bool = False,
                       favourite: bool | None = None, start_at: int = 0,
                       max_results: int = 50) -> tuple[list[SavedFilter], int]:
    """Visible filters by name substring, the actor's own, favourites; by name, then id."""
    base = select(SavedFilter).where(visible_filters_condition(actor))
    if query:
        base = base.where(name_contains(SavedFilter.name, query))
    if mine:
        base = base.where(SavedFilter.owner_id == actor.user_id)
    if favourite is not None:
        starred = exists().where(FilterFavourite.organization_id == actor.organization_id,
                                 FilterFavourite.filter_id == SavedFilter.id,
                                 FilterFavourite.user_id == actor.user_id)
        base = base.where(starred if favourite else ~starred)
    return await page_by_name(session, base, name=SavedFilter.name, row_id=SavedFilter.id, start_at=start_at,
                              max_results=max_results)


async def describe_filters(session: AsyncSession, actor: Actor, filters: Sequence[SavedFilter]) -> list[FilterDetails]:
    """Owners, favourites and counts for a page of filters. Shares are shown to the owner only:
    they name projects, groups and people other viewers may not know about."""
    if not filters:
        return []
    org, ids = actor.organization_id, [f.id for f in filters]
    owners = {u.id: u for u in (await session.scalars(select(User).where(
        User.organization_id == org, User.id.in_({f.owner_id for f in filters})))).all()}
    counts = dict((await session.execute(
        select(FilterFavourite.filter_id, func.count()).where(FilterFavourite.organization_id == org,
                                                              FilterFavourite.filter_id.in_(ids))
        .group_by(FilterFavourite.filter_id))).all())
    starred = set((await session.scalars(select(FilterFavourite.filter_id).where(
        FilterFavourite.organization_id == org, FilterFavourite.user_id == actor.user_id,
        FilterFavourite.filter_id.in_(ids)))).all())
    own_ids = [f.id for f in filters if f.owner_id == actor.user_id]
    shares: dict[int, list[ShareTarget]] = {}
    if own_ids:
        rows = (await session.scalars(select(FilterShare).where(
            FilterShare.organization_id == org, FilterShare.filter_id.in_(own_ids)).order_by(FilterShare.id))).all()
        projects = await _by_id(session, Project, org, {r.project_id for r in rows})
        groups = await _by_id(session, Group, org, {r.group_id for r in rows})
        users = await _by_id(session, User, org, {r.user_id for r in rows})
        for row in rows:
            shares.setdefault(row.filter_id, []).append(ShareTarget(
                row.share_type, project=projects.get(row.project_id), role=row.role,
                group=groups.get(row.group_id), user=users.get(row.user_id)))
    return [FilterDetails(saved=f, owner=owners.get(f.owner_id), shares=shares.get(f.id, []),
                          favourite=f.id in starred, favourite_count=counts.get(f.id, 0)) for f in filters]


async def _by_id(session: AsyncSession, model: Any, organization_id: int, ids: set[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = (await session.scalars(select(model).where(model.organization_id == organization_id,
                                                      model.id.in_(wanted)))).all()
    return {row.id: row for row in rows}
