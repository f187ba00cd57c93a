"""Comment bodies: Markdown (CommonMark with tables and strikethrough) rendered to safe HTML, and
the @mentions in them.

Safety is two layers: markdown-it runs with raw HTML off (an HTML tag in a comment is shown as
text) and refuses javascript:/vbscript:/file:/data: links; its output then goes through nh3
(ammonia), an allow-list sanitizer: known tags only, no event-handler or style attributes, link
and image URLs limited to http, https and mailto (or relative), every link rel="nofollow noopener
noreferrer".

Mentions, in three spellings (the first two are Jira's wiki markup):
  [~accountid:42]            Jira Cloud's form, by user id
  [~jane@example.com]        Jira Server's [~username]; a Tessera username is the email
  @[Jane Doe](account:42)    what the autocomplete inserts: readable while typing; the id decides
A mention inside a code span or block is text. A mention that names no user of the caller's
organization stays plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

MAX_MENTIONS = 50
CACHED_BODY_MAX = 2000  # with the cache size, bounds its memory to tens of MB at worst

# A mention reference: ("id", 42) or ("email", "jane@example.com").
MentionRef = tuple[str, int | str]

_JIRA_FORM = re.compile(r"\[~(?:accountid:([0-9]{1,18})|([^\]\s@]{1,200}@[^\]\s]{1,200}))\]", re.IGNORECASE)
_AUTOCOMPLETE_FORM = re.compile(r"@\[([^\[\]\n]{1,255})\]\(account:([0-9]{1,18})\)")


def _mention_rule(state: StateInline, silent: bool) -> bool:
    start = state.pos
    char = state.src[start]
    if char == "[":
        match = _JIRA_FORM.match(state.src, start, state.posMax)
        ref: MentionRef | None = None
        if match:
            ref = ("id", int(match.group(1))) if match.group(1) else ("email", match.group(2).lower())
    elif char == "@":
        match = _AUTOCOMPLETE_FORM.match(state.src, start, state.posMax)
        ref = ("id", int(match.group(2))) if match else None
    else:
        return False
    if match is None or ref is None:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.content = match.group(0)
        token.meta = {"ref": ref}
    state.pos = match.end()
    return True


def _render_mention(renderer: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
    token = tokens[idx]
    user = env.get("mentions", {}).get(token.meta["ref"])
    if user is None:
        return escape(token.content)
    user_id, display_name = user
    return f'<span class="mention" data-user-id="{int(user_id)}">@{escape(display_name)}</span>'


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("link", "mention", _mention_rule)
    md.add_render_rule("mention", _render_mention)
    return md


_MD = _markdown()
_CLEANER = nh3.Cleaner(
    tags={"p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
          "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img", "span"},
    attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"},
                "span": {"data-user-id"}},
    allowed_classes={"span": {"mention"}},
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow noopener noreferrer",
    strip_comments=True,
)


@dataclass(frozen=True)
class ParsedBody:
    tokens: list[Token]
    mentions: tuple[MentionRef, ...]  # distinct, in order of appearance, at most MAX_MENTIONS


def parse_body(body: str) -> ParsedBody:
    """Parsing is most of the cost (about 0.3 ms for a 350-character comment; rendering and
    sanitizing add a tenth), so the parses of ordinary-sized bodies are kept: a busy issue's
    comments are parsed once per process, not once per view. Tokens are only read afterwards."""
    return _parse_cached(body) if len(body) <= CACHED_BODY_MAX else _parse(body)


def _parse(body: str) -> ParsedBody:
    tokens = _MD.parse(body)
    seen: dict[MentionRef, None] = {}
    for block in tokens:
        for child in block.children or ():
            if child.type == "mention" and len(seen) < MAX_MENTIONS:
                seen.setdefault(child.meta["ref"], None)
    return ParsedBody(tokens, tuple(seen))


_parse_cached = lru_cache(maxsize=512)(_parse)


def render_parsed(parsed: ParsedBody, users: dict[MentionRef, tuple[int, str]]) -> str:
    """`users` maps each resolved mention to (user id, display name); the rest render as text."""
    html = _MD.renderer.render(parsed.tokens, _MD.options, {"mentions": users})
    return _CLEANER.clean(html)


def render_body(body: str, users: dict[MentionRef, tuple[int, str]] | None = None) -> str:
    return render_parsed(parse_body(body), users or {})


def mentions_as_names(body: str, users: dict[MentionRef, tuple[int, str]]) -> str:
    """The Markdown source with each resolved mention written "@Display Name" (plain-text mail,
    Slack); unresolved ones stay as written, as render_body shows them."""
    def name(match: re.Match[str], ref: MentionRef) -> str:
        user = users.get(ref)
        return f"@{user[1]}" if user else match.group(0)

    body = _JIRA_FORM.sub(lambda m: name(m, ("id", int(m.group(1))) if m.group(1) else ("email", m.group(2).lower())),
                          body)
    return _AUTOCOMPLETE_FORM.sub(lambda m: name(m, ("id", int(m.group(2)))), body)


def mention_text(user_id: int, display_name: str) -> str:
    """The autocomplete form for a user (brackets dropped from the label so it always parses)."""
    label = re.sub(r"[\[\]\n]+", " ", display_name).strip()[:255] or "user"
    return f"@[{label}](account:{user_id})"
