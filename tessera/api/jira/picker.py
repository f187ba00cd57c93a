"""/rest/api/{2,3}/issue/picker: the issues a key-or-summary box suggests while typing.

Two sections as Jira answers them: "History Search" (issues whose key is the text or whose
summary matches it, most recently updated first; Tessera keeps no per-user view history, so
recency stands in for it) and "Current Search" (the same, within `currentJQL`). Issue ids are
numbers here, as in Jira."""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.edge.context import RequestContext, request_context
from tessera.errors import NotFound
from tessera.issues.models import Issue
from tessera.issues.references import catalog_for
from tessera.issues.service import access_issue
from tessera.jira_format.shapes import truthy
from tessera.jql.autocomplete import quote
from tessera.jql.parser import MAX_QUERY_LENGTH
from tessera.jql.search import search_issues
from tessera.tenancy.actor import Actor

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Flag = Annotated[str | None, Query(max_length=10)]
MAX_SUGGESTIONS = 10
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[0-9]{1,18}$")
_WORD = re.compile(r"\w+")
_ORDER_BY = re.compile(r"(?i)\border\s+by\b")


async def _text_clause(session: AsyncSession, actor: Actor, text: str) -> str | None:
    """JQL matching `text`: the key it names (when that issue exists and may be seen: JQL
    refuses an unknown key), or every word of it in the summary."""
    words = _WORD.findall(text)
    clauses = [" AND ".join(f"summary ~ {quote(word + '*')}" for word in words)] if words else []
    if _KEY.match(text):
        try:
            issue, _ = await access_issue(session, actor, text.upper())
            clauses.append(f"key = {quote(issue.key)}")
        except NotFound:
            pass
    return " OR ".join(f"({clause})" for clause in clauses) or None


def _highlighted(summary: str, text: str) -> str:
    """The summary as HTML with the words typed in bold, as Jira's picker shows it."""
    escaped = html.escape(summary)
    for word in sorted(set(_WORD.findall(text)), key=len, reverse=True):
        escaped = re.sub(rf"(?i)\b({re.escape(html.escape(word))})", r"<b>\1</b>", escaped)
    return escaped


async def _section(session: AsyncSession, actor: Actor, *, label: str, section_id: str, jql: str, text: str,
                   exclude_key: str | None, subtasks: bool) -> dict[str, Any]:
    found = await search_issues(session, actor=actor, jql=f"{jql} ORDER BY updated DESC",
                                max_results=MAX_SUGGESTIONS + 1)
    catalog = await catalog_for(session, actor)
    shown: list[Issue] = [issue for issue in found.issues if issue.key != exclude_key and
                          (subtasks or not catalog.issue_type(issue.issue_type_id).subtask)][:MAX_SUGGESTIONS]
    section: dict[str, Any] = {"label": label, "id": section_id, "issues": [
        {"id": issue.id, "key": issue.key, "keyHtml": issue.key, "img": "", "summary": _highlighted(issue.summary, text),
         "summaryText": issue.summary} for issue in shown]}
    if shown:
        section["sub"] = f"Showing {len(shown)} of {found.total} matching issues"
    else:
        section["msg"] = "No matching issues found"
    return section


@router.get("/issue/picker")
async def issue_picker(ctx: Ctx, query: Annotated[str, Query(max_length=200)] = "",
                       currentJQL: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
                       currentIssueKey: Annotated[str | None, Query(max_length=300)] = None,
                       currentProjectId: Annotated[str | None, Query(max_length=30)] = None,
                       showSubTasks: Flag = None, showSubTaskParent: Flag = None) -> dict:
    text = query.strip()
    exclude = currentIssueKey.strip().upper() if currentIssueKey else None
    subtasks = truthy(showSubTasks, True)
    async with ctx.transaction(write=False, search=True) as (session, actor):
        matching = await _text_clause(session, actor, text)
        sections = [await _section(session, actor, label="History Search", section_id="hs",
                                   jql=matching or "", text=text, exclude_key=exclude, subtasks=subtasks)]
        current = _ORDER_BY.split(currentJQL or "")[0].strip()  # its order is the picker's own
        if current:
            within = f"({current})" + (f" AND ({matching})" if matching else "")
            sections.append(await _section(session, actor, label="Current Search", section_id="cs", jql=within,
                                           text=text, exclude_key=exclude, subtasks=subtasks))
    return {"sections": sections}
