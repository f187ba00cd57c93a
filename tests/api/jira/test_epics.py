"""Jira Software's epics through the `jira` package: the Epic Link / Epic Name / Epic Status
fields in the field list, create and edit by name and by custom field id, the agile epic and
issue endpoints, and the epic JQL clauses."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from jira import JIRA, JIRAError

from tests.api.jira.conftest import jira_as
from tests.support import OrgHandle


def _field_id(jira: JIRA, name: str, schema: str) -> str:
    [found] = [f for f in jira.fields() if f["name"] == name]
    assert found["schema"]["custom"] == f"com.pyxis.greenhopper.jira:{schema}" and found["custom"] is True
    return found["id"]


def _keys(jira: JIRA, jql: str) -> list[str]:
    return sorted((i.key for i in jira.search_issues(jql, maxResults=100)), key=lambda k: int(k.split("-")[1]))


def test_epic_fields_create_edit_agile_endpoints_and_jql(jira: JIRA, rest: httpx.Client, project: dict,
                                                         client: TestClient, jira_url: str,
                                                         other_org: OrgHandle) -> None:
    link_id = _field_id(jira, "Epic Link", "gh-epic-link")
    name_id = _field_id(jira, "Epic Name", "gh-epic-label")
    status_id = _field_id(jira, "Epic Status", "gh-epic-status")

    # An epic made as a Jira Software script makes it: Epic Name by id, no summary needed.
    wallets = jira.create_issue(fields={"project": {"key": "WEB"}, "issuetype": {"name": "Epic"},
                                        name_id: "Wallets"})
    checkout = jira.create_issue(fields={"project": {"key": "WEB"}, "issuetype": {"name": "Epic"},
                                         "summary": "Checkout revamp", "Epic Name": "Checkout"})
    assert wallets.fields.summary == "Wallets" and getattr(wallets.fields, name_id) == "Wallets"
    assert checkout.fields.summary == "Checkout revamp"  # a summary given wins
    assert getattr(wallets.fields, status_id).value == "To Do"

    # Children by Epic Link (custom field id and name), a sub-task below one, one outside.
    story = jira.create_issue(fields={"project": {"key": "WEB"}, "issuetype": {"name": "Story"},
                                      "summary": "Pay with a wallet", link_id: wallets.key})
    task = jira.create_issue(fields={"project": {"key": "WEB"}, "issuetype": {"name": "Task"},
                                     "summary": "Wallet provider contract", "Epic Link": wallets.key})
    sub = jira.create_issue(fields={"project": {"key": "WEB"}, "issuetype": {"name": "Sub-task"},
                                    "summary": "Sign it", "parent": {"key": task.key}})
    loose = jira.create_issue(fields={"project": {"key": "WEB"}, "issuetype": {"name": "Bug"},
                                      "summary": "Broken cart"})
    assert getattr(jira.issue(story.key).fields, link_id) == wallets.key
    assert jira.issue(story.key).fields.parent.key == wallets.key
    assert getattr(jira.issue(sub.key).fields, link_id) is None  # a sub-task's parent is no epic
    assert getattr(jira.issue(loose.key).fields, name_id) is None

    # Edit: move the task to the other epic by id, then out of any epic; rename an epic by Epic Name.
    jira.issue(task.key).update(fields={link_id: checkout.key})
    assert getattr(jira.issue(task.key).fields, link_id) == checkout.key
    jira.issue(task.key).update(fields={"Epic Link": None})
    assert jira.issue(task.key).fields.parent is None
    jira.issue(task.key).update(fields={link_id: wallets.key})
    jira.issue(checkout.key).update(fields={name_id: "Checkout 2"})
    assert jira.issue(checkout.key).fields.summary == "Checkout 2"
    with pytest.raises(JIRAError) as not_epic:
        jira.issue(loose.key).update(fields={link_id: story.key})
    assert not_epic.value.status_code == 400
    with pytest.raises(JIRAError) as read_only:
        jira.issue(wallets.key).update(fields={status_id: {"value": "Done"}})
    assert read_only.value.status_code == 400 and status_id in read_only.value.text

    # The agile endpoints.
    agile = "/rest/agile/1.0"
    epic = rest.get(f"{agile}/epic/{wallets.key}").json()
    assert epic["key"] == wallets.key and epic["name"] == "Wallets" and epic["done"] is False
    assert epic["color"]["key"].startswith("color_")
    assert rest.get(f"{agile}/epic/{story.key}").status_code == 404
    assert rest.get(f"{agile}/epic/WEB-9999").status_code == 404
    page = rest.get(f"{agile}/epic/{wallets.key}/issue", params={"maxResults": 1}).json()
    assert page["total"] == 2 and page["maxResults"] == 1 and len(page["issues"]) == 1
    second = rest.get(f"{agile}/epic/{wallets.key}/issue", params={"maxResults": 1, "startAt": 1}).json()
    assert {page["issues"][0]["key"], second["issues"][0]["key"]} == {story.key, task.key}
    narrowed = rest.get(f"{agile}/epic/{wallets.key}/issue", params={"jql": "issuetype = Story"}).json()
    assert [i["key"] for i in narrowed["issues"]] == [story.key]
    without = rest.get(f"{agile}/epic/none/issue").json()
    assert [i["key"] for i in without["issues"]] == [loose.key]
    agile_story = rest.get(f"{agile}/issue/{story.key}").json()
    assert agile_story["fields"]["epic"]["key"] == wallets.key and agile_story["key"] == story.key
    assert rest.get(f"{agile}/issue/{loose.key}").json()["fields"]["epic"] is None

    saved = jira.create_filter(name="Web", jql="project = WEB")
    board = jira.create_board("Web team", saved.id)
    jira.transition_issue(checkout.key, "Done")
    epics = rest.get(f"{agile}/board/{board.id}/epic").json()
    assert {e["key"] for e in epics["values"]} == {wallets.key, checkout.key} and epics["isLast"] is True
    done = rest.get(f"{agile}/board/{board.id}/epic", params={"done": "true"}).json()
    assert [(e["key"], e["done"]) for e in done["values"]] == [(checkout.key, True)]
    assert rest.get(f"{agile}/board/{board.id}/epic", params={"done": "maybe"}).status_code == 400

    # JQL over the epic fields.
    assert _keys(jira, f'"Epic Link" = {wallets.key}') == [story.key, task.key]
    assert _keys(jira, f"cf[9998] = {wallets.key}") == [story.key, task.key]
    assert _keys(jira, '"Epic Name" ~ wallets') == [wallets.key]
    assert _keys(jira, '"Epic Name" is EMPTY AND project = WEB') == [story.key, task.key, sub.key, loose.key]
    assert _keys(jira, '"Epic Status" = Done') == [checkout.key]
    assert _keys(jira, '"Epic Status" in ("To Do", "In Progress")') == [wallets.key]
    assert _keys(jira, '"Epic Status" != Done') == [wallets.key]
    assert _keys(jira, f"parentEpic = {wallets.key}") == [wallets.key, story.key, task.key, sub.key]
    assert _keys(jira, f"parentEpic in ({checkout.key}, {loose.key})") == [checkout.key, loose.key]
    assert _keys(jira, f"project = WEB AND NOT parentEpic = {wallets.key}") == [checkout.key, loose.key]
    with pytest.raises(JIRAError) as bad_status:
        jira.search_issues('"Epic Status" = Someday')
    assert bad_status.value.status_code == 400 and "Someday" in bad_status.value.text

    # Another organization sees none of it.
    outsider = jira_as(jira_url, other_org)
    try:
        with pytest.raises(JIRAError) as hidden:
            outsider._get_json(f"epic/{wallets.key}", base=outsider.AGILE_BASE_URL)
        assert hidden.value.status_code == 404
        with pytest.raises(JIRAError) as hidden_board:
            outsider._get_json(f"board/{board.id}/epic", base=outsider.AGILE_BASE_URL)
        assert hidden_board.value.status_code == 404
        assert outsider._get_json("epic/none/issue", base=outsider.AGILE_BASE_URL)["total"] == 0
        with pytest.raises(JIRAError):
            outsider.search_issues(f"parentEpic = {wallets.key}")
    finally:
        outsider.close()
