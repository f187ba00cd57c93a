"""Jira's "download all attachments" (/secure/attachmentzip/{issueId}.zip): a real `tessera serve`
read with Basic auth through the `jira` package's own session and with a Bearer token over plain
HTTP, the in-process app for issue security and the size cap; both databases."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import httpx
from fastapi.testclient import TestClient
from jira import JIRA

from tessera.config import Settings
from tessera.issues.attachments.bundle import entry_names
from tessera.main import create_app
from tests.support import OrgHandle, make_user, unique_key


def _zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_all_attachments_in_one_zip(jira: JIRA, jira_url: str, issue, org: OrgHandle,  # type: ignore[no-untyped-def]
                                    other_org: OrgHandle) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB: several chunks of the object store
    jira.add_attachment(issue.key, io.BytesIO(b"first trace\n"), filename="trace.log")
    jira.add_attachment(issue.key, io.BytesIO(b"second trace\n"), filename="trace.log")
    jira.add_attachment(issue.key, io.BytesIO(b"shouting\n"), filename="TRACE.log")
    jira.add_attachment(issue.key, io.BytesIO(big), filename="dump.bin")
    url = f"{jira_url}/secure/attachmentzip/{issue.id}.zip"

    response = jira._session.get(url)  # the client's own session: its Basic credentials
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="{issue.key}.zip"' in response.headers["content-disposition"]
    files = _zip(response.content)
    assert files == {"trace.log": b"first trace\n", "trace (2).log": b"second trace\n",
                     "TRACE (3).log": b"shouting\n", "dump.bin": big}

    bearer = httpx.get(f"{jira_url}/secure/attachmentzip/{issue.key}.zip",
                       headers={"Authorization": f"Bearer {org.token}"}, timeout=30)
    assert bearer.status_code == 200 and _zip(bearer.content) == files

    anonymous = httpx.get(url, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["errorMessages"]

    foreign = httpx.get(url, auth=(other_org.admin_email, other_org.token), timeout=30)
    missing = httpx.get(f"{jira_url}/secure/attachmentzip/999999999.zip", auth=(org.admin_email, org.token),
                        timeout=30)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() and foreign.json()["errorMessages"]


def test_an_issue_without_attachments_is_an_empty_zip(rest: httpx.Client, issue) -> None:  # type: ignore[no-untyped-def]
    response = rest.get(f"/secure/attachmentzip/{issue.id}.zip")
    assert response.status_code == 200 and _zip(response.content) == {}


def _upload(client: TestClient, headers: dict, issue_key: str, name: str, content: bytes) -> None:
    response = client.post(f"/v2/issues/{issue_key}/attachments", headers=headers,
                           files={"file": (name, content, "text/plain")})
    assert response.status_code == 201, response.text


def test_issue_security_and_size_cap(client: TestClient, settings: Settings, database_url: str,
                                     org: OrgHandle) -> None:
    h = org.headers
    insider, outsider = make_user(database_url, org), make_user(database_url, org)
    project = client.post("/v2/projects", headers=h, json={"key": unique_key("Z")[:10], "name": "Zips"}).json()
    scheme = client.post("/v2/issue-security-schemes", headers=h, json={
        "name": f"Zips {unique_key()}", "levels": [
            {"name": "Secret", "members": [{"type": "user", "parameter": insider.user_id}]}]})
    assert scheme.status_code == 201, scheme.text
    assert client.put(f"/v2/projects/{project['id']}/issue-security-scheme", headers=h,
                      json={"scheme_id": scheme.json()["id"]}).status_code == 200
    hidden = client.post("/v2/issues", headers=h, json={"project_id": project["id"], "issue_type": "Task",
                                                         "summary": "Merger plan", "security_level": "Secret"})
    assert hidden.status_code == 201, hidden.text
    key = hidden.json()["key"]
    _upload(client, h, key, "plan.txt", b"x" * 600)
    _upload(client, h, key, "../../etc/passwd", b"y" * 600)

    refused = client.get(f"/secure/attachmentzip/{hidden.json()['id']}.zip", headers=outsider.headers)
    assert refused.status_code == 404 and refused.json()["errorMessages"]
    allowed = client.get(f"/secure/attachmentzip/{key}.zip", headers=insider.headers)
    assert allowed.status_code == 200, allowed.text
    files = _zip(allowed.content)
    assert files["plan.txt"] == b"x" * 600 and len(files) == 2
    assert all("/" not in name and not name.startswith(".") for name in files)
    # One attachment of the hidden issue, by id, through every surface that serves attachments.
    attachment_id = client.get(f"/v2/issues/{key}/attachments", headers=insider.headers).json()["attachments"][0]["id"]
    for path in (f"/v2/attachments/{attachment_id}", f"/v2/attachments/{attachment_id}/content",
                 f"/rest/api/2/attachment/{attachment_id}", f"/rest/api/2/attachment/content/{attachment_id}"):
        assert client.get(path, headers=outsider.headers).status_code == 404, path
        assert client.get(path, headers=insider.headers).status_code == 200, path

    with TestClient(create_app(replace(settings, attachment_zip_max_bytes=1000))) as capped:
        too_big = capped.get(f"/secure/attachmentzip/{key}.zip", headers=h)
    assert too_big.status_code == 413
    assert "1200 bytes" in too_big.json()["errorMessages"][0] and "1000" in too_big.json()["errorMessages"][0]


def test_entry_names_are_unique_and_flat() -> None:
    assert entry_names(["a.txt", "A.TXT", "a.txt", "noext", "noext", "../x/y.txt", ".env", ""]) == [
        "a.txt", "A (2).TXT", "a (3).txt", "noext", "noext (2)", "_x_y.txt", "env", "attachment"]


def test_odd_issue_ids_answer_jira_errors(client: TestClient, org: OrgHandle) -> None:
    for path in ("abc.zip", "%00.zip", f"{'9' * 40}.zip", "-1.zip", ".zip", "WEB-1", "1.zip/extra", "%0A1.zip"):
        response = client.get(f"/secure/attachmentzip/{path}", headers=org.headers)
        assert response.status_code in (400, 404), (path, response.status_code, response.text)
        assert set(response.json()) == {"errorMessages", "errors"}, (path, response.text)
