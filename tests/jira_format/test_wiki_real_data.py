"""Real descriptions and comments from Appcelerator's public Jira (../shared/data/jira-real,
SOURCE.md): a few of each construct, converted and parsed back with Tessera's Markdown parser;
the structure the author wrote must be there (code blocks with the same content, tables with
the same cells, headings, mentions, attachment images)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it.token import Token

from tessera.issues.comments.markup import parse_body, render_body
from tessera.jira_format.adf import adf_to_markdown, markdown_to_adf, validate
from tessera.jira_format.wiki_markup import wiki_to_markdown

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "jira-real" / "tidev-appcelerator"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/jira-real/tidev-appcelerator")

# What each sample must contain; a text counts for the first construct it has.
CONSTRUCTS = {
    "code": re.compile(r"\{code(?::[^}\n]*)?\}.*?\{code\}", re.S),
    "noformat": re.compile(r"\{noformat\}.*?\{noformat\}", re.S),
    "table": re.compile(r"^\|\|.*\|\|\s*$", re.M),
    "heading": re.compile(r"^h[1-6]\. ", re.M),
    "list": re.compile(r"^[*#]+ \S", re.M),
    "mention": re.compile(r"\[~[^\]\s]+\]"),
    "image": re.compile(r"![^!\s|][^!\n|]*\.(?:png|jpe?g|gif)(?:\|[^!\n]*)?!", re.I),
    "quote": re.compile(r"\{quote\}.*?\{quote\}", re.S),
    "panel": re.compile(r"\{panel"),
    "html": re.compile(r"\{html\}"),
}
PER_CONSTRUCT = 3


def _issues(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


@pytest.fixture(scope="module")
def samples() -> dict[str, list[tuple[str, str, dict[str, str]]]]:
    """construct -> [(issue key, text, the issue's attachments by name)], at most PER_CONSTRUCT
    each, texts under 20,000 characters, from the smaller projects then TIMOB."""
    if not DATA.is_dir():
        pytest.skip(f"the real Jira data is not at {DATA}")
    found: dict[str, list[tuple[str, str, dict[str, str]]]] = {name: [] for name in CONSTRUCTS}
    for project in ("MOD", "DAEMON", "ALOY", "AC", "TIMOB"):
        for issue in _issues(DATA / f"{project}.issues.jsonl.gz"):
            fields = issue["fields"]
            attachments = {a["filename"]: f"/v2/attachments/{a['id']}/content" for a in fields.get("attachment") or []}
            texts = [fields.get("description") or ""]
            texts += [c.get("body") or "" for c in (fields.get("comment") or {}).get("comments", [])]
            for text in texts:
                if len(text) > 20_000:
                    continue
                text = text.replace("\r\n", "\n")
                for name, pattern in CONSTRUCTS.items():
                    if len(found[name]) < PER_CONSTRUCT and pattern.search(text):
                        found[name].append((issue["key"], text, attachments))
                        break
            if all(len(items) == PER_CONSTRUCT for items in found.values()):
                return found
    return found


def _fences(tokens: list[Token]) -> list[str]:
    return [token.content for token in tokens if token.type == "fence"]


def _normal(code: str) -> str:
    """Code compared line by line without trailing spaces or blank lines around it."""
    return "\n".join(line.rstrip() for line in code.split("\n")).strip("\n")


def _preformatted(text: str, tag: str) -> list[str]:
    return [_normal(block) for block in re.findall(r"\{" + tag + r"(?::[^}\n]*)?\}(.*?)\{" + tag + r"\}", text, re.S)]


def test_every_construct_has_samples(samples: dict) -> None:
    assert sum(len(items) for items in samples.values()) >= 25
    assert all(samples[name] for name in ("code", "noformat", "table", "heading", "list", "mention", "html"))


@pytest.mark.parametrize("tag", ["code", "noformat"])
def test_preformatted_blocks_keep_their_content(samples: dict, tag: str) -> None:
    for key, text, _ in samples[tag]:
        fences = [_normal(fence) for fence in _fences(parse_body(wiki_to_markdown(text)).tokens)]
        for block in _preformatted(text, tag):
            if block.strip():
                assert block in fences, (key, block[:80])


def test_code_language_is_kept(samples: dict) -> None:
    checked = 0
    for key, text, _ in samples["code"]:
        languages = {match.group(1).lower() for match in re.finditer(r"\{code:([A-Za-z]+)[|}]", text)}
        infos = {token.info for token in parse_body(wiki_to_markdown(text)).tokens if token.type == "fence"}
        assert languages <= infos, key
        checked += len(languages)
    assert checked


def test_tables_keep_rows_and_cells(samples: dict) -> None:
    for key, text, _ in samples["table"]:
        jira_rows = [line.strip() for line in text.split("\n") if line.strip().startswith("|")]
        # Cells per row, counting separators outside links and monospace.
        counts = [len(re.findall(r"\|\|?", re.sub(r"\[[^\]]*\]|\{\{.*?\}\}", "", row))) - 1 for row in jira_rows]
        tokens = parse_body(wiki_to_markdown(text)).tokens
        rows = [index for index, token in enumerate(tokens) if token.type == "tr_open"]
        body_rows = len(rows) - (0 if jira_rows[0].startswith("||") else 1)  # an empty header added
        assert body_rows == len(jira_rows), key
        cells = sum(1 for token in tokens if token.type in ("td_open", "th_open"))
        assert cells == len(rows) * max(counts), key


def test_headings_survive(samples: dict) -> None:
    for key, text, _ in samples["heading"]:
        outside_code = re.sub(r"\{(code|noformat)[^}]*\}.*?\{\1\}", "", text, flags=re.S)
        levels = [int(level) for level in re.findall(r"^h([1-6])\. \S", outside_code, re.M)]
        tokens = parse_body(wiki_to_markdown(text)).tokens
        assert [int(token.tag[1]) for token in tokens if token.type == "heading_open"] == levels, key


def test_lists_survive(samples: dict) -> None:
    for key, text, _ in samples["list"]:
        outside_code = re.sub(r"\{(code|noformat)[^}]*\}.*?\{\1\}", "", text, flags=re.S)
        items = len(re.findall(r"^\s*[*#]+ \S", outside_code, re.M))
        tokens = parse_body(wiki_to_markdown(text)).tokens
        assert sum(1 for token in tokens if token.type == "list_item_open") == items, key


def test_mentions_become_tessera_mentions(samples: dict) -> None:
    for key, text, _ in samples["mention"]:
        names = sorted(set(re.findall(r"\[~([^\]\s]+)\]", text)))
        users = {name: f"@[{name}](account:{number})" for number, name in enumerate(names, start=1)}
        parsed = parse_body(wiki_to_markdown(text, users=users))
        assert set(parsed.mentions) == {("id", number) for number in range(1, len(names) + 1)}, key


def test_attachment_images_point_at_attachments(samples: dict) -> None:
    for key, text, attachments in samples["image"]:
        names = [match.group(1) for match in re.finditer(r"!([^!\s|][^!\n|]*\.(?:png|jpe?g|gif))(?:\|[^!\n]*)?!",
                                                          text, re.I)]
        rendered = render_body(wiki_to_markdown(text, attachments=attachments))
        for name in names:
            if name in attachments:
                assert f'src="{attachments[name]}"' in rendered, (key, name)


def test_quotes_and_html_render_without_markup_residue(samples: dict) -> None:
    for key, text, _ in samples["quote"] + samples["panel"]:
        rendered = render_body(wiki_to_markdown(text))
        assert "<blockquote>" in rendered and "{quote}" not in rendered and "{panel" not in rendered, key
    for key, text, _ in samples["html"]:
        rendered = render_body(wiki_to_markdown(text))
        assert "{html}" not in rendered and "&lt;p&gt;" not in rendered and "&lt;div" not in rendered, key
        assert "<p>" in rendered, key


def test_imported_texts_serve_as_adf(samples: dict) -> None:
    """What the importer stores, the Cloud API serves as ADF: valid, and stable once converted."""
    for items in samples.values():
        for key, text, attachments in items:
            doc = markdown_to_adf(wiki_to_markdown(text, attachments=attachments))
            validate(doc)
            assert markdown_to_adf(adf_to_markdown(doc)) == doc, key
