"""PostgreSQL row-level security: the second wall behind the organization filter every query
already carries (issue 19). SQLite has no such thing and is left as it was.

How it works:
- Every tenant-owned table (every table with an `organization_id` column, and `organizations`
  itself by its `id`) has row security enabled and one policy, `tenant_isolation`, which lets a
  statement see and write only the rows whose organization is the transaction's setting
  `tessera.organization_id`. No setting (or an empty one) matches no row.
- The policies bind every role but the tables' owner: PostgreSQL lets an owner (and a superuser)
  bypass row security, and we do not FORCE it, so that migrations, the worker's outbox dispatch,
  the CLI's admin commands, sign-in lookups by email or token and bulk loads (work that spans
  organizations by design) keep running as the role Tessera logs in as.
- A request's unit of work (tessera.edge.context) switches, for its transaction only, to the
  non-owner role TENANT_ROLE and sets the organization: one statement,
  `SELECT set_config('tessera.organization_id', '<id>', true), set_config('role', 'tessera_tenant', true)`.
  Both end with the transaction, so a pooled connection never carries them to the next user.
  A query inside it that forgets its organization filter still sees only its own rows.

The login role must be a member of TENANT_ROLE (migration 0029 grants it when it may create
roles; README "Row-level security" says what a DBA runs otherwise, after which every
`tessera migrate` completes the grants: `ensure_tenant_role`); `check_row_security` tells at
start-up when it is not."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

TENANT_ROLE = "tessera_tenant"
ORGANIZATION_SETTING = "tessera.organization_id"
POLICY = "tenant_isolation"
# A setting made with set_config(..., true) reads back as '' (not NULL) once a transaction that
# set it has ended on the same connection, so NULLIF keeps the cast from failing there. The
# sub-select makes it an InitPlan, read once per statement: written bare, the setting would be
# looked up and parsed again for every row a scan filters (status WAS over 64,000 value spans:
# +70% on bench/row_security.py; with the sub-select the filter compares two integers).
_CURRENT_ORGANIZATION = f"(SELECT NULLIF(current_setting('{ORGANIZATION_SETTING}', true), '')::bigint)"

_ENTER = text(f"SELECT set_config('{ORGANIZATION_SETTING}', :organization, true), "
              f"set_config('role', '{TENANT_ROLE}', true)")


class RowSecurityUnavailable(RuntimeError):
    """The database cannot switch to TENANT_ROLE, so requests could not run walled in."""


async def enter_organization(session: AsyncSession, organization_id: int,
                             settings: Sequence[tuple[str, str]] = ()) -> None:
    """Make the rest of `session`'s transaction act as TENANT_ROLE within one organization.
    Call it first in the transaction; it ends with the transaction. `settings`: more of the
    transaction's own settings (name, value), made in the same statement (one round trip)."""
    parameters = {"organization": str(int(organization_id))}
    for number, (name, value) in enumerate(settings):
        parameters[f"name{number}"], parameters[f"value{number}"] = name, value
    await session.execute(_enter_with(len(settings)), parameters)


@lru_cache(maxsize=8)
def _enter_with(settings: int) -> TextClause:
    if not settings:
        return _ENTER
    return text(str(_ENTER.text) + "".join(f", set_config(:name{n}, :value{n}, true)" for n in range(settings)))


async def check_row_security(connection: AsyncConnection) -> None:
    """Raise RowSecurityUnavailable, saying what to run, unless the login role may act as TENANT_ROLE."""
    usable = await connection.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :role) "
        "AND pg_has_role(current_user, :role, 'MEMBER')"), {"role": TENANT_ROLE})
    if not usable:
        user = await connection.scalar(text("SELECT current_user"))
        raise RowSecurityUnavailable(
            f"Row-level security is on but the database role {user!r} cannot act as {TENANT_ROLE!r}. "
            f"As a superuser run: CREATE ROLE {TENANT_ROLE} NOLOGIN; GRANT {TENANT_ROLE} TO \"{user}\"; "
            "then run `tessera migrate` (README, Row-level security), "
            "or set TESSERA_DATABASE_ROW_SECURITY=off.")


async def ensure_tenant_role(connection: AsyncConnection) -> None:
    """After migrating (tessera.migrate): grant what migration 0029 could not, once a DBA has
    created TENANT_ROLE or made the login role a member (README, Row-level security). Does
    nothing when all is in place; the caller holds the migrations' advisory lock."""
    ready = await connection.scalar(text(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :role) "
        "THEN pg_has_role(current_user, :role, 'MEMBER') AND has_table_privilege(:role, 'organizations', 'SELECT') "
        "ELSE false END"), {"role": TENANT_ROLE})
    if not ready:
        for statement in role_statements():
            await connection.execute(text(statement))


def policy_statements(table: str, *, column: str = "organization_id") -> list[str]:
    """The DDL that walls `table` in by `column` (migrations; PostgreSQL only). WITH CHECK is the
    same test, so a request cannot write a row into another organization either."""
    condition = f"{column} = {_CURRENT_ORGANIZATION}"
    return [f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
            f'CREATE POLICY {POLICY} ON "{table}" USING ({condition}) WITH CHECK ({condition})']


def role_statements() -> list[str]:
    """Create TENANT_ROLE if it is missing and may be created, let the login role act as it, and
    grant it the data (not the schema) of this database, now and for tables made later."""
    return [
        f"""DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TENANT_ROLE}') THEN
        BEGIN
            CREATE ROLE {TENANT_ROLE} NOLOGIN;
        EXCEPTION
            WHEN duplicate_object THEN NULL;  -- another database's migration made it meanwhile
            WHEN insufficient_privilege THEN
                RAISE WARNING 'cannot create role {TENANT_ROLE}: see README, Row-level security';
                RETURN;
        END;
    END IF;
    IF NOT pg_has_role(current_user, '{TENANT_ROLE}', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT {TENANT_ROLE} TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'cannot grant role {TENANT_ROLE} to %: see README, Row-level security', current_user;
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {TENANT_ROLE}', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {TENANT_ROLE}',
                   current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO {TENANT_ROLE}', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {TENANT_ROLE}',
                   current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {TENANT_ROLE}',
                   current_schema());
END
$$"""]


# Full-text matches under row security. A statement's own conditions that are not leakproof
# (tsvector @@ tsquery among them) may not run before the policy's, so PostgreSQL cannot answer
# `search_vector @@ ...` from its GIN index inside a walled transaction and reads every issue of
# the organization instead (6x slower on bench/search.py's text queries). These functions run
# the match as the owner, who is not walled, so the GIN index answers; each checks the
# organization it is asked about against the transaction's own, so a request cannot probe
# another organization through them. tessera.jql.compile_text calls them on PostgreSQL.
TEXT_MATCH_FUNCTIONS = {"issues": "tessera_issues_matching", "comments": "tessera_comments_matching"}


def text_match_function_statements() -> list[str]:
    statements = []
    for table, function in TEXT_MATCH_FUNCTIONS.items():
        statements.append(f"""DO $$
BEGIN
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION {function}(organization bigint, query tsquery) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %I, pg_catalog ROWS 200 AS $body$
    SELECT id FROM {table}
    WHERE organization_id = organization AND search_vector @@ query
      AND (current_setting('role') = 'none' OR organization = {_CURRENT_ORGANIZATION})
$body$ $f$, current_schema());
END
$$""")
    return statements
