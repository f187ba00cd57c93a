"""Atlassian Document Format (ADF) to and from the Markdown Tessera stores.

PLACEHOLDER: the full converter (lists, code, quotes, tables, mentions, links, emoji, panels) is
written on another branch and replaces this file at the merge. This one keeps the same two
functions and error type, for paragraphs of plain text and headings only."""

from __future__ import annotations

from typing import Any


class InvalidAdf(ValueError):
    """The value is not an ADF document; `path` says where (`content[0].type`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


def _text_of(node: Any, path: str) -> str:
    if not isinstance(node, dict):
        raise InvalidAdf(path, "a node is a JSON object")
    if node.get("type") == "text":
        if not isinstance(node.get("text"), str):
            raise InvalidAdf(f"{path}.text", "a text node has text")
        return node["text"]
    if node.get("type") == "hardBreak":
        return "\n"
    children = node.get("content") or []
    if not isinstance(children, list):
        raise InvalidAdf(f"{path}.content", "content is a list of nodes")
    return "".join(_text_of(child, f"{path}.content[{i}]") for i, child in enumerate(children))


def adf_to_markdown(doc: dict) -> str:
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        raise InvalidAdf("type", "an ADF document has type \"doc\"")
    blocks = doc.get("content") or []
    if not isinstance(blocks, list):
        raise InvalidAdf("content", "content is a list of nodes")
    parts = []
    for index, block in enumerate(blocks):
        text = _text_of(block, f"content[{index}]")
        if block.get("type") == "heading":
            level = (block.get("attrs") or {}).get("level", 1)
            text = "#" * (level if isinstance(level, int) and 1 <= level <= 6 else 1) + " " + text
        parts.append(text)
    return "\n\n".join(parts)


def markdown_to_adf(text: str) -> dict:
    content: list[dict[str, Any]] = []
    for block in (part.strip("\n") for part in text.split("\n\n")):
        if not block:
            continue
        hashes = len(block) - len(block.lstrip("#"))
        if 1 <= hashes <= 6 and block[hashes:hashes + 1] == " ":
            content.append({"type": "heading", "attrs": {"level": hashes},
                            "content": [{"type": "text", "text": block[hashes + 1:]}]})
        else:
            content.append({"type": "paragraph", "content": [{"type": "text", "text": block}]})
    return {"type": "doc", "version": 1, "content": content}
