"""Projects, components, versions and the catalogs through the `jira` package."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from tests.support import OrgHandle


def test_fields_and_catalogs(jira: JIRA, project: dict) -> None:
    fields = {f["id"]: f for f in jira.fields()}
    assert fields["summary"]["schema"] == {"type": "string", "system": "summary"}
    assert "issuetype" in fields["issuetype"]["clauseNames"]
    points = next(f for f in fields.values() if f["name"] == "Story Points")
    number = int(points["id"].removeprefix("customfield_"))
    assert points["custom"] is True and points["schema"]["customId"] == number
    assert f"cf[{number}]" in points["clauseNames"]
    assert jira.search_issues(f"cf[{number}] > 3", json_result=True)["total"] == 0  # JQL knows the same id
    sprint = next(f for f in fields.values() if f["name"] == "Sprint")
    assert sprint["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-sprint"
    rank = next(f for f in fields.values() if f["name"] == "Rank")
    assert rank["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-lexo-rank"
    assert [p.name for p in jira.priorities()] == ["Highest", "High", "Medium", "Low", "Lowest"]
    statuses = {s.name: s for s in jira.statuses()}
    assert statuses["In Progress"].statusCategory.key == "indeterminate"
    assert statuses["Done"].statusCategory.colorName == "green"
    assert jira.status(statuses["Done"].id).name == "Done"
    assert {c.key for c in jira.statuscategories()} == {"undefined", "new", "indeterminate", "done"}
    assert {t.name for t in jira.issue_types()} >= {"Epic", "Story", "Task", "Bug", "Sub-task"}
    assert jira.issue_type_by_name("Sub-task").subtask is True
    assert "Fixed" in {r.name for r in jira.resolutions()}
    jira.create_issue(project="WEB", summary="Labelled", issuetype={"name": "Task"}, labels=["zeta", "alpha"])
    assert jira._get_json("label")["values"] == ["alpha", "zeta"]


def test_projects_components_and_versions(jira: JIRA, org: OrgHandle, project: dict) -> None:
    assert [p.key for p in jira.projects()] == ["WEB"]
    web = jira.project("WEB")
    assert web.name == "Web shop" and web.lead.name == org.admin_email and web.id == str(project["id"])
    assert {"Bug", "Story"} <= {t.name for t in web.issueTypes}
    assert set(jira.project_roles("WEB")) == {"Administrators", "Developers", "Users"}
    statuses = jira.issue_types_for_project("WEB")
    assert "Done" in {s.name for s in statuses[0].statuses}

    component = jira.create_component("Payments", "WEB", description="Card and wallet",
                                      leadUserName=org.admin_email)
    assert component.lead.name == org.admin_email and component.project == "WEB"
    version = jira.create_version("2.3", "WEB", releaseDate="2026-04-01")
    assert version.releaseDate == "2026-04-01" and version.released is False
    version.update(released=True)
    assert jira.version(version.id).released is True
    assert [c.name for c in jira.project_components("WEB")] == ["Payments"]
    assert [v.name for v in jira.project_versions("WEB")] == ["2.3"]
    issue = jira.create_issue(project="WEB", summary="Wallets", issuetype={"name": "Story"},
                              components=[{"id": component.id}], fixVersions=[{"name": "2.3"}])
    assert issue.fields.components[0].name == "Payments" and issue.fields.fixVersions[0].released is True
    component.delete()
    assert jira.project_components("WEB") == []

    created = jira.create_project("OPS", name="Operations", ptype="business")
    assert created["key"] == "OPS"
    assert jira.project("OPS").projectTypeKey == "business"
    with pytest.raises(JIRAError) as duplicate:
        jira.create_project("OPS")
    assert duplicate.value.status_code == 409
    with pytest.raises(JIRAError) as missing:
        jira.project("NOPE")
    assert missing.value.status_code == 404
    assert missing.value.response.json()["errorMessages"] == ["No project could be found with key 'NOPE'."]
