"""The single figures other edges show (GraphQL's `metrics`): the velocity report's average and
the cycle-time report's medians, for a window, from the same history as the full reports
(tessera.reports.velocity.average_velocity, tessera.reports.flow.median_*)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.projects.service import access_project
from tessera.reports.flow import median_cycle_time, median_lead_time
from tessera.reports.velocity import average_velocity
from tessera.tenancy.auth import authenticate_token
from tests.factories.dated_world import DatedWorld, at
from tests.support import OrgHandle

HOUR = 1 / 24
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def figures(database_url: str, org: OrgHandle, world: DatedWorld, *, since: datetime | None,
            now: datetime) -> tuple[float | None, float | None, float | None]:
    async def run() -> tuple[float | None, float | None, float | None]:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work(write=False) as session:
                actor = await authenticate_token(session, org.token, touch=False)
                project = await access_project(session, actor, str(world.project["id"]))
                window = {"actor": actor, "project": project, "since": since, "now": now}
                return (await average_velocity(session, **window), await median_lead_time(session, **window),
                        await median_cycle_time(session, **window))
        finally:
            await database.dispose()

    return asyncio.run(run())


def test_figures_agree_with_the_reports(database_url: str, dated_org: OrgHandle, dated: DatedWorld) -> None:
    # As test_flow_reports and test_sprint_reports: lead C 16d1h, A 18d1h, B 25d1h; cycle 1, 2, 10;
    # sprint 1 completed 5 points, sprint 2 completed 3.
    velocity, lead, cycle = figures(database_url, dated_org, dated, since=at(1, 0), now=APRIL)
    assert velocity == 4.0
    assert lead is not None and round(lead, 4) == round(18 + HOUR, 4)
    assert cycle == 2.0


def test_a_window_counts_what_the_history_says_happened_in_it(database_url: str, dated_org: OrgHandle,
                                                             dated: DatedWorld) -> None:
    # By Mar 5 only A's first resolution (Mar 4, later reopened) and no completed sprint.
    velocity, lead, cycle = figures(database_url, dated_org, dated, since=at(1, 0), now=at(5, 0))
    assert velocity is None
    assert lead is not None and round(lead, 4) == round(9 + HOUR, 4)
    assert cycle == 1.0
    # Without a bound: everything ever, as with GraphQL's timeframe "all".
    assert figures(database_url, dated_org, dated, since=None, now=APRIL)[0] == 4.0
