"""No input a client can send makes the native API answer 5xx (SPEC: "No 500 for any input a
client can send"). Requests are generated from /v2/openapi.json by schemathesis (every answer
must also be a status the document lists, with a body its schema accepts), and random JSON by
Hypothesis; both are derandomized so a run is repeatable. bench/fuzz.py runs longer."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.api.fuzzing import conformance_failures, dump, operations, send
from tests.factories.deliveries import Planned, plant
from tests.factories.notifications import add_inbox_entry
from tests.notifications.push.receiver import Browser
from tests.support import OrgHandle, make_user, unique_key

# Per operation and plan (valid, invalid, generated ids): ~120 operations keep a backend under a minute.
EXAMPLES_PER_OPERATION = 6
FUZZ_SETTINGS = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
                         phases=(Phase.explicit, Phase.generate, Phase.target, Phase.shrink),
                         suppress_health_check=list(HealthCheck))
# Path values that must stay fixed: a generated id could name the token or the admin the run
# authenticates with, and revoke or deactivate it half way.
ALWAYS_FIXED = {"token_id", "user_id"}


@dataclass
class FuzzWorld:
    org: OrgHandle
    headers: dict[str, str]
    path_values: dict[str, Any]


@pytest.fixture
def fuzz_world(client: TestClient, database_url: str, org: OrgHandle) -> FuzzWorld:
    """Real ids for every path parameter, and a token of its own to authenticate the run."""
    def post(url: str, body: dict) -> dict:
        response = client.post(url, json=body, headers=org.headers)
        assert response.status_code == 201, response.text
        return response.json()

    project = post("/v2/projects", {"key": unique_key("F")[:10], "name": "Fuzz"})
    component = post(f"/v2/projects/{project['id']}/components", {"name": "Backend"})
    post(f"/v2/projects/{project['id']}/versions", {"name": "1.0"})  # version endpoints see real data
    field = post("/v2/fields", {"name": "Severity", "field_type": "select", "options": ["S1", "S2"]})
    epic = post("/v2/issues", {"project_id": project["id"], "issue_type": "Epic", "summary": "Epic"})
    story = post("/v2/issues", {"project_id": project["id"], "issue_type": "Story", "summary": "Story",
                                "parent_id": epic["id"]})
    link = post("/v2/issue-links", {"type": "relates", "outward_issue": story["id"], "inward_issue": epic["id"]})
    spare_token = post("/v2/myself/tokens", {"name": "spare"})
    run_token = post("/v2/myself/tokens", {"name": "fuzz"})["api_token"]
    spare = [t for t in client.get("/v2/myself/tokens", headers=org.headers).json()["tokens"]
             if t["name"] == "spare"]
    assert spare and spare_token
    user = make_user(database_url, org, role="member")
    workflow = client.get("/v2/workflows", headers=org.headers).json()["workflows"][0]
    scheme = client.get("/v2/workflow-schemes", headers=org.headers).json()["workflow_schemes"][0]
    saved = post("/v2/filters", {"name": "Fuzz filter", "jql": "project = " + project["key"]})
    comment = post(f"/v2/issues/{story['id']}/comments", {"body": "Fuzz **comment**"})
    attached = client.post(f"/v2/issues/{story['id']}/attachments", headers=org.headers,
                           files=[("file", ("fuzz.txt", b"fuzz", "text/plain"))])
    assert attached.status_code == 201, attached.text
    board = post("/v2/boards", {"name": "Fuzz board", "project_id": project["id"], "filter_id": saved["id"]})
    sprint = post(f"/v2/boards/{board['id']}/sprints", {"name": "Fuzz sprint"})
    dashboard = post("/v2/dashboards", {"name": "Fuzz dashboard", "layout": {"gadgets": [
        {"type": "pie_chart", "config": {"filter_id": saved["id"], "field": "status"}},
        {"type": "velocity", "config": {"board_id": board["id"]}}, {"type": "activity_stream"}]}})
    push = post("/v2/push/subscriptions", Browser("https://push.example.net/wpush/fuzz").subscription)
    webhook = post("/v2/webhooks", {"name": "Fuzz hook", "url": "https://receiver.example.test/fuzz",
                                    "events": ["jira:issue_created"]})
    git = post("/v2/integrations/git", {"provider": "github", "name": "Fuzz git", "secret": "fuzz-git-secret"})
    global_grant = client.get("/v2/global-permissions", headers=org.headers).json()["grants"][0]
    security = post("/v2/issue-security-schemes", {"name": "Fuzz security", "levels": [
        {"name": "Fuzz level", "members": [{"type": "reporter"}]}]})
    values = {"connection_id": git["id"], "subscription_id": push["id"], "webhook_id": webhook["id"], "scheme_id": scheme["id"], "filter_id": saved["id"], "issue_id": story["id"], "project_id": project["id"], "part_id": component["id"],
              "user_id": user.user_id, "token_id": spare[0]["id"], "field_id": field["numeric_id"],
              "link_id": link["id"], "workflow_id": workflow["id"], "transition_id": "21", "role": "developers",
              "comment_id": comment["id"],
              "attachment_id": attached.json()[0]["id"], "board_id": board["id"], "sprint_id": sprint["id"],
              "dashboard_id": dashboard["id"], "grant_id": global_grant["id"],
              "level_id": security["levels"][0]["id"], "member_id": security["levels"][0]["members"][0]["id"],
              "delivery_id": plant(database_url, org.organization_id, Planned(state="dead"))[0],
              "notification_id": add_inbox_entry(database_url, org.organization_id, org.admin_user_id)}
    return FuzzWorld(org=org, headers={"Authorization": f"Bearer {run_token}"}, path_values=values)


def _fuzz_operation(client: TestClient, operation: Any, world: FuzzWorld, mode: GenerationMode,
                    fixed_paths: bool) -> list[str]:
    names = {p.name for p in operation.path_parameters}
    fixed = {name: world.path_values[name] for name in names
             if name in world.path_values and (fixed_paths or name in ALWAYS_FIXED)}
    if names - set(world.path_values):
        raise AssertionError(f"{operation.label}: no real value for path parameters {names - set(world.path_values)}")
    strategy = operation.as_strategy(mode, path_parameters=fixed or None, headers=dict(world.headers))
    failures: list[str] = []

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: Any) -> None:
        case.headers = {**(case.headers or {}), **world.headers}
        response = send(client, case)
        if response is not None:
            failures.extend(conformance_failures(case, response, f"{operation.label} [{mode.value}]"))

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate (an operation without parameters or body): the positive run covers it.
        assert mode is GenerationMode.NEGATIVE, operation.label
    return failures


def test_generated_requests_never_answer_5xx(client: TestClient, fuzz_world: FuzzWorld) -> None:
    failures: list[str] = []
    for operation in operations(client, "/v2/openapi.json"):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz_operation(client, operation, fuzz_world, mode, fixed_paths=True)
        # Generated ids and keys too, for reads and writes that take them.
        if operation.path_parameters and operation.method.upper() != "DELETE":
            failures += _fuzz_operation(client, operation, fuzz_world, GenerationMode.POSITIVE, fixed_paths=False)
    dump(failures)
    assert not failures, "\n\n".join(failures[:10])
    # The run's own token still works: nothing it generated revoked or locked it.
    assert client.get("/v2/myself", headers=fuzz_world.headers).status_code == 200


# --- Random bodies for the issue endpoints ------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False) | st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
ISSUE_FIELDS = ["project_id", "issue_type", "summary", "description", "priority", "assignee_id", "reporter_id",
                "labels", "components", "fix_versions", "affected_versions", "due_date", "parent_id",
                "custom_fields", "workflow_id", "status", "version"]
field_names = st.sampled_from(ISSUE_FIELDS) | st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=12)
BODY_SETTINGS = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                         suppress_health_check=list(HealthCheck))


def _random_bodies(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid body with random fields overridden or added, any JSON document, or random text."""
    overrides = st.dictionaries(field_names, json_values | st.sampled_from(list(valid.values())), max_size=5)
    patched = st.builds(lambda extra, dropped: {**{k: v for k, v in valid.items() if k not in dropped}, **extra},
                        overrides, st.sets(st.sampled_from(sorted(valid)), max_size=2))
    return patched | json_values.map(lambda doc: ("json", doc)) | st.text(max_size=60).map(lambda t: ("raw", t))


def _post_or_put(client: TestClient, method: str, url: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    if isinstance(body, tuple) and body[0] == "raw":
        return client.request(method, url, content=body[1].encode("utf-8"),
                              headers={**headers, "content-type": "application/json"})
    document = body[1] if isinstance(body, tuple) else body
    return client.request(method, url, content=json.dumps(document).encode(),
                          headers={**headers, "content-type": "application/json"})


def test_random_issue_bodies_never_5xx_and_refusals_change_nothing(client: TestClient, org: OrgHandle,
                                                                   project: dict) -> None:
    valid = {"project_id": project["id"], "issue_type": "Task", "summary": "Fuzzed", "priority": "High",
             "labels": ["a"], "assignee_id": org.admin_user_id, "due_date": "2030-01-01",
             "custom_fields": {"story_points": 3}}
    target = client.post("/v2/issues", json=valid, headers=org.headers).json()
    issue_url = f"/v2/issues/{target['id']}"

    def snapshot() -> tuple[int, dict]:
        count = client.get(f"/v2/projects/{project['id']}", headers=org.headers).json()["issue_count_estimate"]
        issue = client.get(f"{issue_url}?expand=changelog", headers=org.headers).json()
        return count, issue

    @BODY_SETTINGS
    @given(body=_random_bodies(valid))
    @example(body={**valid, "summary": "nul\x00byte"})
    @example(body={**valid, "description": "\x00", "labels": ["a\x00"]})
    @example(body={**valid, "parent_id": "P-\x00", "assignee_id": 2**70})
    @example(body={**valid, "custom_fields": {"story_points": 1e300, "\x00": 1}})
    def create(body: Any) -> None:
        before_count, _ = snapshot()
        response = _post_or_put(client, "POST", "/v2/issues", body, org.headers)
        assert response.status_code < 500, (body, response.text)
        after_count, _ = snapshot()
        if response.status_code == 201:
            assert after_count == before_count + 1
        else:
            assert 400 <= response.status_code < 500 and response.json()["error"]["code"], response.text
            assert after_count == before_count, (body, response.text)

    update_valid = {"summary": "Changed", "priority": "Low", "labels": ["b"], "description": "text",
                    "custom_fields": {"story_points": 5}, "due_date": None}

    @BODY_SETTINGS
    @given(body=_random_bodies(update_valid))
    @example(body={"summary": "nul\x00byte"})
    @example(body={"labels": ["\x00"], "version": 2**70})
    @example(body={"components": ["\x00"], "fix_versions": [2**64]})
    def update(body: Any) -> None:
        before_count, before = snapshot()
        response = _post_or_put(client, "PUT", issue_url, body, org.headers)
        assert response.status_code < 500, (body, response.text)
        after_count, after = snapshot()
        assert after_count == before_count
        if response.status_code >= 400:
            assert response.json()["error"]["code"], response.text
            assert after == before, (body, response.text)
        else:
            assert after["version"] in (before["version"], before["version"] + 1)

    create()
    update()


# --- Edge values in every path parameter --------------------------------------------------------

EDGE_VALUES: list[object] = [0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, "1e3", "0x10", " 1",
                             "abc", "PROJ-0", "PROJ-99999999999999999999", "proj_99999999999999999999", "ÿ€𝄞",
                             "%00", "a" * 300, "-", "--1"]
BODIES = {
    ("PUT", "/v2/issues/{issue_id}"): {"summary": "edge"},
    ("POST", "/v2/issues/{issue_id}/comments"): {"body": "edge"},
    ("PUT", "/v2/projects/{project_id}"): {"name": "edge"},
    ("PUT", "/v2/projects/{project_id}/roles/{role}"): {"user_ids": []},
    ("POST", "/v2/projects/{project_id}/components"): {"name": "edge"},
    ("POST", "/v2/projects/{project_id}/versions"): {"name": "edge"},
    ("PUT", "/v2/components/{part_id}"): {"name": "edge"},
    ("PUT", "/v2/versions/{part_id}"): {"name": "edge"},
    ("PUT", "/v2/users/{user_id}"): {"name": "edge"},
    ("POST", "/v2/fields/{field_id}/options"): {"value": "edge"},
    ("PUT", "/v2/dashboards/{dashboard_id}"): {"name": "edge"},
}


def test_edge_values_in_path_parameters_never_5xx(client: TestClient, fuzz_world: FuzzWorld) -> None:
    """Each path parameter in turn takes each edge value (ids beyond 64 bits, odd keys), the
    others real values, with a valid body so the request reaches storage."""
    failures = []
    for operation in operations(client, "/v2/openapi.json"):
        names = [p.name for p in operation.path_parameters]
        for name in names:
            for value in EDGE_VALUES:
                values = {**fuzz_world.path_values, name: value}
                path = operation.path
                for each in names:
                    path = path.replace("{" + each + "}", quote(str(values[each]), safe=""))
                query = "?issue_id=PROJ-1" if operation.path.startswith("/v2/workflows/") else ""
                body = BODIES.get((operation.method.upper(), operation.path))
                try:
                    response = client.request(operation.method.upper(), path + query, headers=fuzz_world.headers,
                                              **({"json": body} if body is not None else {}))
                except Exception as error:  # noqa: BLE001 - the test client re-raises server errors
                    failures.append(f"{operation.method.upper()} {path}: {error!r}")
                    continue
                if response.status_code >= 500:
                    failures.append(f"{operation.method.upper()} {path}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
