"""Markdown -> ADF, from markdown-it's token stream (CommonMark with tables and strikethrough,
as Tessera renders). Block tokens open and close nodes on a stack; each inline token's
children become text nodes with the marks open at that point. The conventions of adf.py are
read back: a quote led by **Info:** is a panel, one led by **▸ Title** an expand, a paragraph
of a single image a mediaSingle, a mention in any of Tessera's three spellings a mention node."""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from tessera.jira_format.adf_emoji import split_emoji
from tessera.jira_format.adf_write import EXPAND_MARK, MARK_ORDER, PANEL_LABELS, inline_runs

Node = dict[str, Any]

_MENTION = re.compile(r"@\[([^\[\]\n]{1,255})\]\(account:([^()\s\[\]]{1,200})\)|\[~accountid:([^\]\s]{1,200})\]")
_ATTACHMENT = re.compile(r"/v2/attachments/([^/?#]+)/content")
_PANEL_TYPES = {f"{label}:": kind for kind, label in PANEL_LABELS.items()}


def _mention_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] not in "@[":
        return False
    match = _MENTION.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        label, account = (match.group(1), match.group(2)) if match.group(2) else (match.group(3), match.group(3))
        token.meta = {"id": account, "text": "@" + label.strip()}
    state.pos = match.end()
    return True


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("link", "adf_mention", _mention_rule)
    # Link and image URLs as written: ADF carries them unencoded (markdown-it percent-encodes).
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


_MD = _parser()
_CONTAINERS = {"paragraph_open": "paragraph", "heading_open": "heading", "bullet_list_open": "bulletList",
               "ordered_list_open": "orderedList", "list_item_open": "listItem", "blockquote_open": "blockquote",
               "table_open": "table", "tr_open": "tableRow", "th_open": "tableHeader", "td_open": "tableCell"}


def read_markdown(text: str) -> Node:
    root: Node = {"type": "doc", "version": 1, "content": []}
    stack: list[Node] = [root]
    for token in _MD.parse(text or ""):
        kind = token.type
        if kind in _CONTAINERS:
            node: Node = {"type": _CONTAINERS[kind], "content": []}
            if kind == "heading_open":
                node["attrs"] = {"level": int(token.tag[1])}
            elif kind == "ordered_list_open":
                start = token.attrGet("start")
                node["attrs"] = {"order": int(start) if start is not None else 1}
            stack[-1]["content"].append(node)
            stack.append(node)
        elif kind.endswith("_close") and kind not in ("thead_close", "tbody_close"):
            if len(stack) > 1:
                _finish(stack.pop())
        elif kind == "inline":
            content = _inline(token.children or [])
            parent = stack[-1]
            if parent["type"] in ("tableHeader", "tableCell"):
                parent["content"].append({"type": "paragraph", "content": content})
            else:
                parent["content"].extend(content)
        elif kind in ("fence", "code_block"):
            language = token.info.strip().split(" ", 1)[0] if kind == "fence" else ""
            code: Node = {"type": "codeBlock", "content": []}
            if language:
                code["attrs"] = {"language": language}
            body = token.content.removesuffix("\n")
            if body:
                code["content"].append({"type": "text", "text": body})
            stack[-1]["content"].append(code)
        elif kind == "hr":
            stack[-1]["content"].append({"type": "rule"})
    for index, node in enumerate(root["content"]):
        root["content"][index] = _top_level(node)
    return root


def _finish(node: Node) -> None:
    """Conventions read back once a node's content is complete."""
    if node["type"] == "blockquote":
        _quote_convention(node)
    elif node["type"] == "table":
        rows = node["content"]
        if rows and all(_empty_cell(cell) for cell in rows[0]["content"]) and len(rows) > 1:
            del rows[0]  # the empty header row written for a table without one
    for index, child in enumerate(node.get("content") or []):
        node["content"][index] = _top_level(child)


def _top_level(node: Node) -> Node:
    """A paragraph that is only an image is a mediaSingle."""
    if node["type"] == "paragraph" and len(node["content"]) == 1 and node["content"][0]["type"] == "_image":
        return _media_single(node["content"][0])
    if node["type"] == "paragraph":
        node["content"] = [_image_as_link(child) for child in node["content"]]
    return node


def _quote_convention(node: Node) -> None:
    content = node["content"]
    if not content or content[0]["type"] != "paragraph":
        return
    lead = content[0]["content"]
    if len(lead) == 1 and lead[0]["type"] == "text":
        text, marks = lead[0]["text"], lead[0].get("marks")
        if marks == [{"type": "strong"}] and text in _PANEL_TYPES and len(content) > 1:
            node.clear()
            node.update({"type": "panel", "attrs": {"panelType": _PANEL_TYPES[text]}, "content": content[1:]})
        elif (marks == [{"type": "strong"}] and text.startswith(EXPAND_MARK + " ")) or (not marks and text == EXPAND_MARK):
            title = text.removeprefix(EXPAND_MARK).strip()
            node.clear()
            node.update({"type": "expand", "attrs": {"title": title} if title else {}, "content": content[1:]})
            if not node["attrs"]:
                del node["attrs"]


def _empty_cell(cell: Node) -> bool:
    return all(not block.get("content") for block in cell["content"])


def _media_single(image: Node) -> Node:
    src, alt = image["src"], image["alt"]
    attachment = _ATTACHMENT.fullmatch(src)
    media: Node = {"type": "media", "attrs": {"type": "file", "id": attachment.group(1), "collection": ""}
                   if attachment else {"type": "external", "url": src}}
    if alt:
        media["attrs"]["alt"] = alt
    return {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [media]}


def _image_as_link(node: Node) -> Node:
    """An image among text: ADF has no inline image, so its alt text links to it."""
    if node["type"] != "_image":
        return node
    return {"type": "text", "text": node["alt"] or node["src"], "marks": [{"type": "link", "attrs": {"href": node["src"]}}]}


def _inline(children: list[Token]) -> list[Node]:
    nodes: list[Node] = []
    marks: list[dict] = []
    for token in children:
        kind = token.type
        if kind in ("text", "text_special"):
            for piece, is_emoji in split_emoji(token.content):
                if is_emoji:
                    nodes.append({"type": "emoji", "attrs": {"shortName": "", "text": piece}})
                else:
                    nodes.append(_text(piece, marks))
        elif kind == "code_inline":
            nodes.append(_text(token.content, [*marks, {"type": "code"}]))
        elif kind == "softbreak":
            nodes.append(_text(" ", marks))
        elif kind == "hardbreak":
            nodes.append({"type": "hardBreak"})
        elif kind in ("strong_open", "em_open", "s_open"):
            marks.append({"type": {"strong_open": "strong", "em_open": "em", "s_open": "strike"}[kind]})
        elif kind in ("strong_close", "em_close", "s_close", "link_close"):
            wanted = {"strong_close": "strong", "em_close": "em", "s_close": "strike", "link_close": "link"}[kind]
            for index in range(len(marks) - 1, -1, -1):
                if marks[index]["type"] == wanted:
                    del marks[index]
                    break
        elif kind == "link_open":
            attrs = {"href": str(token.attrGet("href") or "")}
            if token.attrGet("title"):
                attrs["title"] = str(token.attrGet("title"))
            marks.append({"type": "link", "attrs": attrs})
        elif kind == "image":
            alt = "".join(child.content for child in token.children or [])
            nodes.append({"type": "_image", "src": str(token.attrGet("src") or ""), "alt": alt})
        elif kind == "mention":
            nodes.append({"type": "mention", "attrs": dict(token.meta)})
    if len(nodes) == 1 and nodes[0]["type"] == "_image":
        return nodes  # _top_level makes it a mediaSingle
    return inline_runs([_image_as_link(node) for node in nodes])


def _text(text: str, marks: list[dict]) -> Node:
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = sorted((dict(mark) for mark in marks), key=lambda mark: MARK_ORDER.get(mark["type"], 9))
    return node
