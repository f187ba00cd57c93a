"""JQL functions: a closed registry of name → (what it yields, how many arguments, resolver).

A function yields users, dates, sprints, versions, issue types, projects, components or issues; validate.py checks that the field it is
used with takes that kind. Resolvers read what they need once per query and return plain
values (ids, datetimes) or an IssueSet that compile.py turns into a subquery."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from tessera.errors import InvalidInput
from tessera.jql import ast, lookups
from tessera.jql.lookups import Scope
from tessera.jql.plan import IssueSet
from tessera.jql.values import PERIODS, DateValueError, date_function, parse_date_value
from tessera.projects.models import Component, Project
from tessera.tenancy.models import PROJECT_ROLES
from tessera.tenancy.permissions import PROJECT_PERMISSIONS, Permission

Resolved = tuple[object, ...] | IssueSet
MAX_GLOBAL_IDS = 100  # as Jira caps issuesWithRemoteLinksByGlobalId
Resolver = Callable[[Scope, ast.FunctionCall], Awaitable[Resolved]]


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # as documented: currentUser, startOfWeek...
    yields: str  # user | date | sprint | issue
    min_args: int
    max_args: int
    resolve: Resolver


def function_error(call: ast.FunctionCall, message: str) -> InvalidInput:
    return InvalidInput(message, field="jql", code="jql_function",
                        data={"line": call.pos.line, "column": call.pos.column})


async def _current_user(scope: Scope, call: ast.FunctionCall) -> Resolved:
    return (scope.actor.user_id,)


async def _members_of(scope: Scope, call: ast.FunctionCall) -> Resolved:
    members = await lookups.group_member_ids(scope, call.args[0])
    if members is None:
        raise function_error(call, f"Function 'membersOf' can not generate a list of usernames for group "
                                   f"'{call.args[0][:100]}'; the group does not exist.")
    return tuple(members)


async def _date(scope: Scope, call: ast.FunctionCall) -> Resolved:
    try:
        return (date_function(call.name.lower(), call.args, scope.now),)
    except (DateValueError, OverflowError, ValueError):
        raise function_error(call, f"Function '{call.name}' got an invalid offset '{call.args[0][:40]}'; "
                                   f"use (+/-)nn(y|M|w|d|h|m).") from None


def _sprints(*states: str) -> Resolver:
    async def resolve(scope: Scope, call: ast.FunctionCall) -> Resolved:
        return tuple(await lookups.sprint_ids(scope, states=states))
    return resolve


async def _nothing(scope: Scope, call: ast.FunctionCall) -> Resolved:
    """issueHistory(): Tessera keeps no record of issue views yet, so it parses, validates and
    compiles but matches no issue."""
    return IssueSet("none")


async def _watched(scope: Scope, call: ast.FunctionCall) -> Resolved:
    return IssueSet("watched", user_ids=(scope.actor.user_id,))


async def _voted(scope: Scope, call: ast.FunctionCall) -> Resolved:
    return IssueSet("voted", user_ids=(scope.actor.user_id,))


async def _linked_issues(scope: Scope, call: ast.FunctionCall) -> Resolved:
    found = await lookups.find_issue(scope, call.args[0])
    if found is None:
        raise function_error(call, f"Issue '{call.args[0][:100]}' could not be found in function 'linkedIssues'.")
    links: list[tuple[int, str]] = []
    if len(call.args) > 1:
        wanted = call.args[1].strip().lower()
        for link_type in scope.catalog.link_types:
            if wanted == link_type.outward.lower():
                links.append((link_type.id, "out"))
            if wanted == link_type.inward.lower():
                links.append((link_type.id, "in"))
            if wanted == link_type.name.lower() and not any(t == link_type.id for t, _ in links):
                links.append((link_type.id, "any"))
        if not links:
            raise function_error(call, f"Issue link type '{call.args[1][:100]}' could not be found in function "
                                       f"'linkedIssues'.")
    return IssueSet("linked", issue_id=found[0], links=tuple(links))


async def _updated_by(scope: Scope, call: ast.FunctionCall) -> Resolved:
    users = await lookups.user_ids(scope, call.args[0])
    if not users:
        raise function_error(call, f"The user '{call.args[0][:100]}' does not exist for the function 'updatedBy'.")
    bounds = []
    for text in call.args[1:]:
        try:
            bounds.append(parse_date_value(text, scope.now))
        except DateValueError:
            raise function_error(call, f"Date value '{text[:40]}' for function 'updatedBy' is invalid.") from None
    return IssueSet("updated_by", user_ids=tuple(users), start=bounds[0] if bounds else None,
                    end=bounds[1] if len(bounds) > 1 else None)


async def _project_argument(scope: Scope, call: ast.FunctionCall) -> list[int] | None:
    """The projects an optional project argument (key, name or id) names; None without one."""
    if not call.args:
        return None
    found = await lookups.project_ids(scope, call.args[0])
    if not found:
        raise function_error(call, f"Could not resolve the project '{call.args[0][:100]}' provided to function "
                                   f"'{function_spec(call).name}'.")
    return found


def _versions(which: str) -> Resolver:
    """released / unreleased: every such version; latest / earliest: per project, the last
    released or the first unreleased version in release order (lookups.version_rows)."""
    async def resolve(scope: Scope, call: ast.FunctionCall) -> Resolved:
        rows = await lookups.version_rows(scope, await _project_argument(scope, call))
        wanted = [row for row in rows if row[2] == (which in ("released", "latest"))]
        if which in ("released", "unreleased"):
            return tuple(row[0] for row in wanted)
        chosen: dict[int, int] = {}
        for version_id, project_id, _, _ in wanted if which == "latest" else reversed(wanted):
            chosen[project_id] = version_id  # the last one seen wins
        return tuple(chosen.values())
    return resolve


def _issue_types(subtask: bool) -> Resolver:
    async def resolve(scope: Scope, call: ast.FunctionCall) -> Resolved:
        return tuple(t.id for t in scope.catalog.issue_types if t.subtask == subtask)
    return resolve


async def _projects_where_role(scope: Scope, call: ast.FunctionCall) -> Resolved:
    role = call.args[0].strip().lower()
    if role not in PROJECT_ROLES:
        raise function_error(call, f"Could not resolve the project role '{call.args[0][:100]}' in function "
                                   f"'projectsWhereUserHasRole'; the roles are {', '.join(PROJECT_ROLES)}.")
    return tuple(await lookups.projects_where_role(scope, role))


def _permission(text: str) -> Permission | None:
    """By key (BROWSE_PROJECTS) or Jira's display name (Browse Projects); project permissions only."""
    wanted = "".join(ch for ch in text.upper() if ch.isalnum())
    for permission in PROJECT_PERMISSIONS:
        if wanted in (permission.value.replace("_", ""), permission.name.replace("_", "")):
            return permission
    return None


async def _projects_where_permission(scope: Scope, call: ast.FunctionCall) -> Resolved:
    permission = _permission(call.args[0])
    if permission is None:
        names = ", ".join(p.value for p in PROJECT_PERMISSIONS)
        raise function_error(call, f"Could not resolve the permission '{call.args[0][:100]}' in function "
                                   f"'projectsWhereUserHasPermission'; the project permissions are {names}.")
    return tuple(await lookups.projects_where_permission(scope, permission))


def _led_by(model: type[Project | Component]) -> Resolver:
    """Projects or components led by the users named (the caller without an argument)."""
    async def resolve(scope: Scope, call: ast.FunctionCall) -> Resolved:
        users = [scope.actor.user_id]
        if call.args:
            users = await lookups.user_ids(scope, call.args[0])
            if not users:
                raise function_error(call, f"The user '{call.args[0][:100]}' does not exist for the function "
                                           f"'{function_spec(call).name}'.")
        return tuple(await lookups.led_ids(scope, model, users))
    return resolve


async def _remote_links(scope: Scope, call: ast.FunctionCall) -> Resolved:
    return IssueSet("remote_links", global_ids=tuple(arg.strip() for arg in call.args))


def _registry() -> dict[str, FunctionSpec]:
    specs = [
        FunctionSpec("currentUser", "user", 0, 0, _current_user),
        FunctionSpec("membersOf", "user", 1, 1, _members_of),
        FunctionSpec("now", "date", 0, 0, _date),
        FunctionSpec("openSprints", "sprint", 0, 0, _sprints("active")),
        FunctionSpec("closedSprints", "sprint", 0, 0, _sprints("closed")),
        FunctionSpec("futureSprints", "sprint", 0, 0, _sprints("future")),
        FunctionSpec("watchedIssues", "issue", 0, 0, _watched),
        FunctionSpec("votedIssues", "issue", 0, 0, _voted),
        FunctionSpec("issueHistory", "issue", 0, 0, _nothing),
        FunctionSpec("linkedIssues", "issue", 1, 2, _linked_issues),
        FunctionSpec("updatedBy", "issue", 1, 3, _updated_by),
        FunctionSpec("issuesWithRemoteLinksByGlobalId", "issue", 1, MAX_GLOBAL_IDS, _remote_links),
        FunctionSpec("releasedVersions", "version", 0, 1, _versions("released")),
        FunctionSpec("unreleasedVersions", "version", 0, 1, _versions("unreleased")),
        FunctionSpec("latestReleasedVersion", "version", 0, 1, _versions("latest")),
        FunctionSpec("earliestUnreleasedVersion", "version", 0, 1, _versions("earliest")),
        FunctionSpec("standardIssueTypes", "issuetype", 0, 0, _issue_types(subtask=False)),
        FunctionSpec("subtaskIssueTypes", "issuetype", 0, 0, _issue_types(subtask=True)),
        FunctionSpec("projectsWhereUserHasRole", "project", 1, 1, _projects_where_role),
        FunctionSpec("projectsWhereUserHasPermission", "project", 1, 1, _projects_where_permission),
        FunctionSpec("projectsLeadByUser", "project", 0, 1, _led_by(Project)),
        FunctionSpec("componentsLeadByUser", "component", 0, 1, _led_by(Component)),
    ]
    for period in PERIODS:
        title = period.title()
        specs.append(FunctionSpec(f"startOf{title}", "date", 0, 1, _date))
        specs.append(FunctionSpec(f"endOf{title}", "date", 0, 1, _date))
    return {spec.name.lower(): spec for spec in specs}


FUNCTIONS = _registry()


def function_spec(call: ast.FunctionCall) -> FunctionSpec:
    spec = FUNCTIONS.get(call.name.lower())
    if spec is None:
        raise function_error(call, f"Unable to find JQL function '{call.name[:100]}()'.")
    if not spec.min_args <= len(call.args) <= spec.max_args:
        wanted = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args} to {spec.max_args}"
        raise function_error(call, f"Function '{spec.name}' expects {wanted} argument(s) but got {len(call.args)}.")
    return spec


async def call_function(scope: Scope, call: ast.FunctionCall) -> tuple[FunctionSpec, Resolved]:
    spec = function_spec(call)
    if any(isinstance(arg, ast.FunctionCall) for arg in call.args):
        call = replace(call, args=tuple([await _argument_text(scope, arg) for arg in call.args]))
    return spec, await spec.resolve(scope, call)


async def _argument_text(scope: Scope, arg: str | ast.FunctionCall) -> str:
    """A function call given as an argument, as the text of its one value: currentUser() is the
    caller's email, now() and the start/end functions are a minute ("2026-01-31 14:00")."""
    if isinstance(arg, str):
        return arg
    spec = function_spec(arg)
    if arg.name.lower() == "currentuser":
        return scope.actor.email
    if spec.yields == "date" and all(isinstance(inner, str) for inner in arg.args):
        moment = (await spec.resolve(scope, arg))[0]
        return moment.strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]
    raise function_error(arg, f"Function '{spec.name}' cannot be used as an argument of another function.")
