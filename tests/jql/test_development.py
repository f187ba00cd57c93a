"""JQL's `development[section].property` on both backends, over data that arrived the way hosts
send it (signed GitHub webhook posts, Jira-shaped CI bulk posts): counts with every comparison,
nothing linked counting 0, deployments by environment, saved filters, errors that point at the
wrong part, autocomplete, and another organization's rows never counting."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tessera.integrations.development_facts import install_development_facts
from tessera.integrations.git.facts import branch_rows
from tessera.jql.development import DEVELOPMENT_FACTS, DevelopmentFact
from tests.factories.http import ok
from tests.integrations.ci.test_panel import build, deployment
from tests.integrations.git import hosts
from tests.integrations.git.test_inbound import connect, post
from tests.support import OrgHandle, make_org


@dataclass
class Linked:
    org: OrgHandle
    ids: dict[str, int]  # "one", "two", "none" in the first organization; "other" in the second
    other: OrgHandle

    def found(self, client: TestClient, jql: str, org: OrgHandle | None = None) -> set[str]:
        names = {issue_id: name for name, issue_id in self.ids.items()}
        body = ok(client.post("/v2/search", json={"jql": jql, "fields": ["key"], "max_results": 100},
                              headers=(org or self.org).headers))
        return {names[issue["id"]] for issue in body["issues"]}


def _issue(client: TestClient, org: OrgHandle, project_id: int) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project_id, "issue_type": "Task", "summary": "Login"},
                          headers=org.headers), 201)


def _link_git(client: TestClient, org: OrgHandle, pushes: list[tuple[str, str, str]],
              pulls: list[tuple[str, str, bool, int]]) -> None:
    connection = connect(client, org, "github")
    for message, sha, branch in pushes:
        assert post(client, connection, "github", "push", hosts.github_push(message, sha=sha, branch=branch)
                    ).status_code == 200
    for action, title, merged, number in pulls:
        pull = hosts.github_pull_request(action, title, merged=merged, number=number)
        assert post(client, connection, "github", "pull_request", pull).status_code == 200


def _post_ci(client: TestClient, org: OrgHandle, builds: list[dict], deployments: list[dict]) -> None:
    token = ok(client.post("/v2/myself/tokens", json={"name": "CI", "scope": "ci"}, headers=org.headers), 201)
    headers = {"Authorization": f"Bearer {token['api_token']}"}
    accepted = ok(client.post("/rest/builds/0.1/bulk", json={"builds": builds}, headers=headers), 202)
    assert not accepted["rejectedBuilds"]
    if deployments:
        accepted = ok(client.post("/rest/deployments/0.1/bulk", json={"deployments": deployments}, headers=headers),
                      202)
        assert not accepted["rejectedDeployments"]


@pytest.fixture(scope="module")
def linked(client: TestClient, database_url: str) -> Linked:
    """one: 3 commits (one shared with two), a branch, an open and a merged pull request; builds:
    web #1 failed then #2 passed, api #7 failed; deployed to production (failed, then succeeded).
    two: 1 commit, a declined pull request; mobile and docs failing; production rolled back, QA
    (a testing environment) deployed. none: nothing. other (another organization, same SHA and
    pipeline names): 1 commit, web #3 failed."""
    org, other = make_org(database_url), make_org(database_url)
    project = ok(client.post("/v2/projects", json={"key": "DEV", "name": "Dev"}, headers=org.headers), 201)
    one, two, none = (_issue(client, org, project["id"]) for _ in range(3))
    k1, k2 = one["key"], two["key"]
    _link_git(client, org, [(f"{k1} first", "a1" * 20, "main"), (f"{k1} second", "a2" * 20, "main"),
                            (f"{k1} {k2} shared", "a3" * 20, f"feature/{k1}-login")],
              [("opened", f"[{k1}] Login", False, 1), ("closed", f"[{k1}] Logout", True, 2),
               ("closed", f"[{k2}] Not this way", False, 3)])
    _post_ci(client, org, [build(k1, "web", 1, "failed", 1), build(k1, "web", 2, "successful", 2),
                           build(k1, "api", 7, "failed", 3), build(k2, "mobile", 1, "failed", 1),
                           build(k2, "docs", 4, "failed", 4)],
             [deployment(k1, "prod", "production", 1, "failed", 1),
              deployment(k1, "prod", "production", 2, "successful", 3),
              deployment(k2, "prod", "production", 5, "rolled_back", 2),
              deployment(k2, "qa", "testing", 1, "successful", 1)])
    other_project = ok(client.post("/v2/projects", json={"key": "DEV", "name": "Dev"}, headers=other.headers), 201)
    theirs = _issue(client, other, other_project["id"])
    _link_git(client, other, [(f"{theirs['key']} elsewhere", "a1" * 20, "main")], [])
    _post_ci(client, other, [build(theirs["key"], "web", 3, "failed", 5)], [])
    return Linked(org, {"one": one["id"], "two": two["id"], "none": none["id"], "other": theirs["id"]}, other)


@pytest.mark.parametrize(("jql", "expected"), [
    ("development[commits].all > 0", {"one", "two"}),
    ("development[commits].all = 0", {"none"}),
    ("development[commits].all >= 2", {"one"}),
    ("development[commits].all = 3", {"one"}),
    ("development[commits].all < 3", {"two", "none"}),
    ("development[commits].all <= 1", {"two", "none"}),
    ("development[commits].all != 1", {"one", "none"}),
    ("development[commits].all in (0, 3)", {"one", "none"}),
    ("development[commits].all not in (0, 3)", {"two"}),
    ("development[commits].all > -1", {"one", "two", "none"}),
    ("development[commits].all < 1", {"none"}),
    ("development[commits].all >= 1.0", {"one", "two"}),
    ("development[commits].all > 0.5", {"one", "two"}),
    ("development[branches].all = 1", {"one"}),
    ("development[pullrequests].all > 0", {"one", "two"}),
    ("development[pullrequests].open > 0", {"one"}),
    ("development[pullrequests].open = 0", {"two", "none"}),
    ("development[pullrequests].merged = 1", {"one"}),
    ("Development[PullRequests].Declined >= 1", {"two"}),
    ("development[builds].all = 2", {"one", "two"}),
    ("development[builds].failing > 0", {"one", "two"}),
    ("development[builds].failing > 1", {"two"}),
    ("development[builds].failing = 0", {"none"}),
    ("development[builds].successful > 0", {"one"}),
    ("development[deployments].all = 2", {"two"}),
    ("development[deployments].environment = production", {"one"}),
    ('development[deployments].environment = "QA"', {"two"}),
    ("development[deployments].environment in (PRODUCTION, testing)", {"one", "two"}),
    ("development[deployments].environment != production", {"two"}),
    ("development[deployments].environment not in (production, staging)", {"two"}),
    ("development[builds].failing > 0 AND NOT development[pullrequests].open > 0", {"two"}),
    ("development[commits].all = 0 OR development[pullrequests].declined > 0", {"two", "none"}),
])
def test_counts_and_environments(client: TestClient, linked: Linked, jql: str, expected: set[str]) -> None:
    assert linked.found(client, jql) == expected


def test_another_organizations_rows_never_count(client: TestClient, linked: Linked) -> None:
    """The other organization shares a SHA and a pipeline name; neither reaches the first's issues
    (web #3 failing there does not supersede web #2 here), nor the other way round."""
    assert linked.found(client, "development[builds].successful > 0") == {"one"}
    assert linked.found(client, "development[commits].all > 0", linked.other) == {"other"}
    assert linked.found(client, "development[commits].all > 1", linked.other) == set()
    assert linked.found(client, "development[builds].failing = 1", linked.other) == {"other"}
    assert linked.found(client, "development[pullrequests].all = 0", linked.other) == {"other"}
    count = ok(client.post("/v2/search", json={"jql": "development[commits].all >= 0", "max_results": 1},
                           headers=linked.org.headers))
    assert count["total"] == 3


def test_a_saved_filter_with_development_fields(client: TestClient, linked: Linked) -> None:
    saved = ok(client.post("/v2/filters", json={"name": "Failing, no open PR",
                                                "jql": "development[builds].failing > 0 AND "
                                                       "development[pullrequests].open = 0"},
                           headers=linked.org.headers), 201)
    assert linked.found(client, f"filter = {saved['id']}") == {"two"}
    assert linked.found(client, 'filter = "Failing, no open PR" OR development[branches].all > 0') == {"one", "two"}


@pytest.mark.parametrize(("jql", "column", "says"), [
    ("development[foo].all > 0", 13, "Unknown development section 'foo'"),
    ("project = DEV AND development[commits].open > 0", 40, "no property 'open'; use one of: all"),
    ("development[commits] > 0", 21, "needs a property"),
    ("development.commits > 0", 1, "development[section].property"),
    ("development[commits].all > many", 28, "not a number"),
    ("development[commits].all ~ many", 1, "operator '~' is not supported"),
    ("development[commits].all is empty", 1, "operator 'is' is not supported"),
    ("development[deployments].environment > production", 1, "operator '>' is not supported"),
])
def test_errors_name_the_part_and_where(client: TestClient, linked: Linked, jql: str, column: int,
                                        says: str) -> None:
    response = client.post("/v2/search", json={"jql": jql}, headers=linked.org.headers)
    assert response.status_code == 400, response.text
    assert says in response.text
    assert f"column {column}" in response.text or f'"column":{column}' in response.text.replace(" ", "")


def test_not_sortable_and_listed_for_autocomplete(client: TestClient, linked: Linked) -> None:
    sorted_by = client.post("/v2/search", json={"jql": "ORDER BY development[commits].all"},
                            headers=linked.org.headers)
    assert sorted_by.status_code == 400 and "does not support sorting" in sorted_by.text
    data = ok(client.get("/v2/jql/autocomplete/data", headers=linked.org.headers))
    fields = {entry["value"]: entry for entry in data["fields"]}
    assert fields["development[pullrequests].open"]["operators"] == ["=", "!=", ">", ">=", "<", "<=", "IN", "NOT IN"]
    assert fields["development[deployments].environment"]["operators"] == ["=", "!=", "IN", "NOT IN"]
    assert {"development[commits].all", "development[builds].failing", "development[branches].all"} <= set(fields)
    typed = ok(client.get("/v2/jql/autocomplete", params={"prefix": "development[b"}, headers=linked.org.headers))
    assert {f["value"] for f in typed["fields"]} == {"development[branches].all", "development[builds].all",
                                                    "development[builds].failing", "development[builds].successful"}
    values = ok(client.get("/v2/jql/autocomplete", params={"field": "development[deployments].environment",
                                                           "value": "pro"}, headers=linked.org.headers))
    assert values["results"] == [{"value": "production", "display": "production"}]


def test_registration_is_closed_and_installing_again_is_harmless() -> None:
    before = DEVELOPMENT_FACTS.all()
    install_development_facts()
    assert DEVELOPMENT_FACTS.all() == before and len(before) == 11
    with pytest.raises(ValueError, match="registered already"):
        DEVELOPMENT_FACTS.register(DevelopmentFact("commits", "all", rows=branch_rows))
    with pytest.raises(TypeError, match="exactly one"):
        DEVELOPMENT_FACTS.register(DevelopmentFact("tags", "all"))
    assert DEVELOPMENT_FACTS.all() == before
