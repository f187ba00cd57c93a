"""Which of Jira's two dialects a request speaks, and reading Cloud's rich text.

The same routers serve `/rest/api/2` (Jira Server) and `/rest/api/3` (Jira Cloud's REST v3);
the v3 mount adds the `speak_cloud` dependency, and handlers build their `Links` with
`links_for`, whose `cloud` flag the renderers read (tessera.jira_format.shapes). The
differences are confined to this module and the renderers: users named by `accountId` (which
every request already accepts, see people.py) and rich text as Atlassian Document Format.

Rich text in: on v3, a description, an environment, a comment body, a worklog comment or a
multi-line custom field is an ADF document, converted here to the Markdown Tessera stores
before the shared code reads the body. A plain string is taken as Markdown, as v2 takes it:
scripts written for Server (and the `jira` client's `add_comment`) send strings to v3 too."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from tessera.edge.context import RequestContext
from tessera.errors import InvalidInput
from tessera.issues.references import OrgCatalog
from tessera.jira_format.adf import adf_to_markdown
from tessera.jira_format.fields import find_field
from tessera.jira_format.shapes import Links

RICH_SYSTEM_FIELDS = frozenset({"description", "environment"})
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


async def speak_cloud(request: Request) -> None:
    """The dependency of the /rest/api/3 mount."""
    request.state.jira_cloud = True


def is_cloud(ctx: RequestContext) -> bool:
    return bool(getattr(ctx.request.state, "jira_cloud", False))


def links_for(ctx: RequestContext) -> Links:
    return Links(ctx.settings.base_url, cloud=is_cloud(ctx))


def text_from(value: Any, *, cloud: bool, field: str) -> Any:
    """A rich-text value as Markdown: ADF converted on Cloud, anything else left for the shared
    code to judge (a string is Markdown; a wrong type is refused there, naming the field)."""
    if not cloud or not isinstance(value, dict):
        return value
    try:
        return adf_to_markdown(value)
    except ValueError as error:
        raise InvalidInput(f"{NOT_ADF}: {error}", field=field, errors={field: f"{NOT_ADF}: {error}"}) from None


def _rich_field(catalog: OrgCatalog, name: str) -> bool:
    if name in RICH_SYSTEM_FIELDS:
        return True
    found = find_field(catalog, name)
    return found is not None and found.definition is not None and found.definition.field_type == "text"


def _operations(operations: Any, convert: Any) -> Any:
    """Each `{"set"|"add"|"edit": value}` of an `update` list with its value converted."""
    if not isinstance(operations, list):
        return operations
    return [{verb: convert(value) for verb, value in op.items()} if isinstance(op, dict) else op
            for op in operations]


def _comment(value: Any, cloud: bool) -> Any:
    if isinstance(value, dict) and "body" in value:
        return {**value, "body": text_from(value["body"], cloud=cloud, field="comment")}
    return value


def _worklog(value: Any, cloud: bool) -> Any:
    if isinstance(value, dict) and "comment" in value:
        return {**value, "comment": text_from(value["comment"], cloud=cloud, field="worklog")}
    return value


def issue_body_from(body: dict[str, Any], *, cloud: bool, catalog: OrgCatalog | None) -> dict[str, Any]:
    """An issue create, edit or transition body (`fields`, `update`) with its rich text as
    Markdown. Without a catalog only the system fields and comments are converted."""
    if not cloud:
        return body
    converted = dict(body)
    fields, update = body.get("fields"), body.get("update")
    if isinstance(fields, dict):
        converted["fields"] = {
            name: text_from(value, cloud=True, field=name)
            if name in RICH_SYSTEM_FIELDS or (catalog is not None and _rich_field(catalog, name)) else value
            for name, value in fields.items()}
    if isinstance(update, dict):
        changed: dict[str, Any] = {}
        for name, operations in update.items():
            if name == "comment":
                changed[name] = _operations(operations, lambda value: _comment(value, True))
            elif name == "worklog":
                changed[name] = _operations(operations, lambda value: _worklog(value, True))
            elif name in RICH_SYSTEM_FIELDS or (catalog is not None and _rich_field(catalog, name)):
                changed[name] = _operations(operations, lambda value, name=name: text_from(value, cloud=True,
                                                                                             field=name))
            else:
                changed[name] = operations
        converted["update"] = changed
    return converted


def comment_body_from(body: dict[str, Any], *, cloud: bool) -> dict[str, Any]:
    """A comment body (`{"body": ..., "visibility": ...}`) with its text as Markdown."""
    return {**body, "body": text_from(body.get("body"), cloud=cloud, field="body")} if "body" in body else body


def worklog_body_from(body: dict[str, Any], *, cloud: bool) -> dict[str, Any]:
    return {**body, "comment": text_from(body["comment"], cloud=cloud, field="comment")} \
        if "comment" in body else body
