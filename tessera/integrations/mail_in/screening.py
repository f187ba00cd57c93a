"""What a message must pass before it may act: it is not automatic (an auto-reply, a bounce, a
list's mail: answering those makes loops), and, when a trusted relay vouches for mail, the relay
says the sender's domain is authentic (SPF, DKIM or DMARC pass, aligned with the From domain)."""

from __future__ import annotations

import re

from tessera.integrations.mail_in.parsing import InboundMail

_BULK = frozenset({"bulk", "junk", "list", "auto_reply"})
_DAEMONS = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"})
_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)((?:\s+[a-z]+(?:\.[a-z-]+)?\s*=\s*[^\s;]+)*)", re.I)
_PROPERTY = re.compile(r"([a-z]+\.[a-z-]+)\s*=\s*([^\s;]+)", re.I)


def automatic_reason(mail: InboundMail) -> str | None:
    """Why this message is machine-sent (RFC 3834, RFC 3464 and common practice), or None."""
    headers = mail.headers
    auto_submitted = str(headers.get("Auto-Submitted", "") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    precedence = str(headers.get("Precedence", "") or "").strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if name in headers:
            return f"{name} header"
    if mail.envelope_sender == "":
        return "null sender (a bounce)"
    if headers.get_content_type() == "multipart/report":
        return "multipart/report (a delivery or read report)"
    if not mail.sender or mail.sender.split("@")[0] in _DAEMONS:
        return f"sender {mail.sender or '(none)'} does not read replies"
    return None


def _aligned(domain: str, sender_domain: str) -> bool:
    """Relaxed alignment (DMARC's): the same organisational domain, approximated as one being a
    subdomain of the other."""
    domain, sender_domain = domain.lower().strip("."), sender_domain.lower().strip(".")
    return bool(domain) and (domain == sender_domain or sender_domain.endswith("." + domain)
                             or domain.endswith("." + sender_domain))


def authentication_refusal(mail: InboundMail, trusted_authserv_ids: tuple[str, ...]) -> str | None:
    """None when the mail may act; else why not. Only Authentication-Results headers (RFC 8601)
    whose authserv-id is trusted count: the relay adds its own and must remove forged ones, so any
    other such header is the sender's own claim. With no trusted relay configured, mail is taken
    as the receiving path gives it."""
    if not trusted_authserv_ids:
        return None
    sender_domain = mail.sender.rpartition("@")[2]
    seen = False
    for header in mail.headers.get_all("Authentication-Results", []) or []:
        authserv_id, _, results = str(header).partition(";")
        ident = authserv_id.split()
        if not ident or ident[0].lower() not in trusted_authserv_ids:
            continue
        seen = True
        for method, result, properties in _RESULT.findall(results):
            if result.lower() != "pass":
                continue
            if method.lower() == "dmarc":
                return None
            for name, value in _PROPERTY.findall(properties):
                domain = value.rpartition("@")[2]
                if name.lower() in ("header.d", "header.i", "smtp.mailfrom") and _aligned(domain, sender_domain):
                    return None
    if not seen:
        return "no Authentication-Results from a trusted relay"
    return f"neither SPF nor DKIM passed for {sender_domain or 'the sender'}"
