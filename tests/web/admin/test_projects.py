"""/admin/projects: create (errors in place), edit with the version check, archive, delete only
by typing the key and only without issues; components, versions (release on a date, archive,
delete) and role members; another organization's project is a 404 for every form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.web import open_session
from tests.support import OrgHandle, make_user


def _create(web: TestClient, csrf: str, **fields: str) -> str:
    response = web.post("/admin/projects/new", data={"csrf_token": csrf, **fields}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0]


def test_create_and_errors_in_place(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    assert "No projects yet." in web.get("/admin/projects").text
    form = web.get("/admin/projects/new")
    assert form.status_code == 200 and "Workflow scheme" in form.text
    lead = make_user(database_url, org)
    url = _create(web, csrf, key="ops", name="Operations <team>", project_type="business", lead=lead.email,
                  access="private")
    assert url == "/admin/projects/OPS"
    project = web.get("/v2/projects/OPS", headers=org.headers).json()
    assert project["name"] == "Operations <team>" and project["lead_id"] == lead.user_id
    assert project["project_type"] == "business" and project["access"] == "private"
    page = web.get(url)
    assert "Operations &lt;team&gt;" in page.text and lead.email in page.text
    listing = web.get("/admin/projects")
    assert "/admin/projects/OPS" in listing.text and "Live" in listing.text

    duplicate = web.post("/admin/projects/new", data={"csrf_token": csrf, "key": "OPS", "name": "Again"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text and 'value="Again"' in duplicate.text
    bad_key = web.post("/admin/projects/new", data={"csrf_token": csrf, "key": "1x", "name": "Kept"})
    assert bad_key.status_code == 400 and "A project key is 2-10" in bad_key.text
    assert 'aria-describedby="create-key-error"' in bad_key.text and 'value="Kept"' in bad_key.text
    bad_lead = web.post("/admin/projects/new", data={"csrf_token": csrf, "key": "LEAD", "name": "L",
                                                     "lead": "ghost@example.test"})
    assert bad_lead.status_code == 400 and "No user" in bad_lead.text and 'aria-describedby="create-lead-error"' in bad_lead.text
    bad_scheme = web.post("/admin/projects/new", data={"csrf_token": csrf, "key": "SCH", "name": "S",
                                                       "workflow_scheme": "999999"})
    assert bad_scheme.status_code == 400 and "Choose one of the workflow schemes." in bad_scheme.text
    assert web.get("/v2/projects/SCH", headers=org.headers).status_code == 404  # nothing half-made


def test_create_with_a_workflow_scheme(web: TestClient, csrf: str, org: OrgHandle) -> None:
    schemes = web.get("/v2/workflow-schemes", headers=org.headers).json()["workflow_schemes"]
    scheme = schemes[-1]
    _create(web, csrf, key="WFS", name="With scheme", workflow_scheme=str(scheme["id"]))
    page = web.get("/admin/projects/WFS")
    assert f'<option value="{scheme["id"]}" selected>' in page.text


def test_edit_archive_and_delete(web: TestClient, csrf: str, org: OrgHandle) -> None:
    url = _create(web, csrf, key="EDIT", name="Before")
    version = web.get("/v2/projects/EDIT", headers=org.headers).json()["version"]
    saved = web.post(url, data={"csrf_token": csrf, "version": str(version), "name": "After", "description": "d",
                                "project_type": "software", "access": "open", "lead": org.admin_email},
                     follow_redirects=False)
    assert saved.status_code == 303
    assert web.get("/v2/projects/EDIT", headers=org.headers).json()["name"] == "After"
    stale = web.post(url, data={"csrf_token": csrf, "version": str(version), "name": "Lost", "project_type": "software",
                                "access": "open"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text and 'value="Lost"' in stale.text
    for bad in ("١", "1.0", "99999999999999999999"):
        refused = web.post(url, data={"csrf_token": csrf, "version": bad, "name": "Kept", "project_type": "software",
                                      "access": "open"})
        assert refused.status_code == 400 and "reload the page" in refused.text, bad
    for path in ("/admin/projects/EDIT/components/１", "/admin/projects/EDIT/versions/1e3/delete"):
        assert web.post(path, data={"csrf_token": csrf, "name": "x"}).status_code == 404, path
    assert web.get("/admin/groups/１２").status_code == 404
    assert web.get("/admin/users?page=١").status_code == 200
    archived = web.post(f"{url}/archive", data={"csrf_token": csrf, "archived": "true"}, follow_redirects=False)
    assert archived.status_code == 303
    assert web.get("/v2/projects/EDIT", headers=org.headers).json()["archived"] is True
    assert "Archived" in web.get("/admin/projects").text
    web.post(f"{url}/archive", data={"csrf_token": csrf, "archived": "false"})
    assert web.get("/v2/projects/EDIT", headers=org.headers).json()["archived"] is False

    web.post("/v2/issues", headers=org.headers, json={"project_id": "EDIT", "issue_type": "Task", "summary": "x"})
    wrong = web.post(f"{url}/delete", data={"csrf_token": csrf, "confirm": "EDTI"})
    assert wrong.status_code == 400 and "Type the project&#39;s key, EDIT" in wrong.text
    in_use = web.post(f"{url}/delete", data={"csrf_token": csrf, "confirm": "edit"})
    assert in_use.status_code == 409 and "archive it instead" in in_use.text
    empty = _create(web, csrf, key="GONE", name="Soon gone")
    web.post(f"{empty}/components", data={"csrf_token": csrf, "name": "Part"})
    deleted = web.post(f"{empty}/delete", data={"csrf_token": csrf, "confirm": "GONE"}, follow_redirects=False)
    assert deleted.headers["location"] == "/admin/projects?done=deleted"
    assert web.get("/v2/projects/GONE", headers=org.headers).status_code == 404


def test_components_versions_and_roles(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    url = _create(web, csrf, key="PARTS", name="Parts")
    someone = make_user(database_url, org)
    assert web.post(f"{url}/components", data={"csrf_token": csrf, "name": "API", "lead": someone.email},
                    follow_redirects=False).status_code == 303
    component = web.get("/v2/projects/PARTS/components", headers=org.headers).json()["components"][0]
    assert component["lead_id"] == someone.user_id
    duplicate = web.post(f"{url}/components", data={"csrf_token": csrf, "name": "API"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    renamed = web.post(f"{url}/components/{component['id']}", data={"csrf_token": csrf, "name": "Backend",
                                                                   "lead": "", "description": "server"},
                       follow_redirects=False)
    assert renamed.status_code == 303
    changed = web.get("/v2/projects/PARTS/components", headers=org.headers).json()["components"][0]
    assert changed["name"] == "Backend" and changed["lead_id"] is None
    bad_lead = web.post(f"{url}/components/{component['id']}", data={"csrf_token": csrf, "name": "B", "lead": "nope"})
    assert bad_lead.status_code == 400 and f'aria-describedby="components-{component["id"]}-lead-error"' in bad_lead.text

    assert web.post(f"{url}/versions", data={"csrf_token": csrf, "name": "1.0", "start_date": "2026-01-05",
                                            "release_date": ""}, follow_redirects=False).status_code == 303
    bad_date = web.post(f"{url}/versions", data={"csrf_token": csrf, "name": "2.0", "release_date": "soon"})
    assert bad_date.status_code == 400 and "is not a date" in bad_date.text and 'value="2.0"' in bad_date.text
    version = web.get("/v2/projects/PARTS/versions", headers=org.headers).json()["versions"][0]
    web.post(f"{url}/versions/{version['id']}", data={"csrf_token": csrf, "released": "true",
                                                     "release_date": "2026-02-01"})
    released = web.get(f"/v2/versions/{version['id']}", headers=org.headers).json()
    assert released["released"] is True and released["release_date"] == "2026-02-01"
    web.post(f"{url}/versions/{version['id']}", data={"csrf_token": csrf, "archived": "true"})
    assert web.get(f"/v2/versions/{version['id']}", headers=org.headers).json()["archived"] is True
    page = web.get(url)
    assert "Archived" in page.text and "2026-02-01" in page.text
    web.post(f"{url}/versions/{version['id']}/delete", data={"csrf_token": csrf})
    assert web.get("/v2/projects/PARTS/versions", headers=org.headers).json()["versions"] == []

    added = web.post(f"{url}/roles/developers", data={"csrf_token": csrf, "add": someone.email},
                     follow_redirects=False)
    assert added.status_code == 303
    roles = web.get("/v2/projects/PARTS/roles", headers=org.headers).json()["roles"]
    assert roles["developers"] == [someone.user_id]
    unknown = web.post(f"{url}/roles/developers", data={"csrf_token": csrf, "add": "ghost@example.test"})
    assert unknown.status_code == 400 and 'aria-describedby="role-developers-add-error"' in unknown.text
    bad_role = web.post(f"{url}/roles/emperors", data={"csrf_token": csrf, "add": someone.email})
    assert bad_role.status_code == 404
    web.post(f"{url}/roles/developers", data={"csrf_token": csrf, "remove": str(someone.user_id)})
    assert web.get("/v2/projects/PARTS/roles", headers=org.headers).json()["roles"]["developers"] == []


def test_another_organizations_project_is_not_found(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                    database_url: str) -> None:
    theirs = web.post("/v2/projects", headers=other_org.headers, json={"key": "THEIRS", "name": "Theirs"}).json()
    component = web.post("/v2/projects/THEIRS/components", headers=other_org.headers, json={"name": "C"}).json()
    version = web.post("/v2/projects/THEIRS/versions", headers=other_org.headers, json={"name": "V"}).json()
    csrf = open_session(web, database_url, org)
    web.post("/admin/projects/new", data={"csrf_token": csrf, "key": "MINE", "name": "Mine"})
    for ref in ("THEIRS", str(theirs["id"])):
        assert web.get(f"/admin/projects/{ref}").status_code == 404
        for action in ("", "/archive", "/delete", "/components", "/versions", "/roles/developers"):
            response = web.post(f"/admin/projects/{ref}{action}", data={"csrf_token": csrf, "name": "x",
                                                                         "confirm": "THEIRS"})
            assert response.status_code == 404, (ref, action)
    # Their component or version through our project is not found either.
    for kind, part in (("components", component), ("versions", version)):
        assert web.post(f"/admin/projects/MINE/{kind}/{part['id']}", data={"csrf_token": csrf, "name": "x"}
                        ).status_code == 404
        assert web.post(f"/admin/projects/MINE/{kind}/{part['id']}/delete", data={"csrf_token": csrf}
                        ).status_code == 404
    assert web.get("/admin/workflows?project=THEIRS").status_code == 404
    assert web.get("/v2/projects/THEIRS", headers=other_org.headers).json()["archived"] is False
