"""Text helpers: accent- and case-insensitive matching keys."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit


def fold(text: str) -> str:
    """Lower-case, without accents and with single spaces: « Équipes » and « equipes » match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    return re.sub(r"\s+", " ", stripped).strip()


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def safe_next(target: str | None) -> str | None:
    """A redirect target from a query string or form, kept only if it is a path on this site.

    Judged as a browser will read it (WHATWG URL standard): it trims spaces and control characters at the ends,
    drops tab, line feed and carriage return anywhere, and takes a backslash for a slash, so « /<tab>/evil.example »
    leads to evil.example. Rather than repair such a target, refuse any that holds a control character, a space at
    an end or a backslash: no honest link of ours contains one, and a line break in a Location header is a 500."""
    if not target or target != target.strip() or "\\" in target:
        return None
    if any(unicodedata.category(character) == "Cc" for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
