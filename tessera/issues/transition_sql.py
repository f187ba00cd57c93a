"""A transition's guarded UPDATE, its history and its outbox events in one statement on PostgreSQL.

Apart, they are two round trips (the UPDATE, then history_sql's statement), each with its driver
and SQLAlchemy overhead, on the hottest write there is. Here the UPDATE is a data-modifying CTE
and the change group, its items and the events are inserted only from the row it changed: when
the guard (same version, same status) finds nothing, nothing else is written either, and the
caller sees `updated = 0` and raises a conflict that rolls the transaction back. SQLite takes the
statement-per-step path in `transitions.py`."""

from __future__ import annotations

import functools

from sqlalchemy import ARRAY, BigInteger, DateTime, Integer, Text, TextClause, bindparam, text

from tessera.issues.history_sql import NEW_ITEMS_CTE
from tessera.issues.models import Issue

_COLUMNS = frozenset(Issue.__table__.c.keys())


# What the issue's view reads besides the row (tessera.issues.views' _FACETS and _LINKED, for the
# one issue), read by the same statement: the change writes none of it (the caller re-reads what
# write_children or a parent's move does change). As records, in those queries' column shapes.
_FACET_ROWS = """
SELECT ROW(l.issue_id, 'label'::text, NULL::bigint, NULL::bigint, l.label::text, NULL::float8, NULL::date,
           NULL::boolean)
  FROM issue_labels l WHERE l.organization_id = :org AND l.issue_id = :issue
UNION ALL
SELECT ROW(ic.issue_id, 'component'::text, c.id, NULL::bigint, c.name::text, NULL::float8, NULL::date,
           NULL::boolean)
  FROM issue_components ic JOIN components c ON c.id = ic.component_id
 WHERE ic.organization_id = :org AND ic.issue_id = :issue
UNION ALL
SELECT ROW(iv.issue_id, iv.kind::text, v.id, NULL::bigint, v.name::text, NULL::float8, NULL::date, v.released)
  FROM issue_versions iv JOIN versions v ON v.id = iv.version_id
 WHERE iv.organization_id = :org AND iv.issue_id = :issue
UNION ALL
SELECT ROW(cv.issue_id, 'value'::text, cv.field_id, cv.value_ref, cv.value_text, cv.value_number, cv.value_date,
           NULL::boolean)
  FROM custom_field_values cv WHERE cv.organization_id = :org AND cv.issue_id = :issue"""
_BRIEF = "ROW('issue'::text, i.id, i.status_id, i.issue_type_id, i.parent_id, i.key::text, i.summary::text)"
_LINKED_ROWS = f"""
SELECT ROW('link'::text, l.id, l.link_type_id, l.source_issue_id, l.target_issue_id, NULL::text, NULL::text)
  FROM issue_links l WHERE l.organization_id = :org AND (l.source_issue_id = :issue OR l.target_issue_id = :issue)
UNION ALL
SELECT {_BRIEF} FROM issues i WHERE i.organization_id = :org AND (i.parent_id = :issue OR i.id = :parent)
UNION ALL
SELECT {_BRIEF} FROM issues i JOIN issue_links l ON l.target_issue_id = i.id
 WHERE l.organization_id = :org AND l.source_issue_id = :issue AND i.organization_id = :org
UNION ALL
SELECT {_BRIEF} FROM issues i JOIN issue_links l ON l.source_issue_id = i.id
 WHERE l.organization_id = :org AND l.target_issue_id = :issue AND i.organization_id = :org"""


@functools.lru_cache(maxsize=256)
def transition_change(columns: frozenset[str]) -> TextClause:
    """Cached by the set of columns set (besides updated_at and version): building and compiling
    the statement per call costs more than running it. Parameters: the column names; org,
    issue, author, at; w_version and w_status (the guard); the history arrays (fields,
    field_ids, field_types, from_values, from_strings, to_values, to_strings) and the events'
    (event_types, payloads as JSON text); for the view: parent (the issue's parent id or None) and
    user_ids (users to read). Returns one row: updated (0 or 1), group_id, event_ids, and the
    view's rows read before the change: facet_rows, linked_rows, user_rows (id, display name,
    email, active)."""
    unknown = columns - _COLUMNS
    if unknown or not columns:
        raise ValueError(f"not columns of issues: {sorted(unknown)}")
    sets = ", ".join(f"{name} = :{name}" for name in sorted(columns))
    statement = text(f"""
WITH changed AS (
    UPDATE issues SET {sets}, updated_at = :at, version = issues.version + 1
    WHERE issues.id = :issue AND issues.organization_id = :org AND issues.version = :w_version
      AND issues.status_id = :w_status
    RETURNING issues.id
), new_group AS (
    INSERT INTO change_groups (organization_id, issue_id, author_id, created_at)
    SELECT :org, changed.id, :author, :at FROM changed
    RETURNING id
), {NEW_ITEMS_CTE}, new_events AS (
    INSERT INTO outbox_events (organization_id, event_type, aggregate_type, aggregate_id, actor_id, payload,
                               created_at, attempts)
    SELECT :org, event.event_type, 'issue', changed.id, :author, CAST(event.payload AS jsonb), :at, 0
    FROM changed, unnest(:event_types, :payloads) WITH ORDINALITY AS event(event_type, payload, position)
    ORDER BY event.position
    RETURNING id
)
SELECT (SELECT count(*) FROM changed) AS updated, (SELECT id FROM new_group) AS group_id,
       ARRAY(SELECT id FROM new_events ORDER BY id) AS event_ids,
       ARRAY({_FACET_ROWS}) AS facet_rows, ARRAY({_LINKED_ROWS}) AS linked_rows,
       ARRAY(SELECT ROW(u.id, u.display_name, u.email, u.active) FROM users u
             WHERE u.organization_id = :org AND u.id = ANY(:user_ids)) AS user_rows
""")
    return statement.bindparams(
        bindparam("org", type_=BigInteger), bindparam("issue", type_=BigInteger),
        bindparam("author", type_=BigInteger), bindparam("at", type_=DateTime(timezone=True)),
        bindparam("w_version", type_=Integer), bindparam("w_status", type_=BigInteger),
        *(bindparam(name, type_=Issue.__table__.c[name].type) for name in sorted(columns)),
        bindparam("parent", type_=BigInteger), bindparam("user_ids", type_=ARRAY(BigInteger)),
        *(bindparam(name, type_=ARRAY(Text)) for name in (
            "fields", "field_ids", "field_types", "from_values", "from_strings", "to_values", "to_strings",
            "event_types", "payloads")),
    )
