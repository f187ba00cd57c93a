"""Every /v2 operation is classified: a new endpoint without an isolation case fails here."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.api.rest.isolation.test_paths import PATH_PROBES
from tests.factories.isolation_world import LISTS

BODY_REFERENCE_OPERATIONS = {("POST", "/v2/issues"), ("POST", "/v2/issue-links"), ("POST", "/v2/projects"),
                             ("POST", "/v2/fields"), ("POST", "/v2/users"), ("POST", "/v2/myself/tokens"),
                             ("POST", "/v2/workflows"), ("POST", "/v2/workflow-schemes"), ("POST", "/v2/filters"),
                             ("POST", "/v2/boards"), ("POST", "/v2/dashboards"), ("POST", "/v2/permission-schemes"),
                             # Its only reference, a group, is checked by the holder check the scheme cases cover.
                             ("POST", "/v2/global-permissions"),
                             # Its members' groups and users: the same holder check as the grants'.
                             ("POST", "/v2/issue-security-schemes"),
                             # Their issue keys: test_references; reading back: tests/api/rest/routers/test_ci.py.
                             ("POST", "/v2/builds"), ("POST", "/v2/deployments")}
# Query-language endpoints: covered by test_jql_autocomplete_offers_only_the_callers_organization.
# test_search_never_names_or_returns_another_organizations_data covers /v2/search.
JQL_OPERATIONS = {("GET", "/v2/jql/autocomplete"), ("GET", "/v2/jql/autocomplete/data"), ("POST", "/v2/search"),
                  ("GET", "/v2/search")}
# The caller's own session and identity, and documents with no tenant data at all.
OWN_OPERATIONS = {("GET", "/v2/myself"), ("POST", "/v2/session"), ("DELETE", "/v2/session"),
                  ("POST", "/v2/session/revoke-all"),
                  ("GET", "/v2/workflows/schema"),
                  # The caller's own Slack webhook: tests/notifications/slack/test_api.py.
                  ("GET", "/v2/users/me/slack"), ("PUT", "/v2/users/me/slack"), ("DELETE", "/v2/users/me/slack"),
                  # A live ticket is the caller's own: test_live_tickets_open_only_their_own_organizations_streams.
                  ("POST", "/v2/live/tickets"),
                  # Push subscriptions are the caller's own browsers, the VAPID key the server's:
                  # tests/api/rest/routers/test_push.py covers another organization's subscriptions.
                  ("GET", "/v2/push/subscriptions"), ("POST", "/v2/push/subscriptions"),
                  ("DELETE", "/v2/push/subscriptions"), ("DELETE", "/v2/push/subscriptions/{subscription_id}"),
                  ("GET", "/v2/push/vapid-public-key"),
                  # The caller's own inbox and preferences, and a signed link naming its own user:
                  # tests/notifications/test_api.py::test_another_organization_is_never_notified_nor_sees_anything
                  # (another's notification id is a 404) and tests/notifications/test_unsubscribe.py.
                  ("GET", "/v2/notifications"), ("POST", "/v2/notifications/read-all"),
                  ("POST", "/v2/notifications/{notification_id}/read"), ("GET", "/v2/notifications/preferences"),
                  ("PUT", "/v2/notifications/preferences"), ("GET", "/v2/notifications/unsubscribe"),
                  ("POST", "/v2/notifications/unsubscribe"),
                  # Creates in the caller's own organization; what it references is checked by the probes.
                  ("POST", "/v2/webhooks"),
                  # Creates in the caller's own organization; a rule's project is looked up there only.
                  ("POST", "/v2/integrations/git"),
                  # Called by a Git host, signed with the connection's secret, acting only on the connection's
                  # organization: tests/integrations/git/test_inbound.py::
                  # test_a_connection_never_touches_another_organizations_issues.
                  ("POST", "/v2/integrations/git/{connection_id}/events"),
                  # The caller's own organization's audit log and its retention: another organization's
                  # admin sees none of its records, tests/audit/test_api.py::
                  # test_changes_are_recorded_with_who_and_where.
                  ("GET", "/v2/audit"), ("GET", "/v2/audit/retention"), ("PUT", "/v2/audit/retention")}


def _operations_from_routes(routes: list, prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path is not None and methods:
            for method in methods - {"HEAD", "OPTIONS"}:
                yield method, prefix + path
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            yield from _operations_from_routes(original.routes, prefix + (getattr(context, "prefix", "") or ""))


def test_every_v2_operation_has_an_isolation_case(client: TestClient) -> None:
    schema = client.get("/v2/openapi.json").json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item
                  if method in {"get", "put", "post", "delete", "patch"}}
    operations |= set(_operations_from_routes(list(client.app.routes)))
    v2 = {op for op in operations if op[1].startswith("/v2/") and op[1] != "/v2/openapi.json"}
    covered = ({(p.method, p.template) for p in PATH_PROBES} | {("GET", url) for url in LISTS}
               | BODY_REFERENCE_OPERATIONS | OWN_OPERATIONS | JQL_OPERATIONS)
    missing = sorted(v2 - covered)
    assert not missing, f"/v2 operations without a tenancy isolation case: {missing}"
