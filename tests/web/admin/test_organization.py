"""/admin/settings: the name and the defaults for invited people (used by the next invitation),
errors in place, and usage against the quotas."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support import OrgHandle, set_limits


def test_settings_and_usage(web: TestClient, csrf: str, org: OrgHandle, database_url: str) -> None:
    set_limits(database_url, org.key, max_users=4)
    page = web.get("/admin/settings")
    assert page.status_code == 200 and f"Org {org.key}" in page.text
    assert "1 of 4" in page.text and "25%" in page.text  # the admin takes one seat
    saved = web.post("/admin/settings", data={"csrf_token": csrf, "name": "Acme <Corp>", "default_role": "viewer",
                                              "default_time_zone": "Europe/Berlin"}, follow_redirects=False)
    assert saved.status_code == 303
    page = web.get("/admin/settings?done=saved")
    assert "Acme &lt;Corp&gt;" in page.text and "The settings are saved." in page.text
    assert '<option value="viewer" selected>' in page.text and '<option value="Europe/Berlin" selected>' in page.text
    # The next invitation takes the defaults.
    web.post("/admin/users/invite", data={"csrf_token": csrf, "email": "defaults@example.test"})
    user = next(u for u in web.get("/v2/users", headers=org.headers).json()["users"]
                if u["email"] == "defaults@example.test")
    assert user["role"] == "viewer"
    users = web.get("/admin/users?q=defaults").text
    assert re.search(r'<option value="viewer" selected>Viewer</option>', users)
    # Invited people take no seat until they join.
    assert "1 of 4" in web.get("/admin/settings").text


def test_refusals_keep_the_form(web: TestClient, csrf: str) -> None:
    bad_zone = web.post("/admin/settings", data={"csrf_token": csrf, "name": "Kept", "default_role": "member",
                                                 "default_time_zone": "Mars/Olympus"})
    assert bad_zone.status_code == 400 and "is not a time zone" in bad_zone.text
    assert 'value="Kept"' in bad_zone.text and 'aria-describedby="settings-default_time_zone-error"' in bad_zone.text
    no_name = web.post("/admin/settings", data={"csrf_token": csrf, "name": " ", "default_role": "member",
                                                "default_time_zone": "UTC"})
    assert no_name.status_code == 400 and "needs a name" in no_name.text
    bad_role = web.post("/admin/settings", data={"csrf_token": csrf, "name": "X", "default_role": "king",
                                                 "default_time_zone": "UTC"})
    assert bad_role.status_code == 400 and "The default role is one of" in bad_role.text
