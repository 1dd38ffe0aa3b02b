"""Parse modes: visible text and entities (UTF-16 offsets) as Telegram computes them, and its refusals."""

from __future__ import annotations

import pytest
from meterbot_botapi.formatting import EntityParseError, parse


def test_html_nested_tags_entities_and_utf16_offsets() -> None:
    text, entities = parse('😀 <b>Кв. <i>12</i></b> &lt;ok&gt; <a href="https://x.org">сайт</a>', "HTML")
    assert text == "😀 Кв. 12 <ok> сайт"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},  # the emoji is 2 UTF-16 units
        {"type": "italic", "offset": 7, "length": 2},
        {"type": "text_link", "offset": 15, "length": 4, "url": "https://x.org"},
    ]


def test_html_attribute_values_are_unescaped() -> None:
    text, entities = parse('<a href="https://x.org/?a=1&amp;b=2">x</a> Tom & Jerry', "HTML")
    assert text == "x Tom & Jerry"
    assert entities[0]["url"] == "https://x.org/?a=1&b=2"


def test_html_pre_with_language_spoiler_and_blockquote() -> None:
    source = '<pre><code class="language-python">x = 1</code></pre><tg-spoiler>s</tg-spoiler>'
    source += "<blockquote>q</blockquote>"
    text, entities = parse(source, "html")
    assert text == "x = 1sq"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 5, "length": 1},
        {"type": "blockquote", "offset": 6, "length": 1},
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("line<br>next", 'Unsupported start tag "br"'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("3 < 5", "Unclosed start tag"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_html_refusals(source: str, error: str) -> None:
    with pytest.raises(EntityParseError, match=error):
        parse(source, "HTML")


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = parse(
        r"*Итого:* _1\.5_ __м³__ ~old~ ||s|| `a\`b` [link](https://x.org/a\)b)", "MarkdownV2"
    )
    assert text == "Итого: 1.5 м³ old s a`b link"
    assert [e["type"] for e in entities] == [
        "bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link",
    ]  # fmt: skip
    assert entities[-1]["url"] == "https://x.org/a)b"
    text, entities = parse("```python\nprint(1)\n```", "MarkdownV2")
    assert text == "print(1)\n" and entities == [
        {"type": "pre", "offset": 0, "length": 9, "language": "python"}
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("Показание 12.5", "Character '.' is reserved"),
        ("Итог (кв)", "Character '(' is reserved"),
        ("*bold", "Can't find end of Bold entity at byte offset 0"),
        ("`code", "Can't find end of Code entity"),
    ],
)
def test_markdown_v2_refusals(source: str, error: str) -> None:
    with pytest.raises(EntityParseError, match=error.replace("(", r"\(")):
        parse(source, "MarkdownV2")


def test_legacy_markdown_is_lenient_with_punctuation() -> None:
    assert parse("*Итого:* 12.5 (кв. 3)", "Markdown") == (
        "Итого: 12.5 (кв. 3)",
        [{"type": "bold", "offset": 0, "length": 6}],
    )
    with pytest.raises(EntityParseError, match="Can't find end of the entity"):
        parse("_open", "Markdown")


def test_no_parse_mode_keeps_text_verbatim() -> None:
    assert parse("<b>*as is*</b>", None) == ("<b>*as is*</b>", [])
