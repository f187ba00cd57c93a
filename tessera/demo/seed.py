"""A realistic demo organization, written through the real domain services so its history,
outbox events and comments are exactly what users would have produced. Its events are recorded as
already notified (tessera.notifications.quiet): the first worker pass sends its people nothing.

Everything is chosen by a `random.Random` with a fixed seed; timestamps are laid out backwards
from today's midnight (UTC), so two seeds on the same day write identical data.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.engine import Database
from tessera.db.statistics import refresh_statistics
from tessera.demo import vocabulary as words
from tessera.demo.workspace import (
    ProjectParts,
    ProjectSpec,
    VersionSpec,
    actor_for,
    create_project_with_parts,
    create_users,
)
from tessera.errors import NotFound
from tessera.issues.comments.service import check_add_comment
from tessera.issues.creation import check_create_issue
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.links import check_create_link
from tessera.issues.models import Issue
from tessera.issues.references import load_catalog
from tessera.issues.service import check_update_issue
from tessera.issues.transitions import check_transition_issue
from tessera.notifications.quiet import do_mark_events_notified
from tessera.onboarding.organizations import check_create_organization
from tessera.projects.custom_fields import check_create_field
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Organization, User
from tessera.tenancy.service import get_organization_by_key, issue_api_token
from tessera.workflow.lookup import list_workflows

DEMO_EMAIL = "demo@tessera.local"
DEMO_PASSWORD = "tessera-demo"
DEMO_NAME = "Dana Demo"
RANDOM_SEED = 20240601
HISTORY_DAYS = 180

# (display name, email, role): the admin's colleagues; they share the demo password.
DEMO_TEAM = (
    ("Priya Patel", "priya.patel@tessera.local", "member"),
    ("Marcus Okafor", "marcus.okafor@tessera.local", "member"),
    ("Sofia Lindqvist", "sofia.lindqvist@tessera.local", "member"),
    ("Kenji Tanaka", "kenji.tanaka@tessera.local", "member"),
    ("Amara Mensah", "amara.mensah@tessera.local", "member"),
    ("Lukas Becker", "lukas.becker@tessera.local", "member"),
    ("Diego Fernandez", "diego.fernandez@tessera.local", "member"),
    ("Hannah Kowalski", "hannah.kowalski@tessera.local", "viewer"),
)
DEMO_PROJECTS = (
    ProjectSpec("WEB", "Storefront Web App", "software", "web",
                "The customer-facing web shop: browsing, cart, checkout and accounts.",
                ("Checkout", "Accounts", "Design System", "Search")),
    ProjectSpec("API", "Commerce API", "software", "api",
                "Backend services and the public REST API.", ("Payments", "Auth", "Webhooks", "Inventory")),
    ProjectSpec("MOB", "Mobile Apps", "software", "mobile",
                "The iOS and Android shopping apps.", ("iOS", "Android", "Sync", "Notifications")),
    ProjectSpec("OPS", "Operations", "business", "ops",
                "Facilities, vendors, compliance and people operations.",
                ("Facilities", "Finance", "People", "Security & Compliance")),
)
# Status paths by status name, by final state. Each step runs whichever transition of the issue's
# own workflow leads there (ids differ between the software and business workflows); a step its
# workflow has no transition for is skipped, so business projects simply never see "In Review".
PATHS = {
    "todo": ((), ("In Progress", "To Do")),
    "in_progress": (("In Progress",), ("In Progress", "In Review", "In Progress")),
    "in_review": (("In Progress", "In Review"),),
    "done": (("In Progress", "In Review", "Done"), ("In Progress", "Done"),
             ("In Progress", "In Review", "In Progress", "In Review", "Done")),
    "wont_do": (("Won't Do",), ("In Progress", "Won't Do")),
    "reopened": (("In Progress", "Done", "To Do"),),
}
CLOSING = ("Done", "Won't Do")


@dataclass(frozen=True)
class DemoResult:
    organization_key: str
    email: str
    password: str | None
    api_token: str
    issue_count: int
    created: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def seed_demo(database: Database, *, org_key: str = "DEMO", issues: int = 300) -> DemoResult:
    """Create the demo organization with `issues` issues, or, when `org_key` exists, leave it as it
    is and hand out a fresh API token for its administrator (tokens are stored hashed)."""
    async with database.unit_of_work() as session:
        organization = await get_organization_by_key(session, org_key)
        if organization is not None:
            return await _existing(session, organization)
        created = await _create(session, org_key=org_key.strip().upper(), issue_total=issues)
        # Hundreds of new issues on a database that may have had none: statistics before serving.
        await refresh_statistics(await session.connection())
        return created


async def _existing(session: AsyncSession, organization: Organization) -> DemoResult:
    admins = (await session.scalars(select(User).where(
        User.organization_id == organization.id, User.role == "admin", User.active.is_(True))
        .order_by(User.id))).all()
    admin = next((user for user in admins if user.email == DEMO_EMAIL), admins[0] if admins else None)
    if admin is None:
        raise NotFound(f"Organization {organization.key} has no active administrator.")
    token = await issue_api_token(session, user=admin, name="demo")
    count = await session.scalar(select(func.count()).select_from(Issue).where(
        Issue.organization_id == organization.id)) or 0
    return DemoResult(organization_key=organization.key, email=admin.email,
                      password=DEMO_PASSWORD if admin.email == DEMO_EMAIL else None,
                      api_token=token, issue_count=count, created=False)


def _versions(today: date) -> tuple[VersionSpec, ...]:
    def ago(days: int) -> date:
        return today - timedelta(days=days)

    return (VersionSpec("1.4.0", ago(200), ago(140), True), VersionSpec("1.5.0", ago(140), ago(80), True),
            VersionSpec("1.6.0", ago(80), ago(20), True), VersionSpec("1.7.0", ago(20), ago(-25), False),
            VersionSpec("2.0.0", None, ago(-90), False))


async def _create(session: AsyncSession, *, org_key: str, issue_total: int) -> DemoResult:
    rng = random.Random(RANDOM_SEED)
    new = await check_create_organization(session, key=org_key, name="Acme Outfitters (demo)",
                                          admin_email=DEMO_EMAIL, admin_password=DEMO_PASSWORD,
                                          admin_name=DEMO_NAME)
    admin = actor_for(new.admin)
    team = await create_users(session, organization=new.organization, people=DEMO_TEAM, password=None)
    for user in team:  # one shared, published password: hashing it once is enough
        user.password_hash = new.admin.password_hash
    workers = [new.admin] + [user for user in team if user.role != "viewer"]
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    projects = []
    for index, spec in enumerate(DEMO_PROJECTS):
        projects.append(await create_project_with_parts(
            session, admin=admin, spec=spec, lead=workers[1 + index % (len(workers) - 1)],
            versions=_versions(end.date()) if spec.project_type == "software" else (),
            component_leads=workers[1:]))
    catalog = await load_catalog(session, new.organization.id)
    bug_type = next(t for t in catalog.issue_types if t.name == "Bug")
    await check_create_field(session, actor=admin, key="severity", name="Severity", field_type="select",
                             description="How badly a bug hurts customers.", options=words.SEVERITIES,
                             issue_type_ids=[bug_type.id])
    writer = _IssueWriter(session, rng=rng, actors=[actor_for(user) for user in workers], projects=projects,
                          start=end - timedelta(days=HISTORY_DAYS), end=end)
    await writer.write(issue_total)
    # A demo mails nobody: its people have example addresses, and its history is not news. Its
    # events still reach every other consumer; changes made afterwards notify as usual.
    await do_mark_events_notified(session, organization_id=new.organization.id)
    return DemoResult(organization_key=new.organization.key, email=DEMO_EMAIL, password=DEMO_PASSWORD,
                      api_token=new.api_token, issue_count=issue_total, created=True)


class _IssueWriter:
    """Writes issues in creation order; each issue's later events get increasing timestamps."""

    def __init__(self, session: AsyncSession, *, rng: random.Random, actors: list[Actor],
                 projects: list[ProjectParts], start: datetime, end: datetime) -> None:
        self.session, self.rng, self.actors, self.projects = session, rng, actors, projects
        self.start, self.end = start, end
        self.epics: dict[str, list[Issue]] = {p.spec.key: [] for p in projects}
        self.standard: dict[str, list[Issue]] = {p.spec.key: [] for p in projects}
        self.bugs: list[Issue] = []
        self.written: list[Issue] = []

    async def write(self, total: int) -> None:
        self.catalog = await load_catalog(self.session, self.actors[0].organization_id)
        self.status_names = {status.id: status.name for status in self.catalog.statuses}
        self.workflows = {workflow.id: workflow for workflow in
                          await list_workflows(self.session, self.actors[0].organization_id)}
        epic_total = min(len(words.EPIC_THEMES), max(1, total // 25)) if total >= 4 else 0
        themes = self.rng.sample(words.EPIC_THEMES, epic_total)
        span = (self.end - self.start).total_seconds()
        for index in range(total):
            # Epics come first in time so their children can point at them.
            at = self.start + timedelta(seconds=span * 0.9 * index / max(total, 1) + self.rng.uniform(0, 3600))
            parts = self.projects[index % len(self.projects)] if index < epic_total else self._pick_project()
            theme = themes[index] if index < epic_total else None
            await self._write_one(parts, at, theme, age=1 - index / max(total, 1))
        await self._link()

    def _pick_project(self) -> ProjectParts:
        return self.rng.choices(self.projects, weights=[4, 3, 3, 1][:len(self.projects)])[0]

    async def _write_one(self, parts: ProjectParts, at: datetime, theme: str | None, age: float) -> None:
        rng, key = self.rng, parts.spec.key
        creator = rng.choice(self.actors)
        fields = self._fields(parts, theme)
        issue = await check_create_issue(self.session, actor=creator, data=IssueCreate(**fields),
                                         catalog=self.catalog, at=at)
        kind = fields["issue_type"]
        if kind == "Epic":
            self.epics[key].append(issue)
        elif kind != "Sub-task":
            self.standard[key].append(issue)
        if kind == "Bug":
            self.bugs.append(issue)
        self.written.append(issue)
        await self._follow_up(parts, issue, at, age)

    def _fields(self, parts: ProjectParts, theme: str | None) -> dict[str, object]:
        rng, key, area = self.rng, parts.spec.key, parts.spec.area
        fields: dict[str, object] = {"project_id": parts.project.id}
        if theme is not None:
            text, kind = words.epic_text(rng, theme), "Epic"
        elif self.standard[key] and rng.random() < 0.12:
            parent = rng.choice(self.standard[key][-30:])
            text, kind = words.subtask_text(rng, parent.summary), "Sub-task"
            fields["parent_id"] = parent.id
        else:
            roll = rng.random()
            if area == "ops":
                kind = "Task" if roll < 0.85 else "Story"
            else:
                kind = "Bug" if roll < 0.42 else "Story" if roll < 0.78 else "Task"
            text = (words.bug_text(rng, area) if kind == "Bug" else words.story_text(rng) if kind == "Story"
                    else words.task_text(rng, area))
            if self.epics[key] and rng.random() < 0.55:
                fields["parent_id"] = rng.choice(self.epics[key]).id
        fields.update(issue_type=kind, summary=text.summary[:255], description=text.description,
                      priority=rng.choices(("Highest", "High", "Medium", "Low", "Lowest"), (1, 4, 8, 3, 1))[0],
                      labels=rng.sample(words.LABELS, rng.choice((0, 1, 1, 2, 3))))
        if rng.random() < 0.8:
            fields["assignee_id"] = rng.choice(self.actors).user_id
        if parts.components and rng.random() < 0.75:
            fields["components"] = [rng.choice(parts.components).id]
        if parts.versions and kind != "Epic" and rng.random() < 0.4:
            fields["affected_versions" if kind == "Bug" else "fix_versions"] = [rng.choice(parts.versions).id]
        custom: dict[str, object] = {}
        if kind in ("Story", "Task") and rng.random() < 0.8:
            custom["story_points"] = rng.choice((1, 2, 3, 5, 5, 8, 13))
        if kind == "Bug":
            custom["severity"] = rng.choices(words.SEVERITIES, (1, 4, 6, 2))[0]
        if custom:
            fields["custom_fields"] = custom
        return fields

    def _final_state(self, age: float) -> str:
        done_weight = 0.15 + 0.7 * age
        return self.rng.choices(("todo", "in_progress", "in_review", "done", "wont_do", "reopened"),
                                (1 - done_weight, 0.25, 0.1, done_weight, 0.06, 0.03))[0]

    async def _follow_up(self, parts: ProjectParts, issue: Issue, at: datetime, age: float) -> None:
        """Transitions, an edit and comments, each later than the one before and before `end`."""
        rng, project = self.rng, parts.project
        path = list(rng.choice(PATHS[self._final_state(age)]))
        comments = rng.choices((0, 1, 2, 3), (3, 4, 2, 1))[0]
        steps = ["status:" + name for name in path] + ["comment"] * comments
        if rng.random() < 0.35:
            steps.insert(rng.randint(0, len(steps)), "edit")
        room = (self.end - at).total_seconds()
        for step in steps:
            at += timedelta(seconds=rng.uniform(0.02, 0.25) * room / max(len(steps), 1))
            actor = self._actor(issue)
            if step == "comment":
                await check_add_comment(self.session, actor=actor, issue=issue, project=project,
                                        body=words.comment_text(rng), at=at)
            elif step == "edit":
                await check_update_issue(self.session, actor=actor, issue=issue, project=project,
                                         data=self._edit(issue), at=at)
            else:
                target = step.split(":", 1)[1]
                transition_id = self._transition_to(issue, target)
                if transition_id is None:
                    continue
                comment = words.comment_text(rng) if target in CLOSING and rng.random() < 0.3 else None
                await check_transition_issue(self.session, actor=actor, issue=issue, project=project,
                                             transition_ref=transition_id, comment=comment, at=at)

    def _transition_to(self, issue: Issue, target: str) -> str | None:
        workflow = self.workflows.get(issue.workflow_id)
        if workflow is None:
            return None
        for transition in workflow.definition.get("transitions", []):
            sources = transition.get("from") or []
            if (self.status_names.get(transition["to"]) == target and transition["to"] != issue.status_id
                    and (not sources or issue.status_id in sources)):
                return str(transition["id"])
        return None

    def _actor(self, issue: Issue) -> Actor:
        if issue.assignee_id is not None and self.rng.random() < 0.7:
            return next(a for a in self.actors if a.user_id == issue.assignee_id)
        return self.rng.choice(self.actors)

    def _edit(self, issue: Issue) -> IssueUpdate:
        roll = self.rng.random()
        if roll < 0.4:
            return IssueUpdate(priority=self.rng.choice(("Highest", "High", "Low")))
        if roll < 0.75:
            return IssueUpdate(assignee_id=self.rng.choice(self.actors).user_id)
        return IssueUpdate(labels=self.rng.sample(words.LABELS, 2))

    async def _link(self) -> None:
        """Lateral links between earlier issues: blockers, related work and duplicate bugs."""
        rng = self.rng
        linkable = [issue for issue in self.written if self.catalog.issue_type(issue.issue_type_id).name != "Epic"]
        seen: set[tuple[str, int, int]] = set()
        for _ in range(len(self.written) // 12):
            if len(linkable) < 2:
                return
            kind = rng.choices(("blocks", "relates to", "duplicates"), (3, 4, 1))[0]
            pool = self.bugs if kind == "duplicates" and len(self.bugs) >= 2 else linkable
            source, target = rng.sample(pool, 2)
            if (kind, source.id, target.id) in seen:
                continue
            seen.add((kind, source.id, target.id))
            await check_create_link(self.session, actor=self._actor(source), link_type_ref=kind,
                                    outward_issue_ref=source.id, inward_issue_ref=target.id)
