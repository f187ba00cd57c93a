"""Issues through the real `jira` package: create, get (fields, expand), edit with fields and
update verbs, assign, delete, create and edit metadata; server info and users."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from jira import JIRA, JIRAError

from tests.support import OrgHandle, UserHandle, make_user

JIRA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


def test_server_info_myself_and_users(jira: JIRA, org: OrgHandle, member: UserHandle) -> None:
    info = jira.server_info()
    assert info["deploymentType"] == "Server" and info["versionNumbers"][0] >= 9
    assert info["baseUrl"].startswith("http://127.0.0.1:")
    me = jira.myself()
    assert me["name"] == org.admin_email and me["emailAddress"] == org.admin_email
    assert jira.current_user() == org.admin_email
    found = jira.search_users(user=member.email[:5])
    assert [u.name for u in found] == [member.email]
    assert found[0].accountId == str(member.user_id) and found[0].active is True
    assert jira.user(member.email).displayName == found[0].displayName
    with pytest.raises(JIRAError) as missing:
        jira.user("nobody@nowhere.test")
    assert missing.value.status_code == 404


def test_create_get_and_the_issue_json(jira: JIRA, project: dict, member: UserHandle) -> None:
    points = next(f["id"] for f in jira.fields() if f["name"] == "Story Points")
    epic = jira.create_issue(project="WEB", summary="Checkout", issuetype={"name": "Epic"})
    issue = jira.create_issue(fields={
        "project": {"key": "WEB"}, "summary": "Card payment fails", "issuetype": {"name": "Bug"},
        "description": "Steps:\n\n1. pay", "priority": {"name": "High"}, "labels": ["payments", "checkout"],
        "assignee": {"name": member.email}, "duedate": "2026-03-31", "parent": {"key": epic.key},
        points: 5})
    fields = issue.fields
    assert issue.key == "WEB-2" and issue.id.isdigit()
    assert issue.self.endswith(f"/rest/api/2/issue/{issue.id}")
    assert fields.summary == "Card payment fails" and fields.issuetype.name == "Bug"
    assert fields.status.name == "To Do" and fields.status.statusCategory.key == "new"
    assert fields.priority.name == "High" and fields.resolution is None
    assert fields.assignee.name == member.email and fields.assignee.emailAddress == member.email
    assert fields.reporter.name == fields.creator.name == jira.current_user()
    assert sorted(fields.labels) == ["checkout", "payments"] and fields.duedate == "2026-03-31"
    assert fields.parent.key == epic.key and fields.project.key == "WEB"
    assert JIRA_TIME.match(fields.created) and JIRA_TIME.match(fields.updated)
    assert fields.watches.watchCount == 2 and fields.watches.isWatching is True  # reporter and assignee
    assert fields.comment.total == 0 and fields.votes.votes == 0
    assert issue.raw["fields"][points] == 5

    narrow = jira.issue(issue.key, fields="summary,status", expand="names,renderedFields,changelog,transitions")
    assert set(narrow.raw["fields"]) == {"summary", "status"}
    assert narrow.raw["names"] == {"summary": "Summary", "status": "Status"}
    assert "<ol>" in narrow.raw["renderedFields"]["description"]
    assert narrow.raw["changelog"]["total"] == 0
    assert [t["name"] for t in narrow.raw["transitions"]][:1] == ["In Progress"]
    assert jira.issue(issue.id).key == issue.key  # by id too


def test_edit_with_fields_update_verbs_and_kwargs(jira: JIRA, project: dict, member: UserHandle,
                                                   client: TestClient, org: OrgHandle) -> None:
    for name in ("API", "UI"):
        assert client.post("/v2/projects/WEB/components", json={"name": name}, headers=org.headers).status_code == 201
    assert client.post("/v2/projects/WEB/versions", json={"name": "1.0"}, headers=org.headers).status_code == 201
    issue = jira.create_issue(project="WEB", summary="Slow search", issuetype={"name": "Task"},
                              labels=["perf", "blocker"], components=[{"name": "API"}])
    issue.update(fields={"summary": "Slow search on mobile", "priority": {"name": "Highest"}},
                 update={"labels": [{"add": "triaged"}, {"remove": "blocker"}],
                         "components": [{"add": {"name": "UI"}}, {"remove": {"name": "API"}}],
                         "fixVersions": [{"set": [{"name": "1.0"}]}],
                         "comment": [{"add": {"body": "Triaged in standup"}}]})
    assert issue.fields.summary == "Slow search on mobile" and issue.fields.priority.name == "Highest"
    assert sorted(issue.fields.labels) == ["perf", "triaged"]
    assert [c.name for c in issue.fields.components] == ["UI"]
    assert [v.name for v in issue.fields.fixVersions] == ["1.0"]
    assert [c.body for c in issue.fields.comment.comments] == ["Triaged in standup"]
    issue.update(assignee=member.email, labels=[{"add": "mobile"}], description="Only on phones")
    assert issue.fields.assignee.name == member.email and "mobile" in issue.fields.labels
    issue.add_field_value("labels", "ux")
    assert "ux" in jira.issue(issue.key).fields.labels
    assert jira.assign_issue(issue.key, None) and jira.issue(issue.key).fields.assignee is None
    assert jira.assign_issue(issue.key, member.email)
    assert jira.issue(issue.key).fields.assignee.name == member.email
    history = jira.issue(issue.key, expand="changelog").changelog
    changed = {item.field for h in history.histories for item in h.items}
    assert {"summary", "labels", "assignee"} <= {name.lower() for name in changed}

    with pytest.raises(JIRAError) as bad:
        issue.update(fields={"summary": "Renamed", "security": {"id": "1"}, "environment": "prod"})
    assert bad.value.status_code == 400
    errors = bad.value.response.json()["errors"]
    assert set(errors) == {"environment"}
    with pytest.raises(JIRAError) as bad:  # a project without an issue security scheme
        issue.update(fields={"security": {"id": "1"}})
    errors = bad.value.response.json()["errors"]
    assert set(errors) == {"security"} and "cannot be set" in errors["security"]
    with pytest.raises(JIRAError) as bad:
        issue.update(fields={"priority": {"name": "Urgent"}})
    assert list(bad.value.response.json()["errors"]) == ["priority"]
    with pytest.raises(JIRAError) as bad:
        issue.update(fields={"summary": ""})
    assert bad.value.response.json() == {"errorMessages": [], "errors": {
        "summary": "You must specify a summary of the issue."}}
    assert jira.issue(issue.key).fields.summary == "Slow search on mobile"  # nothing changed


def test_create_errors_are_per_field_and_delete_needs_delete_subtasks(jira: JIRA, project: dict) -> None:
    with pytest.raises(JIRAError) as bad:
        jira.create_issue(fields={"project": {"key": "WEB"}, "issuetype": {"name": "Bug"}, "assignee": {
            "name": "ghost@nowhere.test"}})
    assert bad.value.status_code == 400
    assert bad.value.response.json() == {"errorMessages": [], "errors": {
        "summary": "You must specify a summary of the issue.",
        "assignee": "User 'ghost@nowhere.test' does not exist."}}
    parent = jira.create_issue(project="WEB", summary="Parent", issuetype={"name": "Story"})
    child = jira.create_issue(project="WEB", summary="Child", issuetype={"name": "Sub-task"},
                              parent={"key": parent.key})
    assert [s.key for s in jira.issue(parent.key).fields.subtasks] == [child.key]
    with pytest.raises(JIRAError) as refused:
        parent.delete()
    assert refused.value.status_code == 400
    parent.delete(deleteSubtasks=True)
    for key in (parent.key, child.key):
        with pytest.raises(JIRAError) as gone:
            jira.issue(key)
        assert gone.value.status_code == 404
        assert gone.value.response.json()["errorMessages"] == [
            "Issue does not exist or you do not have permission to see it."]


def test_create_and_edit_metadata(jira: JIRA, project: dict) -> None:
    types = jira.project_issue_types("WEB")
    assert {"Bug", "Story", "Epic", "Sub-task", "Task"} <= {t.name for t in types}
    bug = next(t for t in types if t.name == "Bug")
    fields = {f.fieldId: f for f in jira.project_issue_fields("WEB", bug.id, maxResults=100)}
    assert fields["summary"].required is True and fields["description"].required is False
    assert {p.name for p in fields["priority"].allowedValues} >= {"High", "Low"}
    assert any(f.name == "Story Points" for f in fields.values())
    issue = jira.create_issue(project="WEB", summary="Meta", issuetype={"name": "Bug"})
    edit = jira.editmeta(issue.key)["fields"]
    assert edit["labels"]["operations"] == ["add", "set", "remove"] and "project" not in edit


def test_a_viewer_cannot_create_and_a_stranger_cannot_log_in(jira_url: str, database_url: str, org: OrgHandle,
                                                             project: dict) -> None:
    from tests.api.jira.conftest import jira_as

    viewer = jira_as(jira_url, make_user(database_url, org, role="viewer"))
    with pytest.raises(JIRAError) as refused:
        viewer.create_issue(project="WEB", summary="Nope", issuetype={"name": "Bug"})
    assert refused.value.status_code in (400, 403)
    with pytest.raises(JIRAError) as stranger:
        JIRA(server=jira_url, basic_auth=(org.admin_email, "wrong-token"), max_retries=0).myself()
    assert stranger.value.status_code == 401
    assert stranger.value.response.json()["errorMessages"]
