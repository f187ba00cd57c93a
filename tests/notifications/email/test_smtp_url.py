"""TESSERA_SMTP_URL as operators write it."""

from __future__ import annotations

import pytest

from tessera.notifications.email.smtp_url import BadSmtpUrl, SmtpConfig


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.com", SmtpConfig("mail.example.com", 25, False, False)),
    ("smtp://user:pa%40ss@mail.example.com:587?starttls=true",
     SmtpConfig("mail.example.com", 587, False, True, "user", "pa@ss")),
    ("smtp://mail.example.com?starttls=true", SmtpConfig("mail.example.com", 587, False, True)),
    ("smtps://me%40example.com:secret@smtp.example.com", SmtpConfig("smtp.example.com", 465, True, False,
                                                                     "me@example.com", "secret")),
    ("smtp://127.0.0.1:2525?starttls=false", SmtpConfig("127.0.0.1", 2525, False, False)),
])
def test_urls_operators_write(url: str, expected: SmtpConfig) -> None:
    assert SmtpConfig.parse(url) == expected


@pytest.mark.parametrize(("url", "says"), [
    ("http://mail.example.com", "must start with smtp"),
    ("smtp://", "names no host"),
    ("smtps://mail.example.com?starttls=true", "TLS already"),
    ("smtp://mail.example.com:99999", "TESSERA_SMTP_URL"),
])
def test_bad_urls_are_refused_naming_the_setting(url: str, says: str) -> None:
    with pytest.raises(BadSmtpUrl, match=says):
        SmtpConfig.parse(url)
