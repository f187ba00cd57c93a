"""/settings/integrations/git: an organization admin connects a repository (the secret shown once,
with the host's instructions, and accepted by the events URL), edits its name, repository and
pull request rules (read back through /v2), rotates its secret (the old one refused from then on)
and deletes it; bad values are a 400 page with the message at the field and nothing saved; a CI
token made here works on /v2/builds and nowhere else; members are refused, another
organization's admin finds nothing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tessera.web.git_connections import rules_from_form
from tests.factories.http import ok
from tests.factories.web import CSRF, open_session, sign_in_as
from tests.integrations.git import hosts
from tests.support import OrgHandle, make_user

PAGE = "/settings/integrations/git"
SECRET = re.compile(r'<code id="git-secret">([^<]+)</code>')
HOST_STEPS = {"github": "Settings → Webhooks → Add webhook", "gitlab": "Secret token",
              "bitbucket": "Repository settings → Webhooks", "gitea": "Target URL"}


def connections(web: TestClient, org: OrgHandle) -> list[dict]:
    return ok(web.get("/v2/integrations/git", headers=org.headers))["connections"]


def push(web: TestClient, connection: dict, secret: str) -> int:
    body, headers = hosts.signed(connection["provider"], secret, hosts_event(connection["provider"]),
                                 PAYLOADS[connection["provider"]]("no key here"))
    return web.post(f"/v2/integrations/git/{connection['id']}/events", content=body, headers=headers).status_code


def hosts_event(provider: str) -> str:
    return {"github": "push", "gitlab": "Push Hook", "bitbucket": "repo:push", "gitea": "push"}[provider]


PAYLOADS = {"github": hosts.github_push, "gitlab": hosts.gitlab_push, "bitbucket": hosts.bitbucket_push,
            "gitea": hosts.gitea_push}


def create(web: TestClient, csrf: str, **fields: str):  # type: ignore[no-untyped-def]
    return web.post(PAGE, data={"csrf_token": csrf, "provider": "github", "name": "Acme web", **fields})


def test_connecting_shows_the_secret_once_with_each_hosts_steps(web: TestClient, csrf: str, org: OrgHandle) -> None:
    for provider, steps in HOST_STEPS.items():
        page = create(web, csrf, provider=provider, name=f"{provider} <web>", repository="acme/web")
        assert page.status_code == 200, page.text
        [connection] = [c for c in connections(web, org) if c["provider"] == provider]
        assert connection["name"] == f"{provider} <web>" and connection["repository"] == "acme/web"
        assert steps in page.text and f"{provider} &lt;web&gt;" in page.text
        assert f'<code id="git-url">{connection["webhook_url"]}</code>' in page.text
        secret = SECRET.search(page.text).group(1)  # type: ignore[union-attr]
        assert push(web, connection, secret) == 200
        again = web.get(f"{PAGE}/{connection['id']}")
        assert again.status_code == 200 and secret not in again.text and 'id="git-secret"' not in again.text
    listing = web.get(PAGE)
    assert listing.status_code == 200 and 'href="/settings/integrations/git" class="active"' in listing.text
    for connection in connections(web, org):
        assert f'href="{PAGE}/{connection["id"]}"' in listing.text
        assert f'<code id="git-url-{connection["id"]}">{connection["webhook_url"]}</code>' in listing.text
        assert f'data-copy="git-url-{connection["id"]}"' in listing.text
    assert listing.text.count("just now") == 4 and "none yet" not in listing.text


def test_a_bad_connection_is_shown_again_with_the_message_at_its_field(web: TestClient, csrf: str,
                                                                       org: OrgHandle) -> None:
    page = create(web, csrf, name=" ", repository="acme/kept")
    assert page.status_code == 400
    assert re.search(r'name="name" value=" "[^>]*aria-invalid="true"', page.text)
    assert '<span class="field-error" id="name-error">A Git connection needs &#39;name&#39;.</span>' in page.text
    assert 'value="acme/kept"' in page.text
    wrong = create(web, csrf, provider="svn")
    assert wrong.status_code == 400 and "&#39;provider&#39; is one of github, gitlab, bitbucket, gitea." in wrong.text
    long = create(web, csrf, repository="r" * 501)
    assert long.status_code == 400 and 'id="repository-error"' in long.text
    assert connections(web, org) == []


def test_editing_name_repository_and_rules(web: TestClient, csrf: str, org: OrgHandle, project: dict) -> None:
    create(web, csrf, repository="acme/web")
    [connection] = connections(web, org)
    url = f"{PAGE}/{connection['id']}"
    form = web.get(url).text
    assert 'name="rule.PROJ.opened"' in form and 'name="rule.PROJ.merged"' in form
    saved = web.post(url, data={"csrf_token": csrf, "name": "Acme API", "repository": "",
                                "rule.PROJ.opened": "In Progress", "rule.PROJ.merged": " "}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=1"
    stored = ok(web.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers))
    assert (stored["name"], stored["repository"]) == ("Acme API", None)
    assert stored["rules"] == [{"project": "PROJ", "on": "opened", "transition": "In Progress"}]
    page = web.get(f"{url}?saved=1").text
    assert "The connection is saved." in page and 'name="rule.PROJ.opened" value="In Progress"' in page

    # A transition too long: the page again, the message at its cell, the values as typed, nothing saved.
    bad = web.post(url, data={"csrf_token": csrf, "name": "Renamed", "repository": "acme/web",
                              "rule.PROJ.opened": "In Progress", "rule.PROJ.merged": "D" * 300})
    assert bad.status_code == 400
    assert re.search(r'name="rule.PROJ.merged" value="D{300}"[^>]*aria-invalid="true"', bad.text)
    assert '<span class="field-error">&#39;rules[1].transition&#39; is text of at most 255' in bad.text
    assert 'name="name" value="Renamed"' in bad.text
    unknown = web.post(url, data={"csrf_token": csrf, "name": "Renamed", "rule.NOPE.opened": "Done"})
    assert unknown.status_code == 400 and "no project &#39;NOPE&#39;" in unknown.text
    nameless = web.post(url, data={"csrf_token": csrf, "name": "", "repository": ""})
    assert nameless.status_code == 400 and 'id="name-error"' in nameless.text
    assert ok(web.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers)) == stored


def test_rules_of_projects_the_page_does_not_show_are_kept() -> None:
    stored = [{"project": "OLD", "on": "merged", "transition": "Done"},
              {"project": "WEB", "on": "opened", "transition": "In Review"}]
    rules, sources = rules_from_form({"name": "x", "rule.WEB.merged": "Done", "rule.WEB.opened": ""}, stored,
                                     ["WEB"])
    assert rules == [stored[0], {"project": "WEB", "on": "merged", "transition": "Done"}]
    assert sources == ["", "rule.WEB.merged"]


def test_rotating_the_secret_and_deleting(web: TestClient, csrf: str, org: OrgHandle) -> None:
    first = SECRET.search(create(web, csrf, provider="gitea").text).group(1)  # type: ignore[union-attr]
    [connection] = connections(web, org)
    url = f"{PAGE}/{connection['id']}"
    rotated = web.post(f"{url}/rotate", data={"csrf_token": csrf})
    assert rotated.status_code == 200 and "The secret is rotated" in rotated.text
    second = SECRET.search(rotated.text).group(1)  # type: ignore[union-attr]
    assert second != first and HOST_STEPS["gitea"] in rotated.text
    assert push(web, connection, first) == 401 and push(web, connection, second) == 200
    page = web.get(url).text
    assert 'data-confirm="Delete the connection' in page and 'data-confirm="Generate a new secret?' in page
    deleted = web.post(f"{url}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"] == f"{PAGE}?deleted=1"
    assert web.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers).status_code == 404
    assert "The connection is deleted." in web.get(f"{PAGE}?deleted=1").text
    assert web.get(url).status_code == 404


def test_a_ci_token_made_here_posts_builds_and_nothing_else(web: TestClient, csrf: str, org: OrgHandle,
                                                            project: dict) -> None:
    issue = ok(web.post("/v2/issues", headers=org.headers, json={"project_id": "PROJ", "issue_type": "Task",
                                                                 "summary": "Ship it"}), 201)
    page = web.post(f"{PAGE}/ci-tokens", data={"csrf_token": csrf, "token_name": "Jenkins"})
    assert page.status_code == 200 and "/v2/builds" in page.text and "/rest/builds/0.1/bulk" in page.text
    token = re.search(r'<code id="ci-token">([^<]+)</code>', page.text).group(1)  # type: ignore[union-attr]
    bearer = {"Authorization": f"Bearer {token}"}
    build = web.post("/v2/builds", headers=bearer, json={
        "pipeline": "acme/web ci", "number": 42, "name": "Build 42", "state": "successful",
        "url": "https://ci.example.com/42", "issue_keys": [issue["key"]]})
    assert build.status_code == 202, build.text
    refused = web.get("/v2/projects", headers=bearer)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "token_scope"
    listing = web.get(PAGE).text
    assert "Jenkins" in listing and f"<code>{token[:12]}…</code>" in listing and token not in listing


def test_members_are_refused_as_on_the_webhook_pages(web: TestClient, org: OrgHandle, csrf: str,
                                                     database_url: str) -> None:
    create(web, csrf)
    [connection] = connections(web, org)
    web.cookies.clear()
    sign_in_as(web, database_url, make_user(database_url, org, role="member"))
    projects = web.get("/projects").text
    assert 'href="/settings/integrations/git"' not in projects
    member_csrf = CSRF.search(projects).group(1)  # type: ignore[union-attr]
    url = f"{PAGE}/{connection['id']}"
    for response in (web.get(PAGE), web.get(url), create(web, member_csrf, name="Mine"),
                     web.post(url, data={"csrf_token": member_csrf, "name": "Mine"}),
                     web.post(f"{url}/rotate", data={"csrf_token": member_csrf}),
                     web.post(f"{url}/delete", data={"csrf_token": member_csrf}),
                     web.post(f"{PAGE}/ci-tokens", data={"csrf_token": member_csrf})):
        assert response.status_code == 403, response.request.url
        assert "Only organization administrators" in response.text or "Only an organization administrator" in (
            response.text)
    assert web.get("/admin/webhooks").status_code == 403
    assert [c["name"] for c in connections(web, org)] == ["Acme web"]


def test_another_organizations_admin_finds_nothing(web: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                   csrf: str, database_url: str) -> None:
    secret = SECRET.search(create(web, csrf, name="Secret civet").text).group(1)  # type: ignore[union-attr]
    [connection] = connections(web, org)
    web.cookies.clear()
    other_csrf = open_session(web, database_url, other_org)
    assert "Secret civet" not in web.get(PAGE).text
    url = f"{PAGE}/{connection['id']}"
    missing = f"{PAGE}/999999999"
    for path, data in ((url, None), (url, {"name": "Mine"}), (f"{url}/rotate", {}), (f"{url}/delete", {})):
        foreign = web.get(path) if data is None else web.post(path, data={"csrf_token": other_csrf, **data})
        absent = web.get(missing) if data is None else web.post(path.replace(url, missing),
                                                                data={"csrf_token": other_csrf, **data})
        assert foreign.status_code == absent.status_code == 404, path
        assert "Secret civet" not in foreign.text
    assert web.post(PAGE, data={"provider": "github", "name": "No token"}).status_code == 403  # CSRF
    assert ok(web.get(f"/v2/integrations/git/{connection['id']}", headers=org.headers))["name"] == "Secret civet"
    assert push(web, connection, secret) == 200
