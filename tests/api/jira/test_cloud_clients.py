"""Cloud-style scripts, unchanged, against a real `tessera serve`: the `jira` package with
`rest_api_version` 3 and atlassian-python-api's Jira client with `cloud=True` (and its v3
JiraCloud client) create, search with nextPageToken, transition, comment, assign by
accountId and add a watcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from atlassian import Jira
from atlassian.jira import JiraCloud
from fastapi.testclient import TestClient
from jira import JIRA

from tests.api.jira.test_cloud import doc, heading, paragraph
from tests.support import OrgHandle, UserHandle


@pytest.fixture
def web(client: TestClient, org: OrgHandle) -> dict:
    response = client.post("/v2/projects", json={"key": "WEB", "name": "Web shop"}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def cloud(jira_url: str, org: OrgHandle) -> Iterator[JIRA]:
    client = JIRA(server=jira_url, basic_auth=(org.admin_email, org.token), options={"rest_api_version": "3"},
                  max_retries=0, timeout=30)
    yield client
    client.close()


def test_the_jira_package_runs_a_cloud_script(cloud: JIRA, web: dict, member: UserHandle) -> None:
    assert cloud._is_cloud and cloud.deploymentType == "Cloud"
    description = doc(heading("Steps"), paragraph("Pay with a voucher."))
    created = [cloud.create_issue(project="WEB", summary=f"Voucher bug {n}", issuetype={"name": "Bug"},
                                  description=description) for n in range(3)]
    assert cloud.issue(created[0].key).raw["fields"]["description"] == description

    first = cloud.enhanced_search_issues("project = WEB ORDER BY key", maxResults=2)
    assert [i.key for i in first] == [i.key for i in created[:2]] and first.nextPageToken
    rest = cloud.enhanced_search_issues("project = WEB ORDER BY key", nextPageToken=first.nextPageToken,
                                        maxResults=2)
    assert [i.key for i in rest] == [created[2].key] and not rest.nextPageToken
    everything = cloud.enhanced_search_issues("project = WEB ORDER BY key", maxResults=0)  # every page
    assert [i.key for i in everything] == [i.key for i in created]
    assert [i.key for i in cloud.search_issues("project = WEB ORDER BY key", fields="summary")] == \
        [i.key for i in created]  # Cloud's search_issues goes through search/jql too
    assert cloud.approximate_issue_count("project = WEB") == 3

    issue = created[0]
    cloud.transition_issue(issue, "In Progress")
    assert cloud.issue(issue.key).fields.status.name == "In Progress"
    comment = cloud.add_comment(issue, "Reproduced on staging.")
    assert cloud.comment(issue.key, comment.id).raw["body"] == doc(paragraph("Reproduced on staging."))
    account = str(member.user_id)
    cloud.assign_issue(issue, account)
    assert cloud.issue(issue.key).fields.assignee.accountId == account
    cloud.add_watcher(issue, account)
    assert sorted(w.accountId for w in cloud.watchers(issue).watchers) == sorted([cloud.current_user(), account])
    cloud.remove_watcher(issue, account)
    assert [w.accountId for w in cloud.watchers(issue).watchers] == [cloud.current_user()]
    assert cloud.search_users(query=member.email)[0].accountId == account
    assert cloud.user(account).emailAddress == member.email


def test_atlassian_python_api_runs_a_cloud_script(jira_url: str, org: OrgHandle, web: dict,
                                                  member: UserHandle) -> None:
    jira = Jira(url=jira_url, username=org.admin_email, password=org.token, cloud=True)
    keys = [jira.issue_create(fields={"project": {"key": "WEB"}, "summary": f"Refund {n}",
                                      "issuetype": {"name": "Task"}, "description": "Refunds *stall*."})["key"]
            for n in range(3)]
    first = jira.enhanced_jql("project = WEB ORDER BY key", fields="summary", limit=2)
    assert [i["key"] for i in first["issues"]] == keys[:2] and first["isLast"] is False
    assert [i["key"] for i in jira.enhanced_jql_get_list_of_tickets("project = WEB ORDER BY key",
                                                                    fields="summary")] == keys
    assert jira.approximate_issue_count("project = WEB") == {"count": 3}
    jira.set_issue_status(keys[0], "In Progress")
    assert jira.get_issue_status(keys[0]) == "In Progress"
    jira.issue_add_comment(keys[0], "Looked into it.")
    account = str(member.user_id)
    jira.assign_issue(keys[0], account)
    jira.issue_add_watcher(keys[0], account)
    issue = jira.issue(keys[0])
    assert issue["fields"]["assignee"]["accountId"] == account
    assert issue["fields"]["comment"]["comments"][0]["body"] == "Looked into it."  # /rest/api/2: strings
    assert account in [w["accountId"] for w in jira.issue_get_watchers(keys[0])["watchers"]]
    jira.issue_delete_watcher(keys[0], account_id=account)
    assert account not in [w["accountId"] for w in jira.issue_get_watchers(keys[0])["watchers"]]

    # The v3 client: Atlassian Document Format in and out.
    v3 = JiraCloud(url=jira_url, username=org.admin_email, password=org.token)
    description = doc(heading("Why", level=3), paragraph("Card declined."))
    created = v3.create_issue(data={"fields": {"project": {"key": "WEB"}, "summary": "Declined",
                                               "issuetype": {"name": "Bug"}, "description": description}})
    assert v3.get_issue(created["key"])["fields"]["description"] == description
    assert jira.issue(created["key"])["fields"]["description"] == "### Why\n\nCard declined."
