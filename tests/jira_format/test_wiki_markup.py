"""Jira wiki markup -> Markdown: each construct exactly, and the output read back through
Tessera's own Markdown renderer (markup.render_body) so what is asserted is what users see."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.issues.comments.markup import render_body
from tessera.jira_format.wiki_markup import wiki_to_markdown

ATTACHMENTS = {"screen shot.png": "/v2/attachments/7/content", "log.txt": "/v2/attachments/8/content"}
USERS = {"jdoe": "@[Jane Doe](account:42)", "557058:f00d": "@[Ann Cloud](account:43)"}


def convert(text: str) -> str:
    return wiki_to_markdown(text, attachments=ATTACHMENTS, users=USERS)


def visible(markdown: str) -> str:
    """The text a reader sees: rendered, tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", render_body(markdown))).split())


@pytest.mark.parametrize(("wiki", "markdown"), [
    ("h1. Title", "# Title"),
    ("h3. Deep *bold*", "### Deep **bold**"),
    ("h6. Last one #", "###### Last one \\#"),
    ("*bold* _italic_ -gone- +under+", "**bold** _italic_ ~~gone~~ under"),
    ("x^2^ and H~2~O", "x^2 and H2O"),
    ("a ??cited?? source", "a — _cited_ source"),
    ("{{monospace *not bold*}}", "`monospace *not bold*`"),
    ("{{a `tick`}}", "`` a `tick` ``"),
    ("{color:red}red text{color} stays", "red text stays"),
    ("----", "---"),
    ("one\\\\two", "one\\\ntwo"),
    ("\\*not bold\\* and \\[x\\]", "\\*not bold\\* and \\[x\\]"),
    ("smile :) wink ;) yes (y) no (n) done (/) warn (!)", "smile 🙂 wink 😉 yes 👍 no 👎 done ✅ warn ⚠️"),
    ("f(x) and a:)b stay", "f(x) and a:)b stay"),
    ("snake_case_name and __init__", "snake_case_name and \\_\\_init\\_\\_"),
    ("1. is not a list here", "1\\. is not a list here"),
    ("<b>tags</b> & `ticks`", "\\<b>tags\\</b> & \\`ticks\\`"),
    ("# also *not* bold:*", "1. also **not** bold:\\*"),
    ("line one\nline two", "line one\\\nline two"),
    ("para one\n\npara two", "para one\n\npara two"),
    ("=== not a heading", "\\=== not a heading"),
])
def test_inline_and_simple_blocks(wiki: str, markdown: str) -> None:
    assert convert(wiki) == markdown


@pytest.mark.parametrize(("wiki", "markdown"), [
    ("[Tessera|https://example.com/a_b]", "[Tessera](https://example.com/a_b)"),
    ("[https://example.com/x]", "<https://example.com/x>"),
    ("see https://example.com/p?q=1.", "see <https://example.com/p?q=1>."),
    ("[PROJ-12]", "[PROJ-12](/browse/PROJ-12)"),
    ("[the bug|PROJ-12]", "[the bug](/browse/PROJ-12)"),
    ("[mail me|mailto:a@example.com]", "[mail me](mailto:a@example.com)"),
    ("[*bold* link|http://e.com/a b]", "[**bold** link](<http://e.com/a b>)"),
    ("[#anchor]", "\\[#anchor\\]"),
    ("[just brackets]", "\\[just brackets\\]"),
    ("[~jdoe] and [~accountid:557058:f00d]", "@[Jane Doe](account:42) and @[Ann Cloud](account:43)"),
    ("[~stranger] [~accountid:99]", "@stranger @99"),
    ("!screen shot.png! and !screen shot.png|thumbnail!",
     "![screen shot.png](/v2/attachments/7/content) and ![screen shot.png](/v2/attachments/7/content)"),
    ("!missing.png!", "missing.png"),
    ("!https://e.com/i.png|width=300!", "![i.png](https://e.com/i.png)"),
    ("[^log.txt] and [^gone.txt]", "[log.txt](/v2/attachments/8/content) and gone.txt"),
    ("Wow! Great!", "Wow! Great!"),
])
def test_links_mentions_images(wiki: str, markdown: str) -> None:
    assert convert(wiki) == markdown


def test_mentions_render_as_tessera_mentions() -> None:
    rendered = render_body(convert("ping [~jdoe]"), {("id", 42): (42, "Jane Doe")})
    assert '<span class="mention" data-user-id="42">@Jane Doe</span>' in rendered


def test_lists_nest_and_mix() -> None:
    wiki = "* one\n** one.one\n*# one.first\n# numbered\n## numbered.two\n- dash\n\nafter"
    assert convert(wiki) == ("- one\n  - one.one\n  1. one.first\n1. numbered\n   1. numbered.two\n- dash\n\nafter")
    rendered = render_body(convert(wiki))
    assert rendered.count("<ul>") == 3 and rendered.count("<ol>") == 3
    assert "<p>after</p>" in rendered  # not swallowed by the list


def test_list_item_line_break_keeps_indentation() -> None:
    markdown = convert("* a\n** b \\\\ continued")
    assert markdown == "- a\n  - b \\\n    continued"
    assert "<li>b <br>\ncontinued</li>" in render_body(markdown)


def test_tables_with_escaped_pipes_and_links() -> None:
    wiki = "||Name||Value||\n|a|[link|http://e.com]|\n|pipe \\| inside|{{x|y}}|\n|short|"
    markdown = convert(wiki)
    assert markdown == ("| Name | Value |\n|---|---|\n| a | [link](http://e.com) |\n"
                        "| pipe \\| inside | `x\\|y` |\n| short |  |")
    rendered = render_body(markdown)
    assert rendered.count("<th>") == 2 and rendered.count("<td>") == 6
    assert "<code>x|y</code>" in rendered


def test_table_without_header_row_gets_an_empty_one() -> None:
    markdown = convert("|a|b|c|\n|d|e|f|")
    rendered = render_body(markdown)
    assert rendered.count("<td>") == 6 and rendered.count("<th>") == 3


def test_code_blocks_keep_language_title_and_content() -> None:
    wiki = "before\n{code:java|title=App.java|borderStyle=solid}\nint x = *y*;\n```\n{code}\nafter"
    assert convert(wiki) == "before\n\n**App.java**\n\n````java\nint x = *y*;\n```\n````\n\nafter"
    assert convert("{code:title=x.js}a{code}") == "**x.js**\n\n```\na\n```"
    assert convert("{noformat}\n  h1. raw\n{noformat}") == "```\n  h1. raw\n```"
    assert convert("inline {code}x = 1{code} text") == "inline\n\n```\nx = 1\n```\n\ntext"


def test_unclosed_code_runs_to_the_end() -> None:
    assert convert("{code}\nunfinished *x*") == "```\nunfinished *x*\n```"


def test_quotes_and_panels_become_block_quotes() -> None:
    assert convert("{quote}said *this*\nand that{quote}\nreply") == "> said **this**\\\n> and that\n\nreply"
    assert convert("bq. short quote\nnext") == "> short quote\n\nnext"
    panel = convert("{panel:title=Heads up|borderStyle=dashed}\nbody\n{panel}")
    assert panel == "> **Heads up**\n>\n> body"
    nested = convert("{quote}\nouter\n{panel}\ninner\n{panel}\nback\n{quote}")
    assert nested == "> outer\n>\n> > inner\n>\n> back"
    rendered = render_body(nested)
    assert rendered.count("<blockquote>") == 2 and "<p>back</p>" in rendered


def test_code_inside_quote_is_quoted() -> None:
    markdown = convert("{quote}\nlook:\n{code}\nx\n{code}\n{quote}")
    assert markdown == "> look:\n>\n> ```\n> x\n> ```"


@pytest.mark.parametrize("text", ["#hashtag", "> quote-like", "+ plus", "***", "1) one", "`x`", "<b>", "[a](b)",
                                  "&copy; &#169;", "a|b|c", "    indented code?", "=====", "a * b * c"])
def test_text_that_is_not_markup_reads_as_written(text: str) -> None:
    assert visible(convert(text)) == " ".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 #>`<=.)-+|[]()&;!")), max_size=40))
def test_markdown_characters_in_plain_text_read_as_written(text: str) -> None:
    # None of these characters is Jira markup on its own (`-` and `+` only around words; `!`,
    # `[` `]` and `|` only in pairs/rows, excluded below), so the reader sees the text.
    if re.search(r"[-+]\S|\S[-+]|\[.*\]|!\S.*!|^\s*[|#-]|\(.\)|\(..\)|;\)|:\)", text):
        return
    assert visible(convert(text)) == " ".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("ab \n*_-+^~?{}[]|!#:\\()hq.123") + [
    "{code}", "{code:java}", "{noformat}", "{quote}", "{panel:title=t}", "{panel}", "{color:red}", "{color}",
    "||", "h1. ", "bq. ", "[~", "[^", "http://x.y/", "----", "\\\\", "{{", "}}"]), max_size=60).map("".join))
def test_any_markup_soup_converts(text: str) -> None:
    markdown = wiki_to_markdown(text, attachments={"a.png": "/a"}, users={"b": "@[B](account:1)"})
    assert isinstance(markdown, str)
    render_body(markdown)  # and renders


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_converts(text: str) -> None:
    assert isinstance(wiki_to_markdown(text), str)


def test_empty_and_whitespace() -> None:
    assert wiki_to_markdown("") == ""
    assert wiki_to_markdown("  \n\n ") == ""


def test_html_macro_becomes_markdown() -> None:
    wiki = ('{html}<div><h2>Description</h2><p>Use <strong>this</strong> &amp; <a href="http://x.com/a">that</a>'
            '<br>next line</p><ul><li>one</li><li>two<ol><li>inner <code>a*b</code></li></ol></li></ul>'
            '<pre><code class="objc">int *x = 1;\n&lt;b&gt;</code></pre><p><strong></strong>- dash</p>'
            '<blockquote><p>q</p></blockquote><a href="javascript:alert(1)">bad</a></div>{html}\nafter')
    assert convert(wiki) == (
        "## Description\n\nUse **this** & [that](http://x.com/a)\\\nnext line\n\n- one\n- two\n\n"
        "  1. inner `a*b`\n\n```objc\nint *x = 1;\n<b>\n```\n\n\\- dash\n\n> q\n\nbad\n\nafter")
    rendered = render_body(convert(wiki))
    assert "<h2>Description</h2>" in rendered and "<pre><code>int *x = 1;" in rendered
    assert "javascript" not in rendered and "<blockquote>" in rendered


def test_unclosed_html_macro_still_converts() -> None:
    assert convert("{html}<p>open <em>only") == "open _only"
