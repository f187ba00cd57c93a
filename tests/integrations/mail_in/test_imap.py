"""The IMAP path against a real Dovecot (Debian's dovecot-imapd, started by the test as its own
process with a temporary configuration; skipped, with the reason, when it is not installed):
the same parser and rules as SMTP, messages marked \\Seen (refused ones \\Flagged too), and
`tessera mail-in --imap` waking from IDLE as soon as mail arrives; reply addresses and customers
read from the headers, as the mailbox has no envelope."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.integrations.mail_in.imap import ImapAddress, ImapMailbox, poll_once
from tessera.integrations.mail_in.replies import reply_address
from tessera.issues.attachments.storage import LocalObjectStore
from tests.factories.ports import free_port
from tests.integrations.mail_in.conftest import mail, project_address
from tests.support import OrgHandle, UserHandle

PASSWORD = "s3cret pass"
BOXES = ("inbox1", "inbox2", "inbox3")


@dataclass(frozen=True)
class Dovecot:
    port: int

    def url(self, user: str) -> str:
        return f"imap://{user}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{self.port}/INBOX"

    def append(self, user: str, raw: bytes) -> None:
        with imaplib.IMAP4("127.0.0.1", self.port) as connection:
            connection.login(user, PASSWORD)
            connection.append("INBOX", None, None, raw)

    def flags(self, user: str) -> list[str]:
        with imaplib.IMAP4("127.0.0.1", self.port) as connection:
            connection.login(user, PASSWORD)
            connection.select("INBOX", readonly=True)
            _, data = connection.uid("FETCH", "1:*", "(FLAGS)")
            return [part.decode() for part in data if part]


def _config(root: Path, port: int) -> str:
    if os.getuid() == 0:  # Dovecot's own unprivileged users run it; mail may not belong to root
        mail_user = pwd.getpwnam("dovecot")
        users = ""
    else:
        mail_user = pwd.getpwuid(os.getuid())
        users = f"default_internal_user = {mail_user.pw_name}\ndefault_login_user = {mail_user.pw_name}\n"
    (root / "mail").mkdir()
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    (root / "users").write_text("".join(f"{box}:{{PLAIN}}{PASSWORD}\n" for box in BOXES))
    return f"""{users}base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
"""


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    # Not under pytest's temp directory: Dovecot's unprivileged processes must reach the files.
    with tempfile.TemporaryDirectory(prefix="tessera-dovecot-") as directory:
        root = Path(directory)
        root.chmod(0o755)
        yield from _run_dovecot(binary, root)


def _run_dovecot(binary: str, root: Path) -> Iterator[Dovecot]:
    port = free_port()
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            break
        except OSError:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            assert process.poll() is None and time.monotonic() < deadline, (process.stdout.read() if process.stdout
                                                                              else "") + log
            time.sleep(0.1)
    try:
        yield Dovecot(port)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_polling_acts_on_unseen_mail_and_marks_it(client: TestClient, settings: Settings, dovecot: Dovecot,
                                                        org: OrgHandle, project: dict) -> None:
    to = project_address(org.key, "PROJ")
    dovecot.append("inbox1", mail(sender=org.admin_email, to=to, subject="Printer on fire",
                                  body="Smoke from tray 2.\n\n--\nAdmin").as_bytes())
    dovecot.append("inbox1", mail(sender="stranger@else.test", to=to, subject="Spam", body="Buy now").as_bytes())
    dovecot.append("inbox1", mail(sender=org.admin_email, to=to, subject="Out of office", body="Away",
                                  Auto_Submitted="auto-replied").as_bytes())
    dovecot.append("inbox1", mail(sender=org.admin_email, to=to, subject="Huge", body="x\n" * 3000).as_bytes())
    settings = settings.with_overrides(mail_in_max_bytes=4096)
    database = Database(settings)
    mailbox = ImapMailbox(ImapAddress.parse(dovecot.url("inbox1")))
    try:
        mailbox.connect()
        assert mailbox.supports_idle
        assert await poll_once(mailbox, database, LocalObjectStore(settings.attachments_root), settings) == 4
        assert await poll_once(mailbox, database, LocalObjectStore(settings.attachments_root), settings) == 0
    finally:
        mailbox.close()
        await database.dispose()
    found = client.get("/v2/search", params={"jql": "project = PROJ"}, headers=org.headers).json()["issues"]
    assert [(i["summary"], i["description"]) for i in found] == [("Printer on fire", "Smoke from tray 2.")]
    flags = dovecot.flags("inbox1")[-4:]  # one Dovecot serves both databases' runs
    assert all("\\Seen" in f for f in flags)
    # The stranger's mail and the one over the size limit were refused.
    assert ["\\Flagged" in f for f in flags] == [False, True, False, True]


def test_the_mail_in_command_waits_in_idle_and_acts_at_once(client: TestClient, settings: Settings,
                                                            dovecot: Dovecot, database_url: str, org: OrgHandle,
                                                            project: dict) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    # A poll interval far longer than the test allows: only IDLE can make the mail act in time.
    env.update(TESSERA_BASE_URL=settings.base_url, TESSERA_ATTACHMENTS_DIR=str(settings.attachments_root),
               TESSERA_IMAP_URL=dovecot.url("inbox2"), TESSERA_IMAP_POLL_SECONDS="300")
    process = subprocess.Popen([str(Path(sys.executable).with_name("tessera")), "mail-in", "--imap", "--no-smtp",
                                "--database-url", database_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        time.sleep(3)  # connected and idling (the first round found nothing); stderr says so at the end
        assert process.poll() is None
        sent = time.monotonic()
        dovecot.append("inbox2", mail(sender=org.admin_email, to=project_address(org.key, "PROJ"),
                                      subject="Arrived by IMAP", body="Hello from the mailbox.").as_bytes())
        while True:
            found = client.get("/v2/search", params={"jql": "project = PROJ"}, headers=org.headers).json()["issues"]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert [i["summary"] for i in found] == ["Arrived by IMAP"]
        assert time.monotonic() - sent < 10
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "IDLE: yes" in stderr and "mail-in stopped" in stderr


async def test_reply_addresses_and_customers_from_a_mailbox(client: TestClient, settings: Settings, dovecot: Dovecot,
                                                            org: OrgHandle, project: dict, member: UserHandle) -> None:
    assert client.put("/v2/projects/PROJ/mail-in", json={"unknown_senders": "customer"},
                      headers=org.headers).status_code == 200
    issue = client.post("/v2/issues", json={"project_id": "PROJ", "issue_type": "Task", "summary": "Jammed"},
                        headers=org.headers).json()
    to = reply_address(settings, organization_key=org.key, project_key="PROJ", organization_id=org.organization_id,
                       issue_id=issue["id"], user_id=member.user_id)
    assert to is not None
    local, _, domain = to.partition("@")
    forged = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    dovecot.append("inbox3", mail(sender=member.email, to=to, subject="Re: Jammed", body="Cleared it.").as_bytes())
    dovecot.append("inbox3", mail(sender="Carla <carla@customer.test>", to=project_address(org.key, "PROJ"),
                                  subject="Login broken", body="Cannot sign in.").as_bytes())
    dovecot.append("inbox3", mail(sender=member.email, to=forged, subject="Re: Jammed", body="forged").as_bytes())
    database = Database(settings)
    mailbox = ImapMailbox(ImapAddress.parse(dovecot.url("inbox3")))
    try:
        mailbox.connect()
        assert await poll_once(mailbox, database, LocalObjectStore(settings.attachments_root), settings) == 3
    finally:
        mailbox.close()
        await database.dispose()
    comments = client.get(f"/v2/issues/{issue['key']}/comments", headers=org.headers).json()["comments"]
    assert [(c["body"], c["author"]["id"]) for c in comments] == [("Cleared it.", member.user_id)]
    [filed] = client.get("/v2/search", params={"jql": "project = PROJ AND summary ~ Login"},
                         headers=org.headers).json()["issues"]
    reporter = client.get(f"/v2/users/{filed['reporter']['id']}", headers=org.headers).json()
    assert (reporter["email"], reporter["role"]) == ("carla@customer.test", "customer")
    assert ["\\Flagged" in f for f in dovecot.flags("inbox3")[-3:]] == [False, False, True]  # the forged one
