"""Attachments through the API and the pages, on SQLite and PostgreSQL: upload, byte-exact
download, safe names, the size limit, delete, permissions and tenancy; and the S3 backend behind
the same API."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from urllib.parse import unquote

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tests.factories.attachments import (
    LIMIT,
    Server,
    create_issue,
    create_project,
    event_payloads,
    upload,
    used_bytes,
)
from tests.factories.s3_server import ACCESS_KEY, SECRET_KEY, moto_s3_server
from tests.factories.web import CSRF, web_session_cookie
from tests.support import (
    OrgHandle,
    fetch_rows,
    make_user,
)

# --- Upload and download ------------------------------------------------------------------------

def test_upload_list_and_download_byte_exact(server: Server, a: OrgHandle, issue: dict) -> None:
    binary = os.urandom(LIMIT)  # exactly at the limit
    response = upload(server.client, a.headers, issue["key"], ("data.bin", binary, "application/octet-stream"),
                      ("notes.txt", "naïve café\n".encode(), "text/plain"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert [c["filename"] for c in created] == ["data.bin", "notes.txt"]
    assert created[0]["size"] == LIMIT and created[0]["sha256"] == hashlib.sha256(binary).hexdigest()
    assert created[0]["author"] == {"id": a.admin_user_id, "display_name": "Admin"}
    assert created[1]["content_type"] == "text/plain"

    listed = server.client.get(f"/v2/issues/{issue['id']}/attachments", headers=a.headers).json()
    assert listed["total"] == 2 and [x["id"] for x in listed["attachments"]] == [c["id"] for c in created]
    meta = server.client.get(f"/v2/attachments/{created[0]['id']}", headers=a.headers).json()
    assert meta == listed["attachments"][0]

    download = server.client.get(f"/v2/attachments/{created[0]['id']}/content", headers=a.headers)
    assert download.status_code == 200 and download.content == binary
    assert download.headers["content-type"] == "application/octet-stream"
    text = server.client.get(f"/v2/attachments/{created[1]['id']}/content", headers=a.headers)
    assert text.content.decode() == "naïve café\n" and text.headers["content-type"] == "text/plain; charset=utf-8"
    # A byte range, and a cached copy that is still current.
    part = server.client.get(f"/v2/attachments/{created[0]['id']}/content",
                             headers={**a.headers, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == binary[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{LIMIT}"
    outside = server.client.get(f"/v2/attachments/{created[0]['id']}/content",
                                headers={**a.headers, "Range": f"bytes={LIMIT}-"})
    assert outside.status_code == 416 and outside.headers["content-range"] == f"bytes */{LIMIT}"
    cached = server.client.get(f"/v2/attachments/{created[0]['id']}/content",
                               headers={**a.headers, "If-None-Match": download.headers["etag"]})
    assert cached.status_code == 304

    # Usage counts both files; history and events say what happened.
    assert used_bytes(server.database_url, a) == LIMIT + len("naïve café\n".encode())
    assert len(server.objects(a)) == 2
    changelog = server.client.get(f"/v2/issues/{issue['id']}/changelog", headers=a.headers).json()["histories"]
    assert [(i["field"], i["from_string"], i["to_string"]) for i in changelog[-1]["items"]] == [
        ("Attachment", None, "data.bin"), ("Attachment", None, "notes.txt")]
    events = event_payloads(server.database_url, a, "attachment_added")
    assert [(e["issue_id"], e["attachment_id"], e["filename"], e["user_id"]) for e in events] == [
        (issue["id"], c["id"], c["filename"], a.admin_user_id) for c in created]
    assert all(e["timestamp"] for e in events)


def test_filenames_keep_unicode_and_quotes_but_lose_paths(server: Server, a: OrgHandle, issue: dict) -> None:
    names = {'évidence "final" 📎.txt': 'évidence "final" 📎.txt', "../../etc/passwd": "passwd",
             "C:\\Users\\me\\report.pdf": "report.pdf", "del\x7fchar\u200b.txt": "delchar.txt",
             "..": "attachment", "x" * 300 + ".log": "x" * 251 + ".log"}
    created = upload(server.client, a.headers, issue["id"],
                     *[(name, b"content", "text/plain") for name in names]).json()
    assert [c["filename"] for c in created] == list(names.values())
    for attachment in created:
        disposition = server.client.get(f"/v2/attachments/{attachment['id']}/content",
                                        headers=a.headers).headers["content-disposition"]
        fallback = re.search(r'filename="([^"]*)"', disposition)
        encoded = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
        assert fallback and encoded, disposition
        assert unquote(encoded.group(1)) == attachment["filename"]
        assert disposition.isascii() and '"' not in fallback.group(1)
    # Keys name the organization and a random token, never the client's filename.
    assert all(re.fullmatch(r"[0-9a-f]{32}", p.name) for p in server.objects(a))


# --- Limits ---------------------------------------------------------------------------------------

def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(server: Server, a: OrgHandle, issue: dict) -> None:
    just_over = upload(server.client, a.headers, issue["id"], ("ok.txt", b"fine", "text/plain"),
                       ("huge.bin", b"x" * (LIMIT + 1), "application/octet-stream"))
    assert just_over.status_code == 413, just_over.text
    error = just_over.json()["error"]
    assert error["code"] == "attachment_too_large" and error["filename"] == "huge.bin"
    assert error["limit_bytes"] == LIMIT and "huge.bin" in error["message"] and str(LIMIT) in error["message"]
    # Far over: refused by the request-size guard from Content-Length, still JSON.
    far_over = upload(server.client, a.headers, issue["id"], ("huge.bin", b"x" * (LIMIT + 2 * 1024 * 1024), "x/y"))
    assert far_over.status_code == 413 and far_over.json()["error"]["code"] == "payload_too_large"

    # Files each under the limit, together past the request's limit, sent without a Content-Length
    # (chunked): refused while streaming, after some files were already staged; still JSON.
    boundary = "tesseraboundary"

    def chunked() -> Iterator[bytes]:
        for n in range(4):
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s{n}.bin\"\r\n"
                   f"Content-Type: application/octet-stream\r\n\r\n").encode()
            for _ in range(9):
                yield b"y" * 65536
            yield b"\r\n"
        yield f"--{boundary}--\r\n".encode()

    streamed = server.client.post(f"/v2/issues/{issue['id']}/attachments", content=chunked(),
                                  headers={**a.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large"
    assert server.objects(a) == [] and used_bytes(server.database_url, a) == 0
    assert server.client.get(f"/v2/issues/{issue['id']}/attachments", headers=a.headers).json()["total"] == 0


def test_bad_uploads_are_clear_4xx(server: Server, a: OrgHandle, issue: dict) -> None:
    url = f"/v2/issues/{issue['id']}/attachments"
    post = lambda **kwargs: server.client.post(url, headers={**a.headers, **kwargs.pop("headers", {})},  # noqa: E731
                                               **kwargs)
    cases = {
        "empty_file": post(files=[("file", ("empty.txt", b"", "text/plain"))]),
        "missing_file": post(files=[("note", (None, b"just text"))]),
        "unexpected_part": post(files=[("upload", ("x.txt", b"x", "text/plain"))]),
        "unsupported_media_type": post(json={"file": "x"}),
    }
    for code, response in cases.items():
        assert 400 <= response.status_code < 500 and response.json()["error"]["code"] == code, (code, response.text)
    assert cases["empty_file"].status_code == 400 and "empty.txt" in cases["empty_file"].json()["error"]["message"]
    assert cases["missing_file"].status_code == 400
    junk = [b"", b"garbage", b"--b\r\n", b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
            b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nunterminated",
            b"--b\r\n" + b"X" * 100_000 + b"\r\n\r\n", b"--b--\r\n"]
    for body in junk:
        for content_type in ("multipart/form-data; boundary=b", "multipart/form-data", "text/plain", ""):
            response = post(content=body, headers={"Content-Type": content_type})
            assert 400 <= response.status_code < 500, (body[:40], content_type, response.text)
            assert response.json()["error"]["code"]
    assert server.objects(a) == [] and used_bytes(server.database_url, a) == 0


# --- Delete -------------------------------------------------------------------------------------

def test_delete_frees_quota_removes_the_object_and_records_it(server: Server, a: OrgHandle, issue: dict) -> None:
    [attachment] = upload(server.client, a.headers, issue["id"], ("gone.txt", b"bye", "text/plain")).json()
    [path] = server.objects(a)
    assert used_bytes(server.database_url, a) == 3
    assert server.client.delete(f"/v2/attachments/{attachment['id']}", headers=a.headers).status_code == 204
    assert not path.exists() and used_bytes(server.database_url, a) == 0
    for url in (f"/v2/attachments/{attachment['id']}", f"/v2/attachments/{attachment['id']}/content"):
        assert server.client.get(url, headers=a.headers).status_code == 404
    assert server.client.delete(f"/v2/attachments/{attachment['id']}", headers=a.headers).status_code == 404
    changelog = server.client.get(f"/v2/issues/{issue['id']}/changelog", headers=a.headers).json()["histories"]
    assert [(i["field"], i["from_string"], i["to_string"]) for i in changelog[-1]["items"]] == [
        ("Attachment", "gone.txt", None)]
    [event] = event_payloads(server.database_url, a, "attachment_deleted")
    assert (event["attachment_id"], event["filename"], event["issue_id"]) == (attachment["id"], "gone.txt",
                                                                              issue["id"])


def test_deleting_an_issue_removes_its_attachments(server: Server, a: OrgHandle) -> None:
    project = create_project(server.client, a)
    parent = create_issue(server.client, a, project)
    subtask = create_issue(server.client, a, project, issue_type="Sub-task", parent_id=parent["id"])
    keeper = create_issue(server.client, a, project)
    for target in (parent, subtask, keeper):
        assert upload(server.client, a.headers, target["id"], ("f.bin", b"1234", "x/y")).status_code == 201
    assert len(server.objects(a)) == 3 and used_bytes(server.database_url, a) == 12
    response = server.client.delete(f"/v2/issues/{parent['id']}?delete_subtasks=true", headers=a.headers)
    assert response.status_code == 204, response.text
    assert len(server.objects(a)) == 1 and used_bytes(server.database_url, a) == 4
    assert server.client.get(f"/v2/issues/{keeper['id']}/attachments", headers=a.headers).json()["total"] == 1


# --- Permissions and tenancy ----------------------------------------------------------------------

def test_permissions(server: Server, database_url: str, a: OrgHandle) -> None:
    project = create_project(server.client, a)
    issue = create_issue(server.client, a, project)
    viewer = make_user(database_url, a, role="viewer")
    member = make_user(database_url, a, role="member")
    other_member = make_user(database_url, a, role="member")
    [by_admin] = upload(server.client, a.headers, issue["id"], ("admin.txt", b"a", "text/plain")).json()
    # A viewer browses: sees and downloads, may not upload or delete.
    assert server.client.get(f"/v2/issues/{issue['id']}/attachments", headers=viewer.headers).status_code == 200
    assert server.client.get(f"/v2/attachments/{by_admin['id']}/content", headers=viewer.headers).content == b"a"
    refused = upload(server.client, viewer.headers, issue["id"], ("v.txt", b"v", "text/plain"))
    assert refused.status_code == 403 and "CREATE_ATTACHMENTS" in refused.json()["error"]["message"]
    assert server.client.delete(f"/v2/attachments/{by_admin['id']}", headers=viewer.headers).status_code == 403
    # A member uploads and deletes their own, not someone else's; an org admin deletes anyone's.
    [by_member] = upload(server.client, member.headers, issue["id"], ("m.txt", b"m", "text/plain")).json()
    assert server.client.delete(f"/v2/attachments/{by_admin['id']}", headers=member.headers).status_code == 403
    assert server.client.delete(f"/v2/attachments/{by_member['id']}",
                                headers=other_member.headers).status_code == 403
    [second] = upload(server.client, member.headers, issue["id"], ("m2.txt", b"m", "text/plain")).json()
    assert server.client.delete(f"/v2/attachments/{by_member['id']}", headers=member.headers).status_code == 204
    assert server.client.delete(f"/v2/attachments/{second['id']}", headers=a.headers).status_code == 204
    # A project administrator (not an org admin) deletes anyone's in their project.
    roles = server.client.put(f"/v2/projects/{project['id']}/roles/administrators",
                              json={"user_ids": [a.admin_user_id, other_member.user_id]}, headers=a.headers)
    assert roles.status_code == 200, roles.text
    assert server.client.delete(f"/v2/attachments/{by_admin['id']}",
                                headers=other_member.headers).status_code == 204
    # A private project's attachments do not exist for someone outside it.
    private = create_project(server.client, a, access="private")
    hidden = create_issue(server.client, a, private)
    [secret] = upload(server.client, a.headers, hidden["id"], ("s.txt", b"s", "text/plain")).json()
    for method, url in (("GET", f"/v2/attachments/{secret['id']}"), ("GET", f"/v2/attachments/{secret['id']}/content"),
                        ("DELETE", f"/v2/attachments/{secret['id']}"),
                        ("GET", f"/v2/issues/{hidden['id']}/attachments")):
        assert server.client.request(method, url, headers=member.headers).status_code == 404, url
    assert upload(server.client, member.headers, hidden["id"], ("x.txt", b"x", "text/plain")).status_code == 404


def test_another_organization_gets_404_on_every_route(server: Server, a: OrgHandle, b: OrgHandle,
                                                      issue: dict) -> None:
    [attachment] = upload(server.client, a.headers, issue["id"], ("Secret Ocelot.txt", b"Secret", "text/plain")).json()
    missing_id = 987_654_321_987
    pairs = [(("GET", f"/v2/attachments/{attachment['id']}"), ("GET", f"/v2/attachments/{missing_id}")),
             (("GET", f"/v2/attachments/{attachment['id']}/content"), ("GET", f"/v2/attachments/{missing_id}/content")),
             (("DELETE", f"/v2/attachments/{attachment['id']}"), ("DELETE", f"/v2/attachments/{missing_id}")),
             (("GET", f"/v2/issues/{issue['id']}/attachments"), ("GET", f"/v2/issues/{missing_id}/attachments"))]
    for (method, url), (_, missing_url) in pairs:
        foreign = server.client.request(method, url, headers=b.headers)
        missing = server.client.request(method, missing_url, headers=b.headers)
        assert foreign.status_code == missing.status_code == 404, (url, foreign.text)
        assert foreign.json() == missing.json() and "Ocelot" not in foreign.text
    foreign_upload = upload(server.client, b.headers, issue["key"], ("x.txt", b"x", "text/plain"))
    missing_upload = upload(server.client, b.headers, "NOPE-424242", ("x.txt", b"x", "text/plain"))
    assert foreign_upload.status_code == missing_upload.status_code == 404
    assert foreign_upload.json() == missing_upload.json()
    assert server.objects(b) == [] and len(server.objects(a)) == 1
    assert server.client.get(f"/v2/attachments/{attachment['id']}/content", headers=a.headers).content == b"Secret"


# --- Pages --------------------------------------------------------------------------------------

def test_the_issue_page_lists_uploads_and_deletes_attachments(server: Server, a: OrgHandle, issue: dict) -> None:
    client = server.client
    client.cookies.set("tessera_session", asyncio.run(web_session_cookie(server.database_url, a.token)))
    try:
        page = client.get(f"/browse/{issue['key']}")
        assert page.status_code == 200 and f'hx-get="/browse/{issue["key"]}/attachments"' in page.text
        panel = client.get(f"/browse/{issue['key']}/attachments")
        assert panel.status_code == 200 and "No attachments yet." in panel.text
        token = CSRF.search(panel.text).group(1)  # type: ignore[union-attr]
        url = f"/browse/{issue['key']}/attachments"
        forged = client.post(url, files=[("file", ("f.txt", b"x", "text/plain"))], follow_redirects=False)
        assert forged.status_code == 403 and server.objects(a) == []
        sent = client.post(url, data={"csrf_token": token}, follow_redirects=False,
                           files=[("file", ("<img src=x onerror=alert(1)>.txt", b"hello", "text/plain")), ("file", ("", b"", ""))])
        assert sent.status_code == 303, sent.text
        panel = client.get(url, headers={"HX-Request": "true"}).text
        [attachment] = client.get(f"/v2/issues/{issue['id']}/attachments").json()["attachments"]
        assert f'href="/v2/attachments/{attachment["id"]}/content"' in panel
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in panel and "<img" not in panel
        assert client.get(f"/v2/attachments/{attachment['id']}/content").content == b"hello"
        too_big = client.post(url, data={"csrf_token": token}, headers={"HX-Request": "true"},
                              files=[("file", ("big.bin", b"x" * (LIMIT + 1), "x/y"))])
        assert too_big.status_code == 413 and "big.bin" in too_big.text
        deleted = client.post(f"{url}/{attachment['id']}/delete", data={"csrf_token": token},
                              headers={"HX-Request": "true"})
        assert deleted.status_code == 200 and "No attachments yet." in deleted.text
        assert server.objects(a) == [] and used_bytes(server.database_url, a) == 0
    finally:
        client.cookies.clear()


# --- The S3 backend behind the API -------------------------------------------------------------------

def test_attachments_on_s3(database_url: str, a: OrgHandle) -> None:
    with moto_s3_server() as endpoint:
        bucket = f"tessera-{uuid.uuid4().hex[:8]}"
        settings = Settings(database_url=database_url, base_url="http://testserver", s3_bucket=bucket,
                            s3_endpoint_url=endpoint, s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY,
                            attachment_max_bytes=LIMIT)
        app = create_app(settings)
        with TestClient(app) as client:
            store = app.state.object_store
            client.portal.call(store.ensure_bucket)  # type: ignore[union-attr]
            issue = create_issue(client, a, create_project(client, a))
            payload = os.urandom(200_000)
            [attachment] = upload(client, a.headers, issue["id"], ("s3.bin", payload, "x/y")).json()
            [row] = fetch_rows(database_url, "SELECT storage_key FROM attachments WHERE id = :id",
                               {"id": attachment["id"]})
            assert row["storage_key"].startswith(f"org/{a.organization_id}/att/")
            assert client.portal.call(store.exists, row["storage_key"])  # type: ignore[union-attr]
            assert client.get(f"/v2/attachments/{attachment['id']}/content", headers=a.headers).content == payload
            ranged = client.get(f"/v2/attachments/{attachment['id']}/content",
                                headers={**a.headers, "Range": "bytes=-10"})
            assert ranged.status_code == 206 and ranged.content == payload[-10:]
            assert client.delete(f"/v2/attachments/{attachment['id']}", headers=a.headers).status_code == 204
            assert not client.portal.call(store.exists, row["storage_key"])  # type: ignore[union-attr]
