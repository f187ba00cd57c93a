"""Automatic mail is recognised, and a trusted relay's SPF/DKIM/DMARC verdict is honoured."""

from __future__ import annotations

import pytest

from tessera.integrations.mail_in.parsing import parse_mail
from tessera.integrations.mail_in.screening import authentication_refusal, automatic_reason


def _mail(headers: str, *, envelope_sender: str | None = "ann@acme.test", body: str = "hi") -> object:
    raw = f"From: Ann <ann@acme.test>\r\nTo: o-p@t.test\r\nSubject: s\r\n{headers}\r\n{body}".encode()
    return parse_mail(raw, envelope_sender=envelope_sender)


@pytest.mark.parametrize("headers, reason", [
    ("Auto-Submitted: auto-replied\r\n", "Auto-Submitted: auto-replied"),
    ("Auto-Submitted: auto-generated\r\n", "Auto-Submitted: auto-generated"),
    ("Precedence: bulk\r\n", "Precedence: bulk"),
    ("Precedence: junk\r\n", "Precedence: junk"),
    ("Precedence: list\r\n", "Precedence: list"),
    ("X-Autoreply: yes\r\n", "X-Autoreply header"),
    ("MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n",
     "multipart/report (a delivery or read report)"),
])
def test_automatic_mail_is_recognised(headers: str, reason: str) -> None:
    assert automatic_reason(_mail(headers)) == reason  # type: ignore[arg-type]


def test_people_are_not_machines() -> None:
    assert automatic_reason(_mail("Auto-Submitted: no\r\nPrecedence: first-class\r\n")) is None  # type: ignore[arg-type]
    assert automatic_reason(_mail("", envelope_sender=None)) is None  # type: ignore[arg-type]
    assert automatic_reason(_mail("", envelope_sender="")) == "null sender (a bounce)"  # type: ignore[arg-type]
    daemon = parse_mail(b"From: MAILER-DAEMON@mx.test\r\nSubject: x\r\n\r\nx", envelope_sender="mx@mx.test")
    assert automatic_reason(daemon) == "sender mailer-daemon@mx.test does not read replies"


TRUSTED = ("mx.tessera.test",)


@pytest.mark.parametrize("results, refused", [
    ("mx.tessera.test; spf=pass smtp.mailfrom=ann@acme.test; dkim=none", None),
    ("mx.tessera.test; dkim=pass header.d=mail.acme.test header.s=s1; spf=fail smtp.mailfrom=x@evil.test", None),
    ("mx.tessera.test 1; dmarc=pass header.from=acme.test", None),
    ("mx.tessera.test; spf=pass smtp.mailfrom=bounce@evil.test; dkim=pass header.d=evil.test",
     "neither SPF nor DKIM passed for acme.test"),
    ("mx.tessera.test; spf=softfail smtp.mailfrom=ann@acme.test; dkim=fail header.d=acme.test",
     "neither SPF nor DKIM passed for acme.test"),
    # The sender's own claim, under a name the relay does not use, counts for nothing.
    ("forged.example; spf=pass smtp.mailfrom=ann@acme.test", "no Authentication-Results from a trusted relay"),
])
def test_a_trusted_relays_verdict_is_honoured(results: str, refused: str | None) -> None:
    mail = _mail(f"Authentication-Results: {results}\r\n")
    assert authentication_refusal(mail, TRUSTED) == refused  # type: ignore[arg-type]


def test_without_a_trusted_relay_configured_mail_is_taken_as_given() -> None:
    assert authentication_refusal(_mail(""), ()) is None  # type: ignore[arg-type]
    assert authentication_refusal(_mail(""), TRUSTED) == "no Authentication-Results from a trusted relay"  # type: ignore[arg-type]
