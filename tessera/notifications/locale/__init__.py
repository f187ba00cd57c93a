"""The gettext catalogs of notifications (domain `tessera`): English is the source language, so
an absent catalog falls back to the message ids themselves. A translation lives in
`<language>/LC_MESSAGES/tessera.po` and ships compiled (`.mo`, package data). German is the first.

After changing a translatable string, from tessera/notifications (GNU gettext's tools; xgettext's
Python lexer reads the Jinja2 templates' `_()` and `ngettext()` calls too):

    xgettext --from-code=UTF-8 -L Python -k_ -kN_ -kgettext -kngettext:1,2 --no-wrap --sort-by-file \\
        --package-name=tessera -o locale/tessera.pot render.py email/message.py slack/blocks.py \\
        push/message.py templates/email/*.html templates/email/*.txt
    msgmerge -U locale/de/LC_MESSAGES/tessera.po locale/tessera.pot
    msgfmt --check -o locale/de/LC_MESSAGES/tessera.mo locale/de/LC_MESSAGES/tessera.po

tests/notifications/test_locale.py fails when a string is missing from the catalog or its
translation."""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "tessera"
LOCALE_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:  # noqa: N802 - the conventional name xgettext looks for
    """Marks a string for extraction where it is declared; it is translated where it is shown."""
    return message


# What a user may choose: English and every language whose compiled catalog ships with us, so a
# catalog added is a language offered.
LANGUAGES: tuple[str, ...] = (DEFAULT_LANGUAGE, *sorted(
    path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")))


# Each language in its own words, as a chooser shows it; a catalog without an entry shows its code.
_NAMES = {"en": "English", "de": "Deutsch"}


def language_name(language: str) -> str:
    return _NAMES.get(language, language)


@cache
def translations(language: str = DEFAULT_LANGUAGE) -> gettext.NullTranslations:
    """The catalog for `language` ("de", "pt_BR"), English (the ids) when there is none: the one
    place a notification's language becomes its words, whatever the channel. Cached: catalogs
    are read once per process."""
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True)
