"""Property tests over random workflows: sound ones pass validate_definition, and any sequence of
transition attempts through the API keeps an issue in a status of its workflow, with a history
that replays to where the issue is."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tessera.workflow.definition import WorkflowSpec, validate_definition
from tests.support import OrgHandle

CATEGORIES = ("todo", "in_progress", "done")
SAFE_POST_FUNCTIONS = (
    {"type": "fire_event", "params": {"event": "moved"}},
    {"type": "add_comment", "params": {"body": "Moved by the workflow."}},
    {"type": "set_field", "params": {"field": "priority", "value": "Low"}},
    {"type": "set_field", "params": {"field": "labels", "value": ["auto"]}},
    {"type": "clear_field", "params": {"field": "labels"}},
)
_prefix = itertools.count(1)


@st.composite
def workflows(draw: st.DrawFn) -> dict[str, Any]:
    """Statuses S0..Sn (S0 initial); every status after S0 gets an incoming edge from an earlier
    one or a global transition, so all are reachable; then random extra transitions."""
    count = draw(st.integers(min_value=1, max_value=6))
    names = [f"S{i}" for i in range(count)]
    statuses = [{"name": name, "category": draw(st.sampled_from(CATEGORIES))} for name in names]
    transitions: list[dict[str, Any]] = []

    def add(sources: list[str], target: str) -> None:
        post_functions = draw(st.lists(st.sampled_from(SAFE_POST_FUNCTIONS), max_size=2))
        transitions.append({"id": f"t{len(transitions)}", "name": f"Move {len(transitions)}", "from": sources,
                            "to": target, "post_functions": post_functions})

    for index in range(1, count):
        if draw(st.booleans()):
            add([names[draw(st.integers(min_value=0, max_value=index - 1))]], names[index])
        else:
            add([], names[index])  # global
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        target = draw(st.sampled_from(names))
        is_global = draw(st.integers(min_value=0, max_value=4)) == 0
        add([] if is_global else draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)),
            target)
    return {"name": "Random", "statuses": statuses, "initial_status": "S0", "transitions": transitions}


def renamed(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The same workflow with status names unique to one example (statuses are organization-wide)."""
    name = {s["name"]: f"{prefix}{s['name']}" for s in document["statuses"]}
    return {**document, "name": f"Random {prefix}",
            "statuses": [{**s, "name": name[s["name"]]} for s in document["statuses"]],
            "initial_status": name[document["initial_status"]],
            "transitions": [{**t, "from": [name[s] for s in t["from"]], "to": name[t["to"]]}
                            for t in document["transitions"]]}


def runnable(transition: dict[str, Any], current: str) -> bool:
    return (not transition["from"] or current in transition["from"]) and transition["to"] != current


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(workflows())
def test_generated_sound_workflows_pass_the_checks(document: dict[str, Any]) -> None:
    assert validate_definition(WorkflowSpec.model_validate(document)) == {}


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(workflows(), st.sampled_from(CATEGORIES))
def test_an_added_status_without_a_way_in_is_reported(document: dict[str, Any], category: str) -> None:
    orphan = {**document, "statuses": [*document["statuses"], {"name": "Orphan", "category": category}],
              "transitions": [*document["transitions"], {"id": "out", "name": "Out", "from": ["Orphan"],
                                                         "to": "S0"}]}
    index = len(document["statuses"])
    assert validate_definition(WorkflowSpec.model_validate(orphan)) == {
        f"statuses[{index}]": "status 'Orphan' cannot be reached from 'S0'"}


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(document=workflows(), attempts=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=12))
def test_random_transitions_keep_the_issue_in_its_workflow_and_history_replays(
        client: TestClient, org: OrgHandle, project: dict, document: dict[str, Any], attempts: list[int]) -> None:
    prefix = f"P{next(_prefix)}"
    spec = renamed(document, prefix)
    created = client.post("/v2/workflows", json=spec, headers=org.headers)
    assert created.status_code == 201, created.text
    workflow = created.json()
    statuses = {s["name"] for s in spec["statuses"]}
    issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Walker",
                                            "workflow_id": workflow["id"]}, headers=org.headers).json()
    current, successes = spec["initial_status"], 0
    assert issue["status"]["name"] == current
    transitions = spec["transitions"]
    for attempt in attempts:
        transition = transitions[attempt % len(transitions)] if transitions and attempt < 45 else None
        transition_id = transition["id"] if transition else "missing"
        response = client.post(f"/v2/issues/{issue['id']}/transitions/{transition_id}", headers=org.headers)
        if transition is None:
            assert response.status_code == 400, response.text
        elif runnable(transition, current):
            assert response.status_code == 200, response.text
            current, successes = transition["to"], successes + 1
            assert response.json()["status"]["name"] == current
        else:
            assert response.status_code == 409, response.text
        offered = client.get(f"/v2/issues/{issue['id']}/transitions", headers=org.headers).json()["transitions"]
        assert {t["id"] for t in offered} == {t["id"] for t in transitions if runnable(t, current)}
    now = client.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()
    assert now["status"]["name"] == current and current in statuses
    assert now["version"] == 1 + successes
    category = next(s["category"] for s in spec["statuses"] if s["name"] == current)
    if successes:  # an issue created in a Done-category initial status has no resolution yet
        assert (now["resolution"] is not None) == (category == "done")
    histories = client.get(f"/v2/issues/{issue['id']}/changelog", headers=org.headers).json()["histories"]
    replayed = spec["initial_status"]
    for history in histories:
        for item in history["items"]:
            if item["field"] == "status":
                assert item["from_string"] == replayed
                replayed = item["to_string"]
                assert replayed in statuses
    assert replayed == current
    assert sum(1 for h in histories for i in h["items"] if i["field"] == "status") == successes


def walk(client: TestClient, org: OrgHandle, issue: dict, spec: dict[str, Any], start: str, attempts: list[int]
         ) -> tuple[str, int]:
    """Run the attempted transitions (by index); returns where the issue ends and how many ran."""
    current, successes = start, 0
    for attempt in attempts:
        transition = spec["transitions"][attempt % len(spec["transitions"])] if spec["transitions"] else None
        if transition is None:
            break
        response = client.post(f"/v2/issues/{issue['id']}/transitions/{transition['id']}", headers=org.headers)
        assert response.status_code == (200 if runnable(transition, current) else 409), response.text
        if response.status_code == 200:
            current, successes = transition["to"], successes + 1
    return current, successes


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=workflows(), second=workflows(), walks=st.lists(
    st.lists(st.integers(min_value=0, max_value=50), max_size=6), min_size=1, max_size=3), data=st.data())
def test_publishing_random_drafts_keeps_issues_in_the_workflow_and_history_replays(
        client: TestClient, org: OrgHandle, project: dict, first: dict[str, Any], second: dict[str, Any],
        walks: list[list[int]], data: st.DataObject) -> None:
    old_prefix, new_prefix = f"P{next(_prefix)}", f"P{next(_prefix)}"
    spec = renamed(first, old_prefix)
    # The draft keeps a status of the published workflow where position and category agree.
    kept = {s["name"]: f"{old_prefix}{s['name']}" for index, s in enumerate(second["statuses"])
            if index < len(first["statuses"]) and first["statuses"][index]["category"] == s["category"]}
    draft = renamed(second, new_prefix)
    names = {f"{new_prefix}{s['name']}": kept.get(s["name"], f"{new_prefix}{s['name']}") for s in second["statuses"]}
    draft = {**draft, "name": spec["name"], "statuses": [{**s, "name": names[s["name"]]} for s in draft["statuses"]],
             "initial_status": names[draft["initial_status"]],
             "transitions": [{**t, "from": [names[n] for n in t["from"]], "to": names[t["to"]]}
                             for t in draft["transitions"]]}
    workflow = client.post("/v2/workflows", json=spec, headers=org.headers).json()
    issues = []
    for attempts in walks:
        issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "P",
                                                "workflow_id": workflow["id"]}, headers=org.headers).json()
        issues.append((issue, *walk(client, org, issue, spec, spec["initial_status"], attempts)))
    saved = client.put(f"/v2/workflows/{workflow['id']}", json=draft, headers=org.headers)
    assert saved.status_code == 200, saved.text
    draft_statuses = [s["name"] for s in draft["statuses"]]
    stranded = sorted({current for _, current, _ in issues if current not in draft_statuses})
    mapping = {name: data.draw(st.sampled_from(draft_statuses)) for name in stranded}
    event(f"stranded statuses: {len(mapping)}")
    published = client.post(f"/v2/workflows/{workflow['id']}/publish", json={"status_mapping": mapping},
                            headers=org.headers)
    assert published.status_code == 200, published.text
    categories = {s["name"]: s["category"] for s in [*spec["statuses"], *draft["statuses"]]}
    for issue, before, successes in issues:
        expected = mapping.get(before, before)
        now = client.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()
        assert now["status"]["name"] == expected and expected in draft_statuses
        assert now["version"] == 1 + successes + (before in mapping)
        if successes:
            assert (now["resolution"] is not None) == (categories[expected] == "done")
        histories = client.get(f"/v2/issues/{issue['id']}/changelog", headers=org.headers).json()["histories"]
        replayed = spec["initial_status"]
        for history in histories:
            for item in history["items"]:
                if item["field"] == "status":
                    assert item["from_string"] == replayed
                    replayed = item["to_string"]
        assert replayed == expected
        offered = client.get(f"/v2/issues/{issue['id']}/transitions", headers=org.headers).json()["transitions"]
        assert {t["id"] for t in offered} == {t["id"] for t in draft["transitions"] if runnable(t, expected)}
