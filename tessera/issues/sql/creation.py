"""Creating an issue in one statement: take the project's next number, insert the issue, its
tail rank (tessera.issues.ranks), its labels, its watchers and its `issue_created` outbox event,
in one round trip instead of six. Besides the round trips it saves the driver and SQLAlchemy
work of five more statements, which is most of a create's CPU on the server.

PostgreSQL only: the steps are data-modifying CTEs, and labels and watchers come as arrays
(`unnest`); SQLite has neither, and takes the statement-per-step path in
tessera.issues.creation. Components, versions and custom field values (less common) are written
after it on both."""

from __future__ import annotations

from sqlalchemy import ARRAY, BigInteger, Select, String, Text, bindparam, cast, func, literal, select, true, update
from sqlalchemy.dialects import postgresql

from tessera.db.base import UTCDateTime
from tessera.events.outbox_sql import outbox_insert_from, outbox_row
from tessera.events.types import IssueCreated
from tessera.events.types.base import payload_keys
from tessera.issues.models import Issue, IssueLabel
from tessera.issues.ranks import ID_WIDTH, ISSUE_RANKS, TAIL_END
from tessera.issues.sql.frozen import frozen
from tessera.issues.watchers.models import IssueWatcher
from tessera.projects.models import Project

ISSUES = Issue.__table__
PROJECTS = Project.__table__
LABELS = IssueLabel.__table__
WATCHERS = IssueWatcher.__table__
# The issue's columns that come as parameters, each named "issue_" + the column: a parameter named
# as a column of the UPDATE's table (projects.description) would be taken as a value to SET.
ISSUE_COLUMNS = ("issue_type_id", "summary", "description", "status_id", "priority_id", "workflow_id",
                    "assignee_id", "reporter_id", "creator_id", "parent_id", "due_date", "original_estimate",
                    "remaining_estimate", "security_level_id")


def issue_parameters(values: dict[str, object]) -> dict[str, object]:
    """The statement's parameters for the new issue's own columns, from a row's values by column."""
    return {f"issue_{name}": values[name] for name in ISSUE_COLUMNS}


def _create_issue() -> Select:
    org, project = bindparam("org", type_=BigInteger), bindparam("project", type_=BigInteger)
    actor, now = bindparam("actor", type_=BigInteger), bindparam("now", type_=UTCDateTime())
    next_number = (update(PROJECTS).where(PROJECTS.c.id == project, PROJECTS.c.organization_id == org)
                   .values(issue_counter=PROJECTS.c.issue_counter + 1, updated_at=now)
                   .returning(PROJECTS.c.issue_counter).cte("next_number"))
    issue_values = [bindparam(f"issue_{name}", type_=ISSUES.c[name].type) for name in ISSUE_COLUMNS]
    new_issue = ISSUES.insert().from_select(
        ["organization_id", "project_id", "number", "key", *ISSUE_COLUMNS, "created_at", "updated_at", "version"],
        select(org, project, next_number.c.issue_counter,
               bindparam("key_prefix", type_=String) + cast(next_number.c.issue_counter, Text),
               *issue_values, now, now, literal(1)),
    ).returning(ISSUES.c.id, ISSUES.c.number, ISSUES.c.key, ISSUES.c.organization_id).cte("new_issue")
    new_rank = ISSUE_RANKS.insert().from_select(
        ["organization_id", "issue_id", "rank"],
        select(new_issue.c.organization_id, new_issue.c.id,
               bindparam("rank_prefix", type_=String)
               + func.lpad(cast(new_issue.c.id, Text), ID_WIDTH, "0") + literal(TAIL_END, String)),
    ).cte("new_rank")
    label = func.unnest(bindparam("labels", type_=ARRAY(String))).table_valued("label").render_derived("label")
    new_labels = LABELS.insert().from_select(
        ["organization_id", "issue_id", "label"],
        select(new_issue.c.organization_id, new_issue.c.id, label.c.label).select_from(new_issue).join(label, true()),
    ).cte("new_labels")
    watcher = func.unnest(bindparam("watchers", type_=ARRAY(BigInteger))).table_valued("user_id").render_derived(
        "watcher")
    # ON CONFLICT is spelled by the dialect's insert; the reporter may also be the assignee.
    new_watchers = postgresql.insert(WATCHERS).from_select(
        ["organization_id", "issue_id", "user_id", "created_at"],
        select(new_issue.c.organization_id, new_issue.c.id, watcher.c.user_id, now)
        .select_from(new_issue).join(watcher, true()),
    ).on_conflict_do_nothing().cte("new_watchers")
    # IssueCreated's payload, its keys taken from the class so the two cannot drift apart.
    values = {"issue_id": new_issue.c.id, "issue_key": new_issue.c.key, "project_id": project, "user_id": actor,
              "timestamp": bindparam("timestamp", type_=String)}
    payload = func.jsonb_build_object(*(part for _, key in payload_keys(IssueCreated) for part in (key, values[key])))
    new_event = outbox_insert_from(select(*outbox_row(
        organization_id=new_issue.c.organization_id, event_type=IssueCreated.name,
        aggregate_type=IssueCreated.aggregate_type, aggregate_id=new_issue.c.id, actor_id=actor, payload=payload,
        created_at=now))).cte("new_event")
    return (select(new_issue.c.id, new_issue.c.number, new_issue.c.key, new_event.c.id.label("event_id"))
            .select_from(new_issue).join(new_event, true())
            .add_cte(new_rank, new_labels, new_watchers))


# Parameters: org, project, actor, now, key_prefix ("KEY-"), rank_prefix (ranks.tail_prefix),
# labels, watchers, timestamp (the event's, ISO text) and issue_parameters(). One row: id, number,
# key, event_id.
CREATE_ISSUE = frozen(_create_issue())
