"""Per-organization catalogs (issue types, priorities, resolutions, link types) and how a
client's reference to one of their entries (id, name in any case) resolves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.projects.models import IssueType, LinkType, Priority, Resolution

DEFAULT_ISSUE_TYPES = (
    ("Epic", 1, "A big user story that needs to be broken down.", "epic"),
    ("Story", 0, "A user story: functionality from a user's point of view.", "story"),
    ("Task", 0, "A task that needs to be done.", "task"),
    ("Bug", 0, "A problem which impairs or prevents the functions of the product.", "bug"),
    ("Sub-task", -1, "A piece of work that belongs to a larger issue.", "subtask"),
)
DEFAULT_PRIORITIES = (
    ("Highest", "#d04437"), ("High", "#f15c75"), ("Medium", "#f79232"), ("Low", "#707070"), ("Lowest", "#999999"),
)
DEFAULT_RESOLUTIONS = (
    ("Done", "Work on this issue is complete."),
    ("Fixed", "A fix for this issue is checked in and tested."),
    ("Won't Do", "This issue won't be actioned."),
    ("Duplicate", "The problem is a duplicate of an existing issue."),
    ("Cannot Reproduce", "All attempts at reproducing this issue failed."),
)
DEFAULT_LINK_TYPES = (
    ("Blocks", "blocks", "is blocked by"),
    ("Relates", "relates to", "relates to"),
    ("Duplicate", "duplicates", "is duplicated by"),
    ("Cloners", "clones", "is cloned by"),
)


async def do_create_default_catalogs(session: AsyncSession, *, organization_id: int) -> None:
    for name, level, description, icon in DEFAULT_ISSUE_TYPES:
        session.add(IssueType(organization_id=organization_id, name=name, hierarchy_level=level,
                              description=description, icon=icon))
    for sequence, (name, color) in enumerate(DEFAULT_PRIORITIES, start=1):
        session.add(Priority(organization_id=organization_id, name=name, sequence=sequence, color=color,
                             is_default=name == "Medium"))
    for name, description in DEFAULT_RESOLUTIONS:
        session.add(Resolution(organization_id=organization_id, name=name, description=description))
    for name, outward, inward in DEFAULT_LINK_TYPES:
        session.add(LinkType(organization_id=organization_id, name=name, outward=outward, inward=inward))
    await session.flush()


class Named(Protocol):
    id: int
    name: str


T = TypeVar("T", bound=Named)


def resolve_named(entries: Sequence[T], ref: object, *, field: str, what: str) -> T:
    """Find an entry by id or case-insensitive name (a dict with "id" or "name" also works)."""
    if isinstance(ref, dict):
        ref = ref.get("id") or ref.get("name")
    wanted_id = parse_id(ref)
    wanted_name = ref.strip().casefold() if isinstance(ref, str) else None
    for entry in entries:
        if wanted_id is not None and entry.id == wanted_id:
            return entry
        if wanted_name is not None and entry.name.casefold() == wanted_name:
            return entry
    # Accept the seed's lower-case, underscore forms ("sub_task", "wont_do") too.
    if wanted_name:
        loose = wanted_name.replace("_", " ").replace("-", " ").replace("'", "")
        for entry in entries:
            if entry.name.casefold().replace("-", " ").replace("'", "") == loose:
                return entry
    shown = ref if isinstance(ref, str | int) else type(ref).__name__
    names = ", ".join(entry.name for entry in entries)
    raise InvalidInput(f"The {what} '{str(shown)[:100]}' does not exist. Known: {names}.", field=field)


async def list_issue_types(session: AsyncSession, organization_id: int) -> Sequence[IssueType]:
    return (await session.scalars(select(IssueType).where(IssueType.organization_id == organization_id)
                                  .order_by(IssueType.id))).all()


async def list_priorities(session: AsyncSession, organization_id: int) -> Sequence[Priority]:
    return (await session.scalars(select(Priority).where(Priority.organization_id == organization_id)
                                  .order_by(Priority.sequence))).all()


async def list_resolutions(session: AsyncSession, organization_id: int) -> Sequence[Resolution]:
    return (await session.scalars(select(Resolution).where(Resolution.organization_id == organization_id)
                                  .order_by(Resolution.id))).all()


async def list_link_types(session: AsyncSession, organization_id: int) -> Sequence[LinkType]:
    return (await session.scalars(select(LinkType).where(LinkType.organization_id == organization_id)
                                  .order_by(LinkType.id))).all()


def resolve_link_type(link_types: Sequence[LinkType], ref: object) -> LinkType:
    """Also accepts the verbs: "blocks", "is blocked by", "duplicates", "clones"..."""
    if isinstance(ref, str):
        wanted = ref.strip().casefold()
        for link_type in link_types:
            if wanted in {link_type.outward.casefold(), link_type.inward.casefold()}:
                return link_type
    return resolve_named(link_types, ref, field="type", what="link type")
