"""JQL autocomplete and search name and return only the caller's organization."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.isolation_world import MISSING_ID, World, assert_no_leak, ok


def test_jql_autocomplete_offers_only_the_callers_organization(client: TestClient, world: World) -> None:
    b, ids = world.b, world.ids
    get = lambda **params: client.get("/v2/jql/autocomplete", params=params, headers=b.headers)  # noqa: E731
    assert ok(get(prefix="Secret"))["fields"] == []
    every_field = ok(get())["fields"]
    assert every_field and f"cf[{10_000 + ids['field_id']}]" not in {f.get("cf_id") for f in every_field}
    assert_no_leak(world, str(every_field), "autocomplete fields")
    assert_no_leak(world, client.get("/v2/jql/autocomplete/data", headers=b.headers).text, "autocomplete data")
    for field_name in ("project", "assignee", "reporter", "watcher", "labels", "component", "fixVersion",
                       "affectedVersion", "sprint", "filter", "status", "issuetype", "key"):
        for value in ("", "s", "secret", ids["project_key"][:3], ids["member_email"][:4], "Opt", "user"):
            response = get(field=field_name, value=value)
            where = f"autocomplete {field_name}={value!r}"
            assert response.status_code == 200, (where, response.text)
            assert_no_leak(world, response.text, where)
    projects = ok(get(field="project"))["results"]
    assert [p["value"] for p in projects if "(" not in p["value"]] == [ok(client.get(f"/v2/projects/{ids['b_project_id']}",
                                                             headers=b.headers))["key"]]
    users = ok(get(field="assignee", value=""))["results"]
    assert {u["value"].strip('"') for u in users if "(" not in u["value"]} == {b.admin_email}
    # A's custom field, by name or by cf[id], is unknown to B exactly like a missing one.
    for foreign, missing in ((f"cf[{10_000 + ids['field_id']}]", "cf[987654321]"),
                             ("Secret Field Narwhal", "No Such Field At All")):
        foreign_response, missing_response = get(field=foreign), get(field=missing)
        assert foreign_response.status_code == missing_response.status_code == 400, foreign_response.text
        assert foreign_response.json()["error"]["message"].replace(foreign, "<ref>") == \
            missing_response.json()["error"]["message"].replace(missing, "<ref>")
        assert_no_leak(world, foreign_response.text.replace(foreign, ""), f"autocomplete {foreign}")


def _search_cases(ids: dict) -> list[tuple[str, str, str]]:
    """(JQL template, A's value, a value that names nothing): B's query naming A's value must
    answer exactly like the one naming nothing."""
    return [
        ("project = {}", ids["project_key"], "NOPEKEY"),
        ("project in ({}, NOPEKEY2)", str(ids["project_id"]), str(MISSING_ID)),
        ("key = {}", ids["story_key"], "NOPE-424242"),
        ("issuekey in ({}, NOPE-1)", str(ids["story_id"]), str(MISSING_ID)),
        ("parent = {}", ids["epic_key"], "NOPE-424243"),
        ("issue in linkedIssues({})", ids["story_key"], "NOPE-424244"),
        ('assignee = "{}"', ids["member_email"], "nobody@nowhere.test"),
        ("reporter in ({})", str(ids["admin_id"]), str(MISSING_ID)),
        ("assignee was {}", str(ids["member_id"]), str(MISSING_ID)),
        ('issue in updatedBy("{}")', ids["member_email"], "nobody@nowhere.test"),
        ('component = "{}"', "Secret Component Okapi", "No Such Component"),
        ('fixVersion = "{}"', "Secret Version Quokka", "No Such Version"),
        ('status = "{}"', "Secret Status Dugong", "No Such Status"),
        ('labels = "{}"', "secret-label-tapir", "no-such-label"),
        ('"{}" = "Opt Axolotl"', "Secret Field Narwhal", "No Such Field"),
        ('{} = "Opt Axolotl"', f"cf[{10_000 + ids['field_id']}]", "cf[987654321]"),
        ("filter = {}", str(ids["filter_id"]), str(MISSING_ID)),
        ('filter = "{}"', "Secret Filter Wombat", "No Such Filter"),
        ('text ~ "{}"', "Lynx", "Nonexistentword"),
    ]


def test_search_never_names_or_returns_another_organizations_data(client: TestClient, world: World) -> None:
    b, ids = world.b, world.ids
    a_issue_ids = {ids["story_id"], ids["epic_id"], ids["task_id"]}
    for template, foreign_ref, missing_ref in _search_cases(ids):
        for method in ("POST", "GET"):
            answers = []
            for ref in (foreign_ref, missing_ref):
                jql = template.format(ref)
                if method == "POST":
                    response = client.post("/v2/search", json={"jql": jql}, headers=b.headers)
                else:
                    response = client.get("/v2/search", params={"jql": jql}, headers=b.headers)
                echoed = response.text.replace(f"'{ref}'", "'<ref>'").replace(f'\\"{ref}\\"', '\\"<ref>\\"')
                answers.append((response.status_code, echoed))
            where = f"{method} /v2/search {template.format(foreign_ref)!r}"
            assert answers[0] == answers[1], (where, answers)
            status, text = answers[0]
            assert status in (200, 400), (where, text)
            if status == 200:
                assert client.post("/v2/search", json={"jql": template.format(foreign_ref)},
                                   headers=b.headers).json()["total"] == 0, where
            assert_no_leak(world, text, where)
    project_error = client.post("/v2/search", json={"jql": f"project = {ids['project_key']}"}, headers=b.headers)
    assert project_error.status_code == 400, project_error.text
    assert project_error.json()["error"]["message"].startswith(
        f"The value '{ids['project_key']}' does not exist for the field 'project'.")
    everything = ok(client.post("/v2/search", json={"jql": "order by created", "max_results": 1000},
                                 headers=b.headers))
    assert {i["id"] for i in everything["issues"]} == {ids["b_epic_id"], ids["b_story_id"]}
    assert not a_issue_ids & {i["id"] for i in everything["issues"]}
    assert_no_leak(world, str(everything), "search everything")
    listed = ok(client.get("/v2/search", params={"jql": "", "max_results": 1000}, headers=b.headers))
    assert listed["total"] == 2
