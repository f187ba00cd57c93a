"""Running a transition named by a word (a smart commit's `#in-review`, a rule's "Done") through
the workflow service, so the workflow's conditions and validators hold."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict, InvalidInput
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.transitions import check_transition_issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.workflow import engine


def _norm(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").casefold().split())


def pick_transition(candidates: list[dict], status_names: dict[object, str], word: str) -> dict:
    """By the transition's name; else the one name the word begins (Jira's `#start` for "Start
    Progress"); else the one transition into the status so named. None or several: InvalidInput."""
    wanted = _norm(word)
    exact = [t for t in candidates if _norm(t["name"]) == wanted]
    if exact:
        return exact[0]
    prefixed = [t for t in candidates if _norm(t["name"]).startswith(wanted + " ")]
    if len(prefixed) == 1:
        return prefixed[0]
    into = [t for t in candidates if _norm(status_names.get(t["to"], str(t["to"]))) == wanted]
    if len(into) == 1:
        return into[0]
    if len(prefixed) > 1 or len(into) > 1:
        raise InvalidInput(f"'{word}' names several transitions; write the whole name.", code="ambiguous_transition")
    names = ", ".join(sorted(t["name"] for t in candidates)) or "none"
    raise InvalidInput(f"No transition '{word}' from the issue's status (available: {names}).",
                       code="unknown_transition")


async def run_named_transition(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, word: str,
                               comment: str | None = None) -> str:
    """The name of the transition that ran. Raises what the workflow service raises."""
    catalog = await catalog_for(session, actor)
    definition = catalog.workflow(issue.workflow_id).definition
    candidates = [t for t in definition.get("transitions", []) if engine.starts_from(t, issue.status_id)]
    names = {t["to"]: _status_name(catalog, t["to"]) for t in candidates}
    transition = pick_transition(candidates, names, word)
    await check_transition_issue(session, actor=actor, issue=issue, project=project,
                                 transition_ref=str(transition["id"]), comment=comment)
    return transition["name"]


def _status_name(catalog: OrgCatalog, status_id: int) -> str:
    try:
        return catalog.status(status_id).name
    except Conflict:  # the catalog changed under us: the status names nothing here
        return ""
