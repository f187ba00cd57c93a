"""Replies as the common mail clients write them, reduced to what the sender wrote this time."""

from __future__ import annotations

import pytest

from tessera.integrations.mail_in.body_text import html_to_text, latest_reply

CLIENTS = {
    "gmail": ("Yes, on Firefox too.\n\nOn Tue, Jan 7, 2025 at 10:00 AM Tessera <tessera@localhost> wrote:\n\n"
              "> [PROJ-4] Login\n>\n> Admin commented\n", "Yes, on Firefox too."),
    "outlook": ("Please reset my password.\n\nThanks,\nJohn\n\n________________________________\n"
                "From: Tessera <tessera@localhost>\nSent: Tuesday, January 7, 2025 10:00 AM\n"
                "To: John Smith <john@acme.test>\nSubject: [PROJ-4] Password reset\n\nAdmin commented:\n",
                "Please reset my password."),
    "apple mail on a phone": ("Works now.\n\nSent from my iPhone\n\n> On 7 Jan 2025, at 10:00, Tessera "
                              "<tessera@localhost> wrote:\n> \n> Admin commented\n", "Works now."),
    "thunderbird, German": ("Bitte prüfen.\n\nMit freundlichen Grüßen\nAnna\n\nAm 07.01.2025 um 10:00 schrieb "
                            "Tessera <tessera@localhost>:\n> Alter Text\n", "Bitte prüfen."),
    "gmail, French": ("Merci, c'est réglé.\n\nLe mar. 7 janv. 2025 à 10:00, Tessera <tessera@localhost> a écrit :\n"
                      "> vieux texte\n", "Merci, c'est réglé."),
    "signature after '-- '": ("Short note.\n\n-- \nJane Doe | Support Lead\n+1 555 0100\n", "Short note."),
    "a list is content": ("Steps:\n- open the app\n- click Save\n", "Steps:\n- open the app\n- click Save"),
}


@pytest.mark.parametrize("text, expected", list(CLIENTS.values()), ids=list(CLIENTS))
def test_quotes_and_signatures_are_cut(text: str, expected: str) -> None:
    assert latest_reply(text) == expected


def test_a_message_of_quotes_only_keeps_its_text() -> None:
    assert latest_reply("> just a quote\n> nothing else\n") == "> just a quote\n> nothing else"
    assert latest_reply("  \r\n ") == ""


def test_html_becomes_readable_text() -> None:
    html = ("<html><head><title>t</title><style>p {color: red}</style><script>alert(1)</script></head><body>"
            "<p>The <b>invoice</b> &amp; the receipt &lt;differ&gt;.</p><ul><li>Chrome</li><li>Edge</li></ul>"
            "<div>Line one<br>Line two</div><blockquote>quoted<br>more</blockquote></body></html>")
    assert html_to_text(html) == ("The invoice & the receipt <differ>.\n\n- Chrome\n- Edge\n\nLine one\nLine two\n\n"
                                  "> quoted\n> more")


def test_an_outlook_html_reply_keeps_only_the_new_text() -> None:
    html = ("<div>Fixed after the update.</div><div><br></div><hr><div><b>From:</b> Tessera &lt;tessera@localhost&gt;"
            "<br><b>Sent:</b> Tuesday, January 7, 2025 10:00 AM<br><b>To:</b> Ann<br><b>Subject:</b> [PROJ-4] Crash"
            "</div><div>Admin commented</div>")
    assert latest_reply(html_to_text(html)) == "Fixed after the update."
