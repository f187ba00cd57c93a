"""ADF <-> Markdown: Atlassian's node examples (adf_samples.json: the examples of the ADF node
reference, developer.atlassian.com/platform/framework/adf-builder/reference/nodes/, and of the
Jira Cloud document-structure page, with the Markdown each becomes), validation errors with their
paths, and round trips over generated documents: every generated document comes with the
normalised document Markdown can carry (dropped marks and attributes, status/date/cards as
text), which markdown_to_adf(adf_to_markdown(doc)) must equal."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.errors import InvalidInput
from tessera.issues.comments.markup import parse_body
from tessera.jira_format.adf import InvalidDocument, adf_to_markdown, markdown_to_adf, validate

SAMPLES = json.loads((Path(__file__).parent / "adf_samples.json").read_text(encoding="utf-8"))
EXAMPLES = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample["name"] for sample in SAMPLES])
def test_atlassian_examples(sample: dict) -> None:
    markdown = adf_to_markdown(sample["adf"])
    assert markdown == sample["markdown"]
    assert markdown_to_adf(markdown) == sample.get("normalised", sample["adf"])


def test_the_reference_example_round_trips() -> None:
    """jira-cloud-and-dev-integrations.md section 2.5: the document and its Markdown."""
    markdown = ('## Login fails\n\nUsers on **Safari** get `500`, see [PROJ-12](https://t.example/browse/PROJ-12).\n\n'
                '- clear cookies\n- retry\n\n```python\nprint("hi")\n```')
    doc = markdown_to_adf(markdown)
    assert [node["type"] for node in doc["content"]] == ["heading", "paragraph", "bulletList", "codeBlock"]
    assert doc["content"][1]["content"][5] == {
        "type": "text", "text": "PROJ-12", "marks": [{"type": "link", "attrs": {"href": "https://t.example/browse/PROJ-12"}}]}
    assert adf_to_markdown(doc) == markdown


def test_tessera_mentions_in_every_spelling() -> None:
    doc = markdown_to_adf("hi @[Ada L.](account:42) and [~accountid:43]")
    assert doc["content"][0]["content"] == [
        {"type": "text", "text": "hi "}, {"type": "mention", "attrs": {"id": "42", "text": "@Ada L."}},
        {"type": "text", "text": " and "}, {"type": "mention", "attrs": {"id": "43", "text": "@43"}}]
    # The Markdown written for a mention is the one Tessera's renderer resolves.
    markdown = adf_to_markdown({"version": 1, "type": "doc", "content": [{"type": "paragraph", "content": [
        {"type": "mention", "attrs": {"id": "42", "text": "@Ada"}}]}]})
    assert parse_body(markdown).mentions == (("id", 42),)


def test_markdown_features_without_adf_twins() -> None:
    doc = markdown_to_adf("Image ![shot](https://e.com/s.png) inline\n\n    indented code\n\nsoft\nbreak")
    assert doc["content"][0]["content"][1] == {
        "type": "text", "text": "shot", "marks": [{"type": "link", "attrs": {"href": "https://e.com/s.png"}}]}
    assert doc["content"][1] == {"type": "codeBlock", "content": [{"type": "text", "text": "indented code"}]}
    assert doc["content"][2]["content"] == [{"type": "text", "text": "soft break"}]
    assert markdown_to_adf("") == {"type": "doc", "version": 1, "content": []}


@pytest.mark.parametrize(("doc", "path", "problem"), [
    ("text", "", "must be a JSON object"),
    ({"type": "paragraph", "version": 1, "content": []}, "", '"type" must be "doc"'),
    ({"type": "doc", "version": 2, "content": []}, "", '"version" must be 1'),
    ({"type": "doc", "version": 1}, "", '"content" must be a list'),
    ({"type": "doc", "version": 1, "content": ["x"]}, "content[0]", "a node must be a JSON object"),
    ({"type": "doc", "version": 1, "content": [{"content": []}]}, "content[0]", 'node without "type"'),
    ({"type": "doc", "version": 1, "content": [{"type": "rule"}, {"type": "rule"}, {"type": "paragraph", "content": [
        {"type": "text"}]}]}, "content[2].content[0]", 'text node without "text"'),
    ({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}]},
     "content[0].content[0]", 'text node without "text"'),
    ({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a",
        "marks": [{"type": "link", "attrs": {}}]}]}]}, "content[0].content[0].marks[0]", 'link mark without "href"'),
    ({"type": "doc", "version": 1, "content": [{"type": "heading", "attrs": {"level": 7}, "content": []}]},
     "content[0]", 'heading "level" must be 1 to 6'),
    ({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": {"type": "text"}}]},
     "content[0]", '"content" must be a list'),
    ({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "mention", "attrs": {}}]}]},
     "content[0].content[0]", 'mention without "id"'),
])
def test_invalid_documents_name_the_place(doc: Any, path: str, problem: str) -> None:
    with pytest.raises(InvalidDocument) as raised:
        adf_to_markdown(doc)
    assert raised.value.path == path and problem in str(raised.value)
    assert str(raised.value).startswith(f"{path or 'doc'}: ")
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, InvalidInput)  # the API's 400


def test_nesting_is_bounded() -> None:
    node: dict = {"type": "paragraph", "content": [{"type": "text", "text": "deep"}]}
    for _ in range(100):
        node = {"type": "blockquote", "content": [node]}
    with pytest.raises(InvalidDocument, match="nested deeper"):
        validate({"type": "doc", "version": 1, "content": [node]})


# Generated documents ------------------------------------------------------------------------
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
WORD = st.text(alphabet=ALNUM, min_size=1, max_size=6)
WORDS = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
# Unmarked text may hold Markdown's own characters: they must come back as text.
PLAIN = st.lists(st.text(alphabet=ALNUM + "*_[]<>#|`!&\\~.:;()+=-", min_size=1, max_size=6), min_size=1,
                 max_size=3).map(" ".join)
URL = st.sampled_from(["https://example.com", "https://example.com/a_b?x=1&y=2", "mailto:a@example.com",
                       "https://example.com/with (paren)"])
EMOJI = st.sampled_from([("😀", ":grinning:"), ("👍", ":thumbsup:"), ("🎉", ":tada:"), ("❤️", ":heart:")])


@functools.lru_cache(maxsize=None)
def _one_of(*choices: Any) -> st.SearchStrategy:
    """Strategies built once: building them inside each draw is most of the generation time."""
    return st.sampled_from(choices)


@functools.lru_cache(maxsize=None)
def _between(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


BOOL = st.booleans()
INLINE_KINDS = ("plain", "marked", "code", "link", "mention", "emoji", "status", "date", "card", "dropped")
MARK_SETS = st.lists(st.sampled_from(["strong", "em", "strike"]), min_size=1, max_size=3, unique=True)
CODE_TEXT = st.text(alphabet="".join(chr(code) for code in range(32, 127)), min_size=1, max_size=10).filter(str.strip)
CODE_LINES = st.lists(st.text(alphabet="".join(chr(code) for code in range(32, 127)), max_size=12), min_size=1,
                      max_size=3)
DROPPED_MARKS = st.sampled_from([{"type": "underline"}, {"type": "textColor", "attrs": {"color": "#ff0000"}},
                                 {"type": "subsup", "attrs": {"type": "sup"}}])
MEDIA_ID = st.text(alphabet="0123456789abcdef-", min_size=1, max_size=12)


def _text(text: str, marks: list | None = None) -> dict:
    return {"type": "text", "text": text, **({"marks": marks} if marks else {})}


@st.composite
def inline_piece(draw: st.DrawFn, *, breaks: bool) -> tuple[dict, dict]:
    """(input node, normalised node)."""
    kind = draw(_one_of(*INLINE_KINDS, "break") if breaks else _one_of(*INLINE_KINDS))
    if kind == "plain":
        text = draw(PLAIN)
        return _text(text), _text(text)
    if kind == "marked":
        chosen = draw(MARK_SETS)
        order = ["strong", "em", "strike"]
        marks = [{"type": name} for name in sorted(chosen, key=order.index)]
        text = draw(WORDS)
        return _text(text, marks[::-1]), _text(text, marks)
    if kind == "code":
        text = draw(CODE_TEXT)
        marks = [{"type": "code"}]
        if draw(BOOL):
            marks = [{"type": "link", "attrs": {"href": draw(URL)}}, *marks]
        return _text(text, marks), _text(text, marks)
    if kind == "link":
        link = {"type": "link", "attrs": {"href": draw(URL)}}
        extra = draw(st.sampled_from([[], [{"type": "strong"}]]))
        text = draw(WORDS)
        return _text(text, [*extra, link]), _text(text, [link, *extra])
    if kind == "mention":
        account, name = draw(_one_of(*[("42", "Ada L."), ("557058:0f1e", "Bob"), ("a-b-c", "Ω Person")]))
        return ({"type": "mention", "attrs": {"id": account, "text": "@" + name, "accessLevel": "", "userType": "DEFAULT"}},
                {"type": "mention", "attrs": {"id": account, "text": "@" + name}})
    if kind == "emoji":
        char, short_name = draw(EMOJI)
        node = {"type": "emoji", "attrs": {"shortName": short_name, "text": char}}
        return node, node
    if kind == "status":
        text = draw(WORDS)
        return {"type": "status", "attrs": {"text": text, "color": "green"}}, _text(text)
    if kind == "date":
        return {"type": "date", "attrs": {"timestamp": "1700000000000"}}, _text("2023-11-14")
    if kind == "card":
        url = draw(URL)
        return {"type": "inlineCard", "attrs": {"url": url}}, _text(url, [{"type": "link", "attrs": {"href": url}}])
    if kind == "dropped":
        text = draw(WORDS)
        mark = draw(DROPPED_MARKS)
        return _text(text, [mark]), _text(text)
    return {"type": "hardBreak"}, {"type": "hardBreak"}


def _merge(nodes: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for node in nodes:
        if merged and node["type"] == "text" and merged[-1]["type"] == "text" \
                and merged[-1].get("marks") == node.get("marks"):
            merged[-1] = _text(merged[-1]["text"] + node["text"], node.get("marks"))
        else:
            merged.append(node)
    return merged


@st.composite
def inline(draw: st.DrawFn, *, breaks: bool = True) -> tuple[list, list]:
    pieces = draw(_pieces(breaks))
    kept: list[tuple[dict, dict]] = []
    for piece in pieces:  # no break at either end, none doubled
        if piece[0]["type"] != "hardBreak" or (kept and kept[-1][0]["type"] != "hardBreak"):
            kept.append(piece)
    while kept and kept[-1][0]["type"] == "hardBreak":
        kept.pop()
    pieces = kept or [(_text("word"), _text("word"))]
    given_nodes: list[dict] = []
    expected: list[dict] = []
    for index, (node, normal) in enumerate(pieces):
        if index and "hardBreak" not in (node["type"], pieces[index - 1][0]["type"]):
            given_nodes.append(_text(" "))
            expected.append(_text(" "))
        given_nodes.append(node)
        expected.append(normal)
    return given_nodes, _merge(expected)


def _paragraph(content: tuple[list, list]) -> tuple[dict, dict]:
    return {"type": "paragraph", "content": content[0]}, {"type": "paragraph", "content": content[1]}


@st.composite
def block(draw: st.DrawFn, depth: int = 0, kinds: tuple[str, ...] | None = None) -> tuple[dict, dict]:
    if kinds is None:
        kinds = ("paragraph", "heading", "code", "rule", "table", "media")
        if depth < 2:
            kinds += ("list", "quote", "panel", "expand")
    elif depth >= 2:
        kinds = tuple(kind for kind in kinds if kind != "list")
    kind = draw(_one_of(*kinds))
    if kind == "paragraph":
        return _paragraph(draw(_inline(True)))
    if kind == "heading":
        level = draw(_between(1, 6))
        given_nodes, expected = draw(_inline(False))
        return ({"type": "heading", "attrs": {"level": level}, "content": given_nodes},
                {"type": "heading", "attrs": {"level": level}, "content": expected})
    if kind == "code":
        language = draw(_one_of(*[None, "python", "c++"]))
        text = "\n".join(draw(CODE_LINES))
        node = {"type": "codeBlock", "content": [_text(text)] if text.strip() else []}
        if language:
            node["attrs"] = {"language": language}
        return node, node
    if kind == "rule":
        return {"type": "rule"}, {"type": "rule"}
    if kind == "table":
        width = draw(_between(1, 3))
        header = draw(BOOL)
        rows_given, rows_expected = [], []
        for row_index in range(draw(_between(1, 3))):
            cell_type = "tableHeader" if header and row_index == 0 else "tableCell"
            cells = [_paragraph(draw(_inline(False))) for _ in range(width)]
            rows_given.append({"type": "tableRow", "content": [
                {"type": cell_type, "attrs": {"colspan": 1}, "content": [given_cell]} for given_cell, _ in cells]})
            rows_expected.append({"type": "tableRow", "content": [
                {"type": cell_type, "content": [expected_cell]} for _, expected_cell in cells]})
        return ({"type": "table", "attrs": {"layout": "default"}, "content": rows_given},
                {"type": "table", "content": rows_expected})
    if kind == "media":
        if draw(BOOL):
            ident = draw(MEDIA_ID)
            given_media = {"type": "file", "id": ident, "collection": "c", "width": 10}
            expected_media = {"type": "file", "id": ident, "collection": ""}
        else:
            url = draw(_one_of(*["https://example.com/a.png", "https://example.com/b c.png"]))
            given_media = expected_media = {"type": "external", "url": url}
        alt = draw(_one_of(*["", "shot.png"]))
        if alt:
            given_media = {**given_media, "alt": alt}
            expected_media = {**expected_media, "alt": alt}
        return ({"type": "mediaSingle", "attrs": {"layout": "wide"}, "content": [{"type": "media", "attrs": given_media}]},
                {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [{"type": "media", "attrs": expected_media}]})
    if kind == "list":
        ordered = draw(BOOL)
        items_given, items_expected = [], []
        for _ in range(draw(_between(1, 3))):
            first = _paragraph(draw(_inline(True)))
            children = [first]
            if draw(_between(0, 3)) == 0:
                children.append(draw(_block(depth + 1, ("list", "code", "paragraph"))))
            items_given.append({"type": "listItem", "content": [given_child for given_child, _ in children]})
            items_expected.append({"type": "listItem", "content": [expected_child for _, expected_child in children]})
        if ordered:
            order = draw(_between(0, 20))
            return ({"type": "orderedList", "attrs": {"order": order}, "content": items_given},
                    {"type": "orderedList", "attrs": {"order": order}, "content": items_expected})
        return {"type": "bulletList", "content": items_given}, {"type": "bulletList", "content": items_expected}
    children = draw(_block_lists(depth + 1))
    given_children = [given_child for given_child, _ in children]
    expected_children = [expected_child for _, expected_child in children]
    if kind == "quote":
        return ({"type": "blockquote", "content": given_children},
                {"type": "blockquote", "content": expected_children})
    if kind == "panel":
        panel_type = draw(_one_of(*["info", "note", "tip", "warning", "error", "success"]))
        return ({"type": "panel", "attrs": {"panelType": panel_type, "panelColor": "#fff"}, "content": given_children},
                {"type": "panel", "attrs": {"panelType": panel_type}, "content": expected_children})
    title = draw(_one_of(*["", "Details", "Steps to reproduce"]))
    attrs = {"title": title} if title else {}
    return ({"type": "expand", "attrs": attrs, "content": given_children},
            {"type": "expand", **({"attrs": attrs} if attrs else {}), "content": expected_children})


@functools.lru_cache(maxsize=None)
def _pieces(breaks: bool) -> st.SearchStrategy:
    return st.lists(inline_piece(breaks=breaks), min_size=1, max_size=5)


@functools.lru_cache(maxsize=None)
def _inline(breaks: bool) -> st.SearchStrategy:
    return inline(breaks=breaks)


@functools.lru_cache(maxsize=None)
def _block(depth: int, kinds: tuple[str, ...] | None = None) -> st.SearchStrategy:
    return block(depth, kinds)


@functools.lru_cache(maxsize=None)
def _block_lists(depth: int) -> st.SearchStrategy:
    return st.lists(_block(depth, ("paragraph", "list", "code")), min_size=1, max_size=2)


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict, dict]:
    blocks = draw(st.lists(_block(0), max_size=5))
    return ({"version": 1, "type": "doc", "content": [given_block for given_block, _ in blocks]},
            {"version": 1, "type": "doc", "content": [expected_block for _, expected_block in blocks]})


@EXAMPLES
@given(documents())
def test_adf_round_trips_to_its_normal_form(pair: tuple[dict, dict]) -> None:
    doc, normalised = pair
    markdown = adf_to_markdown(doc)
    assert markdown_to_adf(markdown) == normalised, markdown
    assert adf_to_markdown(normalised) == markdown  # the normal form is a fixed point


# Markdown first -----------------------------------------------------------------------------
MD_INLINE = st.lists(st.one_of(
    WORDS, WORDS.map(lambda text: f"**{text}**"), WORDS.map(lambda text: f"*{text}*"),
    WORDS.map(lambda text: f"~~{text}~~"), WORDS.map(lambda text: f"`{text}`"),
    WORDS.map(lambda text: f"[{text}](https://example.com/{text.replace(' ', '-')})"),
    st.sampled_from(["@[Ada L.](account:42)", "😀", "\\*not emphasis\\*", "a_b\\_", "\\<tag>", "\\[x\\]"]),
), min_size=1, max_size=5).map(" ".join)


@st.composite
def markdown_documents(draw: st.DrawFn) -> str:
    blocks = []
    previous = None
    marker = ""
    for kind in draw(st.lists(st.sampled_from(["p", "h", "ul", "ol", "code", "quote", "rule", "table"]), max_size=5)):
        if kind == "p":
            blocks.append(draw(MD_INLINE))
        elif kind == "h":
            blocks.append("#" * draw(_between(1, 6)) + " " + draw(MD_INLINE))
        elif kind == "ul":
            bullet = marker = "*" if previous == "ul" and marker == "-" else "-"
            blocks.append("\n".join(f"{bullet} {draw(MD_INLINE)}" for _ in range(draw(_between(1, 3)))))
        elif kind == "ol":
            start = draw(_between(1, 9))
            delimiter = marker = ")" if previous == "ol" and marker == "." else "."
            blocks.append("\n".join(f"{start + index}{delimiter} {draw(MD_INLINE)}"
                                    for index in range(draw(_between(1, 3)))))
        elif kind == "code":
            blocks.append(f"```{draw(_one_of(*['', 'sql']))}\n{draw(WORDS)}\n```")
        elif kind == "quote":
            blocks.append("> " + draw(MD_INLINE) + " end")
        elif kind == "rule":
            blocks.append("---")
        else:
            width = draw(_between(1, 3))
            rows = [[draw(WORDS) for _ in range(width)] for _ in range(draw(_between(2, 3)))]
            blocks.append("\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width,
                                     *("| " + " | ".join(row) + " |" for row in rows[1:])]))
        previous = kind
    return "\n\n".join(blocks)


@EXAMPLES
@given(markdown_documents())
def test_markdown_round_trips(markdown: str) -> None:
    assert adf_to_markdown(markdown_to_adf(markdown)) == markdown


ANY_TYPE = st.sampled_from(["paragraph", "text", "heading", "bulletList", "listItem", "table", "tableRow",
                            "tableCell", "panel", "expand", "mediaSingle", "media", "mention", "emoji", "status",
                            "date", "inlineCard", "blockCard", "codeBlock", "layoutSection", "extension", "weird"])


SHORT = st.text(alphabet="a1 :/`*[]()\n|😀", max_size=6)


def _any_node(depth: int) -> st.SearchStrategy[dict]:
    children = st.lists(_any_node(depth + 1), max_size=2) if depth < 2 else st.just([])
    return st.builds(lambda kind, content, attrs, text: {
        "type": kind, "content": content, "attrs": attrs, **({"text": text} if kind == "text" else {})},
        ANY_TYPE, children,
        st.fixed_dictionaries({}, optional={"level": st.integers(1, 6), "id": SHORT, "shortName": SHORT, "url": SHORT,
                                            "text": SHORT, "order": st.integers(-3, 5), "timestamp": SHORT,
                                            "language": SHORT}),
        SHORT.filter(bool))


@settings(max_examples=100, deadline=None)
@given(st.lists(_any_node(0), max_size=3))
def test_any_structurally_valid_document_converts(content: list) -> None:
    doc = {"version": 1, "type": "doc", "content": content}
    try:
        validate(doc)
    except InvalidDocument:
        return  # e.g. a heading without a level or a mention without an id
    markdown = adf_to_markdown(doc)
    assert isinstance(markdown_to_adf(markdown), dict)
