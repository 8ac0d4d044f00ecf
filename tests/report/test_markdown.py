"""report.md is pasted into pull-request comments: no value from the data may become live Markdown or HTML."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from curate.report.write import md

RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


@pytest.mark.parametrize("value", [
    "evil`<img src=x onerror=alert(1)>`",
    "![](https://evil.example/pixel.png)",
    "[click](javascript:alert(1))",
    "<script>alert(1)</script>",
    "a | b | c",
    "**bold** _em_ ~~gone~~",
    "&lt;img src=x onerror=alert(1)&gt;",
    "back\\`slash`",
], ids=["backtick-img", "image", "link", "script", "pipes", "emphasis", "entities", "backslash"])
def test_value_renders_as_its_own_text(value):
    escaped = md(value)
    html = RENDER.render(f"| id |\n|---|\n| {escaped} |\n")
    for live in ("<img", "<a ", "<script", "<code", "<strong", "<em", "<del"):
        assert live not in html, f"{value!r} -> {html!r}"
    assert html.count("<td>") == 1  # pipes stayed inside one cell
    # and it reads as the value: rendering the escaped text as a paragraph gives the value back
    from html import unescape
    assert unescape(RENDER.render(escaped).strip()[3:-4]) == value


def test_identifiers_stay_readable():
    assert md("max_near_duplicate_rate") == "max_near_duplicate_rate"
    assert md("multi\nline  value", 8) == "multi li…"
