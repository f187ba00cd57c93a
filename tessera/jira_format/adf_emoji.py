"""Emoji between ADF's emoji nodes ({shortName: ":smile:", text: "😄"}) and the characters in
Markdown. Short names are the `emoji` library's aliases (GitHub's and Slack's, which Atlassian's
standard set follows); an emoji the library does not know keeps the short name it came with."""

from __future__ import annotations

from typing import Any

import emoji


def emoji_node(text: str, short_name: str) -> dict[str, Any]:
    """The node for an emoji given by its character, its short name, or both: the character
    decides the short name when the library knows it."""
    if not text and short_name:
        found = emoji.emojize(short_name, language="alias")
        text = found if found != short_name and emoji.purely_emoji(found) else ""
    if text and emoji.is_emoji(text):
        alias = emoji.demojize(text, language="alias")
        if alias.startswith(":") and alias.endswith(":") and alias.count(":") == 2:
            short_name = alias
    attrs = {"shortName": short_name or text}
    if text:
        attrs["text"] = text
    return {"type": "emoji", "attrs": attrs}


def split_emoji(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_emoji) pieces, in order."""
    if not text.isascii() and emoji.emoji_count(text):
        pieces: list[tuple[str, bool]] = []
        position = 0
        for found in emoji.emoji_list(text):
            if found["match_start"] > position:
                pieces.append((text[position:found["match_start"]], False))
            pieces.append((found["emoji"], True))
            position = found["match_end"]
        if position < len(text):
            pieces.append((text[position:], False))
        return pieces
    return [(text, False)]
