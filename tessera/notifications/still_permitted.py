"""The permission check again, at send time. Between the fan-out and the send lie a batching
window, a digest period (up to a day) or a series of retries; meanwhile a recipient may have been
removed from the project's role, deactivated, may have muted the issue, or the issue may have
moved to a project they cannot browse (or been deleted). Every notification sender (inbox,
email, Slack, push) hands its batch to `send_still_permitted`, which asks the fan-out's own
question for every change the delivery lists (the conditions of
tessera.notifications.recipients.permitted, built from the same tessera.issues.audience
predicates, or recipients.active_user for an event about no issue) and sends only what the
recipient may still see.

- A delivery some of whose changes are no longer visible goes out with the others; its attempt
  notes how many were left out.
- A delivery with nothing left is settled dead, "no longer permitted", without being sent. Dead,
  not delivered: nobody received anything, and the history should say so, as it does for a
  recipient deleted since or a Slack webhook removed (both dead). It is not retried: the check
  would say the same, and an operator's retry re-checks (one attempt, then dead again).
- A delivery addressed to no person (a project's Slack channel) is sent as it is.

The stored payload keeps every change (what the fan-out decided); only the copy sent is narrowed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, Outcome
from tessera.events.types import IssueDeleted
from tessera.issues.audience import users_holding, users_in_issue_level, users_seeing_role
from tessera.issues.models import Issue
from tessera.notifications.models import IssueMute
from tessera.notifications.recipients import active_user, restricted_role
from tessera.projects.models import Project
from tessera.tenancy.models import CUSTOMER_ROLE, User
from tessera.tenancy.permissions import Permission

NO_LONGER_PERMITTED = "no longer permitted: the recipient may not see these changes any more"

Send = Callable[[Sequence[ClaimedDelivery]], Awaitable[list[Outcome]]]
# (organization, issue or None, the restricted role a change's comment needs or None, the
# project of a deleted issue's change or None)
_Question = tuple[int, int | None, str | None, int | None]


def _recipient(delivery: ClaimedDelivery) -> int | None:
    recipient = delivery.payload.get("recipient_id")
    return recipient if isinstance(recipient, int) else None


def _question(organization_id: int, change: dict[str, Any]) -> _Question:
    payload = change.get("payload") or {}
    issue_id = change.get("issue_id") or payload.get("issue_id")
    # The issue of a deletion is gone by design: its recipients must still browse its project.
    project_id = payload.get("project_id") if change.get("event_type") == IssueDeleted.name else None
    return (organization_id, int(issue_id) if issue_id else None, restricted_role(payload),
            int(project_id) if project_id else None)


async def _answers(session: AsyncSession, asked: dict[_Question, set[int]]) -> dict[_Question, set[int]]:
    """Per question, who of those asked about may still see it: `permitted`'s three conditions
    (browse the project, read the comment's role, not muted), each asked once for the whole batch
    rather than once per issue (a batch of 200 mails about 200 issues of a few projects): the
    issues with their projects in one query per organization, the people per (project, role) in
    one query each, the mutes in one query per organization. A deleted issue's change asks of
    its project (one query per organization); its mutes went with it. An issue's reporter who is
    a customer may see its unrestricted changes (recipients.permitted's rule; one query per
    organization finds the customers)."""
    by_org: dict[int, set[int]] = {}
    deleted_in: dict[int, dict[int, int]] = {}  # organization -> {deleted issue: its project}
    for organization_id, issue_id, _, project_id in asked:
        if issue_id is not None and project_id is not None:
            deleted_in.setdefault(organization_id, {})[issue_id] = project_id
        elif issue_id is not None:
            by_org.setdefault(organization_id, set()).add(issue_id)
    projects: dict[tuple[int, int], Project] = {}
    # Apart from `projects`: the changes made to a deleted issue before its deletion stay unsent.
    gone_projects: dict[tuple[int, int], Project] = {}
    muted: set[tuple[int, int, int]] = set()
    reporters: dict[tuple[int, int], int | None] = {}
    customers: set[tuple[int, int]] = set()  # (organization, user): active customers among those asked
    in_level: dict[tuple[int, int], set[int]] = {}
    for organization_id, of_issue in deleted_in.items():
        found = {project.id: project for project in (await session.scalars(select(Project).where(
            Project.organization_id == organization_id, Project.id.in_(sorted(set(of_issue.values())))))).all()}
        gone_projects.update({(organization_id, issue_id): found[project_id]
                              for issue_id, project_id in of_issue.items() if project_id in found})

    def project_of(question: _Question) -> Project | None:
        organization_id, issue_id, _, deleted_project = question
        if issue_id is None:
            return None
        return (projects if deleted_project is None else gone_projects).get((organization_id, issue_id))

    for organization_id, issue_ids in by_org.items():
        users = sorted({u for (org, issue_id, _, _), asked_users in asked.items()
                        if org == organization_id and issue_id is not None for u in asked_users})
        rows = (await session.execute(select(Issue.id, Issue.reporter_id, Project, Issue.security_level_id,
                                             Issue.assignee_id, Issue.project_id, Issue.organization_id).join(
            Project, Project.id == Issue.project_id).where(
            Issue.organization_id == organization_id, Issue.id.in_(sorted(issue_ids))))).all()
        projects.update({(organization_id, row[0]): row[2] for row in rows})
        reporters.update({(organization_id, row[0]): row[1] for row in rows})
        # Issues at a security level: who of those asked is one of the level's members.
        for row in rows:
            if row.security_level_id is not None:
                in_level[(organization_id, row[0])] = set((await session.scalars(select(User.id).where(
                    User.id.in_(users), users_in_issue_level(row)))).all())
        customers.update((organization_id, user_id) for user_id in (await session.scalars(select(User.id).where(
            User.organization_id == organization_id, User.id.in_(users), User.role == CUSTOMER_ROLE,
            User.active.is_(True)))).all())
        muted.update((organization_id, issue_id, user_id) for issue_id, user_id in (await session.execute(
            select(IssueMute.issue_id, IssueMute.user_id).where(
                IssueMute.organization_id == organization_id, IssueMute.issue_id.in_(sorted(issue_ids)),
                IssueMute.user_id.in_(users)))).all())
    wanted: dict[tuple[int, str | None], set[int]] = {}
    for question, user_ids in asked.items():
        project = project_of(question)
        if project is not None:
            wanted.setdefault((project.id, question[2]), set()).update(user_ids)
    by_project = {project.id: project for project in (*projects.values(), *gone_projects.values())}
    seeing: dict[tuple[int, str | None], set[int]] = {}
    for (project_id, role), user_ids in wanted.items():
        project = by_project[project_id]
        seeing[(project_id, role)] = set((await session.scalars(select(User.id).where(
            User.id.in_(sorted(user_ids)), users_holding(Permission.BROWSE_PROJECTS, project),
            users_seeing_role(role, project)))).all())
    answers: dict[_Question, set[int]] = {}
    for question, user_ids in asked.items():
        organization_id, issue_id, role, _ = question
        if issue_id is None:  # an event about no issue (a webhook disabled): the user must be active
            answers[question] = {r.user_id for user_id in user_ids
                                 for r in await active_user(session, organization_id=organization_id, user_id=user_id)}
            continue
        project = project_of(question)
        if project is None:  # deleted since: nobody may browse it any more
            answers[question] = set()
            continue
        reporter = reporters.get((organization_id, issue_id))
        customer = {reporter} if role is None and (organization_id, reporter) in customers else set()
        answers[question] = {user_id for user_id in user_ids & (seeing[(project.id, role)] | customer)
                             if (organization_id, issue_id, user_id) not in muted}
        if (organization_id, issue_id) in in_level:
            answers[question] &= in_level[(organization_id, issue_id)]
    return answers


async def screen(session: AsyncSession, deliveries: Sequence[ClaimedDelivery]) -> list[ClaimedDelivery | Outcome]:
    """Per delivery, in order: the delivery to send (narrowed to what its recipient may still see)
    or the dead Outcome of one with nothing left."""
    asked: dict[_Question, set[int]] = {}
    for delivery in deliveries:
        recipient = _recipient(delivery)
        if recipient is not None:
            for change in delivery.payload.get("changes") or []:
                asked.setdefault(_question(delivery.organization_id, change), set()).add(recipient)
    answers = await _answers(session, asked) if asked else {}
    screened: list[ClaimedDelivery | Outcome] = []
    for delivery in deliveries:
        recipient = _recipient(delivery)
        changes = list(delivery.payload.get("changes") or [])
        if recipient is None or not changes:
            screened.append(delivery)
            continue
        kept = [c for c in changes if recipient in answers[_question(delivery.organization_id, c)]]
        if not kept:
            screened.append(Outcome.failed(NO_LONGER_PERMITTED, retry=False))
        elif len(kept) < len(changes):
            screened.append(replace(delivery, payload={**delivery.payload, "changes": kept}))
        else:
            screened.append(delivery)
    return screened


async def send_still_permitted(database: Database, deliveries: Sequence[ClaimedDelivery], send: Send) -> list[Outcome]:
    """Screen the batch (one read transaction), hand what may go to `send`, and answer one outcome
    per delivery in the batch's order, as a Sender must."""
    async with database.unit_of_work(write=False) as session:
        screened = await screen(session, deliveries)
    going = [item for item in screened if isinstance(item, ClaimedDelivery)]
    sent = iter(await send(going) if going else [])
    outcomes: list[Outcome] = []
    for delivery, item in zip(deliveries, screened, strict=True):
        if isinstance(item, Outcome):
            outcomes.append(item)
            continue
        outcome = next(sent)
        left_out = len(delivery.payload.get("changes") or []) - len(item.payload.get("changes") or [])
        if left_out and outcome.ok:
            note = f"{left_out} change(s) no longer permitted were left out"
            outcome = replace(outcome, response_snippet="; ".join(filter(None, (note, outcome.response_snippet))))
        outcomes.append(outcome)
    return outcomes
