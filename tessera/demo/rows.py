"""Synthetic issue rows for bulk loading, generated as plain tuples in table column order.

Generation is the bottleneck of a bulk load, so this module works from precomputed pools:
texts, history item templates and per-status plans are built once, and each batch draws its
random choices with `random.choices(..., k=n)` instead of per row. Timestamps are whole epoch
seconds here; the writer converts them to what its driver wants.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tessera.demo import vocabulary as words
from tessera.issues.ranks import tail_rank

ISSUE_COLUMNS = ("id", "organization_id", "project_id", "number", "key", "issue_type_id", "summary", "description",
                 "status_id", "priority_id", "resolution_id", "workflow_id", "assignee_id", "reporter_id",
                 "creator_id", "parent_id", "due_date", "created_at", "updated_at", "resolved_at", "version")
LABEL_COLUMNS = ("organization_id", "issue_id", "label")
COMPONENT_COLUMNS = ("organization_id", "issue_id", "component_id")
VERSION_COLUMNS = ("organization_id", "issue_id", "version_id", "kind")
VALUE_COLUMNS = ("organization_id", "issue_id", "field_id", "value_number")
GROUP_COLUMNS = ("id", "organization_id", "issue_id", "author_id", "created_at")
ITEM_COLUMNS = ("organization_id", "group_id", "issue_id", "field", "field_id", "field_type", "from_value",
                "from_string", "to_value", "to_string", "author_id", "created_at")
RANK_COLUMNS = ("organization_id", "issue_id", "rank")
SPAN_COLUMNS = ("organization_id", "issue_id", "field_id", "value", "started_at", "ended_at", "set_by", "first_held")
# The issues column of each WAS field (tessera.jql.value_spans.SPAN_FIELDS), by ISSUE_COLUMNS position.
_SPAN_SOURCES = {"status": ISSUE_COLUMNS.index("status_id"), "priority": ISSUE_COLUMNS.index("priority_id"),
                 "resolution": ISSUE_COLUMNS.index("resolution_id"), "assignee": ISSUE_COLUMNS.index("assignee_id"),
                 "reporter": ISSUE_COLUMNS.index("reporter_id")}
DATETIME_COLUMNS = frozenset({"created_at", "updated_at", "resolved_at"})
TEXT_POOL_SIZE = 4000
DAY = 86_400


@dataclass(frozen=True)
class LoadProject:
    id: int
    key: str
    area: str
    component_ids: tuple[int, ...]
    version_ids: tuple[int, ...]


@dataclass(frozen=True)
class LoadCatalog:
    """The ids a bulk load refers to: `statuses` and `resolutions` by name, `types` by name."""

    organization_id: int
    workflow_id: int
    statuses: dict[str, int]
    resolutions: dict[str, int]
    types: dict[str, int]
    priority_ids: tuple[int, ...]
    story_points_field_id: int
    user_ids: tuple[int, ...]
    user_names: dict[int, str]


@dataclass
class Batch:
    """One batch's rows, per table, in the column orders above."""

    issues: list[tuple] = field(default_factory=list)
    labels: list[tuple] = field(default_factory=list)
    components: list[tuple] = field(default_factory=list)
    versions: list[tuple] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)
    groups: list[tuple] = field(default_factory=list)
    items: list[tuple] = field(default_factory=list)
    ranks: list[tuple] = field(default_factory=list)
    spans: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class Draft:
    projects: list[LoadProject]
    plans: list[tuple[int, int | None, list[tuple]]]
    rolls: list[float]
    reassigned: list[bool]
    group_count: int


# Final status -> the status names passed through from "To Do", and its weight among issues.
STATUS_PLANS = (
    ("To Do", ("To Do",), 30),
    ("In Progress", ("To Do", "In Progress"), 15),
    ("In Review", ("To Do", "In Progress", "In Review"), 7),
    ("Done", ("To Do", "In Progress", "In Review", "Done"), 26),
    ("Done", ("To Do", "In Progress", "Done"), 16),
    ("Won't Do", ("To Do", "Won't Do"), 6),
)


class RowFactory:
    """Draws issues for a load; `batch()` is deterministic for a given seed and call sequence."""

    def __init__(self, catalog: LoadCatalog, projects: Sequence[LoadProject], *, seed: int, total: int,
                 start: int, end: int, stamp: Callable[[int], object]) -> None:
        """`start`/`end` bound creation times (epoch seconds); `stamp` turns one into a driver value."""
        self.rng = random.Random(seed)
        self.catalog, self.projects = catalog, list(projects)
        self.total, self.start, self.end, self.span = total, start, end, max(end - start, 1)
        self.stamp = stamp
        areas = sorted({project.area for project in self.projects})
        self.texts = {area: words.text_pool(self.rng, TEXT_POOL_SIZE // len(areas), (area,)) for area in areas}
        self.label_sets = [(), (), ()] + [tuple(self.rng.sample(words.LABELS, k)) for k in (1, 1, 1, 2, 2, 3)
                                          for _ in range(20)]
        self.issued = 0
        self.last_standard: dict[int, int] = {}
        self.last_epic: dict[int, int] = {}
        self.epic_texts = [words.epic_text(self.rng, theme) for theme in words.EPIC_THEMES]
        self.plans = [self._plan(final, path) for final, path, _ in STATUS_PLANS]
        self.plan_weights = [weight for _, _, weight in STATUS_PLANS]
        types = catalog.types
        self.kind_type = {"bug": types["Bug"], "story": types["Story"], "task": types["Task"]}

    def _plan(self, final: str, path: tuple[str, ...]) -> tuple[int, int | None, list[tuple]]:
        """(final status id, resolution id, change item templates per group)."""
        statuses, resolutions = self.catalog.statuses, self.catalog.resolutions
        resolution = (resolutions.get("Won't Do") if final == "Won't Do" else resolutions.get("Done")) \
            if final in ("Done", "Won't Do") else None
        groups = []
        for old, new in zip(path, path[1:], strict=False):
            items = [("status", "status", "jira", str(statuses[old]), old, str(statuses[new]), new)]
            if new in ("Done", "Won't Do") and resolution is not None:
                name = "Won't Do" if new == "Won't Do" else "Done"
                items.append(("resolution", "resolution", "jira", None, None, str(resolution), name))
            groups.append(items)
        return statuses[final], resolution, groups

    def draw(self, count: int) -> Draft:
        """The random choices that decide how many numbers and ids a batch needs."""
        rng = self.rng
        weights = [len(self.projects) - index // 2 for index in range(len(self.projects))]
        projects = rng.choices(self.projects, weights=weights, k=count)
        plans = rng.choices(self.plans, weights=self.plan_weights, k=count)
        rolls = [rng.random() for _ in range(count)]
        reassigned = [roll < 0.85 and rng.random() < 0.3 for roll in rolls]
        groups = sum(len(plan[2]) for plan in plans) + sum(reassigned)
        return Draft(projects=projects, plans=plans, rolls=rolls, reassigned=reassigned, group_count=groups)

    def batch(self, draft: Draft, numbers: Sequence[int], issue_ids: Sequence[int],
              group_ids: Sequence[int]) -> Batch:
        """Rows for the drafted issues: `numbers` and `issue_ids` per issue, `group_ids` per group."""
        rng, catalog, out = self.rng, self.catalog, Batch()
        org, workflow = catalog.organization_id, catalog.workflow_id
        projects, plans, rolls, reassigned = draft.projects, draft.plans, draft.rolls, draft.reassigned
        count = len(projects)
        priorities = rng.choices(catalog.priority_ids, weights=(1, 4, 10, 4, 1)[:len(catalog.priority_ids)],
                                 k=count)
        people = rng.choices(catalog.user_ids, k=count * 2)
        label_sets = rng.choices(self.label_sets, k=count)
        epic_type, subtask_type = catalog.types["Epic"], catalog.types["Sub-task"]
        user_names = catalog.user_names
        random_ = rng.random
        group_index = 0
        for index in range(count):
            project, number, issue_id = projects[index], numbers[index], issue_ids[index]
            created = self.start + int(self.span * (self.issued + index) / self.total) - int(random_() * DAY)
            texts = self.texts[project.area]
            kind, summary, description = texts[int(random_() * len(texts))]
            roll = rolls[index]
            parent_id = None
            if roll < 0.01:
                type_id = epic_type
                epic = self.epic_texts[number % len(self.epic_texts)]
                summary, description = epic.summary, epic.description
                self.last_epic[project.id] = issue_id
            elif roll < 0.09 and project.id in self.last_standard:
                type_id, parent_id = subtask_type, self.last_standard[project.id]
                summary = f"{words.SUBTASK_STEPS[number % len(words.SUBTASK_STEPS)]}: {summary[:80]}"
            else:
                type_id = self.kind_type[kind]
                self.last_standard[project.id] = issue_id
                if roll < 0.4 and project.id in self.last_epic:
                    parent_id = self.last_epic[project.id]
            status_id, resolution_id, plan_groups = plans[index]
            assignee = people[2 * index] if roll < 0.85 else None
            reporter = people[2 * index + 1]
            at = created
            step = min(5 * DAY, (self.end - created) // 5)
            stamp = self.stamp
            if reassigned[index]:  # created unassigned, assigned soon after
                at += 1 + int(random_() * step)
                group_id = group_ids[group_index]
                group_index += 1
                when = stamp(at)
                out.groups.append((group_id, org, issue_id, reporter, when))
                out.items.append((org, group_id, issue_id, "assignee", "assignee", "jira", None, None,
                                  str(assignee), user_names.get(assignee), reporter, when))
            for items in plan_groups:
                at += 1 + int(random_() * step)
                group_id = group_ids[group_index]
                group_index += 1
                author, when = assignee or reporter, stamp(at)
                out.groups.append((group_id, org, issue_id, author, when))
                for item in items:
                    out.items.append((org, group_id, issue_id) + item + (author, when))
            updated = stamp(at)
            resolved = updated if resolution_id is not None else None
            # About a third of issues carry a due date, some weeks after creation.
            due = datetime.fromtimestamp(created + (3 + int(roll * 997) % 60) * DAY, UTC).date() \
                if (roll * 3) % 1 < 0.33 else None
            out.issues.append((issue_id, org, project.id, number, f"{project.key}-{number}", type_id, summary,
                               description, status_id, priorities[index], resolution_id, workflow, assignee,
                               reporter, reporter, parent_id, due, stamp(created), updated, resolved,
                               1 + len(plan_groups) + reassigned[index]))
            out.ranks.append((org, issue_id, tail_rank(datetime.fromtimestamp(created, UTC), issue_id)))
            for label in label_sets[index]:
                out.labels.append((org, issue_id, label))
            if project.component_ids and roll > 0.25:
                out.components.append((org, issue_id, project.component_ids[number % len(project.component_ids)]))
            if project.version_ids and (roll * 7) % 1 < 0.4:
                out.versions.append((org, issue_id, project.version_ids[number % len(project.version_ids)], "fix"))
            if type_id != self.kind_type["bug"] and type_id != epic_type and (roll * 13) % 1 < 0.7:
                out.values.append((org, issue_id, catalog.story_points_field_id,
                                   float((1, 2, 3, 5, 8, 13)[number % 6])))
        self.issued += count
        return out


def span_rows(batch: Batch) -> list[tuple]:
    """issue_value_spans rows (SPAN_COLUMNS) for the batch's issues, from the rows themselves:
    what the database's triggers (tessera.jql.value_spans) derive from the same history, which
    a bulk load writes with them off. Items are in time order per issue, as the factory makes
    them. tests/demo/test_bulk.py checks the two agree."""
    history: dict[tuple[int, str], list[tuple]] = {}
    for _org, _group, issue_id, _field, field_id, _type, from_value, _, to_value, _, author, when in batch.items:
        if field_id in _SPAN_SOURCES:
            history.setdefault((issue_id, field_id), []).append((when, from_value, to_value, author))
    spans: list[tuple] = []
    created_at = ISSUE_COLUMNS.index("created_at")
    for row in batch.issues:
        issue_id, org, created = row[0], row[1], row[created_at]
        for field_id, column in _SPAN_SOURCES.items():
            changes = history.get((issue_id, field_id))
            if not changes:
                current = None if row[column] is None else str(row[column])
                spans.append((org, issue_id, field_id, current, created, None, None, True))
                continue
            held: set[str | None] = set()
            value, start, set_by = changes[0][1], created, None
            for when, _, to_value, author in changes:
                spans.append((org, issue_id, field_id, value, start, when, set_by, value not in held))
                held.add(value)
                value, start, set_by = to_value, when, author
            spans.append((org, issue_id, field_id, value, start, None, set_by, value not in held))
    return spans
