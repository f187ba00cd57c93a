"""The outbox rows of a larger statement: for writers that insert their events in the same
round trip as the change itself (tessera.issues.sql). Besides `emit`, this is the only writer
of outbox_events; the rows it writes are handed to the commit listeners with
`remember_emitted`, as `emit` does.

PostgreSQL only: the events come as two parallel arrays, `event_types` (names) and `payloads`
(JSON texts), unnested in order, because SQLite has neither arrays nor data-modifying CTEs."""

from __future__ import annotations

from sqlalchemy import ARRAY, ColumnElement, Insert, Integer, Select, String, Text, bindparam, cast, func
from sqlalchemy import literal as bound_literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.functions import FunctionElement

from tessera.events.models import OutboxEvent

OUTBOX = OutboxEvent.__table__
# The order of the columns a select handed to `outbox_insert_from` yields.
OUTBOX_COLUMNS = ("organization_id", "event_type", "aggregate_type", "aggregate_id", "actor_id", "payload",
                  "created_at", "attempts")


def outbox_insert_from(rows: Select) -> Insert:
    """INSERT INTO outbox_events (OUTBOX_COLUMNS) <rows> RETURNING id; ids follow the rows' order."""
    return OUTBOX.insert().from_select(list(OUTBOX_COLUMNS), rows).returning(OUTBOX.c.id)


def events_from_arrays() -> FunctionElement:
    """unnest(:event_types, :payloads) WITH ORDINALITY AS event(event_type, payload, position)."""
    return func.unnest(bindparam("event_types", type_=ARRAY(Text)), bindparam("payloads", type_=ARRAY(Text))
                       ).table_valued("event_type", "payload", with_ordinality="position").render_derived("event")


def outbox_row(*, organization_id: ColumnElement, event_type: str | ColumnElement, aggregate_type: str,
               aggregate_id: ColumnElement, actor_id: ColumnElement, payload: ColumnElement,
               created_at: ColumnElement) -> tuple[ColumnElement, ...]:
    """One outbox row's columns, in OUTBOX_COLUMNS order, for the select of `outbox_insert_from`
    (a new row is not yet attempted)."""
    return (organization_id, bound_literal(event_type, String) if isinstance(event_type, str) else event_type,
            bound_literal(aggregate_type, String), aggregate_id, actor_id, payload, created_at,
            bound_literal(0, Integer))


def event_row(event: FunctionElement, *, organization_id: ColumnElement, aggregate_type: str,
              aggregate_id: ColumnElement, actor_id: ColumnElement, created_at: ColumnElement
              ) -> tuple[ColumnElement, ...]:
    """`outbox_row` for an event of `events_from_arrays` (its payload JSON text read as jsonb)."""
    return outbox_row(organization_id=organization_id, event_type=event.c.event_type, aggregate_type=aggregate_type,
                      aggregate_id=aggregate_id, actor_id=actor_id, payload=cast(event.c.payload, JSONB),
                      created_at=created_at)
