"""What a search page reads and builds (issue 16): only the fields asked for, the same values as the
full view; the exact total and the page from one statement up to the sorting threshold and from
the count and an index walk past it; a list of component names looked up at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import tessera.jql.search as search_module
from tests.factories.search_world import World
from tests.support import counting_statements

# A request for these fields (v2 names, or a custom field's key) builds them and nothing else.
FIELD_SETS = (["summary", "status"], ["components", "labels", "assignee"], ["links", "parent", "subtasks"],
              ["story_points", "priority"], ["project", "fixVersions", "due", "issuetype"], ["customfields"])
ALIASES = {"fixVersions": "fix_versions", "due": "due_date", "issuetype": "issue_type"}
JIRA_FIELD_SETS = ("summary,status", "components,labels,assignee,updated", "issuelinks,subtasks,parent",
                   "priority,issuetype,project,fixVersions,duedate,timetracking")


def _by_key(page: dict) -> dict[str, dict]:
    return {issue["key"]: issue for issue in page["issues"]}


def test_a_field_selection_shows_what_the_full_view_shows(client: TestClient, world: World) -> None:
    full = _by_key(world.search(client, "ORDER BY key", fields=None))
    assert len(full) == 5
    for fields in FIELD_SETS:
        page = _by_key(world.search(client, "ORDER BY key", fields=fields))
        assert page.keys() == full.keys()
        shown = {ALIASES.get(name, name) for name in fields}
        for key, issue in page.items():
            expected = {name: full[key][name] for name in ("id", "key", "self")}
            expected |= {name: value for name, value in full[key].items() if name in shown}
            if "story_points" in fields:
                expected["custom_fields"] = {"story_points": full[key]["custom_fields"]["story_points"]}
            assert issue == expected, (fields, key)
    # The links and sub-tasks are really there to compare: login blocks on crash.
    login = _by_key(world.search(client, "ORDER BY key", fields=["links"]))[world.keys["login"]]
    assert [link["issue"]["key"] for link in login["links"]] == [world.keys["crash"]]


def test_jira_fields_show_what_every_field_shows(client: TestClient, world: World) -> None:
    def search(fields: str) -> dict[str, dict]:
        response = client.get("/rest/api/2/search", params={"jql": "project = ALPHA ORDER BY key", "fields": fields},
                              headers=world.org.headers)
        assert response.status_code == 200, response.text
        return {issue["key"]: issue for issue in response.json()["issues"]}

    every = search("*all")
    assert len(every) == 4
    for fields in JIRA_FIELD_SETS:
        page = search(fields)
        for key, issue in page.items():
            assert list(issue["fields"]) == [name for name in every[key]["fields"] if name in fields.split(",")]
            assert issue["fields"] == {name: every[key]["fields"][name] for name in issue["fields"]}, fields
    crash = every[world.keys["crash"]]["fields"]
    assert [link["outwardIssue"]["key"] for link in crash["issuelinks"]] == [world.keys["login"]]


def _tables_read(statements: list[str]) -> set[str]:
    tables = ("issue_labels", "issue_components", "issue_versions", "custom_field_values", "issue_links",
              "FROM users", "FROM projects")
    return {table for table in tables for statement in statements if table in statement}


def test_a_page_reads_only_what_its_fields_need(client: TestClient, world: World) -> None:
    reads = {}
    for fields in (["summary", "status"], ["components"], ["assignee"], ["links"], None):
        with counting_statements(client) as statements:
            world.search(client, "project = ALPHA ORDER BY key", fields=fields)
        reads[str(fields)] = _tables_read(statements)
    # What any search reads (the browsable projects, perhaps the caller), and what the fields add.
    base = reads["['summary', 'status']"]
    assert not base & {"issue_labels", "issue_components", "issue_versions", "custom_field_values", "issue_links"}
    assert reads["['components']"] - base == {"issue_components"}
    assert reads["['assignee']"] - base <= {"FROM users"} and "FROM users" in reads["['assignee']"]
    assert reads["['links']"] - base == {"issue_links"}
    assert reads["None"] - base >= {"issue_labels", "issue_components", "issue_versions", "custom_field_values",
                                    "issue_links"}


@pytest.mark.parametrize("few", [search_module._FEW_MATCHES, 2])
def test_totals_and_pages_on_both_sides_of_the_sorting_threshold(client: TestClient, world: World,
                                                                 monkeypatch: pytest.MonkeyPatch, few: int) -> None:
    """Up to the threshold the total comes with the page; past it (2 here: most of these queries
    have more) from the count, the page from an index walk. Both answer the same."""
    monkeypatch.setattr(search_module, "_FEW_MATCHES", few)
    everything = [world.keys[name] for name in ("login", "export", "migration", "crash", "secret")]
    in_order = sorted(everything)
    for start_at, size in ((0, 2), (2, 2), (4, 2), (5, 2), (10, 1)):
        page = world.search(client, "ORDER BY key", start_at=start_at, max_results=size)
        assert page["total"] == 5
        assert [issue["key"] for issue in page["issues"]] == in_order[start_at:start_at + size]
    assert world.search(client, "labels = backend ORDER BY key")["total"] == 2
    assert world.search(client, "summary ~ nosuchword")["total"] == 0
    assert world.search(client, "summary ~ nosuchword")["issues"] == []
    assert world.search(client, "ORDER BY key", max_results=0) == {"start_at": 0, "max_results": 0, "total": 5,
                                                                   "issues": []}
    # Tenancy and permissions hold on both sides: the outsider sees ALPHA only, the other org its own.
    assert world.search(client, "ORDER BY key", headers=world.outsider.headers)["total"] == 4
    other = world.search(client, "ORDER BY key", headers=world.other_org.headers)
    assert (other["total"], [i["key"] for i in other["issues"]]) == (1, [world.keys["outside"]])
    jira = client.get("/rest/api/2/search", params={"jql": "ORDER BY key", "startAt": 3, "maxResults": 5},
                      headers=world.org.headers).json()
    assert (jira["total"], [issue["key"] for issue in jira["issues"]]) == (5, in_order[3:])


def test_a_list_of_component_names_is_looked_up_once(client: TestClient, world: World) -> None:
    with counting_statements(client) as statements:
        names = world.names(client, "component IN (Backend, BACKEND, backend)")
    assert names == ["login"]
    assert sum("FROM components" in statement for statement in statements) == 1
    for jql, missing in (("component IN (Backend, Frontend)", "Frontend"), ("component IN (Backend, 999999)", "999999")):
        assert world.error(client, jql)["message"] == f"The value '{missing}' does not exist for the field 'component'."
    # Another organization's components do not exist for this one.
    assert world.error(client, "component IN (Backend)", headers=world.other_org.headers)["message"] == \
        "The value 'Backend' does not exist for the field 'component'."


def _page_statement(statements: list[str]) -> str:
    """The statement that reads the page's issues (with the total)."""
    return next(statement for statement in statements if "matches" in statement and "FROM issues" in statement)


def test_a_page_reads_only_the_issue_columns_its_fields_show(client: TestClient, world: World) -> None:
    with counting_statements(client) as statements:
        world.search(client, "ORDER BY key", fields=["summary", "status"])
    narrow = _page_statement(statements)
    with counting_statements(client) as statements:
        world.search(client, "ORDER BY key", fields=None)
    full = _page_statement(statements)
    for column in ("issues.summary", "issues.status_id"):
        assert column in narrow and column in full
    for column in ("issues.description", "issues.created_at", "issues.reporter_id"):
        assert column not in narrow and column in full
    with counting_statements(client) as statements:
        client.get("/rest/api/2/search", params={"jql": "ORDER BY key", "fields": "summary"},
                   headers=world.org.headers)
    assert "issues.description" not in _page_statement(statements)


def test_a_search_request_sets_its_transaction_up_in_one_statement(client: TestClient, world: World,
                                                                   database_url: str) -> None:
    """On PostgreSQL the search's settings (work_mem, random_page_cost, custom plans) come with
    the organization's row-security settings; then the projects, the page and its components."""
    with counting_statements(client) as statements:
        page = world.search(client, "ORDER BY key", fields=["summary", "components"])
    assert page["total"] == 5
    set_up = [statement for statement in statements if "set_config" in statement]
    if database_url.startswith("postgresql"):
        assert len(set_up) == 1  # with the organization's, when row security is on
        assert set_up[0].count("set_config") >= len(search_module.SEARCH_SETTINGS)
    else:
        assert set_up == []
    assert len(statements) <= 4 + len(set_up), statements


def test_a_query_asked_again_is_parsed_once() -> None:
    from tessera.jql import parser

    text = 'project = ALPHA AND text ~ "parsed once" ORDER BY key'
    assert parser.parse(text) is parser.parse(text)
    assert parser.parse(text) == parser._parse.__wrapped__(text)  # the same tree as a parse of its own
