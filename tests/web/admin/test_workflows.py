"""/admin/workflows: the workflows, which one each project's issue types use, and one
workflow's SVG diagram (a 15-status workflow stays in three readable columns)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories.web import CSRF, open_session, sign_in_as
from tests.support import OrgHandle, make_user

CATEGORIES = ("todo", "in_progress", "done")


def _big_workflow() -> dict:
    statuses = [{"name": f"Stage {n:02d}", "category": CATEGORIES[min(2, n // 5)]} for n in range(15)]
    transitions = [{"id": f"t{n}", "name": f"Advance {n:02d}", "from": [f"Stage {n:02d}"], "to": f"Stage {n + 1:02d}"}
                   for n in range(14)]
    transitions.append({"id": "back", "name": "Reopen", "from": ["Stage 14"], "to": "Stage 00"})
    transitions.append({"id": "any", "name": "Abandon", "from": [], "to": "Stage 14"})
    return {"name": "Fifteen steps", "statuses": statuses, "initial_status": "Stage 00", "transitions": transitions}


def test_list_and_usage(web: TestClient, csrf: str, org: OrgHandle) -> None:
    empty = web.get("/admin/workflows")
    assert empty.status_code == 200 and "No projects yet." in empty.text
    web.post("/v2/projects", headers=org.headers, json={"key": "FLOW", "name": "Flow"})
    page = web.get("/admin/workflows")
    assert 'id="project-workflows"' in page.text and "/admin/projects/FLOW" in page.text
    assert "Bug" in page.text and "Default" in page.text
    only = web.get("/admin/workflows?project=flow")
    assert only.status_code == 200 and "By project: FLOW" in only.text


def test_the_diagram(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/workflows", headers=org.headers, json=_big_workflow())
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    page = web.get(f"/admin/workflows/{key}")
    assert page.status_code == 200
    svg = page.text[page.text.index("<svg"):page.text.index("</svg>")]
    assert svg.count('class="wf-status') == 15
    assert svg.count('class="wf-status wf-todo"') == 5 and svg.count('class="wf-status wf-done"') == 5
    assert svg.count('<g class="wf-edge') == 16 and "any → Abandon" in svg and 'class="wf-edge wf-any"' in svg
    assert 'class="wf-initial"' in svg and "TO DO" in svg and "IN PROGRESS" in svg
    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())  # type: ignore[union-attr]
    assert width < 1100 and height < 450  # three columns of five, not one long row
    assert page.text.count("<tr id=\"transition-") == 16  # the transitions table
    assert web.get("/admin/workflows/no_such_workflow").status_code == 404


def test_a_draft_is_shown_on_request(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/workflows", headers=org.headers, json={
        "name": "Small", "statuses": [{"name": "Open", "category": "todo"}, {"name": "Closed", "category": "done"}],
        "initial_status": "Open", "transitions": [{"id": "close", "name": "Close", "from": ["Open"], "to": "Closed"}]})
    key = created.json()["key"]
    draft = {"name": "Small", "statuses": [{"name": "Open", "category": "todo"},
                                           {"name": "Checking", "category": "in_progress"},
                                           {"name": "Closed", "category": "done"}],
             "initial_status": "Open", "transitions": [
                 {"id": "check", "name": "Check", "from": ["Open"], "to": "Checking"},
                 {"id": "close", "name": "Close", "from": ["Checking"], "to": "Closed"}]}
    saved = web.put(f"/v2/workflows/{key}", headers=org.headers, json=draft)
    assert saved.status_code in (200, 201), saved.text
    published = web.get(f"/admin/workflows/{key}")
    assert "Show the draft" in published.text and 'data-status="Checking"' not in published.text
    shown = web.get(f"/admin/workflows/{key}?draft=1")
    assert 'data-status="Checking"' in shown.text and "Published version" in shown.text


def test_edit_in_a_draft_then_publish(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/workflows", headers=org.headers, json={
        "name": "Editable", "statuses": [{"name": "Open", "category": "todo"}, {"name": "Closed", "category": "done"}],
        "initial_status": "Open", "transitions": [{"id": "close", "name": "Close", "from": ["Open"], "to": "Closed"}]})
    key = created.json()["key"]
    url = f"/admin/workflows/{key}"
    added = web.post(f"{url}/statuses", data={"csrf_token": csrf, "name": "Testing", "category": "in_progress",
                                              "from": "Open"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == f"{url}?draft=1&done=saved"
    draft = web.get(f"{url}?draft=1")
    assert 'data-status="Testing"' in draft.text and "Publish the draft" in draft.text
    assert web.get(f"/v2/workflows/{key}", headers=org.headers).json()["has_draft"] is True
    # The definition's own validation decides, and its message is shown at the form, the input kept.
    duplicate = web.post(f"{url}/statuses", data={"csrf_token": csrf, "name": "open", "category": "todo"})
    assert duplicate.status_code == 400 and "duplicated status" in duplicate.text and 'value="open"' in duplicate.text
    unknown = web.post(f"{url}/transitions", data={"csrf_token": csrf, "name": "Jump", "from": "Nowhere",
                                                   "to": "Closed"})
    assert unknown.status_code == 400 and "unknown status" in unknown.text and 'value="Jump"' in unknown.text
    nameless = web.post(f"{url}/transitions", data={"csrf_token": csrf, "name": "", "from": "Open", "to": "Testing"})
    assert nameless.status_code == 400 and "transitions" in nameless.text
    web.post(f"{url}/transitions", data={"csrf_token": csrf, "name": "Test it", "from": "", "to": "Closed"})
    published = web.post(f"{url}/publish", data={"csrf_token": csrf}, follow_redirects=False)
    assert published.status_code == 303
    definition = web.get(f"/v2/workflows/{key}", headers=org.headers).json()["definition"]
    assert [s["name"] for s in definition["statuses"]] == ["Open", "Closed", "Testing"]
    transitions = {t["id"]: t for t in definition["transitions"]}
    assert transitions["testing"]["from"] == ["Open"] and transitions["test_it"]["from"] == []
    nothing = web.post(f"{url}/publish", data={"csrf_token": csrf})
    assert nothing.status_code == 400 and "The workflow has no draft to publish." in nothing.text
    web.post(f"{url}/statuses", data={"csrf_token": csrf, "name": "Later", "category": "done"})
    web.post(f"{url}/discard", data={"csrf_token": csrf})
    assert web.get(f"/v2/workflows/{key}", headers=org.headers).json()["has_draft"] is False


def test_members_and_other_organizations_are_kept_out(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                      database_url: str) -> None:
    theirs = web.post("/v2/workflows", headers=other_org.headers, json={
        "name": "Theirs only", "statuses": [{"name": "Open", "category": "todo"}], "initial_status": "Open"}).json()
    csrf = open_session(web, database_url, org)
    assert web.get(f"/admin/workflows/{theirs['id']}").status_code == 404
    assert web.get("/admin/workflows/theirs_only").status_code == 404
    for action in ("statuses", "transitions", "publish", "discard", "statuses/remove", "transitions/remove", "rules",
                   "rules/remove", "rules/mode"):
        assert web.post(f"/admin/workflows/{theirs['id']}/{action}",
                        data={"csrf_token": csrf, "name": "X", "category": "todo"}).status_code == 404, action
    assert "Theirs only" not in web.get("/admin/workflows").text
    sign_in_as(web, database_url, make_user(database_url, org, role="member"))
    assert web.get("/admin/workflows/default").status_code == 403
    member_csrf = CSRF.search(web.get("/projects").text).group(1)  # type: ignore[union-attr]
    for action in ("statuses/remove", "rules", "rules/mode", "publish"):
        assert web.post(f"/admin/workflows/default/{action}",
                        data={"csrf_token": member_csrf, "transition": "11", "name": "Done"}).status_code == 403


def test_rules_are_edited_with_the_definitions_own_messages(web: TestClient, csrf: str, org: OrgHandle) -> None:
    created = web.post("/v2/workflows", headers=org.headers, json={
        "name": "Ruled", "statuses": [{"name": "Open", "category": "todo"}, {"name": "Closed", "category": "done"}],
        "initial_status": "Open", "transitions": [{"id": "close", "name": "Close", "from": ["Open"], "to": "Closed"}]})
    key = created.json()["key"]
    url = f"/admin/workflows/{key}"
    page = web.get(url)
    assert 'id="rules-close"' in page.text and "only_assignee" in page.text and "field_required" in page.text
    added = web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "conditions",
                                           "type": "only_assignee", "params": ""}, follow_redirects=False)
    assert added.status_code == 303
    web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "validators",
                                   "type": "field_required", "params": '{"fields": ["comment"]}'})
    web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "post_functions",
                                   "type": "add_comment", "params": '{"body": "Closed from the editor"}'})
    web.post(f"{url}/rules/mode", data={"csrf_token": csrf, "transition": "close", "condition_mode": "any"})
    draft = web.get(f"/v2/workflows/{key}", headers=org.headers).json()["draft"]
    [close] = draft["transitions"]
    assert close["conditions"] == [{"type": "only_assignee", "params": {}}] and close["condition_mode"] == "any"
    assert close["validators"] == [{"type": "field_required", "params": {"fields": ["comment"]}}]
    assert close["post_functions"][0]["type"] == "add_comment"
    # Refusals are shown at the transition's rules, the input kept: JSON, then the rule's own check.
    not_json = web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "validators",
                                              "type": "field_required", "params": "{fields"})
    assert not_json.status_code == 400 and "The params are not JSON" in not_json.text
    assert '<details class="card settings-block transition-rules" id="rules-close" open>' in not_json.text
    assert 'value="{fields"' in not_json.text
    deep = web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "validators",
                                          "type": "field_required", "params": "[" * 3000})
    assert deep.status_code == 400 and "nest too deeply" in deep.text
    long = web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "validators",
                                          "type": "field_required", "params": " " + "x" * 5000})
    assert long.status_code == 400 and "at most 4000 characters" in long.text
    missing = web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "validators",
                                             "type": "field_required", "params": "{}"})
    assert missing.status_code == 400 and "transitions[0].validators[1].params" in missing.text
    assert "Field required" in missing.text
    unknown = web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "close", "group": "conditions",
                                             "type": "no_such_rule", "params": "{}"})
    assert unknown.status_code == 400 and "unknown condition type" in unknown.text
    mode = web.post(f"{url}/rules/mode", data={"csrf_token": csrf, "transition": "close", "condition_mode": "some"})
    assert mode.status_code == 400 and "condition_mode" in mode.text
    elsewhere = web.post(f"{url}/rules", data={"csrf_token": csrf, "transition": "nope", "group": "conditions",
                                               "type": "only_assignee"})
    assert elsewhere.status_code == 400 and "no transition" in elsewhere.text
    removed = web.post(f"{url}/rules/remove", data={"csrf_token": csrf, "transition": "close", "group": "conditions",
                                                    "index": "0"}, follow_redirects=False)
    assert removed.status_code == 303
    assert web.get(f"/v2/workflows/{key}", headers=org.headers).json()["draft"]["transitions"][0]["conditions"] == []
    gone = web.post(f"{url}/rules/remove", data={"csrf_token": csrf, "transition": "close", "group": "conditions",
                                                 "index": "0"})
    assert gone.status_code == 400 and "There is no rule number" in gone.text
    assert web.post(f"{url}/publish", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    published = web.get(f"/v2/workflows/{key}", headers=org.headers).json()["definition"]["transitions"][0]
    assert published["validators"][0]["type"] == "field_required"


def test_remove_a_status_and_publish_with_a_status_mapping(web: TestClient, csrf: str, org: OrgHandle) -> None:
    project = web.post("/v2/projects", headers=org.headers, json={"key": "MAPS", "name": "Maps"}).json()
    issues = [web.post("/v2/issues", headers=org.headers, json={
        "project_id": project["key"], "issue_type": "Task", "summary": f"In review {n}"}).json() for n in range(2)]
    for issue in issues:
        assert web.post(f"/v2/issues/{issue['id']}/transitions/41", headers=org.headers, json={}).status_code == 200
    url = "/admin/workflows/default"
    removed = web.post(f"{url}/statuses/remove", data={"csrf_token": csrf, "name": "In Review"},
                       follow_redirects=False)
    assert removed.status_code == 303
    draft = web.get(f"{url}?draft=1")
    assert 'data-status="In Review"' not in draft.text
    assert "2 issues in In Review go to" in draft.text and 'name="map:In Review"' in draft.text
    assert all(t["to"] != "In Review" for t in
               web.get("/v2/workflows/default", headers=org.headers).json()["draft"]["transitions"])
    # The initial status cannot go: the definition says why, at the form.
    initial = web.post(f"{url}/statuses/remove", data={"csrf_token": csrf, "name": "To Do"})
    assert initial.status_code == 400 and "initial_status" in initial.text
    unmapped = web.post(f"{url}/publish", data={"csrf_token": csrf})
    assert unmapped.status_code == 400 and "2 issue(s) are in &#39;In Review&#39;" in unmapped.text
    assert 'aria-describedby="map-1-error"' in unmapped.text and '<span class="field-error" id="map-1-error">' in unmapped.text
    wrong = web.post(f"{url}/publish", data={"csrf_token": csrf, "map:In Review": "Nowhere"})
    assert wrong.status_code == 400 and "is not a status of the new workflow" in wrong.text
    published = web.post(f"{url}/publish", data={"csrf_token": csrf, "map:In Review": "In Progress"},
                         follow_redirects=False)
    assert published.status_code == 303, published.text
    for issue in issues:
        assert web.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()["status"]["name"] == "In Progress"
    statuses = [s["name"] for s in web.get("/v2/workflows/default", headers=org.headers).json()["definition"]["statuses"]]
    assert "In Review" not in statuses
    assert web.post(f"{url}/statuses/remove", data={"csrf_token": csrf, "name": "Nowhere"}).status_code == 400


def test_a_transitions_screen_is_edited(web: TestClient, csrf: str, org: OrgHandle) -> None:
    url = "/admin/workflows/default"
    saved = web.post(f"{url}/rules/screen", data={"csrf_token": csrf, "transition": "21",
                                                 "screen": "comment, story_points, comment"}, follow_redirects=False)
    assert saved.status_code == 303
    draft = web.get("/v2/workflows/default", headers=org.headers).json()["draft"]
    assert next(t for t in draft["transitions"] if t["id"] == "21")["screen"] == ["comment", "story_points"]
    unknown = web.post(f"{url}/rules/screen", data={"csrf_token": csrf, "transition": "21", "screen": "colour"})
    assert unknown.status_code == 400 and "unknown field &#39;colour&#39;" in unknown.text
    assert 'value="colour"' in unknown.text
