"""Fields that show the wrapped domain row's own values. Most node fields are one attribute of
`self.row` as it is; declaring them through these keeps each node to its list of names and
types, and leaves methods for the fields that compute something."""

from __future__ import annotations

from typing import Any

import strawberry


def _row_id(root: Any) -> strawberry.ID:
    return strawberry.ID(str(root.row.id))


def row_id() -> Any:
    """The row's primary key as a GraphQL ID."""
    return strawberry.field(resolver=_row_id)


def row_value(attribute: str, *, description: str | None = None) -> Any:
    """The row's `attribute`, typed by the annotation of the field it declares."""
    def resolve(root: Any) -> Any:
        return getattr(root.row, attribute)

    return strawberry.field(resolver=resolve, description=description)
