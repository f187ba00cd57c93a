"""Keeping issue_value_spans (tessera.jql.models.IssueValueSpan) in step with change_items.

The spans of an issue's field are a function of its change items, its creation time and, for
a field that never changed, its current value: the value it was created with (the first
item's from_value, or the current value when there is no item) from creation to the first
change, then each item's to_value until the next. Every issue has spans for every field from
the moment it is created, so `status WAS "In Progress"` is one set of span rows, with no "or
its current value" beside it. Triggers write the initial spans when issues are inserted and
recompute the (issue, field) a change item is inserted, updated or deleted for, and every
field when an issue's creation time is rewritten, in the writer's own transaction: every path
that records or rewrites history (edits, transitions, bulk status migration, imports that
backdate) keeps the spans true without knowing about them. Bulk loads that write with triggers
off write the spans of their rows themselves (tessera.demo.rows.span_rows) or call
`add_for_new_issues`.

`first_held` marks an issue's first span of each value, so the issues that ever held a value
are counted without a DISTINCT."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Single-valued system fields with an issues column; WAS on other fields reads change_items.
SPAN_FIELDS = ("status", "priority", "resolution", "assignee", "reporter")
_COLUMN_OF = {"status": "status_id", "priority": "priority_id", "resolution": "resolution_id",
              "assignee": "assignee_id", "reporter": "reporter_id"}
_FIELD_LIST = ", ".join(f"'{field}'" for field in SPAN_FIELDS)
_ALL_FIELDS = " UNION ALL ".join(f"SELECT '{field}' AS field_id" for field in SPAN_FIELDS)
_COLUMNS = "organization_id, issue_id, field_id, value, started_at, ended_at, set_by, first_held"


def _spans_select(items_where: str, items: str = "change_items ci", *, in_trigger: bool = True) -> str:
    """SELECT of the spans recorded by the change items that `items_where` picks (whole
    (issue, field) histories only), for INSERT INTO issue_value_spans. In a trigger, items of an
    issue being deleted (a cascade in progress) record nothing; a rebuild reads settled rows."""
    live_issue = " AND EXISTS (SELECT 1 FROM issues i WHERE i.id = ci.issue_id)" if in_trigger else ""
    return f"""
    SELECT organization_id, issue_id, field_id, value, started_at, ended_at, set_by,
           ROW_NUMBER() OVER (PARTITION BY issue_id, field_id, value ORDER BY started_at, ended_at) = 1
      FROM (
    SELECT ci.organization_id, ci.issue_id, ci.field_id, ci.to_value AS value, ci.created_at AS started_at,
           LEAD(ci.created_at) OVER (PARTITION BY ci.issue_id, ci.field_id ORDER BY ci.created_at, ci.id)
             AS ended_at,
           ci.author_id AS set_by
      FROM {items} WHERE {items_where}{live_issue}
    UNION ALL
    SELECT first.organization_id, first.issue_id, first.field_id, first.from_value, i.created_at,
           first.created_at, NULL
      FROM (SELECT ci.organization_id, ci.issue_id, ci.field_id, ci.from_value, ci.created_at,
                   ROW_NUMBER() OVER (PARTITION BY ci.issue_id, ci.field_id ORDER BY ci.created_at, ci.id) AS n
              FROM {items} WHERE {items_where}) first
      JOIN issues i ON i.id = first.issue_id
     WHERE first.n = 1) spans"""


def _unchanged_select(issues_where: str, fields: str = _ALL_FIELDS, items: str = "change_items ci",
                      issues: str = "issues i") -> str:
    """SELECT of the one span of each field (`fields`: a SELECT of field_id) of the issues that
    `issues_where` picks that has no change item: the value the issue holds now, since creation."""
    current = " ".join(f"WHEN '{field}' THEN CAST(i.{column} AS TEXT)" for field, column in _COLUMN_OF.items())
    return f"""
    SELECT i.organization_id, i.id, f.field_id, CASE f.field_id {current} END, i.created_at, NULL, NULL, TRUE
      FROM {issues} CROSS JOIN ({fields}) f
     WHERE {issues_where}
       AND NOT EXISTS (SELECT 1 FROM {items} WHERE ci.organization_id = i.organization_id
                       AND ci.issue_id = i.id AND ci.field_id = f.field_id)"""


# Without statistics SQLite reads an issue's items through the (organization, field, created)
# index, for the window's order, i.e. every item of the field in the organization.
_SQLITE_ITEMS = "change_items ci INDEXED BY ix_change_items_org_field_issue"


def _recompute(row: str, field: str, items: str = "change_items ci") -> list[str]:
    """Statements recomputing the spans of `row`'s issue (OLD or NEW of a change_items
    trigger) for `field` (an SQL expression)."""
    where = (f"ci.organization_id = {row}.organization_id AND ci.issue_id = {row}.issue_id "
             f"AND ci.field_id = {field}")
    return [f"DELETE FROM issue_value_spans WHERE organization_id = {row}.organization_id "
            f"AND issue_id = {row}.issue_id AND field_id = {field}",
            f"INSERT INTO issue_value_spans ({_COLUMNS}) {_spans_select(where, items)}",
            f"INSERT INTO issue_value_spans ({_COLUMNS}) "
            f"{_unchanged_select(f'i.id = {row}.issue_id', f'SELECT {field} AS field_id', items)}"]


def _recompute_issue(row: str, items: str = "change_items ci") -> list[str]:
    """Every span field of the issue `row` (OLD or NEW of an issues trigger)."""
    where = (f"ci.organization_id = {row}.organization_id AND ci.issue_id = {row}.id "
             f"AND ci.field_id IN ({_FIELD_LIST})")
    return [f"DELETE FROM issue_value_spans WHERE organization_id = {row}.organization_id AND issue_id = {row}.id",
            f"INSERT INTO issue_value_spans ({_COLUMNS}) {_spans_select(where, items)}",
            f"INSERT INTO issue_value_spans ({_COLUMNS}) {_unchanged_select(f'i.id = {row}.id', items=items)}"]


def _plpgsql(statements: list[str]) -> str:
    return "\n".join(f"{statement};" for statement in statements)


# PostgreSQL appends the common case (a change newer than the field's open span, from the value
# that span holds: every edit and transition) by closing the open span and opening the next,
# and recomputes otherwise (out of order, or a first change from another value than the one the
# issue was created with, as an importer may write).
_POSTGRES_APPEND = f"""
      IF TG_OP = 'INSERT' AND NEW.field_id IN ({_FIELD_LIST}) THEN
        UPDATE issue_value_spans SET ended_at = NEW.created_at
         WHERE organization_id = NEW.organization_id AND issue_id = NEW.issue_id AND field_id = NEW.field_id
           AND ended_at IS NULL AND started_at <= NEW.created_at AND value IS NOT DISTINCT FROM NEW.from_value;
        IF NOT FOUND THEN
          {_plpgsql(_recompute("NEW", "NEW.field_id"))}
          RETURN NULL;
        END IF;
        INSERT INTO issue_value_spans ({_COLUMNS})
        VALUES (NEW.organization_id, NEW.issue_id, NEW.field_id, NEW.to_value, NEW.created_at, NULL, NEW.author_id,
                NOT EXISTS (SELECT 1 FROM issue_value_spans WHERE organization_id = NEW.organization_id
                            AND issue_id = NEW.issue_id AND field_id = NEW.field_id
                            AND value IS NOT DISTINCT FROM NEW.to_value));
        RETURN NULL;
      END IF;"""

POSTGRES_TRIGGERS = (
    f"""
    CREATE OR REPLACE FUNCTION issue_value_spans_follow_items() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN{_POSTGRES_APPEND}
      IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.field_id IN ({_FIELD_LIST}) THEN
        {_plpgsql(_recompute("OLD", "OLD.field_id"))}
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.field_id IN ({_FIELD_LIST}) THEN
        {_plpgsql(_recompute("NEW", "NEW.field_id"))}
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER change_items_value_spans AFTER INSERT OR UPDATE OR DELETE ON change_items
    FOR EACH ROW EXECUTE FUNCTION issue_value_spans_follow_items()
    """,
    f"""
    CREATE OR REPLACE FUNCTION issue_value_spans_follow_issue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {_plpgsql(_recompute_issue("NEW"))}
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER issues_value_spans AFTER UPDATE OF created_at ON issues
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION issue_value_spans_follow_issue()
    """,
    # Once per statement, over all the issues it inserted (a bulk import is one INSERT).
    f"""
    CREATE OR REPLACE FUNCTION issue_value_spans_for_new_issues() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO issue_value_spans ({_COLUMNS}) {_unchanged_select("TRUE", issues="new_issues i")};
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER issues_initial_value_spans AFTER INSERT ON issues REFERENCING NEW TABLE AS new_issues
    FOR EACH STATEMENT EXECUTE FUNCTION issue_value_spans_for_new_issues()
    """,
)
POSTGRES_DROP = ("DROP TRIGGER IF EXISTS issues_initial_value_spans ON issues",
                 "DROP TRIGGER IF EXISTS issues_value_spans ON issues",
                 "DROP TRIGGER IF EXISTS change_items_value_spans ON change_items",
                 "DROP FUNCTION IF EXISTS issue_value_spans_follow_issue()",
                 "DROP FUNCTION IF EXISTS issue_value_spans_follow_items()",
                 "DROP FUNCTION IF EXISTS issue_value_spans_for_new_issues()")


def _sqlite_trigger(name: str, event: str, when: str | None, statements: list[str]) -> str:
    body = "\n".join(f"  {statement};" for statement in statements)
    return f"CREATE TRIGGER {name} {event}{f' WHEN {when}' if when else ''}\nBEGIN\n{body}\nEND"


_NEW_FIELD_SPANS = ("FROM issue_value_spans WHERE organization_id = NEW.organization_id AND issue_id = NEW.issue_id "
                    "AND field_id = NEW.field_id")
# The field's open span started no later than the change and holds the value it changes from.
_OPEN_FROM = f"SELECT 1 {_NEW_FIELD_SPANS} AND ended_at IS NULL AND started_at <= NEW.created_at " \
             "AND value IS NEW.from_value"
# The change's own span is there already, open: appended, or recomputed by the other trigger.
_APPENDED = f"SELECT 1 {_NEW_FIELD_SPANS} AND ended_at IS NULL AND started_at = NEW.created_at AND value IS NEW.to_value"
_NEW_SPAN_FIELD = f"NEW.field_id IN ({_FIELD_LIST})"


def sqlite_insert_triggers(*, append: bool = True) -> tuple[str, ...]:
    """The change_items insert triggers. With `append` (issue 16), SQLite appends the common case
    as PostgreSQL does (_POSTGRES_APPEND): closing the open span and opening the change's costs
    the same at any history length, where recomputing an issue's field re-reads its whole
    history (a transition of an issue moved 1,000 times took ~4 ms in this trigger alone).
    SQLite triggers cannot branch, so two triggers with exclusive conditions: `_APPENDED` holds
    once either has run. The append trigger is created last, so it runs first (SQLite runs an
    event's triggers newest first); in the other order it is a recompute and a no-op."""
    recompute = _recompute("NEW", "NEW.field_id", _SQLITE_ITEMS)
    if not append:
        return (_sqlite_trigger("change_items_value_spans_insert", "AFTER INSERT ON change_items", _NEW_SPAN_FIELD,
                                recompute),)
    return (
        _sqlite_trigger("change_items_value_spans_insert", "AFTER INSERT ON change_items",
                        f"{_NEW_SPAN_FIELD} AND NOT EXISTS ({_APPENDED})", recompute),
        _sqlite_trigger("change_items_value_spans_append", "AFTER INSERT ON change_items",
                        f"{_NEW_SPAN_FIELD} AND EXISTS ({_OPEN_FROM}) AND NOT EXISTS ({_APPENDED})", [
                            "UPDATE issue_value_spans SET ended_at = NEW.created_at WHERE organization_id = "
                            "NEW.organization_id AND issue_id = NEW.issue_id AND field_id = NEW.field_id "
                            "AND ended_at IS NULL AND started_at <= NEW.created_at AND value IS NEW.from_value",
                            f"INSERT INTO issue_value_spans ({_COLUMNS}) VALUES (NEW.organization_id, NEW.issue_id, "
                            f"NEW.field_id, NEW.to_value, NEW.created_at, NULL, NEW.author_id, "
                            f"NOT EXISTS (SELECT 1 {_NEW_FIELD_SPANS} AND value IS NEW.to_value))"]))


SQLITE_TRIGGERS = (
    _sqlite_trigger("change_items_value_spans_update", "AFTER UPDATE ON change_items",
                    f"OLD.field_id IN ({_FIELD_LIST}) OR NEW.field_id IN ({_FIELD_LIST})",
                    _recompute("OLD", "OLD.field_id", _SQLITE_ITEMS) + _recompute("NEW", "NEW.field_id", _SQLITE_ITEMS)),
    _sqlite_trigger("change_items_value_spans_delete", "AFTER DELETE ON change_items",
                    f"OLD.field_id IN ({_FIELD_LIST})", _recompute("OLD", "OLD.field_id", _SQLITE_ITEMS)),
    _sqlite_trigger("issues_value_spans", "AFTER UPDATE OF created_at ON issues",
                    "OLD.created_at IS NOT NEW.created_at", _recompute_issue("NEW", _SQLITE_ITEMS)),
    _sqlite_trigger("issues_initial_value_spans", "AFTER INSERT ON issues", None,
                    [f"INSERT INTO issue_value_spans ({_COLUMNS}) "
                     f"{_unchanged_select('i.id = NEW.id', items=_SQLITE_ITEMS)}"]),
    *sqlite_insert_triggers(),  # last: the append trigger must be the newest
)
SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in (
    "change_items_value_spans_insert", "change_items_value_spans_append", "change_items_value_spans_update",
    "change_items_value_spans_delete", "issues_value_spans", "issues_initial_value_spans"))


def trigger_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS


def drop_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_DROP if dialect == "postgresql" else SQLITE_DROP


def rebuild_statements(*, one_organization: bool = False, id_range: bool = False) -> tuple[str, str]:
    """INSERTs of every span: those the change items record and those of fields that never
    changed. With `one_organization`, of the organization bound to :organization_id; with
    `id_range`, also only of its issues with ids from :first_id to :last_id."""
    items_where, issues_where = f"ci.field_id IN ({_FIELD_LIST})", "TRUE"
    if one_organization or id_range:
        items_where += " AND ci.organization_id = :organization_id"
        issues_where = "i.organization_id = :organization_id"
    if id_range:
        items_where += " AND ci.issue_id BETWEEN :first_id AND :last_id"
        issues_where += " AND i.id BETWEEN :first_id AND :last_id"
    return (f"INSERT INTO issue_value_spans ({_COLUMNS}) {_spans_select(items_where, in_trigger=False)}",
            f"INSERT INTO issue_value_spans ({_COLUMNS}) {_unchanged_select(issues_where)}")


async def rebuild_organization(connection: AsyncConnection, organization_id: int) -> None:
    """Recompute one organization's spans from its history and issues."""
    bound = {"organization_id": organization_id}
    await connection.execute(text("DELETE FROM issue_value_spans WHERE organization_id = :organization_id"), bound)
    for statement in rebuild_statements(one_organization=True):
        await connection.execute(text(statement), bound)


async def add_for_new_issues(connection: AsyncConnection, organization_id: int, first_id: int, last_id: int) -> None:
    """The spans of new issues (ids first_id..last_id, all of them new, no other writer between)
    written with triggers off."""
    for statement in rebuild_statements(id_range=True):
        await connection.execute(text(statement), {"organization_id": organization_id, "first_id": first_id,
                                                   "last_id": last_id})
