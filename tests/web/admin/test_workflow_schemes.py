"""/admin/workflow-schemes: the schemes with their default workflow and the projects using
them; creating one and mapping issue types to workflows, with the service's refusals shown in
place; audited; members get the 403 page and another organization's schemes are 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import CSRF, open_session, sign_in_as
from tests.support import OrgHandle, make_user

SMALL = {"name": "Small flow", "statuses": [{"name": "Open", "category": "todo"}, {"name": "Shut", "category": "done"}],
         "initial_status": "Open", "transitions": [{"id": "shut", "name": "Shut", "from": ["Open"], "to": "Shut"}]}


def test_create_map_and_use_a_scheme(web: TestClient, csrf: str, org: OrgHandle) -> None:
    small = web.post("/v2/workflows", headers=org.headers, json=SMALL).json()
    web.post("/v2/projects", headers=org.headers, json={"key": "SCH", "name": "Schemed"})
    listing = web.get("/admin/workflow-schemes")
    assert listing.status_code == 200 and 'href="/admin/workflow-schemes" class="active"' in listing.text
    assert "Software workflow scheme" in listing.text and 'href="/admin/projects/SCH"' not in listing.text
    assert "Projects without a scheme" in listing.text
    created = web.post("/admin/workflow-schemes", data={"csrf_token": csrf, "name": "Bugs apart",
                                                        "default_workflow": "default"}, follow_redirects=False)
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    page = web.get(created.headers["location"])
    assert "The workflow scheme is created." in page.text and "No project uses this scheme." in page.text
    types = {t["name"]: t["id"] for t in web.get("/v2/issue-types", headers=org.headers).json()["issue_types"]}
    saved = web.post(url, data={"csrf_token": csrf, "name": "Bugs apart", "default_workflow": "default",
                                f"type:{types['Bug']}": small["key"]}, follow_redirects=False)
    assert saved.status_code == 303
    [scheme] = [s for s in web.get("/v2/workflow-schemes", headers=org.headers).json()["workflow_schemes"]
                if s["name"] == "Bugs apart"]
    assert scheme["mappings"] == {str(types["Bug"]): small["id"]}
    shown = web.get(url)
    assert f'<option value="{small["key"]}" selected>' in shown.text
    # The project uses it from its settings page; new bugs follow the small workflow.
    assigned = web.put("/v2/projects/SCH/workflow-scheme", headers=org.headers,
                       json={"workflow_scheme_id": scheme["id"]})
    assert assigned.status_code == 200, assigned.text
    assert 'href="/admin/projects/SCH">Schemed (SCH)</a>' in web.get(url).text
    bug = web.post("/v2/issues", headers=org.headers, json={"project_id": "SCH", "issue_type": "Bug",
                                                            "summary": "Follows the small flow"}).json()
    assert bug["status"]["name"] == "Open"
    audit = web.get("/v2/audit", headers=org.headers, params={"object_type": "workflow_scheme"}).json()["records"]
    assert [r["action"] for r in audit][:2] == ["workflow_scheme.updated", "workflow_scheme.created"]


def test_refusals_are_shown_in_place(web: TestClient, csrf: str, org: OrgHandle) -> None:
    nameless = web.post("/admin/workflow-schemes", data={"csrf_token": csrf, "name": " ", "default_workflow": "default"})
    assert nameless.status_code == 400 and "needs a name" in nameless.text and 'aria-invalid="true"' in nameless.text
    taken = web.post("/admin/workflow-schemes", data={"csrf_token": csrf, "name": "Software workflow scheme",
                                                      "default_workflow": "default"})
    assert taken.status_code == 409 and "exists" in taken.text
    nowhere = web.post("/admin/workflow-schemes", data={"csrf_token": csrf, "name": "Kept name",
                                                        "default_workflow": "no_such_flow"})
    assert nowhere.status_code == 400 and "does not exist" in nowhere.text and 'value="Kept name"' in nowhere.text
    [scheme] = [s for s in web.get("/v2/workflow-schemes", headers=org.headers).json()["workflow_schemes"]
                if s["name"] == "Software workflow scheme"]
    url = f"/admin/workflow-schemes/{scheme['id']}"
    other = web.post("/admin/workflow-schemes", data={"csrf_token": csrf, "name": "Second",
                                                      "default_workflow": "default"}, follow_redirects=False)
    renamed = web.post(other.headers["location"].split("?")[0], data={
        "csrf_token": csrf, "name": "Software workflow scheme", "default_workflow": "default"})
    assert renamed.status_code == 409 and "exists" in renamed.text
    types = web.get("/v2/issue-types", headers=org.headers).json()["issue_types"]
    bad_type = web.post(url, data={"csrf_token": csrf, "name": scheme["name"], "default_workflow": "default",
                                   f"type:{types[0]['id']}": "no_such_flow"})
    assert bad_type.status_code == 400 and f'id="scheme-mappings.{types[0]["id"]}-error"' in bad_type.text
    assert web.get("/admin/workflow-schemes/999999999").status_code == 404
    assert web.get("/admin/workflow-schemes/nonsense").status_code == 404


def test_members_and_other_organizations_are_kept_out(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                      database_url: str) -> None:
    [theirs] = web.get("/v2/workflow-schemes", headers=other_org.headers).json()["workflow_schemes"][:1]
    csrf = open_session(web, database_url, org)
    assert web.get(f"/admin/workflow-schemes/{theirs['id']}").status_code == 404
    assert web.post(f"/admin/workflow-schemes/{theirs['id']}", data={
        "csrf_token": csrf, "name": "Taken over", "default_workflow": "default"}).status_code == 404
    assert f'href="/admin/workflow-schemes/{theirs["id"]}"' not in web.get("/admin/workflow-schemes").text
    sign_in_as(web, database_url, make_user(database_url, org, role="member"))
    assert web.get("/admin/workflow-schemes").status_code == 403
    member_csrf = CSRF.search(web.get("/projects").text).group(1)  # type: ignore[union-attr]
    assert web.post("/admin/workflow-schemes", data={"csrf_token": member_csrf, "name": "X",
                                                     "default_workflow": "default"}).status_code == 403
