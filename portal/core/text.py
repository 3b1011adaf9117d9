"""Text helpers: accent- and case-insensitive matching keys."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case, without accents and with single spaces: « Équipes » and « equipes » match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    return re.sub(r"\s+", " ", stripped).strip()


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def safe_next(target: str | None) -> str | None:
    """A redirect target from a query string, kept only if it stays on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
