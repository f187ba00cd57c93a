"""JQL autocomplete: field names with operators, values by prefix with JQL quoting, functions,
the autocompletedata document, and values only from projects the caller may browse."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tessera.jql.autocomplete import quote
from tests.support import OrgHandle, UserHandle, unique_key


def _ok(response, status: int = 200) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()


def _values(client: TestClient, headers: dict, field: str, value: str = "") -> list[str]:
    response = client.get("/v2/jql/autocomplete", params={"field": field, "value": value}, headers=headers)
    return [r["value"] for r in _ok(response)["results"]]


@pytest.fixture
def dataset(client: TestClient, org: OrgHandle, project: dict, member: UserHandle) -> dict:
    post = lambda url, body: _ok(client.post(url, json=body, headers=org.headers), 201)  # noqa: E731
    select_field = post("/v2/fields", {"name": "Deploy Env", "field_type": "select", "options": ["Prod EU", "staging"]})
    post("/v2/fields", {"name": "Team Size", "field_type": "number"})
    component = post(f"/v2/projects/{project['id']}/components", {"name": "Web UI"})
    version = post(f"/v2/projects/{project['id']}/versions", {"name": "1.0 beta"})
    labels = ["backend", "empty", *[f"lab{n:02}" for n in range(25)]]
    post("/v2/issues", {"project_id": project["id"], "issue_type": "Task", "summary": "One", "labels": labels,
                        "components": [component["id"]], "fix_versions": [version["id"]]})
    return {"select_cf": f"cf[{10_000 + select_field['numeric_id']}]"}


def test_quoting_follows_jql_rules() -> None:
    assert quote("PROJ") == "PROJ" and quote("Sub-task") == "Sub-task" and quote("lab01") == "lab01"
    assert quote("In Progress") == '"In Progress"'
    assert quote("1.0") == '"1.0"' and quote("a@b.test") == '"a@b.test"'
    assert quote("empty") == '"empty"' and quote("ORDER") == '"ORDER"'
    assert quote('say "hi"') == '"say \\"hi\\""' and quote("") == '""'


def test_field_names_with_operators(client: TestClient, org: OrgHandle, dataset: dict) -> None:
    fields = _ok(client.get("/v2/jql/autocomplete", headers=org.headers))["fields"]
    by_display = {f["display"]: f for f in fields}
    assert by_display["project"]["operators"] == ["=", "!=", "IN", "NOT IN"]
    assert "WAS" in by_display["status"]["operators"] and "CHANGED" in by_display["status"]["operators"]
    assert by_display["summary"]["operators"] == ["~", "!~", "IS", "IS NOT"]
    assert by_display["Epic Link"]["value"] == '"Epic Link"'
    deploy = by_display[f"Deploy Env - {dataset['select_cf']}"]
    assert deploy["value"] == '"Deploy Env"' and deploy["cf_id"] == dataset["select_cf"]
    prefixed = _ok(client.get("/v2/jql/autocomplete", params={"prefix": "sta"}, headers=org.headers))["fields"]
    assert {f["value"] for f in prefixed} == {"status", "statusCategory"}
    assert [f["value"] for f in _ok(client.get("/v2/jql/autocomplete", params={"prefix": "TYPE"},
                                               headers=org.headers))["fields"]] == ["issuetype"]
    custom = _ok(client.get("/v2/jql/autocomplete", params={"prefix": "cf["}, headers=org.headers))["fields"]
    assert {f["value"] for f in custom} >= {'"Deploy Env"', '"Team Size"'}
    assert all("cf_id" in f for f in custom)


def test_values_by_prefix_quoted(client: TestClient, org: OrgHandle, project: dict, member: UserHandle,
                                 dataset: dict) -> None:
    headers = org.headers
    functions = ["projectsWhereUserHasRole()", "projectsWhereUserHasPermission()", "projectsLeadByUser()"]
    assert _values(client, headers, "project", project["key"][:2].lower()) == [project["key"], *functions]
    assert _values(client, headers, "project", "proj") == [project["key"], *functions]  # by name, too
    assert '"In Progress"' in _values(client, headers, "status", "in")
    assert '"In Progress"' in _values(client, headers, "status", '"progr')
    assert _values(client, headers, "statusCategory", "do") == ["Done", '"To Do"']  # whole name first
    assert "Unresolved" in _values(client, headers, "resolution")
    assert _values(client, headers, "type", "tas") == ["Task", "Sub-task"]
    assert "High" in _values(client, headers, "priority", "h")
    assert _values(client, headers, "labels", "back") == ["backend"]
    assert _values(client, headers, "labels", "emp") == ['"empty"']
    assert len(_values(client, headers, "labels", "lab")) == 20
    assert _values(client, headers, "component", "web") == ['"Web UI"']
    assert _values(client, headers, "fixVersion", "1.") == ['"1.0 beta"']
    assert _values(client, headers, "fixVersion", "beta") == ['"1.0 beta"']
    assert _values(client, headers, dataset["select_cf"], "pro") == ['"Prod EU"']
    assert _values(client, headers, '"Deploy Env"', "st") == ["staging"]
    display = member.email.split("@")[0].title()
    assert _values(client, headers, "assignee", display[:5]) == [f'"{member.email}"']
    assert f'"{member.email}"' in _values(client, headers, "reporter", member.email[:6])
    assert "currentUser()" in _values(client, headers, "assignee", "")
    assert _values(client, headers, "assignee", "curr") == ["currentUser()"]
    assert _values(client, headers, "created", "startOfW") == ["startOfWeek()"]
    assert _values(client, headers, "sprint", "open") == ["openSprints()"]
    assert "watchedIssues()" in _values(client, headers, "key")
    assert _values(client, headers, "summary") == []


def test_filters_and_private_projects_only_for_those_who_may_see_them(
        client: TestClient, org: OrgHandle, viewer: UserHandle) -> None:
    private = _ok(client.post("/v2/projects", json={"key": unique_key("H")[:10], "name": "Hidden",
                                                    "access": "private"}, headers=org.headers), 201)
    _ok(client.post(f"/v2/projects/{private['id']}/components", json={"name": "Hush comp"}, headers=org.headers), 201)
    _ok(client.post("/v2/filters", json={"name": "Admin only", "jql": ""}, headers=org.headers), 201)
    _ok(client.post("/v2/filters", json={"name": "Admin shared", "jql": "", "shares": [{"type": "organization"}]},
                    headers=org.headers), 201)
    assert _values(client, org.headers, "component", "hush") == ['"Hush comp"']
    assert _values(client, viewer.headers, "component", "hush") == []
    assert private["key"] in _values(client, org.headers, "project", private["key"])
    assert _values(client, viewer.headers, "project", private["key"]) == []
    assert _values(client, org.headers, "filter", "admin") == ['"Admin only"', '"Admin shared"']
    assert _values(client, viewer.headers, "filter", "admin") == ['"Admin shared"']


def test_unknown_fields_and_the_data_document(client: TestClient, org: OrgHandle) -> None:
    for field in ("nosuchfield", "cf[99999999]"):
        response = client.get("/v2/jql/autocomplete", params={"field": field}, headers=org.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"] == \
            f"Field '{field}' does not exist or you do not have permission to view it."
    data = _ok(client.get("/v2/jql/autocomplete/data", headers=org.headers))
    assert {"and", "or", "order", "empty", "select"} <= set(data["reserved_words"])
    functions = {f["value"]: f for f in data["functions"]}
    assert {"currentUser()", "membersOf()", "now()", "openSprints()", "linkedIssues()"} <= set(functions)
    assert functions["membersOf()"]["display"] == "membersOf(group)"
    assert {"project", "status", "assignee", "created"} <= {f["value"] for f in data["fields"]}
    assert client.get("/v2/jql/autocomplete/data").status_code == 401
