"""The one parser both receiving paths share: addresses, threading headers, encodings, parts."""

from __future__ import annotations

from tessera.integrations.mail_in.parsing import parse_mail

RAW = (b"Return-Path: <bounces+x@sender.test>\r\n"
       b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Example.TEST>\r\n"
       b"To: acme-web@tickets.test, Someone <other@example.test>\r\n"
       b"Cc: acme-ops@tickets.test\r\n"
       b"Subject: =?utf-8?b?RHJ1Y2tlciBkZWZla3Qg4oCTIGRyaW5nZW5k?=\r\n"
       b"Message-ID: <ABC.123@mail.example.test>\r\n"
       b"In-Reply-To: <n2@tessera.test>\r\n"
       b"References: <issue-1-7@tessera.test>\r\n <n1@tessera.test> <n2@tessera.test>\r\n"
       b"MIME-Version: 1.0\r\n"
       b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
       b"--outer\r\n"
       b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
       b"--alt\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
       b"Der Drucker im 2. Stock druckt nur noch wei=DFe Seiten.\r\n\r\n-- \r\nJ=FCrgen\r\n"
       b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML version</p>\r\n"
       b"--alt--\r\n"
       b"--outer\r\n"
       b'Content-Type: application/pdf; name="=?utf-8?q?Pr=C3=BCfung.pdf?="\r\n'
       b"Content-Disposition: attachment; filename*=utf-8''Pr%C3%BCfung.pdf\r\n"
       b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJeLjz9MK\r\n"
       b"--outer--\r\n")


def test_a_real_world_message_is_read_whole() -> None:
    mail = parse_mail(RAW)
    assert (mail.sender, mail.sender_name) == ("juergen@example.test", "Jürgen Müller")
    assert mail.envelope_sender == "bounces+x@sender.test"
    assert mail.recipients == ("acme-web@tickets.test", "other@example.test", "acme-ops@tickets.test")
    assert mail.subject == "Drucker defekt – dringend"
    assert mail.message_id == "<abc.123@mail.example.test>"
    # In-Reply-To first, then References from the newest: the nearest ancestor is tried first.
    assert mail.references == ("<n2@tessera.test>", "<n1@tessera.test>", "<issue-1-7@tessera.test>")
    assert mail.text == "Der Drucker im 2. Stock druckt nur noch weiße Seiten."
    assert [(a.filename, a.content_type, a.data[:5]) for a in mail.attachments] == [
        ("Prüfung.pdf", "application/pdf", b"%PDF-")]


def test_the_smtp_envelope_wins_over_headers() -> None:
    mail = parse_mail(RAW, envelope_sender="", envelope_recipients=("acme-web@tickets.test",))
    assert mail.envelope_sender == "" and mail.recipients == ("acme-web@tickets.test",)


def test_broken_mail_still_parses() -> None:
    mail = parse_mail(b"From: nobody\r\nSubject: \xff\xfe bad bytes\r\n\r\n\xff body")
    assert mail.sender == "nobody" and mail.attachments == ()
    assert mail.message_id.startswith("<sha256-")  # no Message-ID: a stable one from the bytes
    assert parse_mail(b"").text == "" and parse_mail(b"").sender == ""
