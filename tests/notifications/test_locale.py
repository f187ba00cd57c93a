"""The notification catalog: every translatable string of the code and templates is in
tessera.pot (when GNU xgettext is installed), every one has its German translation in the
compiled catalog, and a German notification reads German in the mail and in Slack."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tessera.notifications.locale import LOCALE_DIR, translations
from tessera.notifications.render import ChangeView, FieldLine, IssueSection, IssueView, RenderedNotification
from tessera.notifications.slack.blocks import slack_message

NOTIFICATIONS = LOCALE_DIR.parent
SOURCES = ["render.py", "email/message.py", "slack/blocks.py", "push/message.py", *sorted(
    str(p.relative_to(NOTIFICATIONS)) for p in (NOTIFICATIONS / "templates").rglob("*.*"))]
SAME_IN_GERMAN = {"Status", "Tessera", "{actor}: {event}"}


def msgids(pot: str) -> set[str]:
    return {match.group(1) for match in re.finditer(r'^msgid "(.+)"$', pot, re.MULTILINE)}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext's xgettext is not installed")
def test_the_template_holds_every_string_of_the_code_and_templates(tmp_path: Path) -> None:
    extracted = tmp_path / "fresh.pot"
    subprocess.run(["xgettext", "--from-code=UTF-8", "-L", "Python", "-k_", "-kN_", "-kgettext", "-kngettext:1,2",
                    "--no-wrap", "-o", str(extracted), *SOURCES], cwd=NOTIFICATIONS, check=True)
    assert msgids(extracted.read_text()) == msgids((LOCALE_DIR / "tessera.pot").read_text())


def test_every_string_has_its_german_translation() -> None:
    german = translations("de")
    ids = msgids((LOCALE_DIR / "tessera.pot").read_text())
    assert len(ids) > 40
    untranslated = sorted(i for i in ids if german.gettext(i) == i and i not in SAME_IN_GERMAN)
    assert not untranslated
    assert german.ngettext("{count} update", "{count} updates", 1) == "{count} Änderung"
    assert german.ngettext("{count} update", "{count} updates", 3) == "{count} Änderungen"
    assert translations("xx").gettext("(none)") == "(none)"  # no catalog: English


def test_a_german_notification_reads_german_in_slack() -> None:
    issue = IssueView(7, "PAY-7", "Kasse", "In Arbeit", "https://t.example/browse/PAY-7", True)
    change = ChangeView("status_changed", translations("de").gettext("{actor} changed the status").format(actor="Ada"),
                        "Ada", "2026-12-07 10:15 CET", (FieldLine("Status", "Offen", "In Arbeit"),))
    rendered = RenderedNotification("issue", 3, (IssueSection(issue, (change,)),), translations("de"), "de")
    message = slack_message(rendered)
    assert message["blocks"][1]["text"]["text"].startswith("*Ada hat den Status geändert*")
    assert message["blocks"][-1]["elements"][0]["text"]["text"] == "PAY-7 öffnen"
