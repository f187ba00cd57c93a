"""Atlassian Document Format (the rich-text bodies of Jira Cloud's REST v3) to and from the
Markdown Tessera stores.

    adf_to_markdown(doc)   validates `doc` (InvalidDocument, a 400, names where), then writes it
    markdown_to_adf(text)  parses with markdown-it (the parser Tessera renders with)

Markdown conventions for what it has no syntax for (adf_write has the details):
  mention        @[Ada L.](account:ID), the form Tessera's mention autocomplete writes
  emoji          the emoji character (its shortName comes back from the `emoji` library's
                 aliases); an emoji without one, such as a site's custom emoji, as its :shortName:
  panel          a block quote led by a paragraph of the bold label: **Info:**, **Warning:**, ...
  expand         a block quote led by **▸ Title**
  media          an image: ![alt](/v2/attachments/ID/content) for an attachment, else its URL
  inlineCard     a link to its URL; status and date as text
  underline, subsup, textColor, backgroundColor   dropped (Tessera renders no raw HTML)
Unknown nodes keep their text. A document comes back from markdown_to_adf(adf_to_markdown(doc))
normalised: what Markdown cannot carry is gone (dropped marks and attributes, panels' colours),
status, date and card nodes are text and links, adjacent text with the same marks is one node,
spaces at the edges of emphasis move outside it, table cells hold one paragraph.
tests/jira_format/test_adf.py checks this with generated documents."""

from __future__ import annotations

from typing import Any

from tessera.errors import InvalidInput
from tessera.jira_format.adf_read import read_markdown
from tessera.jira_format.adf_write import write_markdown

MAX_DEPTH = 64  # nesting deeper than any editor produces; bounds the recursion


class InvalidDocument(InvalidInput, ValueError):
    """ADF that is not a document: `path` says where (`content[2].content[0]`)."""

    code = "invalid_adf"

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or 'doc'}: {problem}", data={"path": path})
        self.path = path


def validate(doc: Any) -> None:
    """The structure every node needs, and the attributes the converters read: raises
    InvalidDocument at the first problem. Unknown node types are allowed."""
    if not isinstance(doc, dict):
        raise InvalidDocument("", "an Atlassian document must be a JSON object")
    if doc.get("type") != "doc":
        raise InvalidDocument("", '"type" must be "doc"')
    if doc.get("version") != 1:
        raise InvalidDocument("", '"version" must be 1')
    if not isinstance(doc.get("content"), list):
        raise InvalidDocument("", '"content" must be a list of nodes')
    _validate_children(doc["content"], "", 1)


def _validate_children(children: list, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidDocument(path, f"nodes nested deeper than {MAX_DEPTH} levels")
    for index, node in enumerate(children):
        where = f"{path}.content[{index}]" if path else f"content[{index}]"
        _validate_node(node, where, depth)


def _validate_node(node: Any, path: str, depth: int) -> None:
    if not isinstance(node, dict):
        raise InvalidDocument(path, "a node must be a JSON object")
    kind = node.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidDocument(path, 'node without "type"')
    attrs = node.get("attrs", {})
    if not isinstance(attrs, dict):
        raise InvalidDocument(path, f'{kind} node: "attrs" must be an object')
    if kind == "text":
        if not isinstance(node.get("text"), str) or not node["text"]:
            raise InvalidDocument(path, 'text node without "text"')
        marks = node.get("marks", [])
        if not isinstance(marks, list):
            raise InvalidDocument(path, 'text node: "marks" must be a list')
        for index, mark in enumerate(marks):
            if not isinstance(mark, dict) or not isinstance(mark.get("type"), str):
                raise InvalidDocument(f"{path}.marks[{index}]", 'mark without "type"')
            mark_attrs = mark.get("attrs", {})
            if mark["type"] == "link" and (not isinstance(mark_attrs, dict) or not isinstance(mark_attrs.get("href"), str)):
                raise InvalidDocument(f"{path}.marks[{index}]", 'link mark without "href"')
    elif kind == "heading" and attrs.get("level") not in (1, 2, 3, 4, 5, 6):
        raise InvalidDocument(path, 'heading "level" must be 1 to 6')
    elif kind == "mention" and not isinstance(attrs.get("id"), str | int):
        raise InvalidDocument(path, 'mention without "id"')
    elif kind == "emoji" and not isinstance(attrs.get("shortName"), str):
        raise InvalidDocument(path, 'emoji without "shortName"')
    if "content" in node:
        if not isinstance(node["content"], list):
            raise InvalidDocument(path, f'{kind} node: "content" must be a list of nodes')
        _validate_children(node["content"], path, depth + 1)


def adf_to_markdown(doc: dict[str, Any]) -> str:
    validate(doc)
    return write_markdown(doc)


def markdown_to_adf(text: str) -> dict[str, Any]:
    return read_markdown(text)
