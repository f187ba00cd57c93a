"""A transition's guarded UPDATE, its history, its outbox events and the rest of the issue's
view in one statement.

PostgreSQL only (data-modifying CTEs, arrays of records); SQLite runs the same guarded_update,
then the history and events one statement per step (tessera.issues.transitions). Apart, they are
two round trips and more, each with its driver and SQLAlchemy overhead, on the hottest write
there is. The change group, its items and the events are inserted only from the row the UPDATE
changed: when the guard (same version, same status) finds nothing, nothing else is written
either, and the caller sees `updated = 0` and raises a conflict that rolls the transaction
back."""

from __future__ import annotations

import functools

from sqlalchemy import ARRAY, BigInteger, CompoundSelect, Select, TextClause, any_, bindparam, func, select

from tessera.db.base import UTCDateTime
from tessera.issues.models import Issue
from tessera.issues.sql.frozen import frozen
from tessera.issues.sql.guarded_update import guarded_update
from tessera.issues.sql.history import history_columns, history_ctes
from tessera.issues.view_queries import facets_select, linked_select, users_select

_COLUMNS = frozenset(Issue.__table__.c.keys())


def _records(query: CompoundSelect | Select, name: str):  # type: ignore[no-untyped-def]
    """ARRAY(SELECT ROW(<columns>) FROM (<query>)): the query's rows as one array of records."""
    rows = query.subquery(name)
    return func.array(select(func.row(*rows.c)).scalar_subquery())


@functools.lru_cache(maxsize=256)
def transition_change(columns: frozenset[str]) -> TextClause:
    """Cached by the set of columns set (besides updated_at and version): building and compiling
    the statement per call costs more than running it. Parameters: guarded_update's (the column
    names, updated_at, w_id, w_org, w_version, w_status); author, the history's item arrays and
    the events' (event_types, payloads as JSON text); for the view: parent (the issue's parent id
    or None) and user_ids (users to read). Returns one row: updated (0 or 1), group_id,
    event_ids, and the view's rows read before the change, as records: facet_rows and
    linked_rows (shaped as tessera.issues.view_queries' selects), user_rows (id, display name,
    email, active)."""
    unknown = columns - _COLUMNS
    if unknown or not columns:
        raise ValueError(f"not columns of issues: {sorted(unknown)}")
    update = guarded_update(columns, status_guard=True)
    changed = update.returning(update.table.c.id, update.table.c.organization_id).cte("changed")
    new_group, new_items, new_events = history_ctes(changed, at=bindparam("updated_at", type_=UTCDateTime()))
    org, issue = bindparam("w_org", type_=BigInteger), bindparam("w_id", type_=BigInteger)
    parent = bindparam("parent", type_=BigInteger)
    user_ids = bindparam("user_ids", type_=ARRAY(BigInteger))
    return frozen(select(
        select(func.count()).select_from(changed).scalar_subquery().label("updated"),
        *history_columns(new_group, new_events),
        _records(facets_select(org=org, issue_among=lambda column: column == issue), "facet").label("facet_rows"),
        _records(linked_select(org=org, issue_among=lambda column: column == issue,
                               related_among=lambda column: column == parent), "linked").label("linked_rows"),
        _records(users_select(org=org, user_among=lambda column: column == any_(user_ids)), "person"
                 ).label("user_rows"),
    ).add_cte(new_items))
