"""A change's history and its outbox events in one statement on PostgreSQL.

An update or a transition writes a change group, its items and one or more outbox events; as
separate statements that is three to five round trips, each with its driver and SQLAlchemy
overhead. Here they are data-modifying CTEs fed by arrays (`unnest`), one round trip whatever
the number of items and events. SQLite takes the statement-per-step path in `history.py`."""

from __future__ import annotations

from sqlalchemy import ARRAY, BigInteger, DateTime, Text, bindparam, text

# The change items of the group `new_group`, from parallel arrays; shared with transition_sql.
NEW_ITEMS_CTE = """new_items AS (
    INSERT INTO change_items (organization_id, group_id, issue_id, field, field_id, field_type, from_value,
                              from_string, to_value, to_string, author_id, created_at)
    SELECT :org, new_group.id, :issue, item.field, item.field_id, item.field_type, item.from_value,
           item.from_string, item.to_value, item.to_string, :author, :at
    FROM new_group, unnest(:fields, :field_ids, :field_types, :from_values, :from_strings, :to_values, :to_strings)
         AS item(field, field_id, field_type, from_value, from_string, to_value, to_string)
)"""

RECORD_CHANGE = text(f"""
WITH new_group AS (
    INSERT INTO change_groups (organization_id, issue_id, author_id, created_at)
    VALUES (:org, :issue, :author, :at)
    RETURNING id
), {NEW_ITEMS_CTE}, new_events AS (
    INSERT INTO outbox_events (organization_id, event_type, aggregate_type, aggregate_id, actor_id, payload,
                               created_at, attempts)
    SELECT :org, event.event_type, 'issue', :issue, :author, CAST(event.payload AS jsonb), :at, 0
    FROM unnest(:event_types, :payloads) WITH ORDINALITY AS event(event_type, payload, position)
    ORDER BY event.position
    RETURNING id
)
SELECT (SELECT id FROM new_group) AS group_id, ARRAY(SELECT id FROM new_events ORDER BY id) AS event_ids
""").bindparams(
    bindparam("org", type_=BigInteger), bindparam("issue", type_=BigInteger), bindparam("author", type_=BigInteger),
    bindparam("at", type_=DateTime(timezone=True)),
    *(bindparam(name, type_=ARRAY(Text)) for name in (
        "fields", "field_ids", "field_types", "from_values", "from_strings", "to_values", "to_strings",
        "event_types", "payloads")),
)
