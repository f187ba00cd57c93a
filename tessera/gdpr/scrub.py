"""Rewriting a person's email and name out of stored text and JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scrub:
    """Replaces `email` (any case, anywhere) and `name` (as a whole word: "Al" must not turn
    "Also" into something else) by their placeholders, in strings, and in the keys and values
    of JSON documents at any depth. `keep`: other people's names that contain the name as a
    word ("Ann Lee" when erasing "Ann"), left as they are."""

    email: str
    name: str
    new_email: str
    new_name: str
    keep: tuple[str, ...] = field(default=())

    @property
    def terms(self) -> list[str]:
        return [term for term in (self.email, self.name) if term]

    def text(self, value: str) -> str:
        if self.email:
            value = re.sub(re.escape(self.email), self.new_email, value, flags=re.IGNORECASE)
        if self.name and self.name in value:
            kept = {f"\x00{index}\x00": other for index, other in enumerate(self.keep) if other in value}
            for marker, other in kept.items():
                value = value.replace(other, marker)
            # Not a word's part, nor an issue key's project ("QA" in "QA-12").
            value = re.sub(r"(?<!\w)" + re.escape(self.name) + r"(?!\w|-\d)", self.new_name, value)
            for marker, other in kept.items():
                value = value.replace(marker, other)
        return value

    def identifier(self, value: Any) -> Any:
        """For identifiers (keys, ids): only the email is replaced there. A name such as "QA" is
        also a project key, and "QA-1" must stay the issue it names."""
        return re.sub(re.escape(self.email), self.new_email, value, flags=re.IGNORECASE) if (
            self.email and isinstance(value, str)) else value

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(key) if isinstance(key, str) else key: self(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        return value
