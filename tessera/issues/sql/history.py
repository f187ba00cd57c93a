"""A change's history (one change group, its items) and its outbox events as data-modifying
CTEs, one statement whatever the number of items and events.

PostgreSQL only: the items and events come as parallel arrays (`unnest`), and SQLite has
neither arrays nor INSERTs inside a WITH; there tessera.issues.history writes the same rows one
statement per step. As separate statements they are three to five round trips, each with its
driver and SQLAlchemy overhead."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    CTE,
    BigInteger,
    ColumnElement,
    Select,
    Text,
    bindparam,
    func,
    select,
    true,
)

from tessera.db.base import UTCDateTime
from tessera.events.outbox_sql import event_row, events_from_arrays, outbox_insert_from
from tessera.issues.models import ChangeGroup, ChangeItem
from tessera.issues.sql.frozen import frozen

CHANGE_GROUPS = ChangeGroup.__table__
CHANGE_ITEMS = ChangeItem.__table__
# A change item's own values, in the order of the `unnest` below; each comes as the array
# parameter of the same name with an "s" ("fields", "field_ids", ...).
CHANGE_ITEM_FIELDS = ("field", "field_id", "field_type", "from_value", "from_string", "to_value", "to_string")
AUTHOR = bindparam("author", type_=BigInteger)


def _items_from_arrays():  # type: ignore[no-untyped-def]
    arrays = [bindparam(f"{name}s", type_=ARRAY(Text)) for name in CHANGE_ITEM_FIELDS]
    return func.unnest(*arrays).table_valued(*CHANGE_ITEM_FIELDS).render_derived("item")


def history_ctes(target: CTE, *, at: ColumnElement) -> tuple[CTE, CTE, CTE]:
    """(new_group, new_items, new_events) for the issue `target` yields (columns id and
    organization_id; no row, nothing written). Parameters: author, the item arrays, event_types
    and payloads."""
    new_group = CHANGE_GROUPS.insert().from_select(
        ["organization_id", "issue_id", "author_id", "created_at"],
        select(target.c.organization_id, target.c.id, AUTHOR, at),
    ).returning(CHANGE_GROUPS.c.id, CHANGE_GROUPS.c.organization_id, CHANGE_GROUPS.c.issue_id).cte("new_group")
    item = _items_from_arrays()
    new_items = CHANGE_ITEMS.insert().from_select(
        ["organization_id", "group_id", "issue_id", *CHANGE_ITEM_FIELDS, "author_id", "created_at"],
        select(new_group.c.organization_id, new_group.c.id, new_group.c.issue_id,
               *(item.c[name] for name in CHANGE_ITEM_FIELDS), AUTHOR, at)
        .select_from(new_group).join(item, true()),
    ).cte("new_items")
    event = events_from_arrays()
    new_events = outbox_insert_from(
        select(*event_row(event, organization_id=new_group.c.organization_id, aggregate_type="issue",
                          aggregate_id=new_group.c.issue_id, actor_id=AUTHOR, created_at=at))
        .select_from(new_group).join(event, true()).order_by(event.c.position)
    ).cte("new_events")
    return new_group, new_items, new_events


def history_columns(new_group: CTE, new_events: CTE) -> tuple[ColumnElement, ColumnElement]:
    """group_id (None when nothing was written) and event_ids (in the events' order)."""
    return (select(new_group.c.id).scalar_subquery().label("group_id"),
            func.array(select(new_events.c.id).order_by(new_events.c.id).scalar_subquery()).label("event_ids"))


def _record_change() -> Select:
    at = bindparam("at", type_=UTCDateTime())
    target = select(bindparam("issue", type_=BigInteger).label("id"),
                    bindparam("org", type_=BigInteger).label("organization_id")).cte("target")
    new_group, new_items, new_events = history_ctes(target, at=at)
    return select(*history_columns(new_group, new_events)).add_cte(new_items)


# Parameters: org, issue, author, at, the item arrays, event_types and payloads. One row:
# group_id, event_ids.
RECORD_CHANGE = frozen(_record_change())
