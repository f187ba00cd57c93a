"""Reading statuses and workflows, and resolving a client's reference to a workflow."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.workflow.models import Status, Workflow


async def list_statuses(session: AsyncSession, organization_id: int) -> Sequence[Status]:
    return (await session.scalars(select(Status).where(Status.organization_id == organization_id)
                                  .order_by(Status.id))).all()


async def list_workflows(session: AsyncSession, organization_id: int) -> Sequence[Workflow]:
    return (await session.scalars(select(Workflow).where(Workflow.organization_id == organization_id)
                                  .order_by(Workflow.id))).all()


async def resolve_workflow(session: AsyncSession, organization_id: int, ref: object | None,
                           project_default_id: int | None) -> Workflow:
    return pick_workflow(await list_workflows(session, organization_id), ref, project_default_id)


def pick_workflow(workflows: Sequence[Workflow], ref: object | None, project_default_id: int | None) -> Workflow:
    """An explicit reference (id, key, name, or the seed's "workflow_<key>"), else the project's
    default, else the organization's default workflow."""
    if ref is None:
        for workflow in workflows:
            if workflow.id == project_default_id:
                return workflow
        for workflow in workflows:
            if workflow.is_default:
                return workflow
        raise InvalidInput("The organization has no default workflow.", field="workflow_id")
    wanted_id = parse_id(ref)
    text = str(ref).strip().casefold()
    for workflow in workflows:
        if workflow.id == wanted_id or text in {workflow.key.casefold(), workflow.name.casefold(),
                                                f"workflow_{workflow.key}".casefold()}:
            return workflow
    raise InvalidInput(f"The workflow '{str(ref)[:100]}' does not exist.", field="workflow_id")


def find_transition(workflow: Workflow, transition_ref: str | int) -> dict | None:
    wanted = str(transition_ref).strip().casefold()
    for transition in workflow.definition.get("transitions", []):
        if str(transition["id"]).casefold() == wanted or transition["name"].casefold() == wanted:
            return transition
    return None


def transitions_from(workflow: Workflow, status_id: int) -> list[dict]:
    return [t for t in workflow.definition.get("transitions", [])
            if (not t["from"] or status_id in t["from"]) and t["to"] != status_id]
