"""Projects with what the seed's ProjectDashboard query asks of them: recent issues, sprints with
their burndown, and flow metrics (through the metrics adapter)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from tessera.agile.models import Sprint
from tessera.api.graphql import metrics
from tessera.api.graphql.issues import IssueNode, issue_nodes, validate_page_size
from tessera.api.graphql.loaders import project_sprints
from tessera.api.graphql.nodes import Ctx, UserNode, user_node
from tessera.api.graphql.rows import row_id, row_value
from tessera.api.graphql.timeframe import EXAMPLES, Timeframe, parse_timeframe
from tessera.errors import InvalidInput
from tessera.jql.search import search_issues
from tessera.projects.models import Project

SPRINT_STATES = ("future", "active", "closed")
DEFAULT_METRICS_TIMEFRAME = "90d"


@strawberry.type(name="Burndown", description="Work left in a sprint, in `unit`, at the start of each of its days.")
class BurndownNode:
    dates: list[datetime] = strawberry.field(description="The start of each day of the sprint, and its end.")
    ideal: list[float] = strawberry.field(description="From the starting scope down to zero, one per date.")
    actual: list[float] = strawberry.field(description="What was left at each date so far.")
    remaining: float = strawberry.field(description="What is left now (a closed sprint: at its completion).")
    unit: str = strawberry.field(description="story points, or issues when there is no Story Points field.")


@strawberry.type(name="Sprint")
class SprintNode:
    row: strawberry.Private[Sprint]
    id: strawberry.ID = row_id()
    name: str = row_value("name")
    state: str = row_value("state", description="future, active or closed.")
    goal: str = row_value("goal")
    start_at: datetime | None = row_value("start_at")
    end_at: datetime | None = row_value("end_at")
    completed_at: datetime | None = row_value("completed_at")

    @strawberry.field
    async def burndown(self, info: Ctx) -> BurndownNode:
        async with info.context.reading() as (session, actor):
            found = await metrics.burndown(session, actor, self.row)
        return BurndownNode(dates=found.dates, ideal=found.ideal, actual=found.actual, remaining=found.remaining,
                            unit=found.unit)


@strawberry.type(name="Metrics", description="Flow metrics of a project over a timeframe.")
class MetricsNode:
    project: strawberry.Private[Project]
    period: strawberry.Private[Timeframe]

    @strawberry.field(description="The timeframe these metrics cover.")
    def timeframe(self) -> str:
        return self.period.text

    @strawberry.field(description="Story points completed per sprint, averaged over the sprints closed in the "
                                  "timeframe (issues per sprint when there is no Story Points field).")
    async def velocity(self, info: Ctx) -> float | None:
        async with info.context.reading() as (session, actor):
            return await metrics.velocity(session, actor, self.project, self.period)

    @strawberry.field(description="Median days from created to resolved, of the issues resolved in the timeframe.")
    async def lead_time(self, info: Ctx) -> float | None:
        async with info.context.reading() as (session, actor):
            return await metrics.lead_time(session, actor, self.project, self.period)

    @strawberry.field(description="Median days from first In Progress to resolved, of the issues resolved in the "
                                  "timeframe.")
    async def cycle_time(self, info: Ctx) -> float | None:
        async with info.context.reading() as (session, actor):
            return await metrics.cycle_time(session, actor, self.project, self.period)


@strawberry.type(name="Project")
class ProjectNode:
    row: strawberry.Private[Project]
    id: strawberry.ID = row_id()
    key: str = row_value("key")
    name: str = row_value("name")
    description: str = row_value("description")
    project_type: str = row_value("project_type")
    access: str = row_value(
        "access", description="open (every member of the organization) or private (project roles only).")
    archived: bool = row_value("archived")

    @strawberry.field
    async def lead(self, info: Ctx) -> UserNode | None:
        return await user_node(info, self.row.lead_id)

    @strawberry.field(description=f"Issues updated within the timeframe ({EXAMPLES}; default all), most recently "
                                  "updated first.")
    async def issues(self, info: Ctx, timeframe: str | None = None, first: int = 50) -> list[IssueNode]:
        validate_page_size(first)
        period = parse_timeframe(timeframe)
        jql = f'project = "{self.row.key}"'
        if period.jql_bound:
            jql += f' AND updated >= "{period.jql_bound}"'
        async with info.context.reading(search=True) as (session, actor):
            page = await search_issues(session, actor=actor, jql=f"{jql} ORDER BY updated DESC, key DESC",
                                       max_results=first)
        return issue_nodes(info, page.issues)

    @strawberry.field(description="The project's sprints, oldest first: the last N (default 50), optionally in one "
                                  "state (future, active, closed).")
    async def sprints(self, info: Ctx, state: str | None = None, last: int = 50) -> list[SprintNode]:
        if state is not None and state not in SPRINT_STATES:
            raise InvalidInput(f"state is one of {', '.join(SPRINT_STATES)}.", field="state")
        validate_page_size(last, field="last")
        async with info.context.reading() as (session, actor):
            rows = await project_sprints(session, actor.organization_id, self.row.id, state=state, last=last)
        return [SprintNode(row=row) for row in rows]

    @strawberry.field(description=f"Velocity, lead time and cycle time over the timeframe ({EXAMPLES}; default "
                                  f"{DEFAULT_METRICS_TIMEFRAME}).")
    def metrics(self, timeframe: str = DEFAULT_METRICS_TIMEFRAME) -> MetricsNode:
        return MetricsNode(project=self.row, period=parse_timeframe(timeframe))
