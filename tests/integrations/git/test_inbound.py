"""Events posted to a connection's URL exactly as each host sends them: signatures checked the
host's way, replays and unsigned requests refused, keys linked once, smart commits run as the
author (or recorded why not), pull-request rules run through the workflow, and a connection of
one organization never reaches another's issues."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.integrations.git import hosts
from tests.support import OrgHandle, fetch_rows, make_user

SECRET = "It's a Secret to Everybody"


def connect(client: TestClient, org: OrgHandle, provider: str, **body: object) -> dict:
    response = client.post("/v2/integrations/git", json={"provider": provider, "name": f"{provider} acme",
                                                         "secret": SECRET, **body}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def new_issue(client: TestClient, org: OrgHandle, summary: str = "Login fails") -> dict:
    response = client.post("/v2/issues", json={"project_id": "PROJ", "issue_type": "Task", "summary": summary},
                           headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def post(client: TestClient, connection: dict, provider: str, event: str, payload: dict, **kwargs: object):  # type: ignore[no-untyped-def]
    body, headers = hosts.signed(provider, SECRET, event, payload, **kwargs)  # type: ignore[arg-type]
    path = connection["webhook_url"].removeprefix("http://testserver")
    return client.post(path, content=body, headers=headers)


def development(client: TestClient, org: OrgHandle, issue: dict) -> dict:
    response = client.get(f"/v2/issues/{issue['key']}/development", headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


PUSHES = [("github", "push", hosts.github_push), ("gitlab", "Push Hook", hosts.gitlab_push),
          ("bitbucket", "repo:push", hosts.bitbucket_push), ("gitea", "push", hosts.gitea_push)]


@pytest.mark.parametrize(("provider", "event", "payload"), PUSHES, ids=[p[0] for p in PUSHES])
def test_each_hosts_signed_push_links_its_commit_once(client: TestClient, org: OrgHandle, project: dict,
                                                      provider: str, event: str, payload) -> None:  # type: ignore[no-untyped-def]
    connection = connect(client, org, provider)
    assert connection["webhook_url"].endswith(f"/v2/integrations/git/{connection['id']}/events")
    assert connection["secret"] == SECRET
    issue = new_issue(client, org)
    message = f"{issue['key'].lower()} fix the login form"
    first = post(client, connection, provider, event, payload(message))
    assert first.status_code == 200, first.text
    assert first.json()["linked"]["commits"] == 1
    again = post(client, connection, provider, event, payload(message))  # a new delivery of the same commit
    assert again.status_code == 200 and again.json()["linked"]["commits"] == 0
    [commit] = development(client, org, issue)["commits"]
    assert commit["id"] == hosts.SHA_B and commit["message"] == message
    assert commit["url"].startswith("https://") and hosts.SHA_B in commit["url"]


@pytest.mark.parametrize(("provider", "event", "payload"), PUSHES, ids=[p[0] for p in PUSHES])
def test_wrong_missing_signatures_and_replays_are_refused(client: TestClient, org: OrgHandle, project: dict,
                                                          provider: str, event: str, payload) -> None:  # type: ignore[no-untyped-def]
    connection = connect(client, org, provider)
    issue = new_issue(client, org)
    wrong = post(client, connection, provider, event, payload(f"{issue['key']} x"), wrong=True)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "signature_refused"
    body, headers = hosts.signed(provider, SECRET, event, payload(f"{issue['key']} x"))
    unsigned = {k: v for k, v in headers.items()
                if k not in ("X-Hub-Signature-256", "X-Gitlab-Token", "X-Hub-Signature", "X-Gitea-Signature")}
    path = f"/v2/integrations/git/{connection['id']}/events"
    missing = client.post(path, content=body, headers=unsigned)
    assert missing.status_code == 401 and "missing" in missing.json()["error"]["message"]
    assert client.post(path, content=body + b" ", headers=headers).status_code == (200 if provider == "gitlab" else 401)
    replay_id = "7f0c1a6e-0000-4000-8000-000000000001"
    assert post(client, connection, provider, event, payload("no key"), delivery=replay_id).status_code == 200
    replay = post(client, connection, provider, event, payload("no key"), delivery=replay_id)
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "replayed_delivery"
    # Only GitLab's token (which does not cover the body) let the altered body through.
    assert len(development(client, org, issue)["commits"]) == (1 if provider == "gitlab" else 0)


def test_smart_commit_comments_logs_time_and_transitions_as_the_author(client: TestClient, org: OrgHandle,
                                                                      project: dict, database_url: str) -> None:
    author = make_user(database_url, org, role="member", email="ada@example.com")
    connection = connect(client, org, "github")
    issue = new_issue(client, org)
    message = f"{issue['key']} #comment fixed the login #time 2h 30m tidying #in-progress\nsecond line #done"
    response = post(client, connection, "github", "push", hosts.github_push(message))
    assert response.status_code == 200, response.text
    [comment] = client.get(f"/v2/issues/{issue['key']}/comments", headers=org.headers).json()["comments"]
    assert comment["body"] == "fixed the login"
    [worklog] = fetch_rows(database_url, "SELECT author_id, time_spent_seconds FROM worklogs WHERE issue_id = :id",
                           {"id": issue["id"]})
    assert (worklog["author_id"], worklog["time_spent_seconds"]) == (author.user_id, 9000)
    shown = client.get(f"/v2/issues/{issue['key']}", headers=org.headers).json()
    assert shown["status"]["name"] == "In Progress"  # the second line names no key: #done did not run
    [commit] = development(client, org, issue)["commits"]
    assert [(o["command"].split()[0], o["ok"]) for o in commit["smart_commit"]] == [
        ("#comment", True), ("#time", True), ("#in-progress", True)]


def test_a_transition_the_workflow_refuses_is_recorded_and_the_rest_stands(client: TestClient, org: OrgHandle,
                                                                           project: dict, database_url: str) -> None:
    make_user(database_url, org, role="member", email="ada@example.com")
    connection = connect(client, org, "gitea")
    issue = new_issue(client, org)
    message = f"{issue['key']} #reopen #comment still commented"
    assert post(client, connection, "gitea", "push", hosts.gitea_push(message)).status_code == 200
    [commit] = development(client, org, issue)["commits"]
    [reopen, comment] = commit["smart_commit"]
    assert reopen["ok"] is False and "reopen" in reopen["detail"] and comment["ok"] is True
    assert client.get(f"/v2/issues/{issue['key']}", headers=org.headers).json()["status"]["name"] == "To Do"


def test_an_unknown_author_runs_nothing_and_the_panel_says_why(client: TestClient, org: OrgHandle,
                                                              project: dict) -> None:
    connection = connect(client, org, "bitbucket")
    issue = new_issue(client, org)
    message = f"{issue['key']} #comment from a stranger"
    assert post(client, connection, "bitbucket", "repo:push", hosts.bitbucket_push(message)).status_code == 200
    assert client.get(f"/v2/issues/{issue['key']}/comments", headers=org.headers).json()["comments"] == []
    [commit] = development(client, org, issue)["commits"]
    [outcome] = commit["smart_commit"]
    assert outcome["ok"] is False and "ada@example.com" in outcome["detail"]


def test_branches_and_pull_requests_link_and_rules_transition(client: TestClient, org: OrgHandle,
                                                              project: dict) -> None:
    connection = connect(client, org, "github", rules=[{"project": "PROJ", "on": "opened", "transition": "In Progress"},
                                                       {"project": "PROJ", "on": "merged", "transition": "Done"}])
    issue = new_issue(client, org)
    push = hosts.github_push("no key here", branch=f"feature/{issue['key']}-login")
    assert post(client, connection, "github", "push", push).status_code == 200
    opened = post(client, connection, "github", "pull_request",
                  hosts.github_pull_request("opened", f"[{issue['key']}] Login"))
    assert opened.status_code == 200 and opened.json()["linked"]["pull_requests"] == 1
    assert client.get(f"/v2/issues/{issue['key']}", headers=org.headers).json()["status"]["name"] == "In Progress"
    merged = post(client, connection, "github", "pull_request",
                  hosts.github_pull_request("closed", f"[{issue['key']}] Login", merged=True))
    assert merged.json()["linked"]["pull_requests"] == 0  # the same pull request, updated
    panel = development(client, org, issue)
    [branch] = panel["branches"]
    assert branch["name"] == f"feature/{issue['key']}-login" and branch["url"].endswith("/tree/" + branch["name"])
    [pull] = panel["pull_requests"]
    assert (pull["state"], pull["url"]) == ("merged", "https://github.com/acme/web/pull/7")
    assert [r["ok"] for r in pull["rules"]] == [True, True]
    assert client.get(f"/v2/issues/{issue['key']}", headers=org.headers).json()["status"]["name"] == "Done"
    assert panel["builds"] == [] and panel["deployments"] == []


def test_gitlab_merge_requests_and_bitbucket_pull_requests_carry_their_states(client: TestClient, org: OrgHandle,
                                                                              project: dict) -> None:
    gitlab, bitbucket = connect(client, org, "gitlab"), connect(client, org, "bitbucket")
    issue = new_issue(client, org)
    title = f"{issue['key']}: new login"
    assert post(client, gitlab, "gitlab", "Merge Request Hook", hosts.gitlab_merge_request("open", title)).status_code == 200
    assert post(client, gitlab, "gitlab", "Merge Request Hook",
                hosts.gitlab_merge_request("approved", title)).status_code == 200
    assert post(client, bitbucket, "bitbucket", "pullrequest:rejected",
                hosts.bitbucket_pull_request(title, state="DECLINED")).status_code == 200
    pulls = {p["provider"]: p for p in development(client, org, issue)["pull_requests"]}
    assert pulls["gitlab"]["state"] == "open" and pulls["gitlab"]["reviews"] == [{"reviewer": "ada", "state": "approved"}]
    assert pulls["bitbucket"]["state"] == "declined"


def test_a_connection_never_touches_another_organizations_issues(client: TestClient, org: OrgHandle, project: dict,
                                                                 other_org: OrgHandle, database_url: str) -> None:
    assert client.post("/v2/projects", json={"key": "PROJ", "name": "B's"}, headers=other_org.headers).status_code == 201
    theirs = new_issue(client, other_org, "B's issue")
    make_user(database_url, other_org, email="ada@example.com")
    make_user(database_url, org, email="ada@example.com")
    mine = connect(client, org, "github")
    message = f"{theirs['key']} #comment hijacked #done"
    assert post(client, mine, "github", "push", hosts.github_push(message)).status_code == 200
    assert development(client, other_org, theirs)["commits"] == []
    assert client.get(f"/v2/issues/{theirs['key']}/comments", headers=other_org.headers).json()["comments"] == []
    # B's admin cannot see or delete A's connection, nor read A's panel.
    assert client.get(f"/v2/integrations/git/{mine['id']}", headers=other_org.headers).status_code == 404
    assert client.delete(f"/v2/integrations/git/{mine['id']}", headers=other_org.headers).status_code == 404
    assert client.get("/v2/integrations/git", headers=other_org.headers).json()["connections"] == []


def test_connections_crud_and_bad_input(client: TestClient, org: OrgHandle, project: dict, member,  # type: ignore[no-untyped-def]
                                        database_url: str) -> None:
    created = connect(client, org, "gitea", repository="acme/web")
    [row] = fetch_rows(database_url, "SELECT secret_encrypted FROM git_connections WHERE id = :id",
                       {"id": created["id"]})
    assert SECRET not in row["secret_encrypted"]
    shown = client.get(f"/v2/integrations/git/{created['id']}", headers=org.headers).json()
    assert "secret" not in shown and shown["repository"] == "acme/web"
    assert [c["id"] for c in client.get("/v2/integrations/git", headers=org.headers).json()["connections"]] == [
        created["id"]]
    for body, field in (({"provider": "svn"}, "provider"), ({"rules": [{"project": "NOPE", "on": "opened",
                                                                      "transition": "Done"}]}, "rules[0].project"),
                        ({"rules": [{"project": "PROJ", "on": "pushed", "transition": "Done"}]}, "rules[0].on")):
        bad = client.post("/v2/integrations/git", json={"provider": "github", "name": "x", **body}, headers=org.headers)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == field, bad.text
    assert client.post("/v2/integrations/git", json={"provider": "github", "name": "x"},
                       headers=member.headers).status_code == 403
    other_repo = post(client, created, "gitea", "push", hosts.gitea_push("x") | {
        "repository": {"full_name": "acme/other", "html_url": "https://gitea.example/acme/other"}})
    assert other_repo.status_code == 200 and other_repo.json()["events"] == 0 and other_repo.json()["ignored"]
    not_json = client.post(f"/v2/integrations/git/{created['id']}/events", content=b"{nope",
                           headers=hosts.signed("gitea", SECRET, "push", {})[1] | {
                               "X-Gitea-Signature": hosts.signed_raw(SECRET, b"{nope")})
    assert not_json.status_code == 400
    assert client.delete(f"/v2/integrations/git/{created['id']}", headers=org.headers).status_code == 204
    assert client.post(f"/v2/integrations/git/{created['id']}/events", content=b"{}").status_code == 404
