"""The query plans of every lookup the issue list and issue views make, on a loaded database.

    .venv/bin/python bench/view_plans.py --database-url sqlite:///data/load.db --org LOAD --label sqlite
    .venv/bin/python bench/view_plans.py --database-url postgresql://postgres@127.0.0.1:5432/load --org LOAD

Renders a page of `--page` issues (the ones with the most labels, links and sub-tasks first) the
way the API does (tessera.issues.views.render_issues and the Jira format's extra reads: comments,
watches, votes, attachments, worklogs, ranks; one issue's stored parts, as a change reads them),
records each statement with its parameters as it runs, then asks the database for its plan
(EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) and times one more run of it. A line of
a SQLite plan that SCANs a table (rather than SEARCHing an index) is marked.
Writes bench/results/view_plans-<label>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, insert, select, text

from tessera.agile.ranking import ranks_of
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.issues.models import Issue, IssueLabel, IssueLink
from tessera.issues.references import load_catalog
from tessera.issues.summaries import attachments_by_issue, visible_comments_by_issue, vote_counts, watch_counts
from tessera.issues.views import render_issues
from tessera.issues.watchers.models import IssueWatcher
from tessera.issues.worklogs.service import worklogs_by_issue
from tessera.projects.models import LinkType
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.service import load_organization_by_key

RESULTS = Path(__file__).parent / "results"


async def page_of_issues(session, organization_id: int, size: int) -> list[Issue]:  # type: ignore[no-untyped-def]
    """Issues that have labels, then sub-task parents and linked ones, so every lookup finds rows."""
    labelled = select(IssueLabel.issue_id).where(IssueLabel.organization_id == organization_id).limit(size // 2)
    parents = select(Issue.parent_id).where(Issue.organization_id == organization_id,
                                            Issue.parent_id.is_not(None)).limit(size // 4)
    linked = select(IssueLink.source_issue_id).where(IssueLink.organization_id == organization_id).limit(size // 4)
    ids = set()
    for query in (labelled, parents, linked):
        ids |= set((await session.scalars(query)).all())
    if len(ids) < size:
        ids |= set((await session.scalars(select(Issue.id).where(Issue.organization_id == organization_id)
                                          .order_by(Issue.id.desc()).limit(size - len(ids)))).all())
    return list((await session.scalars(select(Issue).where(Issue.organization_id == organization_id,
                                                           Issue.id.in_(sorted(ids)[:size])))).all())


async def plant(database: Database, org_key: str, every: int) -> None:
    """Links between neighbouring issues and watchers on every `every`th issue (`tessera load`
    writes neither), so their lookups have rows to find; then the statistics a load leaves."""
    async with database.unit_of_work() as session:
        organization = await load_organization_by_key(session, org_key)
        link_type = await session.scalar(select(LinkType.id).where(LinkType.organization_id == organization.id)
                                         .order_by(LinkType.id).limit(1))
        users = (await session.scalars(select(User.id).where(User.organization_id == organization.id))).all()
        ids = (await session.scalars(select(Issue.id).where(Issue.organization_id == organization.id)
                                     .order_by(Issue.id))).all()
        now = datetime.now(UTC)
        await session.execute(insert(IssueLink), [
            {"organization_id": organization.id, "link_type_id": link_type, "source_issue_id": source,
             "target_issue_id": target, "created_at": now} for source, target in zip(ids[::every], ids[1::every])])
        await session.execute(insert(IssueWatcher), [
            {"organization_id": organization.id, "issue_id": issue_id, "user_id": users[n % len(users)],
             "created_at": now} for n, issue_id in enumerate(ids[::every])])
        try:
            from tessera.db.statistics import refresh_statistics
        except ImportError:  # the code before tessera.db.statistics: PostgreSQL's autovacuum would analyze them
            if not database.is_sqlite:
                await session.execute(text("ANALYZE issue_links, issue_watchers"))
        else:
            await refresh_statistics(await session.connection(), changed=["issue_links", "issue_watchers"])
    print(f"planted {len(ids[::every]):,} links and as many watchers")


async def capture(database: Database, org_key: str, size: int) -> list[tuple[str, str, object]]:
    recorded: list[tuple[str, str, object]] = []
    stage = ["setup"]

    def record(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if stage[0] != "setup":
            recorded.append((stage[0], statement, parameters))

    event.listen(database.read_engine.sync_engine, "before_cursor_execute", record)
    async with database.unit_of_work(write=False) as session:
        organization = await load_organization_by_key(session, org_key)
        admin = await session.scalar(select(User).where(User.organization_id == organization.id,
                                                        User.role == "admin").order_by(User.id).limit(1))
        actor = Actor(organization_id=organization.id, user_id=admin.id, email=admin.email,
                      display_name=admin.display_name, org_role="admin", via="system",
                      organization_key=organization.key)
        catalog = await load_catalog(session, organization.id)
        issues = await page_of_issues(session, organization.id, size)
        ids = [issue.id for issue in issues]
        total = await session.scalar(select(func.count()).select_from(Issue).where(
            Issue.organization_id == organization.id))
        print(f"{organization.key}: {total:,} issues; a page of {len(ids)}")
        stage[0] = "render_issues"
        await render_issues(session, organization_id=organization.id, issues=issues, catalog=catalog, viewer=None)
        for name, read in (("watches", lambda: watch_counts(session, actor, ids)),
                           ("votes", lambda: vote_counts(session, actor, ids)),
                           ("comments", lambda: visible_comments_by_issue(session, actor, ids)),
                           ("attachments", lambda: attachments_by_issue(session, organization.id, ids)),
                           ("worklogs", lambda: worklogs_by_issue(session, organization.id, ids, per_issue=20)),
                           ("ranks", lambda: ranks_of(session, organization.id, ids))):
            stage[0] = name
            await read()
        stage[0] = "setup"
    event.remove(database.read_engine.sync_engine, "before_cursor_execute", record)
    return recorded


async def explain(database: Database, recorded: list[tuple[str, str, object]]) -> list[dict]:
    plans = []
    async with database.read_engine.connect() as connection:
        for stage, statement, parameters in recorded:
            prefix = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN "
            rows = (await connection.exec_driver_sql(prefix + statement, parameters)).all()
            lines = ([f"{'  ' * _depth(rows, row)}{row[-1]}" for row in rows] if database.is_sqlite
                     else [row[0] for row in rows])
            started = time.perf_counter()
            await connection.exec_driver_sql(statement, parameters)
            plans.append({"stage": stage, "statement": " ".join(statement.split()), "plan": lines,
                          "ms": round((time.perf_counter() - started) * 1000, 2)})
    return plans


def _depth(rows, row) -> int:  # type: ignore[no-untyped-def]
    """Nesting of an EXPLAIN QUERY PLAN row (id, parent, notused, detail)."""
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent:
        depth, parent = depth + 1, parents.get(parent, 0)
    return depth


def _mark(line: str) -> str:
    """SQLite plan lines that read a whole table, or a whole organization's rows of it."""
    detail = line.strip()
    if detail.startswith("SCAN") and "CONSTANT" not in detail and "SUBQUERY" not in detail:
        return "   <-- SCAN"
    if detail.startswith("SEARCH") and detail.endswith("(organization_id=?)"):
        return "   <-- the whole organization"
    return ""


def render(label: str, url: str, plans: list[dict]) -> str:
    lines = [f"# Query plans of the issue views: {label}", "",
             f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}; database {url.split('@')[-1]}. Each statement as the views "
             "ran it, its plan, and the milliseconds of one more (warm) run. `<--` marks a SQLite plan line "
             "that reads a whole table, or all of the organization's rows of it, rather than searching for the "
             "rows it needs.", ""]
    for plan in plans:
        marked = [line + _mark(line) for line in plan["plan"]]
        lines += [f"## {plan['stage']} ({plan['ms']} ms)", "", "```sql", plan["statement"][:1500], "```", "",
                  "```", *marked, "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--org", required=True)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--label", default=None, help="results file suffix (default: the backend)")
    parser.add_argument("--plant", type=int, default=0, metavar="N",
                        help="first add a link and a watcher for every Nth issue of the organization")
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url)

    async def run() -> list[dict]:
        database = Database(settings)
        try:
            if args.plant:
                await plant(database, args.org, args.plant)
            return await explain(database, await capture(database, args.org, args.page))
        finally:
            await database.dispose()

    plans = asyncio.run(run())
    label = args.label or ("sqlite" if settings.is_sqlite else "postgres")
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = render(label, args.database_url, plans)
    (RESULTS / f"view_plans-{label}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
