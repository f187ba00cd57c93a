"""/admin/fields: the custom fields with their type, context and options; creating one (a select
list with options, scoped to a project and an issue type), renaming it, changing its context and
adding options, with the service's refusals shown in place; audited; the context decides where
the API accepts the field; members get the 403 page, another organization's fields are 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import CSRF, open_session, sign_in_as
from tests.support import OrgHandle, make_user


def _types(web: TestClient, org: OrgHandle) -> dict[str, int]:
    return {t["name"]: t["id"] for t in web.get("/v2/issue-types", headers=org.headers).json()["issue_types"]}


def test_create_edit_and_add_options(web: TestClient, csrf: str, org: OrgHandle) -> None:
    project = web.post("/v2/projects", headers=org.headers, json={"key": "FLD", "name": "Fields"}).json()
    types = _types(web, org)
    listing = web.get("/admin/fields")
    assert listing.status_code == 200 and "Story Points" in listing.text and "All projects" in listing.text
    created = web.post("/admin/fields", data={
        "csrf_token": csrf, "name": "Customer tier", "field_type": "select", "options": "Gold\nSilver\n\n",
        f"project:{project['id']}": "1", f"type:{types['Bug']}": "1"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    url = created.headers["location"].split("?")[0]
    page = web.get(created.headers["location"])
    assert "The custom field is created." in page.text and "<code>customer_tier</code>" in page.text
    assert page.text.index("Gold") < page.text.index("Silver")
    assert f'name="project:{project["id"]}" value="1" checked' in page.text
    [field] = [f for f in web.get("/v2/fields", headers=org.headers).json()["fields"] if f.get("key") == "customer_tier"]
    assert field["project_ids"] == [project["id"]] and field["issue_type_ids"] == [types["Bug"]]
    assert "FLD; Bug" in web.get("/admin/fields").text

    added = web.post(f"{url}/options", data={"csrf_token": csrf, "value": "Bronze"}, follow_redirects=False)
    assert added.status_code == 303
    duplicate = web.post(f"{url}/options", data={"csrf_token": csrf, "value": "gold"})
    assert duplicate.status_code == 409 and "exists" in duplicate.text and 'value="gold"' in duplicate.text
    saved = web.post(url, data={"csrf_token": csrf, "name": "Customer level", "description": "From the CRM",
                                f"type:{types['Bug']}": "1", f"type:{types['Task']}": "1"}, follow_redirects=False)
    assert saved.status_code == 303
    [field] = [f for f in web.get("/v2/fields", headers=org.headers).json()["fields"] if f.get("key") == "customer_tier"]
    assert field["name"] == "Customer level" and field["project_ids"] == []
    assert sorted(field["issue_type_ids"]) == sorted([types["Bug"], types["Task"]])
    assert [o["value"] for o in field["options"]] == ["Gold", "Silver", "Bronze"]
    # The context decides: a Story is not offered the field.
    story = web.post("/v2/issues", headers=org.headers, json={
        "project_id": "FLD", "issue_type": "Story", "summary": "No tier here", "custom_fields": {"customer_tier": "Gold"}})
    assert story.status_code == 400, story.text
    bug = web.post("/v2/issues", headers=org.headers, json={
        "project_id": "FLD", "issue_type": "Bug", "summary": "Tiered", "custom_fields": {"customer_tier": "Gold"}})
    assert bug.status_code == 201, bug.text
    audit = web.get("/v2/audit", headers=org.headers, params={"object_type": "custom_field"}).json()["records"]
    assert [r["action"] for r in audit][:3] == ["custom_field.updated", "custom_field.option_added",
                                                "custom_field.created"]


def test_refusals_are_shown_in_place(web: TestClient, csrf: str, org: OrgHandle) -> None:
    no_options = web.post("/admin/fields", data={"csrf_token": csrf, "name": "Kept", "field_type": "select"})
    assert no_options.status_code == 400 and "at least one option" in no_options.text
    assert 'value="Kept"' in no_options.text and 'aria-invalid="true"' in no_options.text
    taken = web.post("/admin/fields", data={"csrf_token": csrf, "name": "story points", "field_type": "number"})
    assert taken.status_code == 409 and "exists" in taken.text
    bad_key = web.post("/admin/fields", data={"csrf_token": csrf, "name": "Odd", "key": "Bad Key",
                                              "field_type": "text"})
    assert bad_key.status_code == 400 and "lower-case letters" in bad_key.text
    bad_type = web.post("/admin/fields", data={"csrf_token": csrf, "name": "Odd", "field_type": "colour"})
    assert bad_type.status_code == 400 and "Field types are" in bad_type.text
    ghost = web.post("/admin/fields", data={"csrf_token": csrf, "name": "Ghost", "field_type": "text",
                                            "project:999999999": "1"})
    assert ghost.status_code == 400 and "does not exist" in ghost.text
    [points] = [f for f in web.get("/v2/fields", headers=org.headers).json()["fields"] if f.get("key") == "story_points"]
    url = f"/admin/fields/{points['numeric_id']}"
    nameless = web.post(url, data={"csrf_token": csrf, "name": ""})
    assert nameless.status_code == 400 and "needs a name" in nameless.text
    renamed = web.post(url, data={"csrf_token": csrf, "name": "Sprint"})
    assert renamed.status_code == 409 and "exists" in renamed.text
    not_select = web.post(f"{url}/options", data={"csrf_token": csrf, "value": "One"})
    assert not_select.status_code == 400 and "Only select fields have options." in not_select.text
    assert web.get("/admin/fields/999999999").status_code == 404
    assert web.get("/admin/fields/nonsense").status_code == 404


def test_members_and_other_organizations_are_kept_out(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                      database_url: str) -> None:
    theirs = [f for f in web.get("/v2/fields", headers=other_org.headers).json()["fields"] if f["custom"]][0]
    csrf = open_session(web, database_url, org)
    assert web.get(f"/admin/fields/{theirs['numeric_id']}").status_code == 404
    assert web.post(f"/admin/fields/{theirs['numeric_id']}", data={"csrf_token": csrf, "name": "Taken"}).status_code == 404
    assert web.post(f"/admin/fields/{theirs['numeric_id']}/options",
                    data={"csrf_token": csrf, "value": "X"}).status_code == 404
    assert f'href="/admin/fields/{theirs["numeric_id"]}"' not in web.get("/admin/fields").text
    sign_in_as(web, database_url, make_user(database_url, org, role="member"))
    assert web.get("/admin/fields").status_code == 403
    member_csrf = CSRF.search(web.get("/projects").text).group(1)  # type: ignore[union-attr]
    assert web.post("/admin/fields", data={"csrf_token": member_csrf, "name": "X",
                                           "field_type": "text"}).status_code == 403
