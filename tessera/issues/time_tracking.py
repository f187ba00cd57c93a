"""Jira's time tracking on an issue: an original estimate, a remaining estimate and the time
spent, in seconds.

- The estimates are edited like any field (history items `timeoriginalestimate` and
  `timeestimate`, seconds as Jira writes them). While no work is logged, the remaining
  estimate follows the original one unless it is given too, as in Jira.
- The time spent changes only by logging work: each worklog added, changed or deleted adds its
  difference to `time_spent` and adjusts the remaining estimate (`adjust_remaining`: Jira's
  `adjustEstimate` auto, new, manual or leave), written with history items `timespent` and
  `timeestimate` so reports can replay both for any past date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from tessera.errors import InvalidInput
from tessera.issues.durations import parse_estimate
from tessera.issues.fields import IssueState
from tessera.issues.history import FieldChange, record_changes
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.models import Issue

ESTIMATE_FIELDS = ("original_estimate", "remaining_estimate")
Adjustment = Literal["auto", "new", "manual", "leave"]


def resolve_estimates(data: IssueCreate | IssueUpdate, state: IssueState, issue: Issue | None) -> None:
    """Put the estimates given in `data` (seconds or durations) into `state.scalars`."""
    present = data.model_fields_set
    if "time_spent" in present:
        raise InvalidInput("The time spent changes only by logging work: POST a worklog "
                           "(/rest/api/2/issue/{key}/worklog).", field="time_spent")
    for name in ESTIMATE_FIELDS:
        if name in present:
            state.scalars[name] = parse_estimate(getattr(data, name), field=name)
    if "original_estimate" in present and "remaining_estimate" not in present and _remaining_follows(issue):
        state.scalars["remaining_estimate"] = state.scalars["original_estimate"]


def _remaining_follows(issue: Issue | None) -> bool:
    """Until work is logged, the remaining estimate is the original one (unless set apart)."""
    if issue is None:
        return True
    return not issue.time_spent and issue.remaining_estimate in (None, issue.original_estimate)


@dataclass(frozen=True)
class RemainingAdjustment:
    """How logging work changes the remaining estimate: `auto` reduces it by the work logged
    (never below zero; a deleted worklog gives its time back), `new` sets `seconds`, `manual`
    reduces it by `seconds` (or, on delete, increases it), `leave` keeps it."""

    mode: Adjustment = "auto"
    seconds: int | None = None


def validate_adjustment(mode: object, *, new_estimate: object = None, reduce_by: object = None,
                     increase_by: object = None) -> RemainingAdjustment:
    """Jira's worklog query parameters: adjustEstimate=auto|new|manual|leave with newEstimate
    (new), reduceBy (manual on add) or increaseBy (manual on delete), as durations ("2h")."""
    wanted = "auto" if mode in (None, "") else str(mode).strip().lower()
    if wanted == "auto" or wanted == "leave":
        return RemainingAdjustment(wanted)  # type: ignore[arg-type]
    if wanted == "new":
        if new_estimate in (None, ""):
            raise InvalidInput("adjustEstimate=new needs newEstimate.", field="newEstimate")
        return RemainingAdjustment("new", parse_estimate(new_estimate, field="newEstimate", bare_unit="m"))
    if wanted == "manual":
        amount = reduce_by if reduce_by not in (None, "") else increase_by
        if amount in (None, ""):
            raise InvalidInput("adjustEstimate=manual needs reduceBy (or increaseBy when deleting).",
                               field="reduceBy")
        return RemainingAdjustment("manual", parse_estimate(amount, field="reduceBy", bare_unit="m"))
    raise InvalidInput("adjustEstimate is auto, new, manual or leave.", field="adjustEstimate")


def _adjusted(remaining: int | None, spent_delta: int, adjustment: RemainingAdjustment) -> int | None:
    if adjustment.mode == "leave":
        return remaining
    if adjustment.mode == "new":
        return adjustment.seconds
    change = spent_delta if adjustment.mode == "auto" else (
        adjustment.seconds or 0) * (1 if spent_delta >= 0 else -1)
    if remaining is None:
        # Nothing estimated: logging work leaves it unestimated; giving time back estimates it.
        return None if change >= 0 else -change
    return max(0, remaining - change)


async def do_log_time(session: AsyncSession, *, issue: Issue, author_id: int | None, spent_delta: int,
                      adjustment: RemainingAdjustment, worklog_id: int, at: datetime) -> None:
    """Add `spent_delta` seconds (negative when work is taken back) to the issue's time spent and
    adjust its remaining estimate, with their history items. The issue row is locked first
    (PostgreSQL), so concurrent worklogs on one issue add up; its version goes up by one."""
    connection = await session.connection()
    locked = select(Issue.version, Issue.time_spent, Issue.remaining_estimate).where(
        Issue.organization_id == issue.organization_id, Issue.id == issue.id)
    if connection.dialect.name == "postgresql":
        locked = locked.with_for_update()
    version, spent, remaining = (await connection.execute(locked)).one()
    new_spent = max(0, (spent or 0) + spent_delta) or None
    new_remaining = _adjusted(remaining, spent_delta, adjustment)
    values = {"time_spent": new_spent, "remaining_estimate": new_remaining}
    table = Issue.__table__
    await connection.execute(update(table).where(table.c.organization_id == issue.organization_id,
                                                 table.c.id == issue.id)
                             .values(**values, updated_at=at, version=table.c.version + 1))
    for name, value in {**values, "updated_at": at, "version": version + 1}.items():
        set_committed_value(issue, name, value)
    changes = [FieldChange(field, field, _raw(before), _raw(before), _raw(after), _raw(after))
               for field, before, after in (("timespent", spent, new_spent),
                                            ("timeestimate", remaining, new_remaining)) if before != after]
    changes.append(FieldChange("WorklogId", "worklogid", None, None, str(worklog_id), str(worklog_id)))
    await record_changes(session, issue=issue, author_id=author_id, changes=changes, at=at)


def _raw(seconds: int | None) -> str | None:
    return None if seconds is None else str(seconds)
