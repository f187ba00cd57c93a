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
