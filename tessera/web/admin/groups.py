"""/admin/groups: the organization's groups a page at a time (create, delete) and one group's
members (add by email, remove), through tenancy.groups."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.db.refs import require_id
from tessera.tenancy.groups import (
    access_group,
    check_add_member_by_login,
    check_create_group,
    check_delete_group,
    check_remove_member,
    group_members,
    list_groups,
)
from tessera.web.admin.forms import FORM_ERRORS, FormError, paging, require_admin
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/admin/groups"
MISSING = "Group not found."


async def _groups(web: Web, *, page: str = "1", status_code: int = 200, error: FormError | None = None,
                  form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        shown = paging(page)
        groups, total = await list_groups(session, actor, start_at=shown.start, max_results=shown.size)
    return web.render("admin/groups.html", status_code=status_code, groups=groups, paging=paging(page, total),
                      error=error, form=form or {}, notice=notice, nav="admin-groups")


async def _group(web: Web, group_ref: str, *, page: str = "1", status_code: int = 200,
                 error: FormError | None = None, form: dict[str, str] | None = None, notice: str = "") -> Response:
    async with web.transaction(write=False) as (session, actor):
        require_admin(actor)
        group = await access_group(session, actor, require_id(group_ref, not_found=MISSING))
        shown = paging(page)
        members, total = await group_members(session, group, start_at=shown.start, max_results=shown.size)
    return web.render("admin/group.html", status_code=status_code, group=group, members=members,
                      paging=paging(page, total), error=error, form=form or {}, notice=notice, nav="admin-groups")


@router.get(PAGE)
async def groups_page(web: Web, page: str = "1", done: str = "") -> Response:
    return await _groups(web, page=page, notice="The group is deleted." if done == "deleted" else "")


@router.post(PAGE)
async def create_group(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            group = await check_create_group(session, actor=actor, name=form.get("name", ""))
    except FORM_ERRORS as error:
        return await _groups(web, status_code=error.status, error=FormError.of("create", error), form=form)
    return web.redirect(f"{PAGE}/{group.id}")


@router.get(PAGE + "/{group_id}")
async def group_page(group_id: str, web: Web, page: str = "1", done: str = "") -> Response:
    notices = {"added": "Added to the group.", "removed": "Removed from the group."}
    return await _group(web, group_id, page=page, notice=notices.get(done, ""))


@router.post(PAGE + "/{group_id}/delete")
async def delete_group(group_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        require_admin(actor)
        group = await access_group(session, actor, require_id(group_id, not_found=MISSING))
        await check_delete_group(session, actor=actor, group=group)
    return web.redirect(f"{PAGE}?done=deleted")


@router.post(PAGE + "/{group_id}/members")
async def add_member(group_id: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            require_admin(actor)
            group = await access_group(session, actor, require_id(group_id, not_found=MISSING))
            await check_add_member_by_login(session, actor=actor, group=group, user_ref=form.get("user", ""))
    except FORM_ERRORS as error:
        return await _group(web, group_id, status_code=error.status, error=FormError.of("add", error), form=form)
    return web.redirect(f"{PAGE}/{group_id}?done=added")


@router.post(PAGE + "/{group_id}/members/{user_id}/remove")
async def remove_member(group_id: str, user_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        require_admin(actor)
        group = await access_group(session, actor, require_id(group_id, not_found=MISSING))
        await check_remove_member(session, actor=actor, group=group,
                                  user_id=require_id(user_id, not_found="User not found."))
    return web.redirect(f"{PAGE}/{group_id}?done=removed")
