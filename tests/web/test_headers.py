"""Every HTML route (found in app.routes, so a new page is covered without editing this test)
answers with the security headers of web.headers: a Content-Security-Policy without inline
script, frame-ancestors 'none', nosniff, a Referrer-Policy and no-store; signed in and out.
Other responses carry nosniff; HSTS comes with Secure cookies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tessera.web.errors import WebRoute
from tests.support import OrgHandle

# Pages served for tools we do not write: not WebRoutes, but HTML all the same.
TOOL_PAGES = {"/docs", "/docs/oauth2-redirect", "/graphql"}
PARAM = re.compile(r"\{(\w+)\}")


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for route in routes:
        if getattr(route, "methods", None) and getattr(route, "path", None) is not None:
            yield prefix + route.path, route
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            yield from _routes(original.routes, prefix + (getattr(context, "prefix", "") or ""))


def html_routes(app: Any) -> list[str]:
    found = {path for path, route in _routes(list(app.routes))
             if "GET" in route.methods and (isinstance(route, WebRoute) or path in TOOL_PAGES)}
    assert TOOL_PAGES <= found and "/signin" in found and "/browse/{issue_key}" in found
    return sorted(found)


def assert_page_headers(response: Any, *, signed_in: bool) -> None:
    headers = response.headers
    assert headers["content-type"].startswith("text/html"), response.request.url
    policy = {part.split()[0]: part.split()[1:] for part in headers["content-security-policy"].split("; ")}
    script = policy["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "*" not in script, script
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    if signed_in:
        assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers


def _values(web: TestClient, org: OrgHandle, project: dict, csrf: str) -> dict[str, str]:
    h = org.headers
    issue = web.post("/v2/issues", headers=h, json={"project_id": project["id"], "issue_type": "Story",
                                                    "summary": "Headers"}).json()
    comment = web.post(f"/v2/issues/{issue['id']}/comments", headers=h, json={"body": "hello"}).json()
    board = web.post("/v2/boards", headers=h, json={"name": "B", "type": "scrum", "project_id": project["id"]}).json()
    dashboard = web.post("/v2/dashboards", headers=h, json={"name": "D", "layout": {"columns": 1, "gadgets": []}})
    assert dashboard.status_code == 201, dashboard.text
    webhook = web.post("/v2/webhooks", headers=h, json={"name": "W", "url": "https://w.example.test/h", "events": []})
    assert webhook.status_code == 201, webhook.text
    assert web.post(f"/v2/webhooks/{webhook.json()['id']}/test", headers=h).status_code < 300
    delivery = web.get("/v2/deliveries", headers=h, params={"target_id": webhook.json()["id"]}).json()["deliveries"][0]
    git = web.post("/v2/integrations/git", headers=h, json={"provider": "github", "name": "G"})
    assert git.status_code == 201, git.text
    group = web.post("/admin/groups", data={"csrf_token": csrf, "name": "G"}, follow_redirects=False)
    invited = web.post("/admin/users/invite", data={"csrf_token": csrf, "email": "invited@example.test"})
    secret = re.search(r"/invite/([^<\s]+)<", invited.text)
    assert group.status_code == 303 and secret is not None, invited.text
    [scheme] = web.get("/v2/permission-schemes", headers=h).json()["permission_schemes"]
    workflow_scheme = web.get("/v2/workflow-schemes", headers=h).json()["workflow_schemes"][0]
    security = web.post("/v2/issue-security-schemes", headers=h, json={"name": "Headers", "levels": [{"name": "L"}]})
    assert security.status_code == 201, security.text
    admin = {"key": project["key"], "group_id": group.headers["location"].rsplit("/", 1)[1],
             "workflow_ref": "default", "secret": secret.group(1), "scheme_id": str(scheme["id"]),
             "workflow_scheme_id": str(workflow_scheme["id"]),
             "custom_field_id": str(web.get("/v2/fields", headers=h).json()["fields"][-1]["numeric_id"])}
    return {**admin, "connection_id": str(git.json()["id"]), "delivery_id": str(delivery["id"]), "webhook_id": str(webhook.json()["id"]), "project_key": project["key"], "issue_key": issue["key"], "comment_id": str(comment["id"]),
            "field": "summary", "board_id": str(board["id"]), "dashboard_id": str(dashboard.json()["id"]),
            "dashboard_ref": str(dashboard.json()["id"]), "security_scheme_id": str(security.json()["id"])}


def test_every_html_route_has_the_security_headers(web: TestClient, csrf: str, org: OrgHandle,
                                                   project: dict) -> None:
    values = _values(web, org, project, csrf)
    checked = []
    for template in html_routes(web.app):
        url = PARAM.sub(lambda m: values[m.group(1)], template)
        response = web.get(url, headers={"Accept": "text/html"}, follow_redirects=False)
        if response.status_code in (303, 307) and template in ("/", "/admin"):
            response = web.get(response.headers["location"])
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        assert_page_headers(response, signed_in=True)
        checked.append(template)
        if template not in TOOL_PAGES:
            # No inline script and no inline event handler is left in our own pages.
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), url
            assert not re.search(r"\son[a-z]+\s*=", response.text), url
            assert "hx-on" not in response.text and "javascript:" not in response.text, url
    assert len(checked) >= 20


def test_pages_signed_out_and_error_pages_have_them_too(web: TestClient) -> None:
    for url in ("/signin", "/docs", "/graphql"):
        assert_page_headers(web.get(url, headers={"Accept": "text/html"}), signed_in=False)
    refused = web.post("/signin", data={"email": "a@b.c", "password": "x"}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert_page_headers(refused, signed_in=False)
    api = web.get("/healthz")
    assert api.headers["x-content-type-options"] == "nosniff" and "content-security-policy" not in api.headers


def test_tool_pages_run_only_their_own_nonced_scripts(web: TestClient) -> None:
    for url in ("/docs", "/graphql"):
        response = web.get(url, headers={"Accept": "text/html"})
        nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
        assert nonce is not None
        tags = re.findall(r"<script[^>]*>", response.text)
        assert tags and all(f'nonce="{nonce.group(1)}"' in tag for tag in tags), tags
        assert int(response.headers["content-length"]) == len(response.content)
        again = web.get(url, headers={"Accept": "text/html"}).headers["content-security-policy"]
        assert f"'nonce-{nonce.group(1)}'" not in again  # a new nonce for every response


def test_tool_pages_load_their_code_from_this_site_only(web: TestClient) -> None:
    """GraphiQL and Swagger UI are vendored under /static/vendor: no CDN, and they work offline."""
    for url in ("/docs", "/graphql"):
        response = web.get(url, headers={"Accept": "text/html"})
        policy = response.headers["content-security-policy"]
        assert "http" not in policy and "script-src 'self' 'nonce-" in policy, policy
        assets = [link for link in re.findall(r'(?:src|href)="([^"]+)"', response.text) if not link.startswith("data:")]
        assert assets and all(asset.startswith("/static/vendor/") for asset in assets), assets
        for asset in assets:
            served = web.get(asset)
            assert served.status_code == 200 and len(served.content) > 500, asset
            license_url = asset.rsplit("/", 1)[0] + "/LICENSE"
            assert "MIT License" in web.get(license_url).text or "Apache" in web.get(license_url).text


def test_hsts_comes_with_secure_cookies(settings: Settings) -> None:
    with TestClient(create_app(settings.with_overrides(session_cookie_secure=True)),
                    base_url="https://testserver") as client:
        for url in ("/signin", "/healthz", "/v2/openapi.json"):
            assert client.get(url).headers["strict-transport-security"] == "max-age=31536000"
