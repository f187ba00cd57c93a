"""The JQL functions release and report filters use (versions, issue types, projects by role or
permission, components and projects by lead, remote links), on both backends: what they match,
their clear errors, and that nothing of another organization reaches them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from tests.support import OrgHandle, UserHandle, make_org, make_user


@dataclass
class Releases:
    org: OrgHandle
    member: UserHandle
    other: OrgHandle
    keys: dict[str, str] = field(default_factory=dict)  # name → key

    def found(self, client: TestClient, jql: str, headers: dict | None = None) -> set[str]:
        response = client.post("/v2/search", json={"jql": jql, "max_results": 100, "fields": ["key"]},
                               headers=headers or self.org.headers)
        assert response.status_code == 200, (jql, response.text)
        names = {key: name for name, key in self.keys.items()}
        return {names.get(issue["key"], issue["key"]) for issue in response.json()["issues"]}

    def error(self, client: TestClient, jql: str, headers: dict | None = None) -> str:
        response = client.post("/v2/search", json={"jql": jql}, headers=headers or self.org.headers)
        assert response.status_code == 400, (jql, response.text)
        return response.json()["error"]["message"]


def _ok(response, status: int = 201) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def releases(client: TestClient, database_url: str) -> Releases:
    org, other = make_org(database_url), make_org(database_url)
    world = Releases(org=org, member=make_user(database_url, org), other=other)
    h = org.headers
    rel = _ok(client.post("/v2/projects", json={"key": "REL", "name": "Releases"}, headers=h))
    ops = _ok(client.post("/v2/projects", json={"key": "OPS", "name": "Operations",
                                                "lead_id": world.member.user_id}, headers=h))
    _ok(client.put(f"/v2/projects/{rel['id']}/roles/developers", json={"user_ids": [world.member.user_id]},
                   headers=h), 200)

    def version(project: dict, name: str, **values: object) -> int:
        return _ok(client.post(f"/v2/projects/{project['id']}/versions", json={"name": name, **values},
                               headers=h))["id"]

    def component(project: dict, name: str, lead: int) -> int:
        return _ok(client.post(f"/v2/projects/{project['id']}/components", json={"name": name, "lead_id": lead},
                               headers=h))["id"]

    # Release order is by release date, undated last: REL's latest released is v2, earliest unreleased v3.
    v2 = version(rel, "2.0", released=True, release_date="2026-02-10")
    v1 = version(rel, "1.0", released=True, release_date="2026-01-10")
    v0 = version(rel, "0.9", released=True, release_date="2026-03-01", archived=True)
    v4 = version(rel, "4.0")
    v3 = version(rel, "3.0", release_date="2026-05-01")
    o1 = version(ops, "O1", released=True, release_date="2026-03-01")
    o2 = version(ops, "O2", release_date="2026-04-01")
    core, infra = component(rel, "Core", org.admin_user_id), component(ops, "Infra", world.member.user_id)
    specs = {
        "a": {"project_id": "REL", "fix_versions": [v1]}, "b": {"project_id": "REL", "fix_versions": [v2]},
        "c": {"project_id": "REL", "fix_versions": [v3]},
        "d": {"project_id": "REL", "fix_versions": [v4], "affected_versions": [v2]},
        "old": {"project_id": "REL", "fix_versions": [v0]}, "h": {"project_id": "REL", "components": [core]},
        "e": {"project_id": "OPS", "fix_versions": [o1]},
        "f": {"project_id": "OPS", "fix_versions": [o2], "components": [infra]},
    }
    for name, spec in specs.items():
        issue = _ok(client.post("/v2/issues", json={"issue_type": "Task", "summary": f"Issue {name}", **spec},
                                headers=h))
        world.keys[name] = issue["key"]
    sub = _ok(client.post("/v2/issues", json={"project_id": "REL", "issue_type": "Sub-task", "summary": "Part",
                                              "parent_id": world.keys["a"]}, headers=h))
    world.keys["sub"] = sub["key"]
    for name, global_id in (("a", "system=http://ci/build/1"), ("e", "gid-2"), ("b", "gid-unasked")):
        _ok(client.post(f"/rest/api/2/issue/{world.keys[name]}/remotelink", headers=h,
                        json={"globalId": global_id, "object": {"url": "http://ci/build/1", "title": "Build"}}))
    # The other organization has a released version and a remote link of the same global id.
    theirs = _ok(client.post("/v2/projects", json={"key": "THEIR", "name": "Theirs"}, headers=other.headers))
    their_version = _ok(client.post(f"/v2/projects/{theirs['id']}/versions",
                                    json={"name": "9.0", "released": True}, headers=other.headers))["id"]
    their_issue = _ok(client.post("/v2/issues", json={"project_id": "THEIR", "issue_type": "Task", "summary": "X",
                                                      "fix_versions": [their_version]}, headers=other.headers))
    _ok(client.post(f"/rest/api/2/issue/{their_issue['key']}/remotelink", headers=other.headers,
                    json={"globalId": "gid-2", "object": {"url": "http://x", "title": "X"}}))
    return world


def test_version_functions(client: TestClient, releases: Releases) -> None:
    found = releases.found
    assert found(client, "fixVersion in releasedVersions()") == {"a", "b", "e"}  # archived 0.9 left out
    assert found(client, "fixVersion in releasedVersions(REL)") == {"a", "b"}
    assert found(client, 'fixVersion in releasedVersions("Operations")') == {"e"}
    assert found(client, "fixVersion in unreleasedVersions(REL)") == {"c", "d"}
    assert found(client, "fixVersion in unreleasedVersions()") == {"c", "d", "f"}
    assert found(client, "fixVersion = latestReleasedVersion(REL)") == {"b"}
    assert found(client, "fixVersion in latestReleasedVersion()") == {"b", "e"}  # one per project
    assert found(client, "fixVersion = earliestUnreleasedVersion(REL)") == {"c"}
    assert found(client, "fixVersion in earliestUnreleasedVersion()") == {"c", "f"}
    assert found(client, "affectedVersion in releasedVersions(REL)") == {"d"}
    assert found(client, "project = REL AND fixVersion not in releasedVersions()") == {"c", "d", "old"}


def test_issue_type_project_and_lead_functions(client: TestClient, releases: Releases) -> None:
    found, member = releases.found, releases.member.headers
    assert found(client, "project = REL AND issuetype in subtaskIssueTypes()") == {"sub"}
    assert found(client, "project = REL AND type in standardIssueTypes()") == {"a", "b", "c", "d", "old", "h"}
    assert found(client, "issuetype in subTaskIssueTypes()") == {"sub"}  # names are case-insensitive
    rel = {"a", "b", "c", "d", "old", "h", "sub"}
    assert found(client, 'project in projectsWhereUserHasRole("Developers")', member) == rel
    assert found(client, "project in projectsWhereUserHasRole(developers)") == set()  # the admin holds none
    assert found(client, 'project in projectsWhereUserHasPermission("Edit Issues")', member) == rel | {"e", "f"}
    # Deleting is for project admins and leads: the member leads OPS only.
    assert found(client, "project in projectsWhereUserHasPermission(DELETE_ISSUES)", member) == {"e", "f"}
    assert found(client, "project in projectsLeadByUser()", member) == {"e", "f"}
    assert found(client, "component in componentsLeadByUser()", member) == {"f"}
    assert found(client, f'component in componentsLeadByUser("{releases.org.admin_email}")', member) == {"h"}


def test_remote_link_function(client: TestClient, releases: Releases) -> None:
    assert releases.found(client, 'issue in issuesWithRemoteLinksByGlobalId("system=http://ci/build/1", gid-2)') \
        == {"a", "e"}
    assert releases.found(client, "issue in issuesWithRemoteLinksByGlobalId(nothing-here)") == set()


def test_errors_name_the_function_and_the_argument(client: TestClient, releases: Releases) -> None:
    error = releases.error
    assert "releasedVersions" in error(client, "fixVersion in releasedVersions(REL, OPS)")
    assert error(client, "fixVersion in releasedVersions(NOPE)") == \
        "Could not resolve the project 'NOPE' provided to function 'releasedVersions'."
    assert "invalid for the field 'assignee'" in error(client, "assignee in releasedVersions()")
    assert "invalid for the field 'fixVersion'" in error(client, "fixVersion in standardIssueTypes()")
    message = error(client, "project in projectsWhereUserHasRole(Testers)")
    assert "'Testers'" in message and "developers" in message
    message = error(client, 'project in projectsWhereUserHasPermission("Fly Planes")')
    assert "'Fly Planes'" in message and "EDIT_ISSUES" in message
    assert "'nobody@nowhere.test'" in error(client, 'component in componentsLeadByUser("nobody@nowhere.test")')
    assert "expects 1 to 100" in error(client, "issue in issuesWithRemoteLinksByGlobalId()")


def test_nothing_crosses_organizations(client: TestClient, releases: Releases) -> None:
    theirs = releases.other.headers
    # Their own released version is theirs alone; our projects are unknown to them, like a typo.
    assert releases.found(client, "fixVersion in releasedVersions()", theirs) == {"THEIR-1"}
    assert releases.found(client, "fixVersion in releasedVersions()") == {"a", "b", "e"}
    assert releases.found(client, "issue in issuesWithRemoteLinksByGlobalId(gid-2)", theirs) == {"THEIR-1"}
    assert releases.found(client, "issue in issuesWithRemoteLinksByGlobalId(gid-2)") == {"e"}
    assert releases.error(client, "fixVersion in releasedVersions(OPS)", theirs) == \
        releases.error(client, "fixVersion in releasedVersions(NOPE)", theirs).replace("NOPE", "OPS")
    assert "does not exist" in releases.error(client, f'component in componentsLeadByUser("{releases.member.email}")',
                                              theirs)
    assert releases.found(client, "project in projectsLeadByUser()", theirs) == {"THEIR-1"}  # their creator leads it
