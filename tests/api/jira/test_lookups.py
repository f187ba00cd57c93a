"""Issue 18's Server API gaps, by class: null and string values in bodies; administration and
lookups (project update and delete, version order and counts, groups, assignable users, remote
links by globalId, issue properties, dashboards, JQL autocomplete data, attachment expansion);
user avatars that exist; the epic fields in create and edit metadata. Driven through the `jira`
package and atlassian-python-api against a live `tessera serve`, and through raw HTTP for
Jira's error shapes; every new route answers another organization's ids as missing ones."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from atlassian import Jira
from fastapi.testclient import TestClient
from jira import JIRA

from tests.api.jira.conftest import jira_as
from tests.factories.outbox import events
from tests.support import OrgHandle, UserHandle, fetch_rows

API = "/rest/api/2"


@pytest.fixture
def atlassian(jira_url: str, org: OrgHandle) -> Iterator[Jira]:
    client = Jira(url=jira_url, username=org.admin_email, password=org.token, cloud=False)
    yield client
    client.close()


def _json(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errorMessages", "errors"}, body
    return body


# Null and string values --------------------------------------------------------------------

def test_version_nulls_leave_or_clear_as_jira_does(rest: httpx.Client, project: dict) -> None:
    made = _json(rest.post(f"{API}/version", json={"name": "1.0", "project": "WEB", "description": "First",
                                                   "releaseDate": "2026-03-01", "released": "true"}), 201)
    assert made["released"] is True and made["releaseDate"] == "2026-03-01"
    # A null name, description or flag is left as it is; a null date is cleared (Jira's beans).
    kept = _json(rest.put(f"{API}/version/{made['id']}", json={"name": None, "description": None,
                                                                "released": None, "releaseDate": None}))
    assert (kept["name"], kept["description"], kept["released"]) == ("1.0", "First", True)
    assert "releaseDate" not in kept
    # Strings for booleans, numbers for text, as Jira's reader coerces them.
    renamed = _json(rest.put(f"{API}/version/{made['id']}", json={"name": 2, "archived": "TRUE",
                                                                   "released": "false"}))
    assert (renamed["name"], renamed["archived"], renamed["released"]) == ("2", True, False)
    assert _error(rest.put(f"{API}/version/{made['id']}", json={"name": ""}), 400)["errors"]["name"]
    assert _error(rest.put(f"{API}/version/{made['id']}", json={"released": "yes"}), 400)["errors"] == {
        "released": "'released' must be true or false."}
    assert _error(rest.put(f"{API}/version/{made['id']}", json={"name": {"a": 1}}), 400)["errors"]["name"]


def test_component_lead_null_clears_and_filter_favourite_as_text(rest: httpx.Client, project: dict) -> None:
    me = _json(rest.get(f"{API}/myself"))
    part = _json(rest.post(f"{API}/component", json={"name": "Cart", "project": "WEB",
                                                     "leadUserName": me["name"]}), 201)
    assert part["lead"]["name"] == me["name"]
    cleared = _json(rest.put(f"{API}/component/{part['id']}", json={"leadUserName": None, "name": None}))
    assert "lead" not in cleared or cleared["lead"] is None
    assert cleared["name"] == "Cart"
    saved = _json(rest.post(f"{API}/filter", json={"name": "Mine", "jql": "project = WEB", "favourite": "true"}))
    assert saved["favourite"] is True
    saved = _json(rest.put(f"{API}/filter/{saved['id']}", json={"favourite": "False"}))
    assert saved["favourite"] is False
    assert _error(rest.put(f"{API}/filter/{saved['id']}", json={"favourite": "sometimes"}), 400)["errors"] == {
        "favourite": "'favourite' must be true or false."}
    sprintless = _error(rest.post(f"{API}/filter", json={"name": ["x"], "jql": "project = WEB"}), 400)
    assert "name" in sprintless["errors"]


# Projects and versions ------------------------------------------------------------------------

def test_project_update_and_delete(jira: JIRA, atlassian: Jira, rest: httpx.Client, client: TestClient,
                                   org: OrgHandle, member: UserHandle, project: dict, database_url: str) -> None:
    updated = atlassian.update_project("WEB", {"name": "Web store", "description": "Shop", "lead": None})
    assert (updated["name"], updated["description"], updated["key"]) == ("Web store", "Shop", "WEB")
    assert jira.project("WEB").name == "Web store"
    assert _error(rest.put(f"{API}/project/WEB", json={"key": "SHOP"}), 400)["errors"]["key"]
    assert _error(rest.put(f"{API}/project/WEB", json={"projectTypeKey": "spaceship"}), 400)["errors"] == {
        "projectTypeKey": "projectTypeKey is software, business or service_desk."}
    issue = jira.create_issue(project="WEB", summary="Gone soon", issuetype={"name": "Task"})
    jira.add_attachment(issue.key, io.BytesIO(b"bytes"), filename="a.txt")
    used = "SELECT used_bytes FROM organization_storage WHERE organization_id = :org"
    assert fetch_rows(database_url, used, {"org": org.organization_id})[0]["used_bytes"] == 5
    headers = {"Authorization": f"Bearer {member.token}"}
    assert client.delete(f"{API}/project/WEB", headers=headers).status_code == 403
    atlassian.delete_project("WEB")
    assert _error(rest.get(f"{API}/project/WEB"), 404)["errorMessages"]
    assert rest.get(f"{API}/issue/{issue.key}").status_code == 404
    assert fetch_rows(database_url, used, {"org": org.organization_id})[0]["used_bytes"] == 0  # quota released
    [deleted] = [e["payload"] for e in events(database_url, org, "project_deleted")]
    assert (deleted["project_key"], deleted["issue_count"]) == ("WEB", 1)


def test_versions_move_count_and_page(jira: JIRA, atlassian: Jira, rest: httpx.Client, project: dict) -> None:
    made = {name: jira.create_version(name, "WEB") for name in ("1.0", "1.1", "2.0")}
    assert [v.name for v in jira.project_versions("WEB")] == ["1.0", "1.1", "2.0"]
    jira.move_version(made["2.0"].id, position="First")
    atlassian.move_version(made["1.0"].id, after=made["1.1"].id)
    assert [v.name for v in jira.project_versions("WEB")] == ["2.0", "1.1", "1.0"]
    _json(rest.post(f"{API}/version/{made['1.0'].id}/move", json={"position": "Earlier"}))
    assert [v["name"] for v in _json(rest.get(f"{API}/project/WEB/versions"))] == ["2.0", "1.0", "1.1"]
    assert _error(rest.post(f"{API}/version/{made['1.0'].id}/move", json={"position": "Sideways"}), 400)["errors"]

    done = jira.create_issue(project="WEB", summary="Fixed", issuetype={"name": "Bug"},
                             fixVersions=[{"name": "1.1"}], versions=[{"name": "1.0"}])
    jira.create_issue(project="WEB", summary="Open", issuetype={"name": "Bug"}, fixVersions=[{"name": "1.1"}])
    jira.transition_issue(done, "Done")
    related = jira.version_count_related_issues(made["1.1"].id)
    assert (related["issuesFixedCount"], related["issuesAffectedCount"]) == (2, 0)
    assert jira.version_count_related_issues(made["1.0"].id)["issuesAffectedCount"] == 1
    assert jira.version_count_unresolved_issues(made["1.1"].id) == 1

    paged = atlassian.get_project_versions_paginated("WEB", start=1, limit=1)
    assert (paged["total"], paged["startAt"], paged["isLast"], [v["name"] for v in paged["values"]]) == (
        3, 1, False, ["1.0"])
    jira.version(made["2.0"].id).update(released=True)
    released = _json(rest.get(f"{API}/project/WEB/version", params={"status": "released"}))
    assert [v["name"] for v in released["values"]] == ["2.0"]
    by_name = _json(rest.get(f"{API}/project/WEB/version", params={"orderBy": "-name", "query": "1."}))
    assert [v["name"] for v in by_name["values"]] == ["1.1", "1.0"]
    assert _error(rest.get(f"{API}/project/WEB/version", params={"orderBy": "colour"}), 400)["errors"]


# Groups and users -----------------------------------------------------------------------------

def test_groups_through_both_clients(jira: JIRA, atlassian: Jira, rest: httpx.Client, client: TestClient,
                                     member: UserHandle, viewer: UserHandle) -> None:
    atlassian.create_group("release-managers")
    jira.add_group("qa")
    assert jira.groups() == ["qa", "release-managers"]
    picked = atlassian.get_groups(query="RELEASE")
    assert picked["total"] == 1 and picked["groups"][0]["html"] == "<b>release</b>-managers"
    atlassian.add_user_to_group(username=member.email, group_name="release-managers")
    jira.add_user_to_group(viewer.email, "release-managers")
    assert set(jira.group_members("release-managers")) == {member.email, viewer.email}
    page = atlassian.get_all_users_from_group("release-managers", start=1, limit=1)
    assert (page["total"], len(page["values"]), page["isLast"]) == (2, 1, True)
    again = rest.post(f"{API}/group/user", params={"groupname": "release-managers"}, json={"name": member.email})
    assert "already a member" in _error(again, 400)["errorMessages"][0]
    assert _error(rest.post(f"{API}/group", json={"name": "QA"}), 400)["errors"]["name"]
    assert _error(rest.post(f"{API}/group", json={"name": None}), 400)["errors"] == {
        "name": "You must specify a group name."}
    assert client.post(f"{API}/group", json={"name": "mine"}, headers=member.headers).status_code == 403
    jira.remove_user_from_group(viewer.email, "release-managers")
    assert list(jira.group_members("release-managers")) == [member.email]
    # JQL's membersOf reads the same groups.
    assert rest.get(f"{API}/search", params={"jql": 'assignee in membersOf("release-managers")'}).status_code == 200
    atlassian.remove_group("release-managers")
    assert _error(rest.get(f"{API}/group/member", params={"groupname": "release-managers"}), 404)["errorMessages"]
    assert _error(rest.get(f"{API}/group/member"), 400)["errors"] == {
        "groupname": "The groupname query parameter was not provided."}


def test_assignable_users_with_only_a_project_and_across_projects(
        jira: JIRA, atlassian: Jira, rest: httpx.Client, client: TestClient, org: OrgHandle, member: UserHandle,
        viewer: UserHandle, project: dict) -> None:
    everyone = {u["name"] for u in atlassian.get_all_assignable_users_for_project("WEB")}
    assert {org.admin_email, member.email} <= everyone and viewer.email not in everyone  # viewers only browse
    private = client.post("/v2/projects", json={"key": "OPS", "name": "Ops", "access": "private"},
                          headers=org.headers)
    assert private.status_code == 201, private.text
    both = {u.name for u in jira.search_assignable_users_for_projects("", "WEB,OPS")}
    assert org.admin_email in both and member.email not in both  # not a member of the private project
    found = jira.search_assignable_users_for_issues(username=member.email[:6], project="WEB")
    assert [u.name for u in found] == [member.email]
    issue = jira.create_issue(project="WEB", summary="Assign me", issuetype={"name": "Task"})
    assert member.email in {u["name"] for u in _json(rest.get(f"{API}/user/assignable/search",
                                                               params={"issueKey": issue.key}))}
    assert _error(rest.get(f"{API}/user/assignable/search"), 400)["errors"]["project"]
    assert _error(rest.get(f"{API}/user/assignable/search", params={"project": "NOPE"}), 404)["errorMessages"]


def test_user_avatars_exist_in_every_size(jira: JIRA, rest: httpx.Client, jira_url: str,
                                          other_org: OrgHandle) -> None:
    urls = jira.myself()["avatarUrls"]
    assert set(urls) == {"48x48", "32x32", "24x24", "16x16"}
    for size, url in urls.items():
        assert url.startswith(jira_url + "/rest/api/2/useravatar?")
        response = rest.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
        pixels = size.split("x")[0]
        assert f'width="{pixels}"' in response.text and "<text" in response.text
    assert _error(rest.get(f"{API}/useravatar", params={"accountId": jira.myself()["accountId"],
                                                         "size": "huge"}), 400)["errors"]["size"]
    with httpx.Client(base_url=jira_url, auth=(other_org.admin_email, other_org.token)) as stranger:
        assert _error(stranger.get(urls["48x48"]), 404)["errorMessages"]


# Issues: remote links, properties, attachments, metadata --------------------------------------

def test_remote_link_deleted_by_global_id(jira: JIRA, rest: httpx.Client, issue) -> None:  # type: ignore[no-untyped-def]
    jira.add_simple_link(issue.key, {"url": "https://ci.test/1", "title": "Build 1"})
    rest.post(f"{API}/issue/{issue.key}/remotelink", json={"globalId": "build=2",
                                                            "object": {"url": "https://ci.test/2", "title": "B2"}})
    assert rest.delete(f"{API}/issue/{issue.key}/remotelink", params={"globalId": "build=2"}).status_code == 204
    assert [link.object.title for link in jira.remote_links(issue.key)] == ["Build 1"]
    assert _error(rest.delete(f"{API}/issue/{issue.key}/remotelink", params={"globalId": "build=2"}), 404)
    assert _error(rest.delete(f"{API}/issue/{issue.key}/remotelink"), 400)["errors"] == {
        "globalId": "The globalId query parameter is required."}


def test_issue_properties(atlassian: Jira, rest: httpx.Client, client: TestClient, viewer: UserHandle,
                          issue) -> None:  # type: ignore[no-untyped-def]
    key = issue.key
    assert rest.put(f"{API}/issue/{key}/properties/support.ticket", json={"id": 42, "tags": ["vip"]}
                    ).status_code == 201
    atlassian.set_issue_property(key, "build", {"green": True})
    assert rest.put(f"{API}/issue/{key}/properties/build", json=[1, 2]).status_code == 200
    assert [k["key"] for k in atlassian.get_issue_property_keys(key)["keys"]] == ["build", "support.ticket"]
    assert atlassian.get_issue_property(key, "support.ticket") == {"key": "support.ticket",
                                                                   "value": {"id": 42, "tags": ["vip"]}}
    assert atlassian.get_issue_property(key, "build")["value"] == [1, 2]
    assert client.put(f"{API}/issue/{key}/properties/x", json=1, headers=viewer.headers).status_code == 403
    assert client.get(f"{API}/issue/{key}/properties/build", headers=viewer.headers).status_code == 200
    atlassian.delete_issue_property(key, "build")
    assert _error(rest.get(f"{API}/issue/{key}/properties/build"), 404)["errorMessages"]
    assert _error(rest.put(f"{API}/issue/{key}/properties/empty", content=b"null",
                           headers={"Content-Type": "application/json"}), 400)["errors"]["value"]
    assert _error(rest.put(f"{API}/issue/{key}/properties/{'k' * 256}", json=1), 400)["errors"]["propertyKey"]


def test_attachment_expansion_lists_an_archive(jira: JIRA, atlassian: Jira, rest: httpx.Client,
                                               issue) -> None:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("docs/readme.txt", "hello")
        archive.writestr("docs/", "")
        archive.writestr("logo.png", b"\x89PNG" + b"0" * 2000)
    zipped = jira.add_attachment(issue.key, io.BytesIO(buffer.getvalue()), filename="bundle.zip")
    human = atlassian.get_attachment_expand_human(zipped.id)
    assert (human["name"], human["totalEntryCount"]) == ("bundle.zip", 2)
    assert [(e["path"], e["label"], e["mediaType"]) for e in human["entries"]] == [
        ("docs/readme.txt", "readme.txt", "text/plain"), ("logo.png", "logo.png", "image/png")]
    assert human["entries"][1]["size"] == "2 kB"
    raw = atlassian.get_attachment_expand_raw(zipped.id)
    assert raw["entries"][0] == {"entryIndex": 0, "name": "docs/readme.txt", "size": 5, "mediaType": "text/plain"}
    assert len(_json(rest.get(f"{API}/attachment/{zipped.id}/expand/raw", params={"maxEntries": 1}))["entries"]) == 1
    plain = jira.add_attachment(issue.key, io.BytesIO(b"just text"), filename="notes.txt")
    assert _error(rest.get(f"{API}/attachment/{plain.id}/expand/human"), 409)["errorMessages"]


def test_create_and_edit_meta_list_the_epic_fields(jira: JIRA, rest: httpx.Client, project: dict) -> None:
    fields = {kind.name: {f.fieldId: f.raw for f in jira.project_issue_fields("WEB", kind.id)}
              for kind in jira.project_issue_types("WEB")}
    assert fields["Epic"]["customfield_9997"]["name"] == "Epic Name" and "customfield_9998" not in fields["Epic"]
    assert fields["Story"]["customfield_9998"]["name"] == "Epic Link" and "customfield_9997" not in fields["Story"]
    assert "customfield_9998" not in fields["Sub-task"] and "customfield_9997" not in fields["Sub-task"]
    old_form = _json(rest.get(f"{API}/issue/createmeta", params={"projectKeys": "WEB",
                                                                  "expand": "projects.issuetypes.fields"}))
    assert {t["name"]: "customfield_9998" in t["fields"] for t in old_form["projects"][0]["issuetypes"]}["Bug"]
    epic = jira.create_issue(project="WEB", issuetype={"name": "Epic"}, customfield_9997="Checkout")
    story = jira.create_issue(project="WEB", summary="Pay", issuetype={"name": "Story"},
                              customfield_9998=epic.key)
    edit = jira.editmeta(story.key)["fields"]
    assert edit["customfield_9998"]["schema"]["custom"].endswith("gh-epic-link")
    assert "customfield_9997" in jira.editmeta(epic.key)["fields"]


# Dashboards and JQL ---------------------------------------------------------------------------

def test_dashboards_and_jql_autocomplete_data(jira: JIRA, atlassian: Jira, rest: httpx.Client, client: TestClient,
                                              org: OrgHandle, project: dict) -> None:
    made = [client.post("/v2/dashboards", json={"name": name}, headers=org.headers).json()
            for name in ("Team", "Ops", "Release")]
    listed = jira.dashboards(maxResults=2)
    assert [d.name for d in listed] == ["Ops", "Release"] and listed.total == 3
    assert jira.dashboard(str(made[0]["id"])).name == "Team"
    page = atlassian.get_dashboards(filter="my", start=2, limit=2)
    assert [d["name"] for d in page["dashboards"]] == ["Team"] and "prev" in page and "next" not in page
    assert _error(rest.get(f"{API}/dashboard/99999999"), 404)["errorMessages"]

    data = _json(rest.get(f"{API}/jql/autocompletedata"))
    names = {f["value"]: f for f in data["visibleFieldNames"]}
    assert names["project"]["operators"][:2] == ["=", "!="] and names["project"]["searchable"] == "true"
    assert any(f["value"] == "currentUser()" for f in data["visibleFunctionNames"])
    assert "and" in data["jqlReservedWords"]
    suggested = _json(rest.get(f"{API}/jql/autocompletedata/suggestions",
                               params={"fieldName": "project", "fieldValue": "WE"}))
    assert {"value": "WEB", "displayName": "Web shop (WEB)"} in suggested["results"] or \
        any(r["value"] == "WEB" for r in suggested["results"])
    assert _json(rest.get(f"{API}/jql/autocompletedata/suggestions"))["results"] == []
    assert _error(rest.get(f"{API}/jql/autocompletedata/suggestions", params={"fieldName": "nosuch"}), 400)


# Tenancy --------------------------------------------------------------------------------------

def test_another_organization_sees_none_of_it(jira_url: str, org: OrgHandle, other_org: OrgHandle,
                                              client: TestClient, project: dict) -> None:
    mine = jira_as(jira_url, org)
    issue = mine.create_issue(project="WEB", summary="Secret", issuetype={"name": "Task"})
    version = mine.create_version("9.9", "WEB")
    mine.add_attachment(issue.key, io.BytesIO(b"x"), filename="x.txt")
    attachment = mine.issue(issue.key).fields.attachment[0].id
    client.put(f"{API}/issue/{issue.key}/properties/p", json=1, headers=org.headers)
    client.post(f"{API}/issue/{issue.key}/remotelink", json={"globalId": "g", "object": {"url": "https://x.test",
                                                                                          "title": "x"}},
                headers=org.headers)
    client.post(f"{API}/group", json={"name": "secret-group"}, headers=org.headers)
    dashboard = client.post("/v2/dashboards", json={"name": "Private"}, headers=org.headers).json()["id"]
    h = other_org.headers
    for method, path, kwargs in [
            ("put", f"{API}/project/WEB", {"json": {"name": "Mine now"}}), ("delete", f"{API}/project/WEB", {}),
            ("get", f"{API}/project/WEB/version", {}),
            ("post", f"{API}/version/{version.id}/move", {"json": {"position": "First"}}),
            ("get", f"{API}/version/{version.id}/relatedIssueCounts", {}),
            ("get", f"{API}/version/{version.id}/unresolvedIssueCount", {}),
            ("get", f"{API}/issue/{issue.key}/properties", {}), ("get", f"{API}/issue/{issue.key}/properties/p", {}),
            ("put", f"{API}/issue/{issue.key}/properties/p", {"json": 2}),
            ("delete", f"{API}/issue/{issue.key}/properties/p", {}),
            ("delete", f"{API}/issue/{issue.key}/remotelink?globalId=g", {}),
            ("get", f"{API}/attachment/{attachment}/expand/human", {}),
            ("get", f"{API}/attachment/{attachment}/expand/raw", {}),
            ("get", f"{API}/dashboard/{dashboard}", {}),
            ("get", f"{API}/group/member?groupname=secret-group", {}),
            ("get", f"{API}/group?groupname=secret-group", {}),
            ("delete", f"{API}/group?groupname=secret-group", {}),
            ("post", f"{API}/group/user?groupname=secret-group", {"json": {"name": other_org.admin_email}}),
            ("get", f"{API}/useravatar?accountId={org.admin_user_id}", {}),
            ("get", f"{API}/user/assignable/search?project=WEB", {}),
            ("get", f"{API}/user/assignable/multiProjectSearch?projectKeys=WEB", {})]:
        response = getattr(client, method)(path, headers=h, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert set(response.json()) == {"errorMessages", "errors"}
    assert client.get(f"{API}/groups/picker", params={"query": "secret"}, headers=h).json()["total"] == 0
    assert client.get(f"{API}/dashboard", headers=h).json()["total"] == 0
    assert mine.project("WEB").name == "Web shop" and mine.version(version.id).name == "9.9"
    assert client.get(f"{API}/issue/{issue.key}/properties/p", headers=org.headers).json()["value"] == 1
    mine.close()
