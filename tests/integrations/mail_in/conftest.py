"""A running `tessera mail-in` (the real command, in a subprocess, on a free port) on the
session's database, with the settings the in-process test client uses (so the thread ids of
notifications agree), and a small SMTP client speaking to it."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from tessera.config import Settings
from tests.factories.ports import free_port

DOMAIN = "testserver"  # the base URL's host: the default domain of projects' addresses
MAX_BYTES = 200_000


@dataclass(frozen=True)
class Answer:
    code: int
    text: str


@dataclass(frozen=True)
class MailIn:
    port: int

    def send(self, message: EmailMessage | bytes, *, mail_from: str | None = None,
             to: list[str] | None = None) -> Answer:
        """One SMTP transaction; the answer to RCPT when refused there, else the answer to DATA."""
        raw = message if isinstance(message, bytes) else message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        if mail_from is None:
            assert isinstance(message, EmailMessage)
            mail_from = str(message["From"]).rpartition("<")[2].rstrip(">")
        recipients = to or [str(message["To"])]  # type: ignore[index]
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as smtp:
            smtp.ehlo()
            code, text = smtp.mail(mail_from)
            assert code == 250, text
            for recipient in recipients:
                code, text = smtp.rcpt(recipient)
                if code != 250:
                    return Answer(code, text.decode())
            try:
                code, text = smtp.data(raw)
            except smtplib.SMTPDataError as error:
                return Answer(error.smtp_code, error.smtp_error.decode())
            return Answer(code, text.decode())


def project_address(org_key: str, project_key: str) -> str:
    return f"{org_key.lower()}-{project_key.lower()}@{DOMAIN}"


def mail(*, sender: str, to: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


@contextmanager
def running_mail_in(database_url: str, settings: Settings) -> Iterator[MailIn]:
    """`tessera mail-in` on `database_url`, with the settings' base URL (thread ids) and secret
    key (reply addresses' tokens)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(TESSERA_BASE_URL=settings.base_url, TESSERA_SECRET_KEY=settings.secret_key,
               TESSERA_ATTACHMENTS_DIR=str(settings.attachments_root))
    process = subprocess.Popen([str(Path(sys.executable).with_name("tessera")), "mail-in", "--port", str(port),
                                "--max-bytes", str(MAX_BYTES), "--database-url", database_url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as probe:
                probe.noop()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read() if process.stderr else ""
            time.sleep(0.2)
    try:
        yield MailIn(port)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr
        assert "mail-in stopped" in stderr


@pytest.fixture(scope="module")
def mail_in(database_url: str, settings: Settings) -> Iterator[MailIn]:
    with running_mail_in(database_url, settings) as running:
        yield running
