"""The issue page lists the branches, commits and pull requests that name the issue, each linking
out to its host, with the pull request's state and what a smart commit did."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integrations.git import hosts
from tests.support import OrgHandle


def test_the_issue_page_shows_the_development_section(web: TestClient, csrf: str, org: OrgHandle,
                                                      issue: dict) -> None:
    connection = web.post("/v2/integrations/git", json={"provider": "github", "name": "gh", "secret": "s3"},
                          headers=org.headers).json()
    path = f"/v2/integrations/git/{connection['id']}/events"
    assert web.get(f"/browse/{issue['key']}").text.count('id="development"') == 0
    for event, payload in (("push", hosts.github_push(f"{issue['key']} #comment nobody", branch="main")),
                           ("pull_request", hosts.github_pull_request("opened", f"{issue['key']} checkout"))):
        body, headers = hosts.signed("github", "s3", event, payload)
        assert web.post(path, content=body, headers=headers).status_code == 200
    page = web.get(f"/browse/{issue['key']}")
    assert page.status_code == 200
    assert 'id="development"' in page.text
    assert 'href="https://github.com/acme/web/pull/7"' in page.text and ">open<" in page.text
    assert f'href="https://github.com/acme/web/commit/{hosts.SHA_B}"' in page.text
    assert "No active user has the commit author" in page.text


def test_the_panel_and_the_page_show_the_latest_build_and_deployment(web: TestClient, csrf: str, org: OrgHandle,
                                                                     issue: dict) -> None:
    """CI reports (tessera.integrations.ci) join the git sections in one panel: the API's and the page's."""
    for number, state in ((1, "failed"), (2, "successful")):
        built = web.post("/v2/builds", headers=org.headers, json={
            "pipeline": "web/main", "number": number, "name": "web main", "state": state,
            "url": f"https://ci.example.test/web/{number}", "issue_keys": [issue["key"]]})
        assert built.status_code == 202, built.text
    deployed = web.post("/v2/deployments", headers=org.headers, json={
        "pipeline": "web deploy", "environment": "prod-eu", "environment_type": "production", "number": 5,
        "name": "web 1.4", "state": "successful", "url": "https://ci.example.test/d/5", "issue_keys": [issue["key"]]})
    assert deployed.status_code == 202, deployed.text
    panel = web.get(f"/v2/issues/{issue['id']}/development", headers=org.headers).json()
    assert [(b["build_number"], b["state"]) for b in panel["builds"]] == [(2, "successful")]
    assert [(d["environment"]["type"], d["state"]) for d in panel["deployments"]] == [("production", "successful")]
    page = web.get(f"/browse/{issue['key']}").text
    assert 'href="https://ci.example.test/web/2"' in page and "web/1" not in page
    assert "prod-eu" in page and 'href="https://ci.example.test/d/5"' in page
