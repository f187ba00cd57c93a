"""The gettext catalogs of notifications (domain `tessera`): English is the source language, so
an absent catalog falls back to the message ids themselves. `make messages` style commands (see
the comment in tessera.notifications.locale.extract) rebuild `tessera.pot`; a translation lives in
`<language>/LC_MESSAGES/tessera.po` and is shipped compiled (`.mo`)."""

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


@cache
def translations(language: str = DEFAULT_LANGUAGE) -> gettext.NullTranslations:
    """The catalog for `language` ("de", "pt_BR"), English (the ids) when there is none. Cached:
    catalogs are read once per process."""
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True)
