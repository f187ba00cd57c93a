"""Jira wiki markup inside one line (text effects, links, mentions, images, emoticons) to
CommonMark, and the escaping that makes plain text render as its author saw it.

One compiled alternation scans a line left to right; the leftmost token wins and, at the same
position, the first alternative listed. Text between tokens is escaped in one substitution.
Text effects (`*bold*` and kin) follow Jira's rule: the opening mark follows a non-word
character and precedes a non-space, the closing mark the reverse, both on one line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Jira's emoticons, as the emoji they stand for.
EMOTICONS = {
    ":)": "🙂", ":-)": "🙂", ":(": "🙁", ":-(": "🙁", ":P": "😛", ":p": "😛", ":D": "😀", ";)": "😉",
    "(y)": "👍", "(n)": "👎", "(i)": "ℹ️", "(/)": "✅", "(x)": "❌", "(!)": "⚠️", "(+)": "➕", "(-)": "➖",
    "(?)": "❓", "(on)": "💡", "(off)": "💡", "(*)": "⭐", "(*r)": "⭐", "(*g)": "⭐", "(*b)": "⭐", "(*y)": "⭐",
    "(flag)": "🚩", "(flagoff)": "🏳️",
}


def _emoticons() -> str:
    """The emoticons not inside a word, grouped by first character: each alternative starts
    with a literal (see _effect)."""
    by_first: dict[str, list[str]] = {}
    for key in sorted(EMOTICONS, key=len, reverse=True):
        by_first.setdefault(key[0], []).append(re.escape(key[1:]))
    return "|".join(rf"{re.escape(first)}(?<![\w\\]{re.escape(first)})(?:{'|'.join(rests)})"
                    for first, rests in by_first.items())

# Markdown around each Jira text effect. Raw HTML is off in Tessera's renderer, so the effects
# Markdown lacks keep their text only: underline and subscript plain, superscript after a caret
# (`10^6`), a citation in italics after Jira's em dash.
_EFFECTS = {"strong": ("**", "**"), "em": ("_", "_"), "strike": ("~~", "~~"), "ins": ("", ""),
            "sup": ("^", ""), "sub": ("", ""), "cite": ("— _", "_")}


def _effect(mark: str, name: str, *, inside_words: bool = False) -> str:
    """Jira's rule; superscript and subscript also sit inside words (`x^2^`, `H~2~O`). Every
    alternative starts with its literal mark (the look-behind follows it): the regex engine then
    skips straight to candidate characters, ten times faster than trying each position. An
    effect spans at most 1,000 characters, which bounds the search for its end."""
    m = re.escape(mark)
    before, after = (rf"(?<!\\{m})", "") if inside_words else (rf"(?<![\w\\]{m})", r"(?!\w)")
    return rf"{m}{before}(?P<{name}>(?=[^\s{m[-1]}])[^\n]{{0,1000}}?(?<=\S)){m}{after}"


_IMAGE_TARGET = r"(?:(?i:https?)://[^\s!|]+|[^!|\n\s][^!|\n]*?\.(?i:png|jpe?g|gif|bmp|svg|webp|tiff?|ico|mov|mp4))"
_URL = r"(?i:https?|ftp|file)://[^\s<>\[\]{}|\"'`]+[^\s<>\[\]{}|\"'`.,;:!?)]"

_TOKEN = re.compile("|".join((
    r"\\(?:(?P<line_break>\\)|(?P<escaped>[^\w\s]))",
    r"\{\{(?P<mono>.+?)\}*\}\}",
    r"\[~(?P<mention>[^\]\n]{1,200})\]",
    r"\[(?P<link>[^\]\n]{1,2000})\]",
    rf"!(?P<image>{_IMAGE_TARGET})(?:\|(?P<image_params>[^!\n]*))?!",
    rf"(?P<url>{_URL})",
    rf"(?P<emoticon>{_emoticons()})(?!\w)",
    _effect("*", "strong"), _effect("_", "em"), _effect("??", "cite"), _effect("-", "strike"),
    _effect("+", "ins"), _effect("^", "sup", inside_words=True), _effect("~", "sub", inside_words=True),
    r"\{(?P<color>(?i:color)(?::[^}\n]*)?)\}",
)))
_TOKEN_START = re.compile(r"[\\{\[!:;(*_?\-+^~]|(?:https?|ftp|file)://", re.IGNORECASE)

_ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,30}-[0-9]{1,12}")
_SCHEME = re.compile(r"(?:https?|ftp|file|mailto):", re.IGNORECASE)

# Characters that always mean something to CommonMark inline (with GFM strikethrough; `|` only
# in a table cell), plus `_` where it could open or close emphasis (not between two letters or
# digits, so snake_case stays readable). str.translate does the first part in one fast pass.
_ESCAPES = str.maketrans({char: "\\" + char for char in "\\`*[]<~"})
_ESCAPES_IN_CELL = str.maketrans({char: "\\" + char for char in "\\`*[]<~|"})
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]{1,32};)")  # Jira shows `&copy;` as written
# What would start a block at the beginning of a line: a heading, quote, list item, thematic
# break or setext underline, or an ordered list item's number.
_LINE_START = re.compile(r"([#>+\-=])|([0-9]{1,9})([.)])")


@dataclass(frozen=True)
class Context:
    attachments: Mapping[str, str]
    users: Mapping[str, str]
    line_break: str  # what a `\\` becomes: a hard break (with the block's indentation) or a space
    in_cell: bool = False


def escape_text(text: str, *, at_line_start: bool = False, in_cell: bool = False) -> str:
    escaped = text.translate(_ESCAPES_IN_CELL if in_cell else _ESCAPES)
    if "_" in escaped:
        escaped = _UNDERSCORE.sub(r"\\_", escaped)
    if "&" in escaped:
        escaped = _ENTITY.sub(r"\\&", escaped)
    return escape_line_start(escaped) if at_line_start else escaped


def escape_line_start(line: str) -> str:
    """`line` (already escaped Markdown) made safe to begin a Markdown line."""
    return _LINE_START.sub(_escape_line_start, line, count=1) if _LINE_START.match(line) else line


def fenced(content: str, language: str | None = None) -> list[str]:
    """A fenced code block showing `content` exactly: the fence outgrows any fence inside."""
    longest = max((len(run) for run in re.findall(r"^[ \t]*(`{3,})", content, re.M)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language or ''}", *(content.split("\n") if content else ()), fence]


def _escape_line_start(match: re.Match[str]) -> str:
    return f"\\{match.group(1)}" if match.group(1) else f"{match.group(2)}\\{match.group(3)}"


def code_span(text: str) -> str:
    """A code span that shows `text` exactly, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def link_destination(url: str) -> str:
    if re.search(r"[\s()<>]", url):
        return "<" + url.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>").replace("\n", " ") + ">"
    return url


def convert_inline(text: str, ctx: Context, *, at_line_start: bool = True) -> str:
    if not _TOKEN_START.search(text):
        return escape_text(text, at_line_start=at_line_start, in_cell=ctx.in_cell)
    out: list[str] = []
    pos = 0
    line_start = at_line_start  # at the start of a Markdown line: the block's, or after a `\\`
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            plain = text[pos:match.start()]
            out.append(escape_text(plain.lstrip() if line_start else plain, at_line_start=line_start,
                                   in_cell=ctx.in_cell))
            line_start = False
        out.append(_token(match, ctx, at_line_start=line_start))
        line_start = match.lastgroup == "line_break" and "\n" in ctx.line_break
        pos = match.end()
    if pos < len(text):
        plain = text[pos:]
        out.append(escape_text(plain.lstrip() if line_start else plain, at_line_start=line_start,
                               in_cell=ctx.in_cell))
    return "".join(out)


def _token(match: re.Match[str], ctx: Context, *, at_line_start: bool) -> str:
    kind = match.lastgroup
    if kind == "line_break":
        return ctx.line_break
    if kind == "escaped":
        return escape_text(match.group("escaped"), at_line_start=True, in_cell=ctx.in_cell)
    if kind == "mono":
        span = code_span(match.group("mono"))
        return span.replace("|", "\\|") if ctx.in_cell else span
    if kind == "mention":
        return _mention(match.group("mention"), ctx)
    if kind == "link":
        return _link(match.group("link"), ctx, at_line_start=at_line_start)
    if kind in ("image", "image_params"):
        return _image(match.group("image").strip(), ctx)
    if kind == "url":
        return f"<{match.group('url')}>"
    if kind == "emoticon":
        return EMOTICONS[match.group("emoticon")]
    if kind in _EFFECTS:
        opening, closing = _EFFECTS[kind]
        inner = convert_inline(match.group(kind), ctx, at_line_start=at_line_start and not opening)
        return f"{opening}{inner}{closing}"
    return ""  # {color}: the text stays, the colour goes


def _mention(target: str, ctx: Context) -> str:
    target = target.strip()
    account = target[len("accountid:"):] if target.lower().startswith("accountid:") else None
    mapped = ctx.users.get(target) or (ctx.users.get(account) if account is not None else None)
    if mapped is not None:
        return mapped
    # Unmapped: plain text. Never Tessera's own `[~accountid:N]`, which would name a Tessera user.
    return escape_text(f"@{account if account is not None else target}", in_cell=ctx.in_cell)


def _link(body: str, ctx: Context, *, at_line_start: bool) -> str:
    if body.startswith("^"):  # [^attachment.txt]
        name = body[1:].strip()
        url = ctx.attachments.get(name)
        label = escape_text(name, in_cell=ctx.in_cell)
        return f"[{label}]({link_destination(url)})" if url else label
    text, _, rest = body.partition("|")
    if not _:
        text, target = "", body
    else:
        target = rest.split("|", 1)[0]  # [text|url|tooltip]
    target = target.strip()
    label = convert_inline(text, ctx, at_line_start=False) if text.strip() else ""
    if _ISSUE_KEY.fullmatch(target):
        return f"[{label or target}](/browse/{target})"
    if target.startswith("^"):
        url = ctx.attachments.get(target[1:].strip())
        shown = label or escape_text(target[1:].strip(), in_cell=ctx.in_cell)
        return f"[{shown}]({link_destination(url)})" if url else shown
    if _SCHEME.match(target) or target.startswith("/"):
        destination = link_destination(target.replace("|", "%7C") if ctx.in_cell else target)
        if not label and _SCHEME.match(target) and not re.search(r"[\s<>]", target) \
                and not target.lower().startswith("mailto:"):
            return f"<{target}>"
        return f"[{label or escape_text(target, in_cell=ctx.in_cell)}]({destination})"
    # An anchor (`[#section]`) or text that only looks like a link: keep what the reader saw.
    if label:
        return label
    return escape_text(f"[{body}]", at_line_start=at_line_start, in_cell=ctx.in_cell)


def _image(target: str, ctx: Context) -> str:
    alt = escape_text(target.rsplit("/", 1)[-1], in_cell=ctx.in_cell)
    if re.match(r"https?://", target, re.IGNORECASE):
        return f"![{alt}]({link_destination(target)})"
    url = ctx.attachments.get(target)
    if url is None:
        return escape_text(target, in_cell=ctx.in_cell)  # an attachment the caller does not know
    return f"![{alt}]({link_destination(url)})"

