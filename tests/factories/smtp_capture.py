"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 in its own thread, keeping every message it
accepted (parsed), the SMTP sessions they came over, and refusing the addresses it is told to
(550: permanent) or deferring them (451: come back later). Optionally STARTTLS with a
self-signed certificate for 127.0.0.1, and AUTH LOGIN/PLAIN with one user."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.factories.ports import free_port


@dataclass
class Capture:
    refuse: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    sessions: list[Any] = field(default_factory=list)  # one per message; the same object per connection
    credentials: tuple[str, str] | None = None
    pipelining: bool = False  # advertise PIPELINING (aiosmtpd reads commands in order, so it copes)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's hook
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.defer:
            return "451 4.7.1 Greylisted, come back later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.sessions.append(session)
        return "250 2.0.0 Queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
        ok = (isinstance(auth_data, LoginPassword) and self.credentials is not None
              and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials)
        return AuthResult(success=ok)

    @property
    def session_count(self) -> int:
        return len({id(session) for session in self.sessions})


@dataclass(frozen=True)
class SmtpServer:
    port: int
    capture: Capture
    controller: Controller
    client_tls: ssl.SSLContext | None = None

    def url(self, *, user: str | None = None, password: str | None = None, starttls: bool = False) -> str:
        auth = f"{user}:{password}@" if user else ""
        return f"smtp://{auth}127.0.0.1:{self.port}" + ("?starttls=true" if starttls else "")


@contextmanager
def smtp_server(capture: Capture | None = None, *, port: int | None = None, tls: bool = False,
                pipelining: bool | None = None) -> Iterator[SmtpServer]:
    capture = capture or Capture()
    if pipelining is not None:
        capture.pipelining = pipelining
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    client_tls = None
    if tls:
        server_tls, client_tls = _self_signed()
        kwargs = dict(tls_context=server_tls, require_starttls=True, authenticator=capture.authenticate,
                      auth_required=True)
    controller = Controller(capture, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **kwargs)
    controller.start()
    try:
        yield SmtpServer(port, capture, controller, client_tls)
    finally:
        controller.stop()


def _self_signed() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    directory = Path(tempfile.mkdtemp())
    (directory / "cert.pem").write_bytes(pem)
    (directory / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client
