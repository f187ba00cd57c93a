"""The write path's statements, built with SQLAlchemy Core from the table objects so that every
column name is checked when the module loads.

`guarded_update` serves both databases. The rest is PostgreSQL only, each module saying why: a
create, an update's history and a transition are each one statement there (data-modifying
CTEs fed by arrays), where SQLite, which has neither, takes one statement per step through the
same services. Every builder returns a statement built once (at import, or cached by its
shape), so SQLAlchemy's compiled cache is hit and no literal changes from call to call."""
