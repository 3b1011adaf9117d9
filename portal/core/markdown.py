"""Markdown rendered by markdown-it, then sanitised by nh3: call files are trusted authors, but defence in depth."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"typographer": False}).enable("table")

_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a", "blockquote",
         "table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "code", "pre", "hr"}


def render(source: str) -> str:
    html = _md.render(source)
    # A call body's first level is the page's h1; authors' "#" headings are demoted by the schema check.
    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}, "th": {"scope"}},
                     url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")
