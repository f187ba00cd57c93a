"""Rich text of the source (descriptions, comments, worklog comments) to the Markdown Tessera
stores, whichever way the source writes it: Jira wiki markup (Server and Data Center, export
files), Atlassian Document Format (Cloud's REST v3), or Markdown already (another Tessera).

Mentions become Tessera mentions of the imported user (`users`: the source's user identity ->
Tessera user id and name), and pictures and links to attachments point at the imported
attachment (`attachments`: file name -> Tessera URL) once they have come along."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tessera.issues.comments.markup import mention_text
from tessera.jira_format.adf import InvalidDocument, adf_to_markdown
from tessera.jira_format.wiki_markup import wiki_to_markdown

FORMATS = ("wiki", "adf", "markdown")
_MENTION = re.compile(r"@\[([^\]\n]*)\]\(account:([^)\s]+)\)")


@dataclass
class Bodies:
    text_format: str = "wiki"
    users: Mapping[str, tuple[int, str]] = field(default_factory=dict)  # identity -> (Tessera id, name)
    attachments: Mapping[str, str] = field(default_factory=dict)  # file name -> URL
    aliases: Mapping[str, str] = field(default_factory=dict)  # a Server user name -> the user's identity (key)

    def __post_init__(self) -> None:
        self._mentions = {identity: mention_text(user_id, name) for identity, (user_id, name) in self.users.items()}
        for alias, identity in self.aliases.items():  # `[~jsmith]` of the user whose key is JIRAUSER10100
            if identity in self._mentions:
                self._mentions.setdefault(alias, self._mentions[identity])

    def markdown(self, value: object) -> str:
        if value in (None, "", {}):
            return ""
        if isinstance(value, dict):  # ADF, whatever the source said: Cloud answers v2 with it in places
            return self._from_adf(value)
        text = str(value).replace("\x00", "")  # Jira stores NUL characters PostgreSQL refuses
        if self.text_format == "markdown":
            return self._remention(text)
        if self.text_format == "adf" and text.lstrip().startswith("{"):
            try:
                return self._from_adf(json.loads(text))
            except ValueError:
                pass
        return wiki_to_markdown(text, attachments=self.attachments, users=self._mentions)

    def _from_adf(self, document: dict) -> str:
        try:
            return self._remention(adf_to_markdown(document).replace("\x00", ""))
        except InvalidDocument:
            return json.dumps(document, ensure_ascii=False)  # kept, not lost: its text is in there

    def _remention(self, text: str) -> str:
        """`@[Name](account:ID)` of the source's user ID as the mention of the imported user;
        attachment URLs of the source as the imported attachment's."""

        def replace(match: re.Match[str]) -> str:
            return self._mentions.get(match.group(2), match.group(0))

        text = _MENTION.sub(replace, text)
        for name, url in self.attachments.items():
            text = text.replace(f"]({name})", f"]({url})")
        return text
