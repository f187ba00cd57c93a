"""Differential test of JQL search: Hypothesis writes random queries over a small dataset made
through the API, and POST /v2/search must answer the keys the plain-Python reference
evaluator (tests/jql/reference.py) computes, in order when the query has ORDER BY. A second
organization holds look-alike data (same project keys, labels, components) that must never
appear. Runs on SQLite and PostgreSQL.

Dates are generated so that no boundary falls near a data point: the issues' timestamps are
backdated to around noon UTC, absolute query times are midnight, 06:30 or 18:45, and relative
dates are kept only when they land over 90 minutes away from every stored created/updated."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.issues.models import Issue
from tests.jql.reference import RefIssue, RefWorld, evaluate
from tests.support import OrgHandle, make_org

DIFFERENTIAL = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                        suppress_health_check=list(HealthCheck))
PROJECTS = (("ALPHA", "Alpha Web", 20), ("BETA", "Beta Api", 15), ("GAMMA", "Gamma Ops", 10))
COMPONENTS = {"ALPHA": ("Core", "UI", "Storage"), "BETA": ("Core", "Billing"), "GAMMA": ("Ops",)}
VERSIONS = {"ALPHA": ("1.0", "1.1", "2.0"), "BETA": ("1.0", "3.0"), "GAMMA": ()}
LABELS = ("frontend", "backend", "urgent", "regression", "docs")
# Words Porter/English stemming leaves alone and that are not stop words.
SUMMARY_WORDS = ("crash", "login", "export", "button", "cart", "token", "upload", "avatar", "search", "timeout",
                 "widget", "kernel")
TYPES = ("Story", "Task", "Bug")
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
STATUSES = ("To Do", "In Progress", "In Review", "Done", "Won't Do")
CATEGORIES = {"To Do": "To Do", "In Progress": "In Progress", "In Review": "In Progress", "Done": "Done",
              "Won't Do": "Done"}
RESOLUTIONS = ("Done", "Fixed", "Won't Do", "Duplicate")
POINTS = (None, None, 1, 2, 3, 5, 8, 13)
DAY = timedelta(days=1)


# -- the dataset ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class World:
    org: OrgHandle
    reference: RefWorld
    user_emails: tuple[str, ...]
    foreign_ids: frozenset[int]

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(issue.id for issue in self.reference.issues)


def ok(response, status: int = 200) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()


def _transition(client: TestClient, org: OrgHandle, issue_id: int, status: str, resolution: str) -> None:
    url = f"/v2/issues/{issue_id}/transitions"
    steps: dict[str, list[tuple[str, dict]]] = {
        "To Do": [], "In Progress": [("21", {})], "In Review": [("21", {}), ("41", {})],
        "Done": [("21", {}), ("31", {"fields": {"resolution": resolution}})], "Won't Do": [("51", {})]}
    for transition, body in steps[status]:
        ok(client.post(f"{url}/{transition}", json=body, headers=org.headers))


async def _backdate(database_url: str, stamps: dict[int, tuple[datetime, datetime]]) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            for issue_id, (created, updated) in stamps.items():
                await session.execute(update(Issue).where(Issue.id == issue_id).values(
                    created_at=created, updated_at=updated))
    finally:
        await database.dispose()


def build_org(client: TestClient, database_url: str, *, seed: int, scale: float = 1.0
              ) -> tuple[OrgHandle, list[int], list[str], datetime]:
    """An organization with PROJECTS (fewer issues when scale < 1); issue ids, user emails, noon."""
    rng = random.Random(seed)
    org = make_org(database_url)
    emails = []
    for index in range(4):
        email = f"dev{index}@{org.key.lower()}.test"
        ok(client.post("/v2/users", json={"email": email, "name": f"Dev {index}"}, headers=org.headers), 201)
        emails.append(email)
    users = ok(client.get("/v2/users", headers=org.headers))
    user_ids = {user["email"]: user["id"] for user in users.get("users", users.get("values", []))}
    people = [user_ids[email] for email in emails] + [org.admin_user_id]
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - DAY
    issue_ids: list[int] = []
    stamps: dict[int, tuple[datetime, datetime]] = {}
    for key, name, count in PROJECTS:
        project = ok(client.post("/v2/projects", json={"key": key, "name": name}, headers=org.headers), 201)
        for component in COMPONENTS[key]:
            ok(client.post(f"/v2/projects/{project['id']}/components", json={"name": component},
                           headers=org.headers), 201)
        for version in VERSIONS[key]:
            ok(client.post(f"/v2/projects/{project['id']}/versions", json={"name": version},
                           headers=org.headers), 201)
        for _ in range(max(1, int(count * scale))):
            body: dict = {
                "project_id": key, "issue_type": rng.choice(TYPES),
                "summary": " ".join(rng.sample(SUMMARY_WORDS, rng.randint(1, 4))).capitalize(),
                "priority": rng.choice(PRIORITIES),
                "assignee_id": rng.choice([None, *people]), "reporter_id": rng.choice(people),
                "labels": rng.sample(LABELS, rng.choice((0, 0, 1, 1, 2, 3))),
                "components": rng.sample(COMPONENTS[key], rng.randint(0, len(COMPONENTS[key]))),
                "fix_versions": rng.sample(VERSIONS[key], rng.randint(0, min(2, len(VERSIONS[key])))),
            }
            if rng.random() < 0.6:
                body["due_date"] = (noon + rng.randint(-60, 60) * DAY).date().isoformat()
            points = rng.choice(POINTS)
            if points is not None:
                body["custom_fields"] = {"story_points": points}
            issue = ok(client.post("/v2/issues", json=body, headers=org.headers), 201)
            _transition(client, org, issue["id"], rng.choice(STATUSES), rng.choice(RESOLUTIONS))
            age = rng.randint(2, 400)
            created = noon - age * DAY + timedelta(minutes=len(issue_ids))
            updated = created + rng.randint(0, age - 1) * DAY + timedelta(minutes=rng.randint(0, 30))
            stamps[issue["id"]] = (created, updated)
            issue_ids.append(issue["id"])
    asyncio.run(_backdate(database_url, stamps))
    return org, issue_ids, emails, noon


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def reference_issue(view: dict) -> RefIssue:
    created, updated = _moment(view["created"]), _moment(view["updated"])
    assert created is not None and updated is not None
    return RefIssue(
        id=view["id"], key=view["key"], project_key=view["project"]["key"], project_name=view["project"]["name"],
        issue_type=view["issue_type"]["name"], status=view["status"]["name"],
        status_category=CATEGORIES[view["status"]["name"]], priority=view["priority"]["name"],
        resolution=(view["resolution"] or {}).get("name"),
        assignee=(view["assignee"] or {}).get("id"), reporter=(view["reporter"] or {}).get("id"),
        labels=frozenset(view["labels"]), components=frozenset(c["name"] for c in view["components"]),
        fix_versions=frozenset(v["name"] for v in view["fix_versions"]),
        due=date.fromisoformat(view["due_date"]) if view["due_date"] else None,
        created=created, updated=updated, resolved=_moment(view["resolved"]), summary=view["summary"],
        story_points=None if view["custom_fields"].get("story_points") is None
        else float(view["custom_fields"]["story_points"]))


@pytest.fixture(scope="module")
def world(client: TestClient, database_url: str) -> World:
    org, ids, emails, _ = build_org(client, database_url, seed=4)
    foreign, foreign_ids, _, _ = build_org(client, database_url, seed=5, scale=0.5)
    issues = tuple(reference_issue(ok(client.get(f"/v2/issues/{issue_id}", headers=org.headers)))
                   for issue_id in ids)
    users = ok(client.get("/v2/users", headers=org.headers))
    spellings = {user["email"].casefold(): user["id"] for user in users.get("users", users.get("values", []))}
    reference = RefWorld(issues=issues, priorities=PRIORITIES, users=spellings, current_user=org.admin_user_id,
                         now=datetime.now(UTC),
                         project_names={name.casefold(): key.casefold() for key, name, _ in PROJECTS})
    return World(org=org, reference=reference, user_emails=(*emails, org.admin_email),
                 foreign_ids=frozenset(foreign_ids))


# -- the query generator -------------------------------------------------------------------------

def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def any_case(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from((text, text.lower(), text.upper()))


def value_text(text: str) -> st.SearchStrategy[str]:
    """A name as a user writes it: quoted when it must be, any case, sometimes quoted anyway."""
    plain = text.replace(" ", "").replace("'", "") == text and text.replace("-", "").isalnum()
    cased = any_case(text)
    return cased.map(quote) if not plain else st.one_of(cased, cased.map(quote))


def far_from(moment: datetime, stamps: list[datetime], minutes: int = 90) -> bool:
    return all(abs(moment - stamp) > timedelta(minutes=minutes) for stamp in stamps)


@dataclass(frozen=True)
class Vocabulary:
    fields: dict[str, tuple[tuple[str, ...], st.SearchStrategy[str]]]  # field → (operators, one value)

    @classmethod
    def of(cls, world: World) -> Vocabulary:
        ref = world.reference
        stamps = [issue.created for issue in ref.issues] + [issue.updated for issue in ref.issues]
        first = min(stamps).date() - 3 * DAY
        days = [first + n * DAY for n in range((ref.now.date() - first).days + 3)]
        absolute = st.sampled_from(days).flatmap(lambda day: st.sampled_from((
            f"{day:%Y-%m-%d}", f"{day:%Y/%m/%d}", f"{day:%Y-%m-%d} 06:30", f"{day:%Y/%m/%d} 18:45"))).map(quote)
        relatives = [text for text, delta in
                     [(f"-{n}d", n * DAY) for n in range(0, 420)] + [(f"-{n}w", n * 7 * DAY) for n in range(60)]
                     + [(f"-{n}h", timedelta(hours=n)) for n in range(0, 9000, 7)]
                     + [(f"\"-{n}d {h}h\"", n * DAY + timedelta(hours=h)) for n in range(0, 400, 9)
                        for h in (3, 7)]
                     if far_from(ref.now - delta, stamps)]
        when = st.one_of(absolute, st.sampled_from(relatives)) if relatives else absolute
        due_days = sorted({issue.due for issue in ref.issues if issue.due} | {ref.now.date() + n * DAY
                                                                               for n in (-90, -1, 0, 1, 90)})
        due = st.sampled_from(due_days).flatmap(lambda day: st.sampled_from((f"{day:%Y-%m-%d}", f"{day:%Y/%m/%d}"))
                                                ).map(quote)
        users = st.one_of(st.sampled_from(world.user_emails).map(quote), st.just("currentUser()"))
        keys = st.sampled_from([issue.key for issue in ref.issues]).flatmap(any_case)
        projects = st.sampled_from([p for key, name, _ in PROJECTS for p in (key, name)]).flatmap(value_text)
        named = lambda names: st.sampled_from(names).flatmap(value_text)  # noqa: E731
        eq = ("=", "!=", "in", "not in")
        ordered = eq + (">", ">=", "<", "<=")
        empty = ("is empty", "is not empty")
        return cls({
            "project": (eq, projects),
            "issuetype": (eq, named(TYPES)),
            "type": (eq, named(TYPES)),
            "status": (eq, named(STATUSES)),
            "statusCategory": (eq, named(("To Do", "In Progress", "Done"))),
            "priority": (ordered, named(PRIORITIES)),
            "resolution": (eq + empty, named((*RESOLUTIONS, "Unresolved"))),
            "assignee": (eq + empty, users),
            "reporter": (eq, users),
            "labels": (eq + empty, st.sampled_from(LABELS)),
            "component": (eq + empty, named(("Core", "UI", "Storage", "Billing", "Ops"))),
            "fixVersion": (eq + empty, st.sampled_from(("1.0", "1.1", "2.0", "3.0")).map(quote)),
            "created": ((">", ">=", "<", "<="), when),
            "updated": ((">", ">=", "<", "<="), when),
            "due": (ordered + empty, due),
            "summary": (("~", "!~"), st.one_of(st.sampled_from(SUMMARY_WORDS).flatmap(any_case),
                                               st.lists(st.sampled_from(SUMMARY_WORDS), min_size=2, max_size=2)
                                               .map(lambda pair: quote(quote(" ".join(pair)))))),
            '"Story Points"': (ordered + empty, st.sampled_from(("1", "2", "3", "5", "8", "13", "4", "0"))),
            "key": (eq, keys),
        })


@st.composite
def clause(draw: st.DrawFn, vocabulary: Vocabulary) -> str:
    name = draw(st.sampled_from(sorted(vocabulary.fields)))
    operators, values = vocabulary.fields[name]
    op = draw(st.sampled_from(operators))
    field = name if name.startswith('"') else draw(any_case(name))
    if op.startswith("is"):
        return f"{field} {op[:-len(' empty')]} {draw(st.sampled_from(('EMPTY', 'empty', 'NULL')))}"
    if op in ("in", "not in"):
        items = draw(st.lists(values, min_size=1, max_size=3))
        if "is empty" in operators and draw(st.integers(0, 4)) == 0:
            items.append("EMPTY")
        return f"{field} {draw(any_case(op))} ({', '.join(items)})"
    if op in ("=", "!=") and "is empty" in operators and draw(st.integers(0, 6)) == 0:
        return f"{field} {op} EMPTY"
    return f"{field} {op} {draw(values)}"


def where(vocabulary: Vocabulary) -> st.SearchStrategy[str]:
    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        paren = lambda text: f"({text})"  # noqa: E731
        maybe = lambda inner: st.one_of(inner, inner.map(paren))  # noqa: E731
        joined = st.tuples(st.sampled_from((" AND ", " OR ", " and ", " or ")),
                           st.lists(maybe(children), min_size=2, max_size=3)).map(lambda t: t[0].join(t[1]))
        negated = st.tuples(st.sampled_from(("NOT ", "not ", "! ")), children.map(paren)).map("".join)
        return st.one_of(joined, negated)

    return st.recursive(clause(vocabulary), extend, max_leaves=6)


SORTABLE = ("created", "updated", "due", "priority", '"Story Points"', "key")


@st.composite
def query(draw: st.DrawFn, vocabulary: Vocabulary) -> tuple[str, bool]:
    """(JQL, whether the result order is defined)."""
    text = draw(st.one_of(where(vocabulary), st.just("")) if draw(st.integers(0, 19)) == 0 else where(vocabulary))
    ordered = draw(st.booleans())
    if ordered:
        keys = draw(st.lists(st.sampled_from(SORTABLE), min_size=1, max_size=2, unique=True))
        order = ", ".join(f"{key} {draw(st.sampled_from(('ASC', 'DESC', 'asc', 'desc')))}" for key in keys)
        text = f"{text} ORDER BY {order}".strip()
    return text, ordered


# -- the test ------------------------------------------------------------------------------------

def engine_keys(client: TestClient, world: World, jql: str) -> list[str]:
    response = client.post("/v2/search", json={"jql": jql, "max_results": 1000, "fields": ["key"]},
                           headers=world.org.headers)
    assert response.status_code == 200, f"{jql!r} → {response.status_code} {response.text[:400]}"
    body = response.json()
    ids = {issue["id"] for issue in body["issues"]}
    assert not ids & world.foreign_ids, f"{jql!r} returned another organization's issues"
    assert ids <= world.ids, f"{jql!r} returned issues outside the dataset: {sorted(ids - world.ids)}"
    assert body["total"] == len(body["issues"]), f"{jql!r}: total {body['total']} for {len(body['issues'])}"
    return [issue["key"] for issue in body["issues"]]


@pytest.fixture(scope="module")
def vocabulary(world: World) -> Vocabulary:
    return Vocabulary.of(world)


# The vocabulary's sampled_from lists are long; Hypothesis warns when it prints them.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_engine_matches_reference(client: TestClient, world: World, vocabulary: Vocabulary) -> None:
    """Hypothesis runs inside the test (the strategies are built from the fixture's dataset)."""

    @DIFFERENTIAL
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        jql, ordered = data.draw(query(vocabulary), label="jql")
        expected = evaluate(world.reference, jql)
        got = engine_keys(client, world, jql)
        # max_results 0 takes the count-only path, with its own query shapes (an id set counted
        # alone, an OR by inclusion–exclusion or as a union).
        counted = client.post("/v2/search", json={"jql": jql, "max_results": 0}, headers=world.org.headers)
        assert counted.status_code == 200 and counted.json()["total"] == len(expected), (jql, counted.text[:400])
        if ordered:
            assert got == expected, f"{jql!r}\n  expected {expected}\n  got      {got}"
        else:
            assert sorted(got) == sorted(expected), (f"{jql!r}\n  missing {sorted(set(expected) - set(got))}\n"
                                                     f"  extra   {sorted(set(got) - set(expected))}")

    check()
