"""The conditional UPDATE that makes concurrent writers of one issue safe, on both databases."""

from __future__ import annotations

import functools

from sqlalchemy import Update, bindparam, update

from tessera.issues.models import Issue

ISSUES = Issue.__table__


@functools.lru_cache(maxsize=256)
def guarded_update(columns: frozenset[str], *, status_guard: bool = False) -> Update:
    """UPDATE issues SET <columns>, updated_at, version = version + 1 WHERE the id, organization
    and version read (and, for transitions, the status) still match. Cached by the set of
    columns: building the statement per call costs more than running it. Parameters: the column
    names, plus updated_at, w_id, w_org, w_version (and w_status)."""
    conditions = [ISSUES.c.id == bindparam("w_id"), ISSUES.c.organization_id == bindparam("w_org"),
                  ISSUES.c.version == bindparam("w_version")]
    if status_guard:
        conditions.append(ISSUES.c.status_id == bindparam("w_status"))
    return update(ISSUES).where(*conditions).values(
        {**{name: bindparam(name) for name in sorted(columns)}, "updated_at": bindparam("updated_at"),
         "version": ISSUES.c.version + 1})
