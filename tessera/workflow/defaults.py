"""The statuses and workflow every new organization starts with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.workflow.models import Status, Workflow

DEFAULT_STATUSES = (
    ("To Do", "todo", "Work that has not started."),
    ("In Progress", "in_progress", "Someone is working on it."),
    ("In Review", "in_progress", "Done, awaiting review."),
    ("Done", "done", "Finished."),
    ("Won't Do", "done", "Closed without being done."),
)

# (transition id, name, source status names (empty = from any status), destination)
DEFAULT_TRANSITIONS = (
    ("11", "Start Progress", ("To Do",), "In Progress"),
    ("21", "Stop Progress", ("In Progress",), "To Do"),
    ("31", "Submit for Review", ("In Progress",), "In Review"),
    ("41", "Back to In Progress", ("In Review",), "In Progress"),
    ("51", "Done", ("In Progress", "In Review"), "Done"),
    ("61", "Won't Do", (), "Won't Do"),
    ("71", "Reopen", ("Done", "Won't Do"), "To Do"),
)


def default_definition(status_ids: dict[str, int]) -> dict:
    return {
        "statuses": [{"id": status_ids[name], "name": name} for name, _, _ in DEFAULT_STATUSES],
        "initial_status": status_ids["To Do"],
        "transitions": [
            {"id": tid, "name": name, "from": [status_ids[s] for s in sources], "to": status_ids[target],
             "conditions": [], "validators": [], "post_functions": []}
            for tid, name, sources, target in DEFAULT_TRANSITIONS
        ],
    }


async def do_create_default_workflow(session: AsyncSession, *, organization_id: int) -> Workflow:
    for name, category, description in DEFAULT_STATUSES:
        session.add(Status(organization_id=organization_id, name=name, category=category, description=description))
    await session.flush()
    rows = await session.execute(select(Status.name, Status.id).where(Status.organization_id == organization_id))
    status_ids = {name: status_id for name, status_id in rows}
    workflow = Workflow(organization_id=organization_id, key="default", name="Default workflow",
                        description="To Do → In Progress → In Review → Done, with Won't Do and Reopen.",
                        definition=default_definition(status_ids), version=1, is_default=True)
    session.add(workflow)
    await session.flush()
    return workflow
