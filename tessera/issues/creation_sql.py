"""Creating an issue on PostgreSQL in one statement.

The common create (scalar fields, labels, auto-watchers) is a chain of data-modifying CTEs: take
the project's next number, insert the issue, its tail rank (tessera.issues.ranks), its labels,
its watchers and its `issue_created` outbox event, in one round trip instead of six. Besides the
round trips it saves the driver and SQLAlchemy work of five more statements, which is most of a
create's CPU on the server. SQLite
has no data-modifying CTEs; it takes the statement-per-step path in `service.do_create_issue`.
Components, versions and custom field values (less common) are written after it, as usual."""

from __future__ import annotations

from sqlalchemy import ARRAY, BigInteger, Date, DateTime, Integer, String, Text, bindparam, text

from tessera.issues.ranks import ID_WIDTH, TAIL_END

CREATE_ISSUE = text(f"""
WITH next_number AS (
    UPDATE projects SET issue_counter = issue_counter + 1, updated_at = :now
    WHERE id = :project AND organization_id = :org
    RETURNING issue_counter
), new_issue AS (
    INSERT INTO issues (organization_id, project_id, number, key, issue_type_id, summary, description, status_id,
                        priority_id, workflow_id, assignee_id, reporter_id, creator_id, parent_id, due_date,
                        original_estimate, remaining_estimate, created_at, updated_at, version)
    SELECT :org, :project, issue_counter, :key_prefix || issue_counter, :issue_type_id, :summary, :description,
           :status_id, :priority_id, :workflow_id, :assignee_id, :reporter_id, :creator_id, :parent_id, :due_date,
           :original_estimate, :remaining_estimate, :now, :now, 1
    FROM next_number
    RETURNING id, number, key
), new_rank AS (
    INSERT INTO issue_ranks (organization_id, issue_id, rank)
    SELECT :org, new_issue.id, :rank_prefix || lpad(new_issue.id::text, {ID_WIDTH}, '0') || '{TAIL_END}'
    FROM new_issue
), new_labels AS (
    INSERT INTO issue_labels (organization_id, issue_id, label)
    SELECT :org, new_issue.id, label FROM new_issue, unnest(:labels) AS label
), new_watchers AS (
    INSERT INTO issue_watchers (organization_id, issue_id, user_id, created_at)
    SELECT :org, new_issue.id, user_id, :now FROM new_issue, unnest(:watchers) AS user_id
    ON CONFLICT DO NOTHING
), new_event AS (
    INSERT INTO outbox_events (organization_id, event_type, aggregate_type, aggregate_id, actor_id, payload,
                               created_at, attempts)
    SELECT :org, 'issue_created', 'issue', new_issue.id, :actor,
           jsonb_build_object('issue_id', new_issue.id, 'issue_key', new_issue.key, 'project_id', :project,
                              'user_id', :actor, 'timestamp', :timestamp),
           :now, 0
    FROM new_issue
    RETURNING id
)
SELECT new_issue.id, new_issue.number, new_issue.key, new_event.id AS event_id FROM new_issue, new_event
""").bindparams(
    bindparam("org", type_=BigInteger), bindparam("project", type_=BigInteger), bindparam("actor", type_=BigInteger),
    bindparam("now", type_=DateTime(timezone=True)), bindparam("key_prefix", type_=String),
    bindparam("rank_prefix", type_=String),
    bindparam("issue_type_id", type_=BigInteger), bindparam("summary", type_=String),
    bindparam("description", type_=Text), bindparam("status_id", type_=BigInteger),
    bindparam("priority_id", type_=BigInteger), bindparam("workflow_id", type_=BigInteger),
    bindparam("assignee_id", type_=BigInteger), bindparam("reporter_id", type_=BigInteger),
    bindparam("creator_id", type_=BigInteger), bindparam("parent_id", type_=BigInteger),
    bindparam("due_date", type_=Date), bindparam("original_estimate", type_=Integer),
    bindparam("remaining_estimate", type_=Integer), bindparam("labels", type_=ARRAY(String)),
    bindparam("watchers", type_=ARRAY(BigInteger)), bindparam("timestamp", type_=String),
)
