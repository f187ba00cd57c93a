"""Core statements rendered once into PostgreSQL text, for the hottest writes.

SQLAlchemy's compiled cache is keyed by the statement's cache key, and that key (a nested
tuple describing every element) is hashed and compared on every execution. For a statement as
large as a transition's, with its CTEs and the view's unions, that costs about 80 µs of the
server's CPU per execution on the benchmark machine, against about 1 µs for a text statement's
key. So the statements of tessera.issues.sql are built with Core (column names checked, one
definition shared with the views) and then rendered once, here, into a text() with the same
typed parameters: execution costs what the hand-written SQL cost."""

from __future__ import annotations

import re

from sqlalchemy import Executable, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql.base import PGDialect

# PostgreSQL without a driver: named parameters (":name", which text() reads back) and no casts
# on them; the asyncpg dialect renders its own "$n::type" from the typed parameters when it
# compiles the text.
TEXT_DIALECT = PGDialect(paramstyle="named")
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def frozen(statement: Executable) -> TextClause:
    """`statement` as PostgreSQL text with the same parameters (names, types). Constants (a
    `literal()`, the 1 of `version + 1`) are written into the text, as they were by hand: as
    parameters each would be converted and sent on every execution."""
    compiled = statement.compile(dialect=TEXT_DIALECT)
    # One parameter per rendered name (a name may stand for several uses of one parameter).
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    constants = {name: compiled.render_literal_value(bind.value, bind.type)
                 for name, bind in by_name.items() if not bind.required}
    if any(":" in constant for constant in constants.values()):
        raise ValueError("a constant with a colon would read back as a parameter; pass it as one")
    sql = _PARAMETER.sub(lambda found: constants.get(found[1], found[0]), compiled.string)
    return text(sql).bindparams(*(
        bindparam(name, type_=bind.type) for name, bind in by_name.items() if name not in constants))
